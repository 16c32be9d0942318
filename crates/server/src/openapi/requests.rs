//! Request bodies as the handlers read them: the Developer API's (`crate::api`, field by
//! field with `Fields`, bounds from `crate::api::limits`; unknown fields are refused) and
//! the auth endpoints' (`keyward_protocol`'s parsers and bounds; unknown fields are
//! ignored). Built from the same constants, so a bound changed in the code changes the
//! document.

use keyward_protocol::NONCE_LEN;
use keyward_protocol::wire::{
    APP_ID_MAX_LEN, APP_SECRET_MAX_LEN, HWID_MAX_LEN, LICENSE_KEY_MAX_LEN, SESSION_TOKEN_MAX_LEN,
};
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder,
    Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};

use crate::api::fields::MAX_VARIABLES_BYTES;
use crate::api::limits::{
    APP_NAME_MAX, DAILY_CREDIT_CAP_MAX, DAILY_CREDIT_CAP_MIN, EVENT_NAME_MAX, EVENTS_MAX,
    HWID_SLOTS_MAX, HWID_SLOTS_MIN, LABEL_MAX, LATEST_EXPIRY, MAX_BATCH, MAX_DAYS, NOTE_MAX,
    RULE_VALUE_MAX, URL_MAX,
};
use crate::store::RuleKind;

/// Every named request body: its component name and schema.
pub(super) fn components() -> Vec<(&'static str, Schema)> {
    vec![
        ("CreateAppRequest", create_app()),
        ("UpdateAppRequest", update_app()),
        ("CreateLicensesRequest", create_licenses()),
        ("ExtendLicenseRequest", extend_license()),
        ("CreateAccessRuleRequest", create_access_rule()),
        ("CreateWebhookRequest", create_webhook()),
        ("ValidateRequest", validate()),
        ("HeartbeatRequest", heartbeat()),
        ("SelfBanRequest", selfban()),
    ]
}

/// A Developer API text field: not blank, at most `max` characters, no control
/// characters (the pattern says "not blank"; the rest is in words).
fn text(max: usize, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(r"\S"))
        .description(Some(format!(
            "{description} Not blank, at most {max} characters, no control characters."
        )))
}

fn integer(min: i64, max: i64, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
        .maximum(Some(max))
        .description(Some(description))
}

fn boolean(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .description(Some(description))
}

fn variables(whose: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "Variables of the {whose}, returned on validation; at most {MAX_VARIABLES_BYTES} bytes of JSON."
        )))
}

fn expires_at(description: &str) -> ObjectBuilder {
    integer(1, LATEST_EXPIRY, description)
}

/// An object of exactly the given properties (`true`: required).
fn strict_object(
    description: &str,
    properties: impl IntoIterator<Item = (&'static str, RefOr<Schema>, bool)>,
) -> ObjectBuilder {
    properties.into_iter().fold(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(description))
            .additional_properties(Some(AdditionalProperties::FreeForm(false))),
        |object, (name, schema, required)| {
            let object = object.property(name, schema);
            if required {
                object.required(name)
            } else {
                object
            }
        },
    )
}

/// The fields of an app's create (`creating`: `name` required, defaults said) or update
/// (`active` too, every field optional) request.
fn app(description: &str, creating: bool) -> Schema {
    let default = |text: &'static str| if creating { text } else { "" };
    let active = (!creating).then(|| {
        (
            "active",
            boolean("Whether validation is enabled.").into(),
            false,
        )
    });
    let fields = [
        ("name", text(APP_NAME_MAX, "Display name.").into(), creating),
        (
            "hwidSlots",
            integer(
                HWID_SLOTS_MIN,
                HWID_SLOTS_MAX,
                &format!(
                    "Devices one license may be bound to.{}",
                    default(" Default 1.")
                ),
            )
            .into(),
            false,
        ),
        ("variables", variables("app").into(), false),
        (
            "allowlistRequired",
            boolean(&format!(
                "Whether a device must be on the allow list.{}",
                default(" Default false.")
            ))
            .into(),
            false,
        ),
        (
            "signing",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["hmac", "ed25519"]))
                .description(Some(format!(
                    "How the auth endpoints sign this app's answers: `hmac` (the HMAC-era protocol) or `ed25519` (protocol v2; switching gives the app its first key).{}",
                    default(" Default hmac.")
                )))
                .into(),
            false,
        ),
        (
            "dailyCreditCap",
            integer(
                DAILY_CREDIT_CAP_MIN,
                DAILY_CREDIT_CAP_MAX,
                &format!(
                    "Most credits this app's validates and heartbeat milestones may be charged per UTC day; past it they answer `app_burn_cap_reached`.{}",
                    if creating { " Null (the default): no cap." } else { " Null removes the cap." }
                ),
            )
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .into(),
            false,
        ),
    ];
    strict_object(description, active.into_iter().chain(fields)).into()
}

