//! Test-only: the contract check. A layer that [`crate::TestServer`] puts around the
//! router reads every answer the server gives and holds it to the contract: its status
//! is declared by its operation (`keyward_errors::OPERATIONS`), an error's code is one
//! the operation declares, and the body validates against the OpenAPI document's schema
//! for that status (`crate::openapi`). A request no operation declares (an unknown route
//! or method) must be answered `not_found` in the Developer API envelope, as the router's
//! fallback does. Violations are recorded; the test server panics with them when it is
//! dropped or shut down, so an undeclared answer fails the test that provoked it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use keyward_errors::{ApiError, OperationInfo};

use crate::auth::client_spec::ClientSpec;
use serde_json::{Value, json};

/// The checks' shared state: the violations so far.
#[derive(Debug, Clone, Default)]
pub struct Contract {
    violations: Arc<Mutex<Vec<String>>>,
}

impl Contract {
    /// The violations recorded so far, and forgets them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.violations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, violation: String) {
        self.lock().push(violation);
    }
}

/// Middleware: checks the answer to `request` (buffering its body) and passes it on. A
/// client that declares an older spec (see [`ClientSpec`]) is answered by that spec's
/// contract, which the document (the newest) does not describe: its answers pass.
pub async fn check(State(contract): State<Contract>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if !ClientSpec::of(request.headers()).is_newest() {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            contract.record(format!("{method} {path}: body could not be read: {err}"));
            Bytes::new()
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    if let Err(problem) = verdict(&method, &path, parts.status, content_type, &bytes) {
        contract.record(format!(
            "{method} {path} answered {}: {problem}; body: {}",
            parts.status,
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(300)
                .collect::<String>()
        ));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether an answer keeps the contract, and if not, why.
pub fn verdict(
    method: &Method,
    path: &str,
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    // axum answers HEAD with the GET route, without the body.
    let (method, head) = if method == Method::HEAD {
        (Method::GET.as_str(), true)
    } else {
        (method.as_str(), false)
    };
    let Some(operation) = OperationInfo::find(method, path) else {
        return undeclared_route(status, content_type, body);
    };
    let schema = response_schema(operation, status).ok_or_else(|| {
        format!(
            "{} {} declares no {status}",
            operation.method, operation.path
        )
    })?;
    if head {
        return Ok(());
    }
    let Some(validator) = schema else {
        return if body.is_empty() {
            Ok(())
        } else {
            Err("a body where the document declares none".to_owned())
        };
    };
    let json = json_body(content_type, body)?;
    if let Some(code) = json.get("error").and_then(Value::as_str)
        && !operation.answers(code)
    {
        return Err(format!(
            "`{code}` is not declared by {} {}",
            operation.method, operation.path
        ));
    }
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("off the document's schema: {}", errors.join("; ")))
    }
}

/// The fallback's answer: `not_found` in the Developer API envelope.
fn undeclared_route(
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let not_found = ApiError::NotFound;
    if status.as_u16() != not_found.http_status() {
        return Err(format!(
            "no operation declares this request; it must be answered `{}`",
            not_found.code()
        ));
    }
    let json = json_body(content_type, body)?;
    if json.get("error").and_then(Value::as_str) != Some(not_found.code()) {
        return Err(format!("not `{}`", not_found.code()));
    }
    let envelope = &*API_ERROR_ENVELOPE;
    let errors: Vec<String> = envelope.iter_errors(&json).map(|e| e.to_string()).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("off the envelope's schema: {}", errors.join("; ")))
    }
}

fn json_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, String> {
    let mime = content_type
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    if mime != Some("application/json") {
        return Err(format!(
            "content type {content_type:?}, not application/json"
        ));
    }
    serde_json::from_slice(body).map_err(|err| format!("body is not JSON: {err}"))
}

/// The document, and a validator per schema compiled when first needed.
struct Document {
    json: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

static DOCUMENT: LazyLock<Document> = LazyLock::new(|| Document {
    json: crate::openapi::document(),
    validators: Mutex::new(HashMap::new()),
});

static API_ERROR_ENVELOPE: LazyLock<Arc<jsonschema::Validator>> = LazyLock::new(|| {
    let pointer = "/components/schemas/ApiErrorBody";
    let schema = DOCUMENT
        .json
        .pointer(pointer)
        .cloned()
        .unwrap_or(Value::Null);
    validator(pointer, &schema)
});

/// A validator of `schema`, whose `$ref`s point into the document's components.
fn validator(key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
    let document = &*DOCUMENT;
    let mut cache = document
        .validators
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(validator) = cache.get(key) {
        return Arc::clone(validator);
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document.json.get("components").cloned().unwrap_or(Value::Null),
        "allOf": [schema],
    });
    // A document whose schemas do not compile is the generator's bug: every check fails.
    let validator = Arc::new(
        jsonschema::validator_for(&root)
            .unwrap_or_else(|err| panic!("the OpenAPI schema at {key} does not compile: {err}")),
    );
    cache.insert(key.to_owned(), Arc::clone(&validator));
    validator
}

