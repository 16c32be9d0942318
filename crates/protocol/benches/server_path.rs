//! The protocol work of one heartbeat on the server, step by step, each beside the
//! simpler way of doing the same thing, and a bare HMAC-SHA256 of the response payload as
//! the floor (all in the same run):
//!
//! - `request/one_pass` (what the server does) vs `request/via_json_tree` (parse to a
//!   `serde_json::Value`, then read the fields from the tree);
//! - `token_verify/token_key` (HMAC key schedule computed once) vs `token_verify/secret`
//!   (key schedule per token); the same for `token_issue`;
//! - `response/direct_json` (`sign_response_json`: base64 written into the body and signed
//!   in place) vs `response/typed_then_serde` (`sign_response`, then `serde_json`);
//! - `floor/bare_hmac_sha256`: HMAC-SHA256 of the response's payload text.
//!
//! Run briefly with:
//! `cargo bench -p keyward-protocol --bench server_path -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use keyward_protocol::{
    HeartbeatRequest, Nonce, SessionPayload, SessionToken, SessionTokenBody, SigKey, TokenKey,
    derive_key, sign_response, sign_response_json,
};
use sha2::Sha256;

const SERVER_SECRET: &[u8] = b"server-secret-0123456789abcdef0123456789abcdef";
const APP_ID: &str = "app_c4a4cfca50911fe0f7cb4b04";
const HWID: &str = "4f2c0e9b7d1a5c3e8f6b2d4a9c7e1f3b5d8a2c4e6f9b1d3a5c7e9f2b4d6a8c0e";

fn token_body() -> SessionTokenBody {
    SessionTokenBody {
        app_id: APP_ID.into(),
        license_key: "B964-G3EY-RABH-X9UV".into(),
        hwid: HWID.into(),
        sig_key: SigKey::generate().expect("bench setup"),
        expires_in: 1_795_763_132,
        ttl: 0,
    }
}

fn bench_server_path(c: &mut Criterion) {
    let key = TokenKey::new(SERVER_SECRET);
    let body = token_body();
    let token = key.issue(&body).expect("bench setup");
    let nonce = Nonce::parse("0123456789abcdef0123456789abcdef").expect("bench setup");
    let request = format!(
        r#"{{"appId":"{APP_ID}","sessionToken":"{}","hwid":"{HWID}","nonce":"{}"}}"#,
        token.as_str(),
        nonce.as_str()
    );
    let payload = SessionPayload {
        session_token: token.as_str().to_owned(),
        timestamp: 1_795_759_532,
        expires_in: 1_795_763_132,
        nonce: nonce.as_str().to_owned(),
        app_variables: None,
        license_variables: None,
        request_id: Some("940c737c0000001877c7".into()),
        ..Default::default()
    };
    let sig_key = body.sig_key.as_str().as_bytes();
    let signed = sign_response(sig_key, &nonce, &payload).expect("bench setup");
    assert_eq!(
        sign_response_json(sig_key, &nonce, &payload).expect("bench setup"),
        serde_json::to_string(&signed).expect("bench setup")
    );

    let mut group = c.benchmark_group("request");
    group.bench_function("one_pass", |b| {
        b.iter(|| black_box(HeartbeatRequest::parse(black_box(request.as_bytes()))))
    });
    group.bench_function("via_json_tree", |b| {
        b.iter(|| {
            let tree: serde_json::Value =
                serde_json::from_slice(black_box(request.as_bytes())).expect("bench setup");
            black_box(HeartbeatRequest::from_value(&tree))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("token_verify");
    group.bench_function("token_key", |b| {
        b.iter(|| black_box(key.verify(black_box(token.as_str()), APP_ID, HWID, 0)))
    });
    group.bench_function("secret", |b| {
        b.iter(|| {
            black_box(SessionToken::verify(
                SERVER_SECRET,
                black_box(token.as_str()),
                APP_ID,
                HWID,
                0,
            ))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("token_issue");
    group.bench_function("token_key", |b| {
        b.iter(|| black_box(key.issue(black_box(&body))))
    });
    group.bench_function("secret", |b| {
        b.iter(|| black_box(SessionToken::issue(SERVER_SECRET, black_box(&body))))
    });
    group.finish();

    let mut group = c.benchmark_group("response");
    group.bench_function("direct_json", |b| {
        b.iter(|| black_box(sign_response_json(sig_key, &nonce, black_box(&payload))))
    });
    group.bench_function("typed_then_serde", |b| {
        b.iter(|| {
            let signed = sign_response(sig_key, &nonce, black_box(&payload)).expect("bench setup");
            black_box(serde_json::to_string(&signed))
        })
    });
    group.finish();

    let derived = derive_key(sig_key, nonce.as_str());
    let mut group = c.benchmark_group("floor");
    group.bench_function("bare_hmac_sha256", |b| {
        b.iter(|| {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(black_box(&derived))
                .expect("bench setup");
            mac.update(black_box(signed.payload.as_bytes()));
            black_box(mac.finalize().into_bytes())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_server_path);
criterion_main!(benches);
