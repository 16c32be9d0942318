//! The two JSON Schema generators agree: the files `cargo xtask codegen`
//! commits under `schema/` and the runtime `JsonSchema` of the same types
//! (feature `schemars`) accept the same documents.
//!
//! They are compared by what a validator checks (the codes an error field
//! accepts, with their descriptions and deprecation, the properties, which
//! are required, and their types), not by text: the two differ in layout
//! (`$ref`s and `$defs` at runtime) and in prose. Two differences are
//! deliberate and left out of the comparison:
//! - `null` for an optional field: the committed schema says what a server
//!   sends (the field is absent, never null); the runtime type deserializes
//!   into an `Option` and also accepts null.
//! - `additionalProperties: false`: the committed schema is exact about what
//!   is sent; the runtime types ignore unknown fields, so that a client keeps
//!   reading a newer server's envelopes.
#![cfg(feature = "schemars")]

use std::collections::BTreeSet;
use std::path::Path;

use keyward_errors::{ApiErrorBody, HeartbeatAuthFailure, SelfbanAuthFailure, ValidateAuthFailure};
use schemars::JsonSchema;
use serde_json::{Map, Value};

/// Every committed schema file and the runtime schema of its type.
fn pairs() -> Vec<(&'static str, Value)> {
    vec![
        ("api_error.schema.json", runtime::<ApiErrorBody>()),
        (
            "auth_failure.validate.schema.json",
            runtime::<ValidateAuthFailure>(),
        ),
        (
            "auth_failure.heartbeat.schema.json",
            runtime::<HeartbeatAuthFailure>(),
        ),
        (
            "auth_failure.selfban.schema.json",
            runtime::<SelfbanAuthFailure>(),
        ),
    ]
}

fn runtime<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema serializes")
}

fn schema_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")
}

fn committed(file: &str) -> Value {
    let path = schema_dir().join(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// What a validator checks in `schema`, with `$ref`s into `root`'s `$defs`
/// resolved and the deliberate differences (see the module docs) left out.
fn shape(schema: &Value, root: &Value) -> Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        return shape(&root["$defs"][name], root);
    }
    let mut out = Map::new();
    if let Some(types) = schema.get("type") {
        let types: BTreeSet<&str> = match types {
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            one => one.as_str().into_iter().collect(),
        };
        let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        out.insert("type".into(), types.into());
    }
    if let Some(constant) = schema.get("const") {
        out.insert("const".into(), constant.clone());
    }
    if let Some(one_of) = schema.get("oneOf").and_then(Value::as_array) {
        // A code's entry: its text, description and deprecation.
        let codes: Vec<Value> = one_of
            .iter()
            .map(|code| {
                serde_json::json!({
                    "const": code["const"],
                    "description": code["description"],
                    "deprecated": code.get("deprecated").cloned().unwrap_or(Value::Bool(false)),
                })
            })
            .collect();
        out.insert("oneOf".into(), codes.into());
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        let properties: Map<String, Value> = properties
            .iter()
            .map(|(name, property)| (name.clone(), shape(property, root)))
            .collect();
        out.insert("properties".into(), properties.into());
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.insert("required".into(), required.into_iter().collect());
    }
    if let Some(items) = schema.get("items") {
        out.insert("items".into(), shape(items, root));
    }
    out.into()
}

#[test]
fn committed_and_runtime_schemas_accept_the_same_documents() {
    for (file, runtime) in pairs() {
        let committed = committed(file);
        assert_eq!(
            shape(&committed, &committed),
            shape(&runtime, &runtime),
            "{file}: the committed schema and the runtime JsonSchema disagree"
        );
    }
}

#[test]
fn every_committed_schema_is_compared() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(schema_dir())
        .expect("schema dir")
        .map(|entry| {
            entry
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let compared: BTreeSet<String> = pairs()
        .into_iter()
        .map(|(file, _)| file.to_owned())
        .collect();
    assert_eq!(
        on_disk, compared,
        "add each new schema file and its type to `pairs`"
    );
}

#[test]
fn the_comparison_sees_the_codes_and_the_required_fields() {
    // The shape is not vacuous: it holds every code and the required fields.
    let committed = committed("auth_failure.validate.schema.json");
    let shape = shape(&committed, &committed);
    let codes = shape["properties"]["error"]["oneOf"]
        .as_array()
        .expect("codes");
    assert_eq!(codes.len(), keyward_errors::ValidateError::ALL.len());
    assert_eq!(shape["required"], serde_json::json!(["error", "status"]));
    assert_eq!(
        shape["properties"]["details"]["items"]["required"],
        serde_json::json!(["field", "message"])
    );
}