fn create_app() -> Schema {
    app("A new app.", true)
}

fn update_app() -> Schema {
    app(
        "Changes to an app: each field given is set, the others are left as they are.",
        false,
    )
}

fn create_licenses() -> Schema {
    strict_object(
        "New licenses, one credit each; `expiresAt` and `durationDays` exclude each other, \
         and neither makes lifetime licenses.",
        [
            (
                "count",
                integer(1, MAX_BATCH, "How many licenses; default 1.").into(),
                false,
            ),
            (
                "expiresAt",
                expires_at("Expiry, Unix seconds, in the future.").into(),
                false,
            ),
            (
                "durationDays",
                integer(1, MAX_DAYS, "Expiry as days from now.").into(),
                false,
            ),
            ("variables", variables("license").into(), false),
            ("note", text(NOTE_MAX, "Free-text note.").into(), false),
            (
                "label",
                text(
                    LABEL_MAX,
                    "A label validate payloads carry as `licenseLabel`.",
                )
                .into(),
                false,
            ),
        ],
    )
    .into()
}

fn extend_license() -> Schema {
    let lifetime = ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .description(Some("Make it a lifetime license."));
    OneOfBuilder::new()
        .description(Some(
            "Exactly one of `days`, `expiresAt`, `lifetime: true`.",
        ))
        .item(strict_object(
            "Extend by days, from the later of the expiry and now.",
            [("days", integer(1, MAX_DAYS, "Days to add.").into(), true)],
        ))
        .item(strict_object(
            "Set the expiry.",
            [(
                "expiresAt",
                expires_at("The new expiry, Unix seconds, in the future.").into(),
                true,
            )],
        ))
        .item(strict_object(
            "Make it a lifetime license.",
            [("lifetime", lifetime.into(), true)],
        ))
        .into()
}

fn create_access_rule() -> Schema {
    let kind = |kind: RuleKind| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([kind.as_str()]))
    };
    let hwid = text(RULE_VALUE_MAX, "The device's HWID.");
    let address = |format: KnownFormat| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    let ip = AnyOfBuilder::new()
        .description(Some(
            "An address or a network (`203.0.113.0/24`), stored canonically.",
        ))
        .item(address(KnownFormat::Ipv4))
        .item(address(KnownFormat::Ipv6))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(RULE_VALUE_MAX))
                .pattern(Some(r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$")),
        );
    let rule = |description: &str, kind: ObjectBuilder, value: RefOr<Schema>| {
        strict_object(
            description,
            [
                ("list", Ref::from_schema_name("ListKind").into(), true),
                ("kind", kind.into(), true),
                ("value", value, true),
            ],
        )
    };
    OneOfBuilder::new()
        .description(Some(
            "An allow or deny entry, of a HWID or of IP addresses.",
        ))
        .item(rule("A HWID entry.", kind(RuleKind::Hwid), hwid.into()))
        .item(rule("An IP entry.", kind(RuleKind::Ip), ip.into()))
        .into()
}

fn create_webhook() -> Schema {
    let url = text(URL_MAX, "An http:// or https:// URL without spaces.")
        .pattern(Some(r"^https?://\S*$"));
    let events = ArrayBuilder::new()
        .items(text(EVENT_NAME_MAX, "An event name."))
        .max_items(Some(EVENTS_MAX))
        .description(Some("Event names to deliver; empty or absent: all."));
    strict_object(
        "A webhook registration.",
        [("url", url.into(), true), ("events", events.into(), false)],
    )
    .into()
}

