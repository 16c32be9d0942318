//! `[[operation]]` and `[operation_defaults.FAMILY]`: which HTTP route can
//! answer which code. An operation names codes of its own family (`errors`)
//! and codes the SDK detects on that call (`client_errors`, codes of a family
//! with `sdk_detected = true`); the codes of `[operation_defaults.FAMILY]`
//! apply to every operation of the family unless it says `defaults = false`.
//!
//! Once a spec declares an operation, every code that is not retired must be
//! answerable by one: a server code through `errors` (or the defaults), an
//! SDK-detected code through `client_errors`, since the SDK detects it only
//! while making some call. A spec without operations describes codes only.

use std::collections::HashMap;

use indexmap::IndexMap;
use toml::Spanned;

use super::raw::{RawOperation, RawOperationDefaults};
use super::{Checker, Edition, ErrorEntry, Family, Operation, OperationDefaults, Span, names};
use crate::diagnostic::Diagnostic;

/// Whether each operation of `family` gets its own error enum: when several
/// operations share the family. The family enum of a family with one
/// operation (`ValidateError`) already is that operation's error.
pub fn has_operation_enums(operations: &[Operation], family: &str) -> bool {
    operations.iter().filter(|op| op.family == family).count() > 1
}

/// A name for an operation of a baseline spec that has none: its method and the path's
/// literal segments (`GET /v1/apps/{appId}` -> `GetV1Apps`); only ever compared.
fn derived_name(method: &str, path: &str) -> String {
    let words = path
        .split(['/', '-', '_', '.'])
        .filter(|word| !word.is_empty() && !word.starts_with('{'));
    std::iter::once(method)
        .chain(words)
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
            })
        })
        .collect()
}

/// The methods an operation may have.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Which codes a list may name: those of `families`, described as `what`.
struct Allowed<'a> {
    families: &'a [String],
    what: String,
}

impl<'a> Allowed<'a> {
    fn family(family: &'a [String]) -> Self {
        Self {
            families: family,
            what: format!("family `{}`", family.join("`, `")),
        }
    }

    fn sdk_detected(families: &'a [String]) -> Self {
        Self {
            families,
            what: "a family with `sdk_detected = true`".to_owned(),
        }
    }

    fn admits(&self, entry: &ErrorEntry) -> bool {
        self.families.contains(&entry.family)
    }
}

