//! One answer signed and verified in each signing mode, in the same run:
//!
//! - `sign/hmac` vs `sign/ed25519`: the server's `sign_answer_json` for the same payload
//!   (encode, sign, envelope) with an app secret or the app's Ed25519 key;
//! - `verify/hmac` vs `verify/ed25519`: the client's `check_response` of that answer
//!   (envelope, nonce, signature) with the derived HMAC key or a trust list of two keys
//!   (the answer's `keyId` picks the second);
//! - `verify/ed25519_without_key_id`: the same answer without `keyId`, so every trusted
//!   key is tried (the current key first, which fails, then the old one).
//!
//! Run briefly with:
//! `cargo bench -p keyward-protocol --bench signing_modes -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward_protocol::{
    AnswerSigner, AnswerSigningKey, CheckedResponse, Nonce, SessionPayload, TrustedKeys,
    check_response, derive_key, sign_answer_json,
};
use serde_json::json;

const APP_SECRET: &[u8] = b"kw_live_4f1c9e2b7a6d8f30c5e1a9b2d4f6e8a0";

fn payload(nonce: &Nonce) -> SessionPayload {
    let app_variables = json!({"latestVersion": "2.4.1", "motd": "Welcome back!"});
    let license_variables = json!({"plan": "pro", "seats": 3});
    SessionPayload {
        session_token: format!("{}.{}", "e".repeat(280), "m".repeat(43)),
        timestamp: 1_700_000_000,
        expires_in: 1_700_086_400,
        nonce: nonce.as_str().into(),
        app_variables: app_variables.as_object().cloned(),
        license_variables: license_variables.as_object().cloned(),
        request_id: Some("req_01HF3Z8K2Q7M9X4V6B1N5C0D8E".into()),
        ..Default::default()
    }
}

fn bench_signing_modes(c: &mut Criterion) {
    let nonce = Nonce::parse("9f86d081884c7d659a2feaa0c55ad015").expect("bench setup");
    let payload = payload(&nonce);
    let signing_key = AnswerSigningKey::from_seed(&[0x5a; 32]);
    let newer_key = AnswerSigningKey::from_seed(&[0x6b; 32]);
    let mut trusted = TrustedKeys::new();
    for key in [&newer_key, &signing_key] {
        trusted.add(&key.public_key_base64()).expect("bench setup");
    }
    let hmac_key = derive_key(APP_SECRET, nonce.as_str());
    let hmac = AnswerSigner::Hmac(APP_SECRET);
    let ed25519 = AnswerSigner::Ed25519(&signing_key);

    let mut group = c.benchmark_group("sign");
    for (name, signer) in [("hmac", hmac), ("ed25519", ed25519)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(sign_answer_json(
                    signer,
                    black_box(&nonce),
                    black_box(&payload),
                ))
            })
        });
    }
    group.finish();

    let hmac_body = sign_answer_json(hmac, &nonce, &payload).expect("bench setup");
    let ed25519_body = sign_answer_json(ed25519, &nonce, &payload).expect("bench setup");
    let key_id_member = format!(r#","keyId":"{}""#, signing_key.key_id());
    let anonymous_body = ed25519_body.replace(&key_id_member, "");
    for (body, verified) in [
        (
            &hmac_body,
            check_response(hmac_body.as_bytes(), 200, nonce.as_str(), &hmac_key),
        ),
        (
            &ed25519_body,
            check_response(ed25519_body.as_bytes(), 200, nonce.as_str(), &trusted),
        ),
        (
            &anonymous_body,
            check_response(anonymous_body.as_bytes(), 200, nonce.as_str(), &trusted),
        ),
    ] {
        assert!(
            matches!(verified, Ok(CheckedResponse::Success(_))),
            "bench setup: {body}"
        );
    }

    let mut group = c.benchmark_group("verify");
    group.bench_function("hmac", |b| {
        b.iter(|| {
            black_box(check_response(
                black_box(hmac_body.as_bytes()),
                200,
                black_box(nonce.as_str()),
                black_box(&hmac_key),
            ))
        })
    });
    for (name, body) in [
        ("ed25519", &ed25519_body),
        ("ed25519_without_key_id", &anonymous_body),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(check_response(
                    black_box(body.as_bytes()),
                    200,
                    black_box(nonce.as_str()),
                    black_box(&trusted),
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_signing_modes);
criterion_main!(benches);
