//! Shared helpers of the end-to-end tests: a real server on loopback, a counting and
//! fault-injecting HTTP proxy in front of it, and a recorder of failure callbacks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod proxy;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyward_client::{Builder, Client, Error, FailureReason, HeartbeatMode, Locale, UserAction};
use keyward_server::store::{ListKind, NewApp, NewLicenses, RuleKind};
use keyward_server::{Config, Seed, TestServer};
use serde_json::{Map, json};

#[allow(unused_imports)]
pub use proxy::{Action, Proxy};

/// Backoff scale of the tests: the spec's delays divided by 1000.
pub const SCALE: f64 = 0.001;

/// A server, a proxy in front of it and a seeded account/app/license.
pub struct Env {
    pub server: TestServer,
    pub proxy: Proxy,
    pub seed: Seed,
}

impl Env {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose config `configure` adjusted (auth rate limit off by default: the
    /// tests that want it turn it on).
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let server = TestServer::start_with(|config| {
            config.auth_rate_limit = None;
            configure(config);
        })
        .await
        .expect("server starts");
        let seed = server.seed_with(demo_app()).await.expect("seed");
        let proxy = Proxy::start(server.addr()).await;
        Self {
            server,
            proxy,
            seed,
        }
    }

    /// A client builder aimed at the proxy, with fast (scaled) backoff, short timeouts
    /// and a heartbeat that does not fire during the test unless asked.
    pub fn builder(&self) -> Builder {
        Client::builder()
            .app_id(&self.seed.app_id)
            .app_secret(&self.seed.app_secret)
            .base_url(self.proxy.url())
            .hwid(hwid("device-a"))
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(3))
            .heartbeat(HeartbeatMode::Server, Duration::from_secs(3600))
            .renewal_url("https://example.com/renew")
            // The spec's English texts, whatever the machine's language.
            .locale(Locale::En)
            .backoff_scale(SCALE)
    }

    pub async fn account_id(&self) -> i64 {
        self.server
            .admin()
            .account(&self.seed.account)
            .await
            .expect("account")
            .id
    }

    /// A new license of the seeded app.
    pub async fn license(&self, expires_at: Option<i64>) -> String {
        self.server
            .admin()
            .create_licenses(
                &self.seed.account,
                &self.seed.app_id,
                1,
                NewLicenses {
                    expires_at,
                    variables: Map::new(),
                    note: None,
                    label: None,
                },
            )
            .await
            .expect("license")
            .remove(0)
            .key
    }

    pub async fn revoke(&self, key: &str) {
        let id = self.account_id().await;
        self.server
            .admin()
            .store()
            .revoke_license(id, key.to_owned())
            .await
            .expect("revoke");
    }

    pub async fn suspend(&self) {
        self.server
            .admin()
            .suspend(&self.seed.account)
            .await
            .expect("suspend");
    }

    pub async fn deny_hwid(&self, hwid: &str) {
        let id = self.account_id().await;
        self.server
            .admin()
            .store()
            .add_access_rule(
                id,
                self.seed.app_id.clone(),
                ListKind::Deny,
                RuleKind::Hwid,
                hwid.to_owned(),
                self.server.clock().now_unix(),
            )
            .await
            .expect("deny rule");
    }

    /// Spend the account's credits down to zero.
    pub async fn drain_credits(&self) {
        let account = self
            .server
            .admin()
            .account(&self.seed.account)
            .await
            .unwrap();
        self.server
            .admin()
            .add_credits(&self.seed.account, -account.credits)
            .await
            .expect("drain credits");
    }
}

/// The app the tests use: one HWID slot, some variables.
pub fn demo_app() -> NewApp {
    let mut app = NewApp::named("e2e app");
    app.hwid_slots = 1;
    app.variables = json!({"latestVersion": "2.4.1"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    app
}

/// A HWID like the default one (SHA-256 hex), from a label.
pub fn hwid(label: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for b in label.bytes().cycle().take(32) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// One failure callback call.
#[derive(Debug, Clone)]
pub struct Reported {
    pub reason: FailureReason,
    pub code: String,
    pub user_message: &'static str,
    pub user_action: UserAction,
    pub renewal_link: Option<String>,
}

/// Records the failure callbacks.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Reported>>>);

impl Recorder {
    pub fn callback(&self) -> impl Fn(FailureReason, &Error) + Send + Sync + 'static {
        let events = Arc::clone(&self.0);
        move |reason, error| {
            events.lock().unwrap().push(Reported {
                reason,
                code: error.code().to_owned(),
                user_message: error.user_message(),
                user_action: error.user_action(),
                renewal_link: error.renewal_link().map(str::to_owned),
            })
        }
    }

    pub fn events(&self) -> Vec<Reported> {
        self.0.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) for the first callback.
    pub async fn wait(&self) -> Reported {
        for _ in 0..400 {
            if let Some(event) = self.events().into_iter().next() {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no failure callback within 20 s");
    }

    /// Like [`Recorder::wait`], from blocking code.
    pub fn wait_blocking(&self) -> Reported {
        for _ in 0..400 {
            if let Some(event) = self.events().into_iter().next() {
                return event;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no failure callback within 20 s");
    }
}

/// Guard against hangs: fails the test if `future` takes longer than `limit`.
pub async fn within<T>(limit: Duration, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("hung for more than {limit:?}"))
}