/// An auth request text field: not empty, at most `max` bytes (characters for ASCII),
/// no control characters.
fn auth_text(max: usize, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .description(Some(format!(
            "{description} Not empty, at most {max} bytes, no control characters."
        )))
        .into()
}

fn nonce() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^[0-9a-f]{{{NONCE_LEN}}}$")))
        .description(Some(format!(
            "A fresh nonce of {NONCE_LEN} lowercase hex characters; the answer echoes it and is signed over it."
        )))
        .into()
}

/// An auth request: every field required, unknown fields ignored.
fn auth_object(
    description: &str,
    properties: impl IntoIterator<Item = (&'static str, RefOr<Schema>)>,
    optional: impl IntoIterator<Item = (&'static str, RefOr<Schema>)>,
) -> Schema {
    let object = properties.into_iter().fold(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(description)),
        |object, (name, schema)| object.property(name, schema).required(name),
    );
    optional
        .into_iter()
        .fold(object, |object, (name, schema)| {
            object.property(name, schema)
        })
        .into()
}

/// Either form of a self-ban: a `sessionToken` makes it the session form.
fn selfban() -> Schema {
    let flags = || {
        [
            (
                "revokeLicense",
                boolean(
                    "Revoke the license. Session form only: a pre-session form asking it is `revoke_requires_session`. Default false.",
                )
                .into(),
            ),
            (
                "blacklistHwid",
                boolean("Put `hwid` on the app's deny list. Default false.").into(),
            ),
            (
                "blacklistIp",
                boolean("Put the caller's IP address on the app's deny list. Default false.")
                    .into(),
            ),
        ]
    };
    let session = auth_object(
        "The session form: the current session's token proves the caller.",
        [
            ("appId", app_id()),
            (
                "sessionToken",
                auth_text(
                    SESSION_TOKEN_MAX_LEN,
                    "The current session's token. Secret.",
                ),
            ),
            ("hwid", hwid()),
        ],
        flags(),
    );
    let pre_session = auth_object(
        "The pre-session form: the app secret and a license key prove the caller.",
        [
            ("appId", app_id()),
            (
                "appSecret",
                auth_text(APP_SECRET_MAX_LEN, "The app's secret. Secret."),
            ),
            (
                "licenseKey",
                auth_text(LICENSE_KEY_MAX_LEN, "A license key of the app. Secret."),
            ),
            ("hwid", hwid()),
            ("nonce", nonce()),
        ],
        flags(),
    );
    AnyOfBuilder::new()
        .item(session)
        .item(pre_session)
        .description(Some(
            "Deny-list the device and, with a session, revoke its license.",
        ))
        .into()
}

fn app_id() -> RefOr<Schema> {
    auth_text(APP_ID_MAX_LEN, "The app's public id.")
}

fn hwid() -> RefOr<Schema> {
    auth_text(
        HWID_MAX_LEN,
        "Opaque device fingerprint (the reference SDKs send a SHA-256 hex digest).",
    )
}

fn validate() -> Schema {
    auth_object(
        "Check a license key for a device.",
        [
            ("appId", app_id()),
            (
                "appSecret",
                auth_text(APP_SECRET_MAX_LEN, "The app's secret. Secret."),
            ),
            (
                "licenseKey",
                auth_text(LICENSE_KEY_MAX_LEN, "The end user's license key. Secret."),
            ),
            ("hwid", hwid()),
            ("nonce", nonce()),
        ],
        [(
            "ttlSeconds",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some(
                    "The session lifetime asked for, in seconds: any integer, clamped to one hour to seven days; 0 or less asks for the server's default.",
                ))
                .into(),
        )],
    )
}

fn heartbeat() -> Schema {
    auth_object(
        "Confirm a session.",
        [
            ("appId", app_id()),
            (
                "sessionToken",
                auth_text(
                    SESSION_TOKEN_MAX_LEN,
                    "The session token of the last success payload. Secret.",
                ),
            ),
            ("nonce", nonce()),
            ("hwid", hwid()),
        ],
        [],
    )
}
