//! Client-side response verification against a bare HMAC-SHA256 of the same payload text.
//!
//! - `verify/bare_hmac_sha256`: HMAC-SHA256 of the payload's base64 text (the floor);
//! - `verify/check_signed`: checks 2–4 on the payload and signature text (base64 decode,
//!   nonce check, HMAC, constant-time compare) — the issue's "response verification",
//!   held to at most 2x the bare HMAC;
//! - `verify/check_response`: the same plus step 1, reading the HTTP body's JSON envelope;
//! - `verify/check_response_then_parse`: checks 1–4 plus the full payload parse
//!   ([`CheckedResponse::parse`]), for reference;
//! - `parse/session_payload`: step 5 alone, the full `SessionPayload` parse of an already
//!   verified payload (done once, when the session is stored).
//!
//! Run briefly with:
//! `cargo bench -p keyward-protocol --bench verify -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use keyward_protocol::verify::{check_response, check_signed};
use keyward_protocol::{
    CheckedResponse, Nonce, SessionPayload, SessionToken, SessionTokenBody, SigKey, derive_key,
    sign_response,
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
            ttl: 0,
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
        ..Default::default()
    };
    let resp = sign_response(app_secret, &nonce, &payload).expect("bench setup");
    let body = serde_json::to_vec(&resp).expect("bench setup");
    let key = derive_key(app_secret, nonce.as_str());
    (body, resp.payload, nonce, key)
}

fn bench_verify(c: &mut Criterion) {
    let (body, payload_b64, nonce, key) = success_body();
    assert!(matches!(
        check_response(&body, 200, nonce.as_str(), &key).and_then(CheckedResponse::parse),
        Ok(CheckedResponse::Success(_))
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
    let signature = keyward_protocol::sign_payload(&key, &payload_b64);
    group.bench_function("check_signed", |b| {
        b.iter(|| {
            black_box(check_signed(
                black_box(&payload_b64),
                black_box(&signature),
                black_box(nonce.as_str()),
                black_box(&key),
            ))
        })
    });
    group.bench_function("check_response", |b| {
        b.iter(|| {
            black_box(check_response(
                black_box(&body),
                200,
                black_box(nonce.as_str()),
                black_box(&key),
            ))
        })
    });
    group.bench_function("check_response_then_parse", |b| {
        b.iter(|| {
            black_box(
                check_response(
                    black_box(&body),
                    200,
                    black_box(nonce.as_str()),
                    black_box(&key),
                )
                .and_then(CheckedResponse::parse),
            )
        })
    });
    group.finish();

    let Ok(CheckedResponse::Success(checked)) = check_response(&body, 200, nonce.as_str(), &key)
    else {
        panic!("bench setup: expected a verified success")
    };
    let checked = checked.into_owned();
    let mut group = c.benchmark_group("parse");
    group.bench_function("session_payload", |b| {
        b.iter_batched(
            || checked.clone(),
            |verified| black_box(verified.parse()),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
