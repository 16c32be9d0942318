//! The OpenAPI 3.1 document of the whole HTTP surface, served at `GET /openapi.json` and
//! committed as `docs/openapi.json` (regenerate with [`REGENERATE`]).
//!
//! The operations (method, path, summary) and their error answers come from the spec
//! (`keyward_errors::OPERATIONS`): a code added to an operation in spec/errors.toml
//! changes the document with no edit here. Bodies come from the server's own types
//! (the store's, with `utoipa::ToSchema`) and from the handlers' bounds (`requests`).
//! Every JSON object key is sorted, so the text is the same on every run.

mod bodies;
mod errors;
mod requests;
mod schemas;

use std::sync::LazyLock;

use keyward_errors::{ApiError, OPERATIONS, OperationInfo, SPEC_VERSION};
use serde_json::Value;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, InfoBuilder, Ref, RefOr, Required, ResponseBuilder,
    ResponsesBuilder,
};

pub use errors::status_of;

/// The command that writes `docs/openapi.json` (the document's `x-generated-by`).
pub const REGENERATE: &str = "cargo run -p keyward-server -- openapi > docs/openapi.json";

/// The security scheme of the Developer API.
const API_KEY: &str = "apiKey";

const JSON: &str = "application/json";

/// The schemas derived from the server's types.
#[derive(OpenApi)]
#[openapi(components(schemas(
    crate::store::Account,
    crate::store::App,
    crate::store::CreatedApp,
    crate::store::ListKind,
    crate::store::RuleKind,
    crate::store::AccessRule,
    crate::store::License,
    crate::store::LicensePage,
    crate::store::Webhook,
    schemas::AppList,
    schemas::AccessRuleList,
    schemas::CreatedLicenses,
    schemas::WebhookList,
    schemas::Health,
    schemas::HealthStatus,
    schemas::SignedSession,
    schemas::SelfBanAnswer,
    schemas::SuccessStatus,
    schemas::SessionPayload,
)))]
struct Derived;

/// The document, as JSON.
pub fn document() -> Value {
    let mut openapi = Derived::openapi();
    openapi.info = InfoBuilder::new()
        .title("Keyward")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(format!(
            "The license server's HTTP surface: the Developer API (`/v1`, \
             `Authorization: Bearer <api key>`), the public auth endpoints and the \
             probes. Error answers follow the error contract {SPEC_VERSION} \
             (spec/errors.toml; docs/errors-by-operation.md)."
        )))
        .build();
    openapi.paths = OPERATIONS
        .iter()
        .fold(PathsBuilder::new(), |paths, operation| {
            match method(operation.method) {
                Some(method) => paths.path(operation.path, PathItem::new(method, build(operation))),
                None => paths,
            }
        })
        .build();
    let components = openapi.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        API_KEY.to_owned(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API key issued by `keyward-server admin issue-api-key ACCOUNT`.",
                ))
                .build(),
        ),
    );
    let own = requests::components()
        .into_iter()
        .chain([("OpenApiDocument", openapi_document())]);
    for (name, schema) in own {
        components.schemas.insert(name.to_owned(), RefOr::T(schema));
    }
    let mut document = serde_json::to_value(&openapi).unwrap_or(Value::Null);
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        errors::add_components(schemas, OPERATIONS);
    }
    if let Some(root) = document.as_object_mut() {
        root.insert("x-generated-by".to_owned(), Value::from(REGENERATE));
    }
    document
}

/// The document's text: pretty JSON and a final newline, as committed.
pub fn text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// [`text`], built once (what `GET /openapi.json` serves).
pub fn served() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(text);
    &TEXT
}

fn method(name: &str) -> Option<HttpMethod> {
    Some(match name {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        "HEAD" => HttpMethod::Head,
        "OPTIONS" => HttpMethod::Options,
        _ => return None,
    })
}

/// The `{name}`s of a path template.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

fn json_response(
    description: String,
    schema: Option<RefOr<Schema>>,
    retry_after: bool,
) -> utoipa::openapi::Response {
    let mut response = ResponseBuilder::new().description(description);
    if let Some(schema) = schema {
        response = response.content(JSON, ContentBuilder::new().schema(Some(schema)).build());
    }
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                )
                .description(Some(
                    "Seconds to wait before the next attempt (`rate_limited`).",
                ))
                .build(),
        );
    }
    response.build()
}

/// One operation of the document.
fn build(operation: &OperationInfo) -> utoipa::openapi::path::Operation {
    let bodies = bodies::of(operation.name);
    let parameters: Vec<_> = path_parameters(operation.path)
        .map(bodies::path_parameter)
        .chain(bodies::query(operation.name))
        .collect();
    let mut builder = OperationBuilder::new()
        .summary(Some(operation.summary))
        .operation_id(Some(operation.name))
        .tag(operation.family.as_str())
        .parameters((!parameters.is_empty()).then_some(parameters));
    if operation.answers(ApiError::InvalidApiKey.code()) {
        builder = builder.security(SecurityRequirement::new(API_KEY, Vec::<String>::new()));
    }
    if let Some(request) = bodies.as_ref().and_then(|bodies| bodies.request) {
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(request)))
                        .build(),
                )
                .build(),
        ));
    }
    let mut errors = errors::answers(operation);
    let mut responses = ResponsesBuilder::new();
    if let Some(bodies) = &bodies {
        let success = bodies
            .body
            .map(|name| RefOr::from(Ref::from_schema_name(name)));
        // On the auth endpoints failures share the success status.
        let (description, schema, retry_after) = match errors.remove(&bodies.status) {
            Some(failure) => (
                format!(
                    "{} Or a failure:\n{}",
                    bodies.description,
                    failure.description()
                ),
                Some(
                    success
                        .into_iter()
                        .chain([failure.schema])
                        .fold(OneOfBuilder::new(), OneOfBuilder::item)
                        .into(),
                ),
                failure.retry_after,
            ),
            None => (bodies.description.to_owned(), success, false),
        };
        responses = responses.response(
            bodies.status.as_str(),
            json_response(description, schema, retry_after),
        );
    }
    for (status, answer) in errors {
        responses = responses.response(
            status.as_str(),
            json_response(
                answer.description(),
                Some(answer.schema.clone()),
                answer.retry_after,
            ),
        );
    }
    builder.responses(responses.build()).build()
}

/// What `GET /openapi.json` answers: a document like this one.
fn openapi_document() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("An OpenAPI 3.1 document: this one."))
        .property("openapi", ObjectBuilder::new().schema_type(Type::String))
        .required("openapi")
        .property("info", ObjectBuilder::new().schema_type(Type::Object))
        .required("info")
        .property("paths", ObjectBuilder::new().schema_type(Type::Object))
        .required("paths")
        .into()
}
