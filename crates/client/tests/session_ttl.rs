//! `Builder::session_ttl`: the lifetime asked for at login, as the server clamps it.

mod support;

use std::time::Duration;

use keyward_protocol::{MAX_SESSION_TTL_SECS, MIN_SESSION_TTL_SECS};
use support::{Env, within};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_session_lives_as_long_as_asked_within_the_servers_bounds() {
    let env = Env::start().await;
    for (asked, expected) in [
        (Duration::from_secs(7200), 7200),
        (Duration::from_millis(1), MIN_SESSION_TTL_SECS),
        (Duration::from_secs(30 * 86_400), MAX_SESSION_TTL_SECS),
    ] {
        let client = env.builder().session_ttl(asked).build().unwrap();
        let session = within(LIMIT, client.login(&env.seed.license_key))
            .await
            .unwrap();
        assert_eq!(
            session.expires_at_unix() - session.server_time_unix(),
            expected,
            "asked {asked:?}"
        );
        client.logout().await;
    }
}
