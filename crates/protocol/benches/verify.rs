//! Client-side response verification against a bare HMAC-SHA256 of the same payload text.
//!
//! Run briefly with:
//! `cargo bench -p keyward-protocol --bench verify -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use keyward_protocol::{
    Nonce, Outcome, SessionPayload, SessionToken, SessionTokenBody, SigKey, derive_key,
    sign_response, verify_response,
};
use serde_json::json;
use sha2::Sha256;

/// A realistic validate success: a real session token, a few app and license variables.
fn success_body() -> (Vec<u8>, String, Nonce, [u8; 32]) {
    let app_secret = b"kw_live_4f1c9e2b7a6d8f30c5e1a9b2d4f6e8a0";
    let nonce = Nonce::parse("9f86d081884c7d659a2feaa0c55ad015").expect("bench setup");
    let token = SessionToken::issue(
        b"server-secret-0123456789abcdef0123456789abcdef",
        &SessionTokenBody {
            app_id: "app_8c2f1e9a".into(),
            license_key: "K7QX-92MD-P4ZL-W8RT".into(),
            hwid: "3b9f2c7e1a5d8f0c4e6b2a9d7f1c3e5a8b0d2f4c6e8a1b3d5f7e9c0a2b4d6f8e".into(),
            sig_key: SigKey::generate().expect("bench setup"),
            expires_in: 1_700_086_400,
        },
    )
    .expect("bench setup");
    let app_variables = json!({"latestVersion": "2.4.1", "downloadUrl": "https://example.com/dl", "motd": "Welcome back!"});
    let license_variables = json!({"plan": "pro", "seats": 3, "features": ["export", "sync"]});
    let payload = SessionPayload {
        session_token: token.into_string(),
        timestamp: 1_700_000_000,
        expires_in: 1_700_086_400,
        nonce: nonce.as_str().into(),
        app_variables: app_variables.as_object().cloned(),
        license_variables: license_variables.as_object().cloned(),
        request_id: Some("req_01HF3Z8K2Q7M9X4V6B1N5C0D8E".into()),
    };
    let resp = sign_response(app_secret, &nonce, &payload).expect("bench setup");
    let body = serde_json::to_vec(&resp).expect("bench setup");
    let key = derive_key(app_secret, nonce.as_str());
    (body, resp.payload, nonce, key)
}

fn bench_verify(c: &mut Criterion) {
    let (body, payload_b64, nonce, key) = success_body();
    assert!(matches!(
        verify_response(&body, 200, nonce.as_str(), &key),
        Ok(Outcome::Success(_))
    ));
    eprintln!(
        "body: {} bytes, payload base64: {} bytes",
        body.len(),
        payload_b64.len()
    );

    let mut group = c.benchmark_group("verify");
    group.bench_function("bare_hmac_sha256", |b| {
        b.iter(|| {
            let mut mac =
                <Hmac<Sha256> as KeyInit>::new_from_slice(black_box(&key)).expect("bench setup");
            mac.update(black_box(payload_b64.as_bytes()));
            black_box(mac.finalize().into_bytes())
        })
    });
    group.bench_function("verify_response", |b| {
        b.iter(|| {
            black_box(verify_response(
                black_box(&body),
                200,
                black_box(nonce.as_str()),
                black_box(&key),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