impl Checker<'_> {
    pub(super) fn check_operations(
        &mut self,
        raw_defaults: IndexMap<Spanned<String>, Spanned<RawOperationDefaults>>,
        raw_operations: Vec<Spanned<RawOperation>>,
        families: &[Family],
        errors: &[ErrorEntry],
    ) -> (Vec<OperationDefaults>, Vec<Operation>) {
        for family in families.iter().filter(|f| f.sdk_detected && f.http) {
            self.error(
                family.span.clone(),
                format!(
                    "family `{}` is detected by the SDK and cannot carry HTTP statuses",
                    family.name
                ),
            );
        }
        let sdk_families: Vec<String> = families
            .iter()
            .filter(|f| f.sdk_detected)
            .map(|f| f.name.clone())
            .collect();
        let mut defaults: Vec<OperationDefaults> = Vec::new();
        for (family, table) in raw_defaults {
            let span = table.span();
            let Some(name) = self.operation_family(&family, families) else {
                continue;
            };
            if defaults.iter().any(|d| d.family == name) {
                continue; // TOML itself refuses a table defined twice.
            }
            let own = [name];
            let codes = self.codes(
                table.into_inner().errors,
                &Allowed::family(&own),
                &[],
                errors,
            );
            let [name] = own;
            defaults.push(OperationDefaults {
                family: name,
                errors: codes,
                span,
            });
        }

        let mut operations: Vec<Operation> = Vec::new();
        let mut routes: HashMap<(String, String), Span> = HashMap::new();
        let mut names: HashMap<String, Span> = HashMap::new();
        for raw in raw_operations {
            let span = raw.span();
            let raw = raw.into_inner();
            let (name, name_span) = match &raw.name {
                Some(name) => (name.get_ref().clone(), name.span()),
                None => {
                    if self.edition == Edition::Current {
                        self.error(
                            span.clone(),
                            "operation needs a `name` (UpperCamelCase: its error enum and OpenAPI operationId, e.g. `CreateLicenses`)",
                        );
                    }
                    (
                        derived_name(raw.method.get_ref(), raw.path.get_ref()),
                        span.clone(),
                    )
                }
            };
            // A derived name is only ever compared; a given one must be a unique type name.
            let given = raw.name.is_some();
            if given && !names::is_type_name(&name) {
                self.error(
                    name_span.clone(),
                    format!(
                        "operation name `{name}` must be UpperCamelCase ASCII (`CreateLicenses`)"
                    ),
                );
            } else if given && let Some(first) = names.insert(name.clone(), name_span.clone()) {
                let (line, _, _) = crate::diagnostic::locate(self.source, first.start);
                let diagnostic = Diagnostic::at(
                    self.source,
                    name_span.clone(),
                    format!("duplicate operation name `{name}` (first used on line {line})"),
                )
                .related(self.source, first, "first used here");
                self.report(diagnostic);
            }
            let method = raw.method.get_ref().clone();
            if !METHODS.contains(&method.as_str()) {
                self.error(
                    raw.method.span(),
                    format!("unknown method `{method}` (known: {})", METHODS.join(", ")),
                );
            }
            let path = raw.path.get_ref().clone();
            self.path_template(&path, raw.path.span());
            let summary = self.text(raw.summary.clone(), "summary");
            if summary.contains('\n') {
                self.error(raw.summary.span(), "summary must be one line");
            }
            if let Some(first) = routes.insert((method.clone(), shape(&path)), raw.path.span()) {
                let (line, _, _) = crate::diagnostic::locate(self.source, first.start);
                let diagnostic = Diagnostic::at(
                    self.source,
                    raw.path.span(),
                    format!(
                        "duplicate operation `{method} {path}` (first declared on line {line})"
                    ),
                )
                .related(self.source, first, "first declared here");
                self.report(diagnostic);
            }
            let family = self.operation_family(&raw.family, families);
            let uses_defaults = raw.defaults.as_ref().is_none_or(|d| *d.get_ref());
            let family_defaults = family
                .as_ref()
                .and_then(|f| defaults.iter().find(|d| &d.family == f));
            if let (Some(flag), None) = (&raw.defaults, family_defaults) {
                self.error(
                    flag.span(),
                    format!(
                        "family `{}` has no [operation_defaults.{0}] to opt out of",
                        raw.family.get_ref()
                    ),
                );
            }
            let inherited: &[String] = match family_defaults {
                Some(d) if uses_defaults => &d.errors,
                _ => &[],
            };
            let own = match &family {
                Some(name) => {
                    let name = [name.clone()];
                    self.codes(raw.errors, &Allowed::family(&name), inherited, errors)
                }
                None => Vec::new(),
            };
            let client_errors = self.codes(
                raw.client_errors,
                &Allowed::sdk_detected(&sdk_families),
                &[],
                errors,
            );
            let mut all: Vec<String> = inherited.iter().chain(&own).cloned().collect();
            let order = |code: &String| {
                errors
                    .iter()
                    .position(|e| Some(&e.family) == family.as_ref() && &e.code == code)
            };
            all.sort_by_key(order);
            operations.push(Operation {
                named: raw.name.is_some(),
                name,
                name_span,
                method,
                path,
                summary,
                family: family.unwrap_or_default(),
                errors: all,
                uses_defaults,
                client_errors,
                span,
                path_span: raw.path.span(),
            });
        }

        if !operations.is_empty() {
            self.every_code_answered(&operations, families, errors);
        }
        (defaults, operations)
    }

    /// The family an operation or a defaults table names: known, and not SDK-detected.
    fn operation_family(&mut self, name: &Spanned<String>, families: &[Family]) -> Option<String> {
        match families.iter().find(|f| &f.name == name.get_ref()) {
            Some(family) if family.sdk_detected => {
                self.error(
                    name.span(),
                    format!(
                        "family `{}` is detected by the SDK: no HTTP operation answers it (list its codes in `client_errors`)",
                        family.name
                    ),
                );
                None
            }
            Some(family) => Some(family.name.clone()),
            None => {
                let known = families.iter().map(|f| f.name.as_str()).collect();
                self.reference(name, &known, "family");
                None
            }
        }
    }

    /// The codes of one list, checked, in the order of the spec's `[[error]]`s.
    /// `inherited`: codes the list gets from the family's defaults already.
    fn codes(
        &mut self,
        list: Vec<Spanned<String>>,
        allowed: &Allowed<'_>,
        inherited: &[String],
        errors: &[ErrorEntry],
    ) -> Vec<String> {
        let mut codes: Vec<(usize, String)> = Vec::new();
        for code in list {
            let name = code.get_ref();
            let found = errors
                .iter()
                .enumerate()
                .find(|(_, e)| &e.code == name && allowed.admits(e));
            let Some((index, entry)) = found else {
                self.unlisted_code(&code, allowed, errors);
                continue;
            };
            if let Some(retired) = &entry.retired {
                self.error(
                    code.span(),
                    format!("`{name}` was retired in {retired}: no operation answers it any more"),
                );
            } else if codes.iter().any(|(_, c)| c == name) {
                self.error(code.span(), format!("`{name}` is listed twice"));
            } else if inherited.contains(name) {
                self.error(
                    code.span(),
                    format!(
                        "`{name}` is already in [operation_defaults.{}]",
                        entry.family
                    ),
                );
            } else {
                codes.push((index, name.clone()));
            }
        }
        codes.sort();
        codes.into_iter().map(|(_, code)| code).collect()
    }

    /// A code that is not one of `allowed`: of another family, or unknown.
    fn unlisted_code(
        &mut self,
        code: &Spanned<String>,
        allowed: &Allowed<'_>,
        errors: &[ErrorEntry],
    ) {
        let name = code.get_ref();
        let wanted = &allowed.what;
        let elsewhere: Vec<&str> = errors
            .iter()
            .filter(|e| &e.code == name)
            .map(|e| e.family.as_str())
            .collect();
        if !elsewhere.is_empty() {
            self.error(
                code.span(),
                format!(
                    "`{name}` is a code of family `{}`, not of {wanted}",
                    elsewhere.join("`, `")
                ),
            );
            return;
        }
        let candidates: Vec<&str> = errors
            .iter()
            .filter(|e| allowed.admits(e))
            .map(|e| e.code.as_str())
            .collect();
        let mut diagnostic = Diagnostic::at(
            self.source,
            code.span(),
            format!("unknown code `{name}` (no code of {wanted} has this name)"),
        );
        if let Some(close) = crate::diagnostic::did_you_mean(name, candidates) {
            diagnostic = diagnostic.help(format!("did you mean `{close}`?"));
        }
        self.report(diagnostic);
    }

    /// A path template: `/` then segments, each a literal or one `{camelCase}` parameter.
    fn path_template(&mut self, path: &str, span: Span) {
        let mut problem = None;
        let mut params: Vec<&str> = Vec::new();
        if !path.starts_with('/') {
            problem = Some("must start with `/`".to_owned());
        } else if path.contains(['?', '#']) {
            problem = Some("must not hold a query or a fragment".to_owned());
        } else if path.len() > 1 {
            for segment in path[1..].split('/') {
                if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    let camel = param.starts_with(|c: char| c.is_ascii_lowercase())
                        && param.chars().all(|c| c.is_ascii_alphanumeric());
                    if !camel {
                        problem = Some(format!("parameter `{{{param}}}` must be a camelCase name"));
                    } else if params.contains(&param) {
                        problem = Some(format!("parameter `{{{param}}}` appears twice"));
                    }
                    params.push(param);
                } else if segment.is_empty() {
                    problem = Some("has an empty segment (`//` or a trailing `/`)".to_owned());
                } else if !segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                {
                    problem = Some(format!(
                        "segment `{segment}` must be a `{{parameter}}` or ASCII letters, digits, `-`, `_` and `.`"
                    ));
                }
            }
        }
        if let Some(problem) = problem {
            self.error(span, format!("path `{path}` {problem}"));
        }
    }

    /// Every code that is not retired is answered by some operation.
    fn every_code_answered(
        &mut self,
        operations: &[Operation],
        families: &[Family],
        errors: &[ErrorEntry],
    ) {
        for entry in errors.iter().filter(|e| e.retired.is_none()) {
            let sdk = families
                .iter()
                .any(|f| f.name == entry.family && f.sdk_detected);
            let answered = operations.iter().any(|op| {
                if sdk {
                    op.client_errors.contains(&entry.code)
                } else {
                    op.family == entry.family && op.errors.contains(&entry.code)
                }
            });
            if !answered {
                let list = if sdk { "client_errors" } else { "errors" };
                self.error(
                    entry.code_span.clone(),
                    format!(
                        "no [[operation]] can answer `{}` of family `{}`: add it to the `{list}` of the operations that can (or retire it)",
                        entry.code, entry.family
                    ),
                );
            }
        }
    }
}

/// A path with its parameter names erased: `/v1/apps/{appId}` and
/// `/v1/apps/{id}` are the same route.
pub(super) fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
