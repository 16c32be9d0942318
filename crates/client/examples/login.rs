//! Logs in with the Keyward client SDK and prints what an end user would see for each
//! outcome.
//!
//! Run against an in-process server on loopback (a temporary SQLite database, a demo app
//! and licenses provisioned for you):
//!
//! ```sh
//! cargo run -p keyward-client --example login
//! ```
//!
//! The screens are in the operating system's language when the SDK ships it (on Linux,
//! `LANG=de_DE.UTF-8 cargo run -p keyward-client --example login` shows them in German).
//!
//! Or against a running server, with your app and a license key:
//!
//! ```sh
//! KEYWARD_URL=http://127.0.0.1:8080 KEYWARD_APP_ID=app_... KEYWARD_APP_SECRET=... \
//!     KEYWARD_LICENSE_KEY=XXXX-XXXX-XXXX-XXXX cargo run -p keyward-client --example login
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use keyward_client::{Error, FailureReason, HeartbeatMode, Locale, blocking};
use keyward_server::store::{NewApp, NewLicenses};
use keyward_server::{Config, TestServer};
use serde_json::{Map, json};

const RENEWAL_URL: &str = "https://example.com/renew";

fn client(url: &str, app_id: &str, secret: &str, hwid: &str) -> blocking::Client {
    blocking::Client::builder()
        .app_id(app_id)
        .app_secret(secret)
        .base_url(url)
        .hwid(hwid)
        .heartbeat(HeartbeatMode::Server, Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(5))
        .renewal_url(RENEWAL_URL)
        .on_failure(|reason: FailureReason, error: &Error| {
            // What a developer logs: the reason and the actual code.
            eprintln!("    [log] {reason}: {} ({error})", error.code());
        })
        .build_blocking()
        .expect("client settings")
}

/// What the end user sees for a login attempt.
fn show(title: &str, client: &blocking::Client, key: &str) {
    println!("\n== {title}");
    match client.login(key) {
        Ok(session) => {
            println!("    Screen: {}", welcome(keyward_client::default_locale()));
            println!(
                "    Session expires at (unix): {}",
                session.expires_at_unix()
            );
            if let Some(version) = session.app_variable("latestVersion") {
                println!("    Latest version: {version}");
            }
            if let Some(plan) = session.license_variable("plan") {
                println!("    Plan: {plan}");
            }
            client.logout();
        }
        Err(error) => {
            println!("    Screen: {}", error.user_message());
            println!("    Action: {}", error.action_label());
            if let Some(link) = error.renewal_link() {
                println!("    Link:   {link}");
            }
        }
    }
}

/// The app's own text, in the language the SDK shows its texts in.
fn welcome(locale: Locale) -> &'static str {
    match locale {
        Locale::De => "Willkommen! Ihre Lizenz ist aktiv.",
        Locale::Es => "¡Te damos la bienvenida! Tu licencia está activa.",
        Locale::Fr => "Bienvenue ! Votre licence est active.",
        Locale::Ja => "ようこそ。ライセンスは有効です。",
        Locale::PtBr => "Boas-vindas! Sua licença está ativa.",
        Locale::ZhHans => "欢迎！您的许可证已激活。",
        _ => "Welcome! Your license is active.",
    }
}

fn main() {
    // What `Builder::locale` defaults to: the end user's language, from the OS.
    println!(
        "Language of the screens: {}",
        keyward_client::default_locale()
    );
    if let Ok(url) = std::env::var("KEYWARD_URL") {
        let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("set {name}"));
        let c = client(
            &url,
            &var("KEYWARD_APP_ID"),
            &var("KEYWARD_APP_SECRET"),
            &keyward_client::default_hwid(),
        );
        show("Your license", &c, &var("KEYWARD_LICENSE_KEY"));
        return;
    }

    // An in-process server with a demo app and licenses.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime
        .block_on(TestServer::start_with(|config: &mut Config| {
            config.auth_rate_limit = None;
        }))
        .expect("server");
    let mut app = NewApp::named("Demo app");
    app.variables = json!({"latestVersion": "2.4.1"})
        .as_object()
        .cloned()
        .unwrap();
    let seed = runtime.block_on(server.seed_with(app)).expect("seed");
    let admin = server.admin();
    let now = server.clock().now_unix();
    let license = |expires_at: Option<i64>, variables: serde_json::Value| {
        runtime
            .block_on(admin.create_licenses(
                &seed.account,
                &seed.app_id,
                1,
                NewLicenses {
                    expires_at,
                    variables: variables.as_object().cloned().unwrap_or_else(Map::new),
                    note: None,
                    label: None,
                },
            ))
            .expect("license")
            .remove(0)
            .key
    };
    let pro = license(None, json!({"plan": "pro"}));
    let revoked = license(None, json!({}));
    let expired = license(Some(now + 1), json!({}));
    let account_id = runtime.block_on(admin.account(&seed.account)).unwrap().id;
    runtime
        .block_on(admin.store().revoke_license(account_id, revoked.clone()))
        .expect("revoke");
    server.clock().advance(Duration::from_secs(5)); // `expired` is now past its expiry

    let url = server.url("");
    println!("Keyward demo server at {url}");
    let this_device = client(
        &url,
        &seed.app_id,
        &seed.app_secret,
        &keyward_client::default_hwid(),
    );
    let other_device = client(&url, &seed.app_id, &seed.app_secret, &"0".repeat(64));
    let wrong_secret = client(
        &url,
        &seed.app_id,
        "not-the-secret",
        &keyward_client::default_hwid(),
    );
    let offline = client("http://127.0.0.1:9", &seed.app_id, &seed.app_secret, "hwid");

    show("Valid license", &this_device, &pro);
    show("Mistyped license key", &this_device, "ABCD-EFGH-IJKL-MNOP");
    show("Revoked license", &this_device, &revoked);
    show("Expired license", &this_device, &expired);
    show(
        "License already used on another device",
        &other_device,
        &pro,
    );
    show("Misconfigured app (wrong secret)", &wrong_secret, &pro);
    show("Server unreachable", &offline, &pro);
    runtime
        .block_on(admin.suspend(&seed.account))
        .expect("suspend");
    show("Developer account suspended", &this_device, &pro);

    drop((this_device, other_device, wrong_secret, offline));
    runtime.block_on(server.shutdown()).expect("shutdown");
}
