//! What each operation takes and answers on success, as the handlers do it, keyed by the
//! spec's operation name: the request body's and the success body's component names, the
//! success status, and the parameters. The operations themselves (and their errors) come
//! from the spec; an operation missing here is documented without a body (a test refuses
//! that).

use axum::http::StatusCode;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{KnownFormat, Required, SchemaFormat};

use crate::api::limits::{DEFAULT_PAGE, MAX_PAGE};

/// An operation's bodies.
pub(super) struct Bodies {
    /// Component name of the JSON request body, if it takes one.
    pub request: Option<&'static str>,
    /// The success status.
    pub status: StatusCode,
    /// Component name of the success body (`None`: no body).
    pub body: Option<&'static str>,
    /// What the success answer is.
    pub description: &'static str,
}

const fn answer(
    request: Option<&'static str>,
    status: StatusCode,
    body: Option<&'static str>,
    description: &'static str,
) -> Bodies {
    Bodies {
        request,
        status,
        body,
        description,
    }
}

/// The bodies of the operation named `name` in the spec.
pub(super) fn of(name: &str) -> Option<Bodies> {
    use StatusCode as S;
    Some(match name {
        "GetAccount" => answer(None, S::OK, Some("Account"), "The account."),
        "CreateApp" => answer(
            Some("CreateAppRequest"),
            S::CREATED,
            Some("CreatedApp"),
            "The app, with its secret (shown only here).",
        ),
        "ListApps" => answer(None, S::OK, Some("AppList"), "The apps."),
        "GetApp" => answer(None, S::OK, Some("App"), "The app."),
        "UpdateApp" => answer(
            Some("UpdateAppRequest"),
            S::OK,
            Some("App"),
            "The app as changed.",
        ),
        "StageSigningKey" => answer(
            None,
            S::CREATED,
            Some("App"),
            "The app, with the staged key listed (not active).",
        ),
        "RotateSigningKey" => answer(
            None,
            S::OK,
            Some("App"),
            "The app, its new active key first.",
        ),
        "DeleteSigningKey" => answer(None, S::NO_CONTENT, None, "Deleted."),
        "CreateLicenses" => answer(
            Some("CreateLicensesRequest"),
            S::CREATED,
            Some("CreatedLicenses"),
            "The licenses.",
        ),
        "ListLicenses" => answer(None, S::OK, Some("LicensePage"), "A page of licenses."),
        "CreateAccessRule" => answer(
            Some("CreateAccessRuleRequest"),
            S::CREATED,
            Some("AccessRule"),
            "The rule.",
        ),
        "ListAccessRules" => answer(None, S::OK, Some("AccessRuleList"), "The rules."),
        "DeleteAccessRule" => answer(None, S::NO_CONTENT, None, "Deleted."),
        "GetLicense" => answer(None, S::OK, Some("License"), "The license."),
        "RevokeLicense" => answer(None, S::OK, Some("License"), "The license, revoked."),
        "ResetHwids" => answer(
            None,
            S::OK,
            Some("License"),
            "The license, with no device bound.",
        ),
        "ExtendLicense" => answer(
            Some("ExtendLicenseRequest"),
            S::OK,
            Some("License"),
            "The license, extended.",
        ),
        "CreateWebhook" => answer(
            Some("CreateWebhookRequest"),
            S::CREATED,
            Some("Webhook"),
            "The webhook.",
        ),
        "ListWebhooks" => answer(None, S::OK, Some("WebhookList"), "The webhooks."),
        "DeleteWebhook" => answer(None, S::NO_CONTENT, None, "Deleted."),
        "GetHealth" => answer(None, S::OK, Some("Health"), "The server answers."),
        "GetOpenApi" => answer(None, S::OK, Some("OpenApiDocument"), "This document."),
        "Validate" => answer(
            Some("ValidateRequest"),
            S::OK,
            Some("SignedSession"),
            "The signed session.",
        ),
        "Heartbeat" => answer(
            Some("HeartbeatRequest"),
            S::OK,
            Some("SignedSession"),
            "A fresh signed session.",
        ),
        "SelfBan" => answer(
            Some("SelfBanRequest"),
            S::OK,
            Some("SelfBanAnswer"),
            "What was done (not signed).",
        ),
        _ => return None,
    })
}

/// The query parameters of the operation named `name` in the spec.
pub(super) fn query(name: &str) -> Vec<Parameter> {
    match name {
        "ListLicenses" => vec![
            ParameterBuilder::new()
                .name("limit")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(format!("Page size; default {DEFAULT_PAGE}.")))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1))
                        .maximum(Some(MAX_PAGE)),
                ))
                .build(),
            ParameterBuilder::new()
                .name("cursor")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(
                    "The `nextCursor` of the previous page; absent: the first page.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some("^[0-9]+$")),
                ))
                .build(),
        ],
        _ => Vec::new(),
    }
}

/// A path parameter of a template (`{name}`), described by its name.
pub(super) fn path_parameter(name: &str) -> Parameter {
    let (schema, description) = match name {
        "appId" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
            "Public app id (`app_...`).",
        ),
        "key" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
            "The license key (`XXXX-XXXX-XXXX-XXXX`).",
        ),
        "keyId" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
            "A signing key's id (`keyId` in its answers and in the app body).",
        ),
        "ruleId" | "id" => (
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            "The id the create answer gave.",
        ),
        _ => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
            "",
        ),
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description((!description.is_empty()).then_some(description))
        .schema(Some(schema))
        .build()
}
