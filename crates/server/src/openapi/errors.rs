//! The error part of the document, all from the spec (`keyward_errors`): an operation's
//! declared codes grouped by the status they are answered with, one response per status
//! whose body is the family's envelope with `error` narrowed to those codes. The
//! envelopes are the JSON Schemas `cargo xtask codegen` writes (crates/errors/schema);
//! each code is a component of its own, a `const` with its description. utoipa's schema
//! model has no `const`, so these components are JSON Schema text, added to the
//! serialized document by [`add_components`].

use std::collections::BTreeMap;

use axum::http::StatusCode;
use keyward_errors::{ErrorInfo, Family, OperationInfo, RetryClass};
use serde_json::{Map, Value, json};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};

/// The envelope of a family's error answers: its component name and the generated schema.
fn envelope(family: Family) -> Option<(&'static str, &'static str)> {
    match family {
        Family::Api => Some((
            "ApiErrorBody",
            include_str!("../../../errors/schema/api_error.schema.json"),
        )),
        Family::Validate => Some((
            "ValidateAuthFailure",
            include_str!("../../../errors/schema/auth_failure.validate.schema.json"),
        )),
        Family::Heartbeat => Some((
            "HeartbeatAuthFailure",
            include_str!("../../../errors/schema/auth_failure.heartbeat.schema.json"),
        )),
        Family::Selfban => Some((
            "SelfBanAuthFailure",
            include_str!("../../../errors/schema/auth_failure.selfban.schema.json"),
        )),
        _ => None,
    }
}

/// The status a code is answered with: the spec's, for families carried by one; on the
/// auth endpoints every failure is a 200 answer (`crate::auth`).
pub fn status_of(info: &ErrorInfo) -> StatusCode {
    info.http_status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK)
}

/// The declared error answers of one status of an operation.
pub(super) struct ErrorAnswer {
    /// The codes possible at this status, in spec order.
    pub codes: Vec<&'static ErrorInfo>,
    /// The envelope narrowed to `codes`.
    pub schema: RefOr<Schema>,
    /// Whether a code may come with `Retry-After`.
    pub retry_after: bool,
}

impl ErrorAnswer {
    /// One line a code, for the response's description.
    pub fn description(&self) -> String {
        self.codes
            .iter()
            .map(|info| format!("- `{}`: {}", info.code, info.description))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The component name of a code's schema.
fn code_component(info: &ErrorInfo) -> String {
    format!("{}.{}", info.family.as_str(), info.code)
}

/// `operation`'s error answers by status.
pub(super) fn answers(operation: &OperationInfo) -> BTreeMap<StatusCode, ErrorAnswer> {
    let mut by_status: BTreeMap<StatusCode, Vec<&'static ErrorInfo>> = BTreeMap::new();
    for info in operation.errors {
        by_status.entry(status_of(info)).or_default().push(info);
    }
    by_status
        .into_iter()
        .filter_map(|(status, codes)| {
            let (envelope, _) = envelope(operation.family)?;
            let code: RefOr<Schema> = match codes.as_slice() {
                [one] => Ref::from_schema_name(code_component(one)).into(),
                _ => codes
                    .iter()
                    .fold(OneOfBuilder::new(), |one_of, info| {
                        one_of.item(Ref::from_schema_name(code_component(info)))
                    })
                    .into(),
            };
            let narrowed = ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("error", code);
            let schema = AllOfBuilder::new()
                .item(Ref::from_schema_name(envelope))
                .item(narrowed)
                .into();
            let retry_after = codes
                .iter()
                .any(|info| info.retry_class == RetryClass::Throttled);
            Some((
                status,
                ErrorAnswer {
                    codes,
                    schema,
                    retry_after,
                },
            ))
        })
        .collect()
}

/// Adds to `schemas` (the document's `components.schemas`) the envelope of every family
/// that `operations` answer in, and a schema for every code they declare.
pub(super) fn add_components(schemas: &mut Map<String, Value>, operations: &[OperationInfo]) {
    for operation in operations {
        if let Some((name, text)) = envelope(operation.family) {
            // The committed file is the generator's output; the test suite parses it too.
            let mut schema: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if let Some(object) = schema.as_object_mut() {
                object.remove("$schema");
                object.remove("$comment");
            }
            schemas.insert(name.to_owned(), schema);
        }
        for info in operation.errors {
            let mut schema = json!({ "const": info.code, "description": info.description });
            if info.retired.is_some() {
                schema["deprecated"] = Value::Bool(true);
            }
            schemas.insert(code_component(info), schema);
        }
    }
}
