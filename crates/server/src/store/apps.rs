//! SQL of apps and their allow/deny entries, once for both backends ([`Sql`]).

use crate::ipnet::IpNet;

use super::auth::utc_day;
use super::sql::{FromRow, Row, Sql};
use super::{
    AccessRule, App, AppPatch, CreatedApp, ListKind, NewApp, RuleKind, Signing, SigningPatch,
    StoreError, json_object, json_text, signing_keys,
};

/// The columns [`AppRow`] is read from, in its order; `?2` is the UTC day of its
/// `credits_used_today`.
macro_rules! app_columns {
    () => {
        "id, public_id, name, active, hwid_slots, variables, allowlist_required,
         signing, created_at, daily_credit_cap,
         COALESCE((SELECT d.credits FROM app_daily_credits d
                   WHERE d.app_id = apps.id AND d.day = ?2), 0)"
    };
}

struct AppRow {
    id: i64,
    app_id: String,
    name: String,
    active: bool,
    hwid_slots: u8,
    variables: String,
    allowlist_required: bool,
    signing: String,
    created_at: i64,
    daily_credit_cap: Option<i64>,
    credits_used_today: i64,
}

impl FromRow for AppRow {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        // Stored as BIGINT (PostgreSQL binds integers as i64 only); the schema keeps it
        // within 1 to 16.
        let hwid_slots: i64 = row.get(4)?;
        Ok(AppRow {
            id: row.get(0)?,
            app_id: row.get(1)?,
            name: row.get(2)?,
            active: row.get(3)?,
            hwid_slots: u8::try_from(hwid_slots)
                .map_err(|_| StoreError::Backend("bad stored hwid_slots".to_owned()))?,
            variables: row.get(5)?,
            allowlist_required: row.get(6)?,
            signing: row.get(7)?,
            created_at: row.get(8)?,
            daily_credit_cap: row.get(9)?,
            credits_used_today: row.get(10)?,
        })
    }
}

async fn decode<D: Sql>(db: &D, row: AppRow) -> Result<App, StoreError> {
    let signing = Signing::parse(&row.signing)
        .ok_or_else(|| StoreError::Backend("bad stored signing mode".to_owned()))?;
    let signing_keys = match signing {
        Signing::Hmac => None,
        Signing::Ed25519 => Some(signing_keys::list(db, row.id).await?),
    };
    Ok(App {
        app_id: row.app_id,
        name: row.name,
        active: row.active,
        hwid_slots: row.hwid_slots,
        variables: json_object(&row.variables)?,
        allowlist_required: row.allowlist_required,
        signing,
        signing_keys,
        daily_credit_cap: row.daily_credit_cap,
        credits_used_today: row.credits_used_today,
        created_at: row.created_at,
    })
}

/// An app's internal id and owner.
struct Owner {
    id: i64,
    account_id: i64,
}

impl FromRow for Owner {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Owner {
            id: row.get(0)?,
            account_id: row.get(1)?,
        })
    }
}

/// The internal id of `public_id` if it belongs to `account_id`.
pub(super) async fn owned_by<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
) -> Result<i64, StoreError> {
    let found: Option<Owner> = db
        .query_opt(
            "SELECT id, account_id FROM apps WHERE public_id = ?1",
            &[&public_id],
        )
        .await?;
    match found {
        None => Err(StoreError::NotFound),
        Some(owner) if owner.account_id != account_id => Err(StoreError::Forbidden),
        Some(owner) => Ok(owner.id),
    }
}

/// App `id` (internal), with the credits it used on the UTC day of `now`.
pub(super) async fn by_internal_id<D: Sql>(db: &D, id: i64, now: i64) -> Result<App, StoreError> {
    let row: AppRow = db
        .query_opt(
            concat!("SELECT ", app_columns!(), " FROM apps WHERE id = ?1"),
            &[&id, &utc_day(now)],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    decode(db, row).await
}

pub(super) async fn create<D: Sql>(
    db: &D,
    account_id: i64,
    app: &NewApp,
    public_id: &str,
    secret: &str,
    now: i64,
) -> Result<CreatedApp, StoreError> {
    // A taken public id returns no row (rather than failing, which would abort a
    // PostgreSQL transaction).
    let id: i64 = db
        .query_opt(
            "INSERT INTO apps (public_id, account_id, name, secret, hwid_slots, variables,
                               allowlist_required, created_at, daily_credit_cap)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (public_id) DO NOTHING RETURNING id",
            &[
                &public_id,
                &account_id,
                &app.name,
                &secret,
                &i64::from(app.hwid_slots),
                &json_text(&app.variables)?,
                &app.allowlist_required,
                &now,
                &app.daily_credit_cap,
            ],
        )
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("the app id {public_id:?} is taken")))?;
    if let Some(key) = &app.ed25519_key {
        signing_keys::set_signing(db, id, &SigningPatch::Ed25519(key.clone()), now).await?;
    }
    Ok(CreatedApp {
        app: by_internal_id(db, id, now).await?,
        app_secret: secret.to_owned(),
    })
}

