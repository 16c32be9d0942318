//! `self_ban` and `self_ban_with_key` against a real server through the proxy: what the
//! device's next login gets, the typed errors, the fresh nonce of a retry, and the
//! blocking facade.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use keyward_client::{ErrorKind, SelfBan, SelfBanError, ValidateError};
use support::proxy::VALIDATE;
use support::{Action, Env, within};

const SELFBAN: &str = "/auth/selfban";
const LIMIT: Duration = Duration::from_secs(30);

const EVERYTHING: SelfBan = SelfBan {
    revoke_license: true,
    blacklist_hwid: true,
    blacklist_ip: false,
};

#[tokio::test]
async fn with_a_session_it_blocks_the_device_and_revokes_the_license() {
    let env = Env::start().await;
    let client = env.builder().build().unwrap();
    within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap();
    let outcome = within(LIMIT, client.self_ban(EVERYTHING)).await.unwrap();
    assert!(outcome.revoked && outcome.hwid_blacklisted && !outcome.ip_blacklisted);
    let again = within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap_err();
    assert_eq!(again.kind(), &ErrorKind::Validate(ValidateError::Blocked));
    // Another device: the license itself is revoked.
    let other = env
        .builder()
        .hwid(support::hwid("device-b"))
        .build()
        .unwrap();
    let revoked = within(LIMIT, other.login(&env.seed.license_key))
        .await
        .unwrap_err();
    assert_eq!(revoked.kind(), &ErrorKind::Validate(ValidateError::Revoked));
}

#[tokio::test]
async fn without_a_session_nothing_is_sent() {
    let env = Env::start().await;
    let client = env.builder().build().unwrap();
    let error = within(LIMIT, client.self_ban(EVERYTHING))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::SelfBan(SelfBanError::SessionExpired)
    );
    let empty = within(LIMIT, client.self_ban_with_key("  ", EVERYTHING))
        .await
        .unwrap_err();
    assert_eq!(empty.kind(), &ErrorKind::SelfBan(SelfBanError::InvalidKey));
    assert_eq!(env.proxy.count(SELFBAN), 0);
}

/// Before a session it never asks to revoke (the server would refuse with
/// `revoke_requires_session`), and its retry after a lost answer carries a new nonce
/// (the server recorded the first one).
#[tokio::test]
async fn with_the_key_it_blocks_without_revoking_and_retries_with_a_fresh_nonce() {
    let env = Env::start().await;
    let client = env.builder().build().unwrap();
    env.proxy.script(SELFBAN, [Action::Truncate]);
    let outcome = within(
        LIMIT,
        client.self_ban_with_key(&env.seed.license_key, EVERYTHING),
    )
    .await
    .unwrap();
    assert!(!outcome.revoked && outcome.hwid_blacklisted);
    assert_eq!(env.proxy.count(SELFBAN), 2, "one retry");
    let blocked = within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap_err();
    assert_eq!(blocked.kind(), &ErrorKind::Validate(ValidateError::Blocked));
    let other = env
        .builder()
        .hwid(support::hwid("device-b"))
        .build()
        .unwrap();
    within(LIMIT, other.login(&env.seed.license_key))
        .await
        .unwrap();
    // A failure of the server reaches the caller typed.
    env.proxy.reset_counts();
    let unknown = within(
        LIMIT,
        client.self_ban_with_key("AAAA-AAAA-AAAA-AAAA", EVERYTHING),
    )
    .await
    .unwrap_err();
    assert_eq!(
        unknown.kind(),
        &ErrorKind::SelfBan(SelfBanError::InvalidKey)
    );
    assert_eq!(env.proxy.count(VALIDATE), 0);
}

#[test]
fn the_blocking_client_self_bans_too() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let env = runtime.block_on(Env::start());
    let client = env.builder().build_blocking().unwrap();
    let ban = SelfBan {
        blacklist_hwid: true,
        ..SelfBan::default()
    };
    assert!(client.self_ban(ban).is_err(), "no session yet");
    client.login(&env.seed.license_key).unwrap();
    assert!(client.self_ban(ban).unwrap().hwid_blacklisted);
    assert!(
        client
            .self_ban_with_key(&env.seed.license_key, ban)
            .unwrap()
            .hwid_blacklisted
    );
}
