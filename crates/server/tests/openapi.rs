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

/// One field of a request body whose bounds the document states.
struct Bounded {
    method: reqwest::Method,
    path: String,
    /// A valid body without the field.
    base: Value,
    field: &'static str,
    /// JSON pointer of the field's schema in the document.
    schema: &'static str,
    /// How a string value must start (a URL's scheme).
    prefix: &'static str,
}

/// The values at a bound (accepted) and just past it (refused) of `schema`.
fn edges(schema: &Value, prefix: &str) -> Vec<(Value, bool)> {
    let text = |n: u64| {
        let n = usize::try_from(n).unwrap();
        Value::from(format!("{prefix}{}", "a".repeat(n - prefix.len())))
    };
    let mut edges = Vec::new();
    if let Some(max) = schema["maxLength"].as_u64() {
        edges.extend([(text(max), true), (text(max + 1), false)]);
    }
    if let Some(max) = schema["maximum"].as_i64() {
        edges.extend([(Value::from(max), true), (Value::from(max + 1), false)]);
    }
    if let Some(min) = schema["minimum"].as_i64() {
        edges.extend([(Value::from(min), true), (Value::from(min - 1), false)]);
    }
    if let Some(max) = schema["maxItems"].as_u64() {
        let items = |n: u64| Value::from(vec!["event"; usize::try_from(n).unwrap()]);
        edges.extend([(items(max), true), (items(max + 1), false)]);
    }
    assert!(!edges.is_empty(), "no bounds in {schema}");
    edges
}

/// The bounds the document states are the ones the handlers enforce: a value at each
/// bound is accepted, one past it is `bad_request` naming the field.
#[tokio::test]
async fn request_bounds_are_the_handlers() {
    use reqwest::Method;
    use serde_json::json;

    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    // Enough for the largest batch below.
    server
        .admin()
        .add_credits(&seed.account, 10 * keyward_server::SEED_CREDITS)
        .await
        .unwrap();
    let app = format!("/v1/apps/{}", seed.app_id);
    let case = |method: Method, path: &str, base: Value, field, schema| Bounded {
        method,
        path: path.to_owned(),
        base,
        field,
        schema,
        prefix: "",
    };
    let cases = [
        case(
            Method::POST,
            "/v1/apps",
            json!({}),
            "name",
            "/components/schemas/CreateAppRequest/properties/name",
        ),
        case(
            Method::POST,
            "/v1/apps",
            json!({"name": "n"}),
            "hwidSlots",
            "/components/schemas/CreateAppRequest/properties/hwidSlots",
        ),
        case(
            Method::PATCH,
            &app,
            json!({}),
            "name",
            "/components/schemas/UpdateAppRequest/properties/name",
        ),
        case(
            Method::PATCH,
            &app,
            json!({}),
            "hwidSlots",
            "/components/schemas/UpdateAppRequest/properties/hwidSlots",
        ),
        case(
            Method::POST,
            &format!("{app}/licenses"),
            json!({}),
            "count",
            "/components/schemas/CreateLicensesRequest/properties/count",
        ),
        case(
            Method::POST,
            &format!("{app}/licenses"),
            json!({}),
            "durationDays",
            "/components/schemas/CreateLicensesRequest/properties/durationDays",
        ),
        case(
            Method::POST,
            &format!("{app}/licenses"),
            json!({}),
            "note",
            "/components/schemas/CreateLicensesRequest/properties/note",
        ),
        case(
            Method::POST,
            &format!("/v1/licenses/{}/extend", seed.license_key),
            json!({}),
            "days",
            "/components/schemas/ExtendLicenseRequest/oneOf/0/properties/days",
        ),
        case(
            Method::POST,
            &format!("{app}/access-rules"),
            json!({"list": "deny", "kind": "hwid"}),
            "value",
            "/components/schemas/CreateAccessRuleRequest/oneOf/0/properties/value",
        ),
        Bounded {
            prefix: "https://",
            ..case(
                Method::POST,
                "/v1/webhooks",
                json!({}),
                "url",
                "/components/schemas/CreateWebhookRequest/properties/url",
            )
        },
        case(
            Method::POST,
            "/v1/webhooks",
            json!({"url": "https://example.com/"}),
            "events",
            "/components/schemas/CreateWebhookRequest/properties/events",
        ),
    ];
    let document = document();
    for case in cases {
        let schema = document
            .pointer(case.schema)
            .unwrap_or_else(|| panic!("{}", case.schema));
        for (value, accepted) in edges(schema, case.prefix) {
            let mut body = case.base.clone();
            body[case.field] = value.clone();
            let response = common::api(&server, &seed, case.method.clone(), &case.path)
                .json(&body)
                .send()
                .await
                .unwrap();
            let what = format!(
                "{} {} {}={}",
                case.method,
                case.path,
                case.field,
                value.to_string().chars().take(40).collect::<String>()
            );
            if accepted {
                assert!(
                    response.status().is_success(),
                    "{what}: {}",
                    response.status()
                );
            } else {
                let answer =
                    common::expect_api_error(response, keyward_errors::ApiError::BadRequest).await;
                assert!(
                    answer["details"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|bad| bad["field"] == case.field),
                    "{what}: {answer}"
                );
            }
        }
    }
    server.shutdown().await.unwrap();
}