/// The declared response of `operation` at `status`: `None` when it declares none, else
/// its body's validator (`None` for a response without a body).
fn response_schema(
    operation: &OperationInfo,
    status: StatusCode,
) -> Option<Option<Arc<jsonschema::Validator>>> {
    let escaped = operation.path.replace('~', "~0").replace('/', "~1");
    let pointer = format!(
        "/paths/{escaped}/{}/responses/{}",
        operation.method.to_lowercase(),
        status.as_str()
    );
    let response = DOCUMENT.json.pointer(&pointer)?;
    let schema_pointer = "/content/application~1json/schema";
    Some(
        response
            .pointer(schema_pointer)
            .map(|schema| validator(&format!("{pointer}{schema_pointer}"), schema)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_errors::{HeartbeatError, ValidateError};

    const JSON: Option<&str> = Some("application/json");

    fn api_error(error: &ApiError) -> Vec<u8> {
        serde_json::to_vec(&json!({"error": error.code(), "message": "m"})).unwrap()
    }

    fn status(error: &ApiError) -> StatusCode {
        StatusCode::from_u16(error.http_status()).unwrap()
    }

    #[test]
    fn a_declared_error_passes() {
        let error = ApiError::Forbidden;
        verdict(
            &Method::GET,
            "/v1/apps/app_1",
            status(&error),
            JSON,
            &api_error(&error),
        )
        .unwrap();
    }

    #[test]
    fn an_undeclared_status_fails() {
        let error = ApiError::NoCredits;
        let problem = verdict(
            &Method::GET,
            "/v1/account",
            status(&error),
            JSON,
            &api_error(&error),
        )
        .unwrap_err();
        assert!(problem.contains("declares no 402"), "{problem}");
    }

    #[test]
    fn an_undeclared_code_at_a_declared_status_fails() {
        // `not_found` is declared by the route, but not as a 400.
        let body = api_error(&ApiError::NotFound);
        let problem = verdict(
            &Method::GET,
            "/v1/apps/app_1",
            status(&ApiError::BadRequest),
            JSON,
            &body,
        )
        .unwrap_err();
        assert!(problem.contains("schema"), "{problem}");
        let body = api_error(&ApiError::NoCredits);
        let problem = verdict(
            &Method::GET,
            "/v1/apps/app_1",
            status(&ApiError::NoCredits),
            JSON,
            &body,
        )
        .unwrap_err();
        assert!(problem.contains("declares no 402"), "{problem}");
    }

    #[test]
    fn an_off_schema_success_fails() {
        let body = br#"{"id": "one", "name": "acme"}"#;
        let problem = verdict(&Method::GET, "/v1/account", StatusCode::OK, JSON, body).unwrap_err();
        assert!(problem.contains("schema"), "{problem}");
    }

    #[test]
    fn a_wrong_content_type_fails() {
        let error = ApiError::InvalidApiKey;
        let problem = verdict(
            &Method::GET,
            "/v1/account",
            status(&error),
            Some("text/plain"),
            &api_error(&error),
        )
        .unwrap_err();
        assert!(problem.contains("content type"), "{problem}");
    }

    #[test]
    fn unknown_routes_must_be_not_found() {
        let not_found = ApiError::NotFound;
        verdict(
            &Method::GET,
            "/nope",
            status(&not_found),
            JSON,
            &api_error(&not_found),
        )
        .unwrap();
        verdict(
            &Method::PUT,
            "/v1/apps",
            status(&not_found),
            JSON,
            &api_error(&not_found),
        )
        .unwrap();
        let error = ApiError::BadRequest;
        assert!(
            verdict(
                &Method::GET,
                "/nope",
                status(&error),
                JSON,
                &api_error(&error)
            )
            .is_err()
        );
    }

    #[test]
    fn auth_failures_are_held_to_their_family() {
        let failed =
            |code: &str| serde_json::to_vec(&json!({"status": "failed", "error": code})).unwrap();
        let ok = StatusCode::OK;
        let path = "/auth/validate";
        verdict(
            &Method::POST,
            path,
            ok,
            JSON,
            &failed(ValidateError::InvalidKey.code()),
        )
        .unwrap();
        // `system_error` is answered with 200, like every auth failure, not 500.
        let internal = failed(ValidateError::SystemError.code());
        verdict(&Method::POST, path, ok, JSON, &internal).unwrap();
        let status = StatusCode::INTERNAL_SERVER_ERROR;
        assert!(verdict(&Method::POST, path, status, JSON, &internal).is_err());
        // A heartbeat-only code is not a validate code.
        let problem = verdict(
            &Method::POST,
            path,
            ok,
            JSON,
            &failed(HeartbeatError::SessionExpired.code()),
        )
        .unwrap_err();
        assert!(problem.contains("not declared"), "{problem}");
    }

    #[test]
    fn a_body_on_no_content_fails() {
        let path = "/v1/webhooks/1";
        verdict(&Method::DELETE, path, StatusCode::NO_CONTENT, None, b"").unwrap();
        assert!(verdict(&Method::DELETE, path, StatusCode::NO_CONTENT, JSON, b"{}").is_err());
    }
}