pub(super) async fn list<D: Sql>(
    db: &D,
    account_id: i64,
    now: i64,
) -> Result<Vec<App>, StoreError> {
    let rows: Vec<AppRow> = db
        .query_all(
            concat!(
                "SELECT ",
                app_columns!(),
                " FROM apps WHERE account_id = ?1 ORDER BY id"
            ),
            &[&account_id, &utc_day(now)],
        )
        .await?;
    let mut apps = Vec::with_capacity(rows.len());
    for row in rows {
        apps.push(decode(db, row).await?);
    }
    Ok(apps)
}

pub(super) async fn get<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    now: i64,
) -> Result<App, StoreError> {
    let id = owned_by(db, account_id, public_id).await?;
    by_internal_id(db, id, now).await
}

pub(super) async fn update<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    patch: &AppPatch,
    now: i64,
) -> Result<App, StoreError> {
    let id = owned_by(db, account_id, public_id).await?;
    let variables = patch.variables.as_ref().map(json_text).transpose()?;
    let (set_cap, cap) = match patch.daily_credit_cap {
        Some(cap) => (true, cap),
        None => (false, None),
    };
    // One statement for every plain field: a NULL parameter keeps the column as it is
    // (the cap is nullable, so a flag says whether to set it).
    db.execute(
        "UPDATE apps SET name = COALESCE(?2, name),
                         active = COALESCE(?3, active),
                         hwid_slots = COALESCE(?4, hwid_slots),
                         variables = COALESCE(?5, variables),
                         allowlist_required = COALESCE(?6, allowlist_required),
                         daily_credit_cap = CASE WHEN ?7 THEN ?8 ELSE daily_credit_cap END
         WHERE id = ?1",
        &[
            &id,
            &patch.name,
            &patch.active,
            &patch.hwid_slots.map(i64::from),
            &variables,
            &patch.allowlist_required,
            &set_cap,
            &cap,
        ],
    )
    .await?;
    if let Some(signing) = &patch.signing {
        signing_keys::set_signing(db, id, signing, now).await?;
    }
    by_internal_id(db, id, now).await
}

struct RuleRow {
    id: i64,
    list: String,
    kind: String,
    value: String,
    created_at: i64,
}

impl FromRow for RuleRow {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(RuleRow {
            id: row.get(0)?,
            list: row.get(1)?,
            kind: row.get(2)?,
            value: row.get(3)?,
            created_at: row.get(4)?,
        })
    }
}

fn decode_rule(row: RuleRow) -> Result<AccessRule, StoreError> {
    let bad = || StoreError::Backend("bad stored access rule".to_owned());
    Ok(AccessRule {
        id: row.id,
        list: ListKind::parse(&row.list).ok_or_else(bad)?,
        kind: RuleKind::parse(&row.kind).ok_or_else(bad)?,
        value: row.value,
        created_at: row.created_at,
    })
}

