//! The bounds of the Developer API's request fields: the handlers enforce them and the
//! OpenAPI document (`crate::openapi`) publishes them, both from these constants.

/// Smallest daily credit cap of an app (`dailyCreditCap`; null is no cap).
pub const DAILY_CREDIT_CAP_MIN: i64 = 1;
/// Largest daily credit cap of an app: a billion credits a day, far above any real
/// app and clear of overflow when added to.
pub const DAILY_CREDIT_CAP_MAX: i64 = 1_000_000_000;
/// Longest app name, in characters.
pub const APP_NAME_MAX: usize = 100;
/// Fewest HWID slots per license of an app.
pub const HWID_SLOTS_MIN: i64 = 1;
/// Most HWID slots per license of an app.
pub const HWID_SLOTS_MAX: i64 = 16;
/// Most licenses created by one request.
pub const MAX_BATCH: i64 = 1000;
/// Longest license duration or extension, in days.
pub const MAX_DAYS: i64 = 36_500;
/// Latest accepted expiry (Unix seconds): far enough, and clear of overflow.
pub const LATEST_EXPIRY: i64 = i64::MAX / 2;
/// Longest license note, in characters.
pub const NOTE_MAX: usize = 500;
/// Longest license `label`, in characters.
pub const LABEL_MAX: usize = 100;
/// Page size of a license list when the request gives none.
pub const DEFAULT_PAGE: u32 = 50;
/// Largest page size of a license list.
pub const MAX_PAGE: i64 = 200;
/// Longest `list` or `kind` word of an access rule, in characters.
pub const RULE_WORD_MAX: usize = 10;
/// Longest access rule value (HWID, address or network), in characters.
pub const RULE_VALUE_MAX: usize = 256;
/// Longest webhook URL, in characters.
pub const URL_MAX: usize = 2048;
/// Most event names of a webhook.
pub const EVENTS_MAX: usize = 20;
/// Longest event name, in characters.
pub const EVENT_NAME_MAX: usize = 64;
