//! The OpenAPI document: committed as docs/openapi.json and fresh, served as committed,
//! and made of exactly the spec's operations with their declared errors.

mod common;

use std::collections::BTreeSet;

use keyward_errors::{OPERATIONS, OperationInfo};
use keyward_server::TestServer;
use keyward_server::openapi::{REGENERATE, document, status_of, text};
use serde_json::Value;

fn committed() -> String {
    let path = format!("{}/../../docs/openapi.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_default()
}

#[test]
fn committed_document_is_fresh() {
    let built = text();
    assert_eq!(
        built,
        text(),
        "two builds differ: the text must be deterministic"
    );
    assert!(
        built == committed(),
        "docs/openapi.json is stale or missing: run `{REGENERATE}`"
    );
}

#[test]
fn document_names_its_generator() {
    assert_eq!(document()["x-generated-by"], REGENERATE);
    assert!(document()["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[tokio::test]
async fn served_document_is_the_committed_one() {
    let server = TestServer::start().await.unwrap();
    let response = common::client()
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.text().await.unwrap() == committed());
    server.shutdown().await.unwrap();
}

fn operation<'a>(document: &'a Value, operation: &OperationInfo) -> &'a Value {
    &document["paths"][operation.path][operation.method.to_lowercase()]
}

#[test]
fn every_operation_and_nothing_else() {
    let document = document();
    let declared: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|op| (op.method.to_lowercase(), op.path.to_owned()))
        .collect();
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    assert_eq!(documented, declared);
    for op in OPERATIONS {
        let documented = operation(&document, op);
        assert_eq!(
            documented["summary"], op.summary,
            "{} {}",
            op.method, op.path
        );
        let responses = documented["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{} {} has no success answer: describe it in crates/server/src/openapi/bodies.rs",
            op.method,
            op.path
        );
    }
}

#[test]
fn every_declared_code_is_a_response_at_its_status() {
    let document = document();
    for op in OPERATIONS {
        let responses = &operation(&document, op)["responses"];
        for info in op.errors {
            let status = status_of(info);
            let response = &responses[status.as_str()];
            let text = response.to_string();
            let component = format!(
                "#/components/schemas/{}.{}",
                info.family.as_str(),
                info.code
            );
            assert!(
                text.contains(&component) && text.contains(&format!("`{}`", info.code)),
                "{} {}: `{}` is not in its {status} response",
                op.method,
                op.path,
                info.code
            );
            let code = &document["components"]["schemas"]
                [format!("{}.{}", info.family.as_str(), info.code)];
            assert_eq!(code["const"], info.code);
            assert_eq!(code["description"], info.description);
        }
        // Nothing but the declared codes, and every status a success or a declared one.
        let codes: BTreeSet<&str> = op.errors.iter().map(|info| info.code).collect();
        let prefix = format!("#/components/schemas/{}.", op.family.as_str());
        for (status, response) in responses.as_object().unwrap() {
            let text = response.to_string();
            for piece in text.split(&prefix).skip(1) {
                let code = piece.split('"').next().unwrap();
                assert!(
                    codes.contains(code),
                    "{} {} {status}: `{code}`",
                    op.method,
                    op.path
                );
            }
        }
    }
}

#[test]
fn authenticated_operations_need_the_api_key() {
    let document = document();
    let invalid_api_key = keyward_errors::ApiError::InvalidApiKey;
    for op in OPERATIONS {
        let security = &operation(&document, op)["security"];
        assert_eq!(
            op.answers(invalid_api_key.code()),
            security.is_array(),
            "{} {}",
            op.method,
            op.path
        );
    }
}