pub(super) async fn add_rule<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    list: ListKind,
    kind: RuleKind,
    value: &str,
    now: i64,
) -> Result<AccessRule, StoreError> {
    let app = owned_by(db, account_id, public_id).await?;
    // The address range of an IP rule (`value` is canonical: the API parsed it).
    let range = match kind {
        RuleKind::Ip => IpNet::parse(value)
            .ok()
            .map(|net| (net.first().to_vec(), net.last().to_vec())),
        RuleKind::Hwid => None,
    };
    let (ip_first, ip_last) = range.unzip();
    // An entry already on the list returns no row (rather than failing, which would
    // abort a PostgreSQL transaction).
    let id: i64 = db
        .query_opt(
            "INSERT INTO access_rules (app_id, kind, value, list, created_at, ip_first, ip_last)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (app_id, kind, value, list) DO NOTHING RETURNING id",
            &[
                &app,
                &kind.as_str(),
                &value,
                &list.as_str(),
                &now,
                &ip_first,
                &ip_last,
            ],
        )
        .await?
        .ok_or_else(|| {
            StoreError::Conflict(format!(
                "this {} is already on the {} list",
                kind.as_str(),
                list.as_str()
            ))
        })?;
    Ok(AccessRule {
        id,
        list,
        kind,
        value: value.to_owned(),
        created_at: now,
    })
}

pub(super) async fn list_rules<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
) -> Result<Vec<AccessRule>, StoreError> {
    let app = owned_by(db, account_id, public_id).await?;
    let rows: Vec<RuleRow> = db
        .query_all(
            "SELECT id, list, kind, value, created_at FROM access_rules WHERE app_id = ?1 \
             ORDER BY id",
            &[&app],
        )
        .await?;
    rows.into_iter().map(decode_rule).collect()
}

pub(super) async fn delete_rule<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    rule_id: i64,
) -> Result<(), StoreError> {
    let app = owned_by(db, account_id, public_id).await?;
    matched(
        db.execute(
            "DELETE FROM access_rules WHERE id = ?1 AND app_id = ?2",
            &[&rule_id, &app],
        )
        .await?,
    )
}

/// [`StoreError::NotFound`] when a change matched no row.
pub(super) fn matched(changed: u64) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema::migrate;
    use crate::store::sql::{Sqlite, run_ready};
    use rusqlite::Connection;

    const ACCOUNT: i64 = 1;

    fn database() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        c.execute(
            "INSERT INTO accounts (id, name, created_at) VALUES (?1, 'owner', 0)",
            [ACCOUNT],
        )
        .unwrap();
        c
    }

    fn created(c: &Connection, public_id: &str) -> Result<CreatedApp, StoreError> {
        let app = NewApp::named("app");
        run_ready(create(&Sqlite(c), ACCOUNT, &app, public_id, "secret", 10))
    }

    #[test]
    fn a_taken_public_id_is_a_conflict_naming_it() {
        let c = database();
        created(&c, "app_one").unwrap();
        match created(&c, "app_one") {
            Err(StoreError::Conflict(message)) => assert!(message.contains("app_one"), "{message}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn an_entry_already_on_a_list_is_a_conflict_naming_the_list() {
        let c = database();
        created(&c, "app_one").unwrap();
        let add = || {
            run_ready(add_rule(
                &Sqlite(&c),
                ACCOUNT,
                "app_one",
                ListKind::Deny,
                RuleKind::Ip,
                "10.0.0.0/8",
                20,
            ))
        };
        let first = add().unwrap();
        assert_eq!(first.value, "10.0.0.0/8");
        match add() {
            Err(StoreError::Conflict(message)) => {
                assert!(
                    message.contains("ip is already on the deny list"),
                    "{message}"
                );
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn an_update_changes_only_the_fields_it_names() {
        let c = database();
        created(&c, "app_one").unwrap();
        let update_with = |patch: AppPatch| {
            run_ready(update(&Sqlite(&c), ACCOUNT, "app_one", &patch, 30)).unwrap()
        };
        let capped = update_with(AppPatch {
            hwid_slots: Some(3),
            daily_credit_cap: Some(Some(5)),
            ..AppPatch::default()
        });
        assert_eq!((capped.hwid_slots, capped.daily_credit_cap), (3, Some(5)));
        let renamed = update_with(AppPatch {
            name: Some("renamed".to_owned()),
            ..AppPatch::default()
        });
        assert_eq!(renamed.name, "renamed");
        assert_eq!(
            (renamed.hwid_slots, renamed.daily_credit_cap, renamed.active),
            (3, Some(5), true),
            "fields the patch does not name are kept"
        );
        let uncapped = update_with(AppPatch {
            active: Some(false),
            daily_credit_cap: Some(None),
            ..AppPatch::default()
        });
        assert_eq!(
            (
                uncapped.name.as_str(),
                uncapped.active,
                uncapped.daily_credit_cap
            ),
            ("renamed", false, None)
        );
    }
}
