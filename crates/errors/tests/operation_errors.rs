//! The per-operation error enums of the Developer API agree with `OPERATIONS`:
//! each holds exactly its operation's codes, converts into `ApiError` with the
//! same code and status, and narrows back only what it declares.

use keyward_errors::api_codes::{NoCredits, NotFound};
use keyward_errors::*;

/// Checks one enum against its operation; returns the operation's name.
macro_rules! check {
    ($($ty:ident),* $(,)?) => {{
        let mut names: Vec<&str> = Vec::new();
        $(
            let operation = $ty::operation();
            assert_eq!(format!("{}Error", operation.name), stringify!($ty));
            let declared: Vec<&str> = operation.errors.iter().map(|info| info.code).collect();
            let held: Vec<&str> = $ty::ALL.iter().map(|error| error.code()).collect();
            assert_eq!(held, declared, "{}", stringify!($ty));
            for error in $ty::ALL {
                let family = ApiError::from(*error);
                assert_eq!(family.code(), error.code());
                assert_eq!(family.http_status(), error.http_status());
                assert_eq!($ty::try_from(family), Ok(*error));
            }
            for family in ApiError::ALL {
                let narrowed = $ty::try_from(family.clone());
                assert_eq!(narrowed.is_ok(), operation.answers(family.code()), "{}", family.code());
            }
            names.push(operation.name);
        )*
        names
    }};
}

#[test]
fn every_api_operation_has_an_enum_of_exactly_its_codes() {
    let checked = check!(
        GetAccountError,
        CreateAppError,
        ListAppsError,
        GetAppError,
        UpdateAppError,
        StageSigningKeyError,
        RotateSigningKeyError,
        DeleteSigningKeyError,
        CreateLicensesError,
        ListLicensesError,
        CreateAccessRuleError,
        ListAccessRulesError,
        DeleteAccessRuleError,
        GetLicenseError,
        RevokeLicenseError,
        ResetHwidsError,
        ExtendLicenseError,
        CreateWebhookError,
        ListWebhooksError,
        DeleteWebhookError,
        GetHealthError,
        GetOpenApiError,
    );
    let api: Vec<&str> = OPERATIONS
        .iter()
        .filter(|op| op.family == Family::Api)
        .map(|op| op.name)
        .collect();
    assert_eq!(checked, api, "an api operation without a checked enum");
}

#[test]
fn defaults_convert_into_every_operation_that_uses_them() {
    // The defaults come as a whole: an operation that opts out (`/health`) answers
    // none of those it would not answer anyway.
    for op in OPERATIONS.iter().filter(|op| op.family == Family::Api) {
        let held = ApiErrorDefaults::ALL
            .iter()
            .filter(|e| op.answers(e.code()));
        let authenticated = op.answers(ApiErrorDefaults::InvalidApiKey.code());
        assert_eq!(
            held.count() == ApiErrorDefaults::ALL.len(),
            authenticated,
            "{} {}",
            op.method,
            op.path
        );
    }
    for error in ApiErrorDefaults::ALL {
        assert_eq!(GetAccountError::from(*error).code(), error.code());
        assert_eq!(CreateLicensesError::from(*error).code(), error.code());
    }
}

#[test]
fn code_markers_convert_into_the_operations_that_declare_them() {
    assert_eq!(
        CreateLicensesError::from(NoCredits),
        CreateLicensesError::NoCredits
    );
    assert_eq!(DeleteWebhookError::from(NotFound).http_status(), 404);
    assert_eq!(ApiError::from(NoCredits), ApiError::NoCredits);
    // `GetAccountError: From<NotFound>` does not hold; the server's
    // `ApiFailure` doctest shows the compiler refusing it.
    assert!(GetAccountError::try_from(ApiError::NotFound).is_err());
}
