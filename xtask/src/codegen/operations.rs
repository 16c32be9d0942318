//! `docs/errors-by-operation.md`: every HTTP operation with the codes it can
//! answer, their statuses and when each is answered.

use std::fmt::Write as _;

use super::GeneratedFile;
use super::docs::{cell, inline};
use crate::spec::{Operation, Spec, names};

pub const PATH: &str = "docs/errors-by-operation.md";

pub fn generate(spec: &Spec) -> Vec<GeneratedFile> {
    vec![GeneratedFile::new(PATH, render(spec))]
}

fn render(spec: &Spec) -> String {
    let mut out = super::markdown_header();
    // `write!` to a String cannot fail.
    let _ = writeln!(out, "# Keyward errors by operation\n");
    let _ = writeln!(
        out,
        "Spec version **{}**. Each HTTP operation answers only the codes listed under it; a client \
         still keeps a code it does not know (see [the error reference](errors.md)). \
         In Rust: `keyward_errors::OPERATIONS`.\n",
        spec.version
    );
    if spec.operations.is_empty() {
        let _ = writeln!(out, "The spec declares no operation.");
        return out;
    }
    for (family, defaults) in spec
        .operation_defaults
        .iter()
        .map(|d| (&d.family, &d.errors))
    {
        let codes: Vec<String> = defaults.iter().map(|c| format!("`{c}`")).collect();
        let _ = writeln!(
            out,
            "Every `{family}` operation can answer {}, unless it says otherwise.\n",
            if codes.is_empty() {
                "no code in particular".to_owned()
            } else {
                codes.join(", ")
            }
        );
    }
    let _ = writeln!(out, "| Operation | Summary | Codes |\n|---|---|---|");
    for op in &spec.operations {
        let codes: Vec<String> = op
            .errors
            .iter()
            .chain(&op.client_errors)
            .map(|c| format!("`{c}`"))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            op.route(),
            cell(&op.summary),
            codes.join(", ")
        );
    }
    out.push('\n');
    for op in &spec.operations {
        operation(spec, op, &mut out);
    }
    out
}

fn operation(spec: &Spec, op: &Operation, out: &mut String) {
    let _ = writeln!(out, "## `{}`\n", op.route());
    let family = spec.family(&op.family);
    let rust = family.map_or("", |f| f.rust_name.as_str());
    let defaults = if spec
        .operation_defaults
        .iter()
        .any(|d| d.family == op.family)
    {
        if op.uses_defaults {
            " The family's defaults included."
        } else {
            " None of the family's defaults."
        }
    } else {
        ""
    };
    // Where operations share a family, each has its own enum.
    let rust = if spec.has_operation_enums(&op.family) {
        format!(
            "`keyward_errors::{}`, into `{rust}`",
            names::operation_enum(&op.name)
        )
    } else {
        format!("`keyward_errors::{rust}`")
    };
    let _ = writeln!(
        out,
        "{} Operation `{}`, family `{}` ({rust}).{defaults}\n",
        inline(&op.summary),
        op.name,
        op.family
    );
    let http = family.is_some_and(|f| f.http);
    table(spec, &op.family, &op.errors, http, out);
    if !op.client_errors.is_empty() {
        let _ = writeln!(out, "Detected by the SDK on this call:\n");
        let families: Vec<&str> = spec
            .families
            .iter()
            .filter(|f| f.sdk_detected)
            .map(|f| f.name.as_str())
            .collect();
        for family in families {
            let codes: Vec<String> = op
                .client_errors
                .iter()
                .filter(|c| spec.errors_of(family).any(|e| &e.code == *c))
                .cloned()
                .collect();
            table(spec, family, &codes, false, out);
        }
    }
}

/// The codes of one family as `| Code | HTTP | When |` (HTTP only if `http`).
fn table(spec: &Spec, family: &str, codes: &[String], http: bool, out: &mut String) {
    if codes.is_empty() {
        let _ = writeln!(out, "No error code.\n");
        return;
    }
    let (head, rule) = if http {
        ("| Code | HTTP | When |", "|---|---|---|")
    } else {
        ("| Code | When |", "|---|---|")
    };
    let _ = writeln!(out, "{head}\n{rule}");
    for entry in spec.errors_of(family).filter(|e| codes.contains(&e.code)) {
        let status = match (http, entry.http_status) {
            (true, Some(status)) => format!(" {status} |"),
            (true, None) => " |".to_owned(),
            (false, _) => String::new(),
        };
        let _ = writeln!(
            out,
            "| `{}` |{status} {} |",
            entry.code,
            cell(&entry.description)
        );
    }
    out.push('\n');
}
