//! Protocol v2's extra payload fields: `sessionExpiresAt` on every success, and on
//! validate `licenseExpiresAt`, `maxHwidSlots`, `hwidCount` and `licenseLabel` (a license's
//! `label`, set through the Developer API), all before the variables.

mod common;

use common::{create_licenses, get_license, heartbeat, patch_app, validate_ok};
use keyward_protocol::iso_time::format_unix;
use keyward_server::TestServer;
use serde_json::{Value, json};

#[tokio::test]
async fn validate_payloads_tell_about_the_license() {
    let server = TestServer::start().await.unwrap();
    let mut seed = server.seed().await.unwrap();
    patch_app(
        &server,
        &seed,
        json!({"hwidSlots": 2, "variables": {"tier": "pro"}}),
    )
    .await;

    // The seeded license: lifetime, no label.
    let session = validate_ok(&server, &seed, "hw-a").await;
    let payload = &session.payload;
    assert_eq!(
        payload.session_expires_at,
        format_unix(payload.expires_in),
        "{payload:?}"
    );
    assert_eq!(payload.license_expires_at, Some(None));
    assert_eq!(payload.max_hwid_slots, Some(2));
    assert_eq!(payload.hwid_count, Some(1));
    assert_eq!(payload.license_label, None);
    // A labelled license with an expiry; a second device counts.
    let expires_at = server.clock().now_unix() + 10 * 86_400;
    let created = create_licenses(
        &server,
        &seed,
        json!({"expiresAt": expires_at, "label": "Pro plan", "note": "internal"}),
    )
    .await;
    let key = created["licenses"][0]["key"].as_str().unwrap().to_owned();
    assert_eq!(created["licenses"][0]["label"], "Pro plan");
    assert_eq!(get_license(&server, &seed, &key).await["label"], "Pro plan");
    seed.license_key = key;
    let first = validate_ok(&server, &seed, "hw-a").await.payload;
    assert_eq!(first.license_expires_at, Some(format_unix(expires_at)));
    assert_eq!(first.license_label.as_deref(), Some("Pro plan"));
    assert_eq!(first.hwid_count, Some(1));
    let second = validate_ok(&server, &seed, "hw-b").await;
    assert_eq!(second.payload.hwid_count, Some(2));
    assert_eq!(
        validate_ok(&server, &seed, "hw-a").await.payload.hwid_count,
        Some(2)
    );

    // Heartbeats carry the session's expiry only.
    let beat = heartbeat(&server, &seed, &second.payload.session_token, "hw-b")
        .await
        .unwrap()
        .payload;
    assert_eq!(beat.session_expires_at, format_unix(beat.expires_in));
    assert_eq!(beat.license_expires_at, None);
    assert_eq!(beat.hwid_count, None);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn labels_are_checked_like_other_text_fields() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let path = format!("/v1/apps/{}/licenses", seed.app_id);
    for bad in [json!(7), json!(""), json!("x".repeat(101))] {
        let response = common::api(&server, &seed, reqwest::Method::POST, &path)
            .json(&json!({ "label": bad }))
            .send()
            .await
            .unwrap();
        let body: Value =
            common::expect_api_error(response, keyward_errors::ApiError::BadRequest).await;
        assert_eq!(body["details"][0]["field"], "label", "{body}");
    }
    server.shutdown().await.unwrap();
}
