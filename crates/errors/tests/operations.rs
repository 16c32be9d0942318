//! `OPERATIONS`: the generated table of HTTP operations and the codes each can answer.

use keyward_errors::{ApiError, ClientError, Family, OPERATIONS, OperationInfo, ValidateError};

#[test]
fn a_request_finds_its_operation_by_template() {
    let create = OperationInfo::find("POST", "/v1/apps/app_1/licenses").expect("declared");
    assert_eq!(create.path, "/v1/apps/{appId}/licenses");
    assert_eq!(create.family, Family::Api);
    let list = OperationInfo::find("GET", "/v1/apps/app_1/licenses").expect("declared");
    assert_ne!(list, create, "the method tells them apart");
    for (method, path) in [
        ("PUT", "/v1/apps/app_1/licenses"),
        ("POST", "/v1/apps//licenses"),
        ("POST", "/v1/apps/app_1/licenses/extra"),
        ("POST", "/v1/apps/app_1"),
        ("GET", "/nothing"),
    ] {
        assert_eq!(OperationInfo::find(method, path), None, "{method} {path}");
    }
}

#[test]
fn an_operation_answers_only_its_codes() {
    let create = OperationInfo::find("POST", "/v1/apps/app_1/licenses").expect("declared");
    let account = OperationInfo::find("GET", "/v1/account").expect("declared");
    assert!(create.answers(ApiError::NoCredits.code()));
    assert!(!account.answers(ApiError::NoCredits.code()));
    // The family's defaults come together: in every list but those of the operations
    // that opt out (the unauthenticated probes).
    for op in OPERATIONS.iter().filter(|op| op.family == Family::Api) {
        assert_eq!(
            op.answers(ApiError::RateLimited.code()),
            op.answers(ApiError::InvalidApiKey.code()),
            "{}",
            op.path
        );
        assert_eq!(
            op.answers(ApiError::RateLimited.code()),
            op.path.starts_with("/v1/"),
            "{}",
            op.path
        );
        assert!(
            op.errors
                .iter()
                .all(|info| info.http_status.is_some() && info.family == Family::Api)
        );
    }
}

#[test]
fn the_auth_endpoints_list_what_the_sdk_detects() {
    let validate = OperationInfo::find("POST", "/auth/validate").expect("declared");
    assert_eq!(validate.family, Family::Validate);
    assert!(validate.answers(ValidateError::HwidMismatch.code()));
    assert!(
        validate
            .client_errors
            .iter()
            .any(|info| info.code == ClientError::SignatureMismatch.code())
    );
    assert!(
        validate
            .client_errors
            .iter()
            .all(|info| info.family == Family::Client)
    );
}

#[test]
fn every_live_code_is_answered_by_an_operation() {
    let listed = |code: &str, family: Family| {
        OPERATIONS.iter().any(|op| {
            op.errors
                .iter()
                .chain(op.client_errors)
                .any(|info| info.code == code && info.family == family)
        })
    };
    for error in ApiError::iter().filter_map(|e| e.info()) {
        assert!(
            error.retired.is_some() || listed(error.code, error.family),
            "{}",
            error.code
        );
    }
    for error in ClientError::iter().filter_map(|e| e.info()) {
        assert!(
            error.retired.is_some() || listed(error.code, error.family),
            "{}",
            error.code
        );
    }
}
