//! The error spec (`spec/errors.toml`): loading, validation and the checked
//! model every generator reads. A spec that fails a check never reaches a
//! generator; every problem is a [`Diagnostic`] with its place in the file.

mod collisions;
pub mod locales;
pub mod names;
mod operations;
mod raw;
mod text;

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use semver::Version;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics};
use raw::RawSpec;

/// Byte range in the spec file.
pub type Span = Range<usize>;

/// A checked spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file as the user named it, for messages.
    pub path: String,
    /// The file's text, for locating spans.
    pub source: String,
    pub version: Version,
    pub version_span: Span,
    /// Newest first.
    pub releases: Vec<Release>,
    pub rate_limit: RateLimit,
    pub user_actions: Vec<UserAction>,
    pub retry_classes: Vec<RetryClass>,
    pub families: Vec<Family>,
    pub envelopes: Vec<Envelope>,
    pub errors: Vec<ErrorEntry>,
    /// `[operation_defaults.FAMILY]`, in spec order.
    pub operation_defaults: Vec<OperationDefaults>,
    /// Every `[[operation]]`, in spec order.
    pub operations: Vec<Operation>,
    pub acknowledgements: Vec<Acknowledgement>,
}

#[derive(Debug, Clone)]
pub struct Release {
    pub version: Version,
    pub summary: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub burst_per_second: u32,
    pub sustained_per_second: u32,
    pub burst_span_start: usize,
    pub sustained_span_start: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAction {
    pub name: String,
    pub label: String,
    pub link: Option<String>,
    pub span: Span,
    /// The span of its name in `[user_action.NAME]`.
    pub name_span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
    Equal,
}

impl Jitter {
    pub fn as_str(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetryClass {
    pub name: String,
    pub description: String,
    pub max_attempts: u32,
    pub initial_delay_ms: u64,
    pub multiplier: f64,
    pub max_delay_ms: u64,
    pub jitter: Jitter,
    pub honor_retry_after: bool,
    pub reauthenticate: bool,
    pub security_alert: bool,
    pub span: Span,
    /// The span of its name in `[retry_class.NAME]`.
    pub name_span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub name: String,
    pub rust_name: String,
    pub description: String,
    pub http: bool,
    pub unknown_http_status: Option<u16>,
    pub unknown_user_message: String,
    pub unknown_user_action: String,
    pub unknown_retry: String,
    /// Its codes are detected by the SDK: operations list them in `client_errors`.
    pub sdk_detected: bool,
    pub span: Span,
    /// The span of its name in `[family.NAME]`.
    pub name_span: Span,
    pub rust_name_span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Code,
    Failed,
    FieldErrors,
}

impl FieldType {
    pub const ALL: [FieldType; 4] = [
        FieldType::String,
        FieldType::Code,
        FieldType::Failed,
        FieldType::FieldErrors,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Code => "code",
            FieldType::Failed => "failed",
            FieldType::FieldErrors => "field_errors",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub name: String,
    pub rust_name: String,
    pub description: String,
    pub families: Vec<String>,
    pub fields: Vec<Field>,
    pub span: Span,
    /// The span of its name in `[envelope.NAME]`.
    pub name_span: Span,
    pub rust_name_span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub required: bool,
    pub description: String,
    pub span: Span,
    /// The span of its wire name.
    pub name_span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    pub family: String,
    pub code: String,
    pub http_status: Option<u16>,
    pub description: String,
    pub user_message: String,
    pub user_action: String,
    pub user_facing: bool,
    pub retry: String,
    pub since: Version,
    pub retired: Option<Version>,
    pub replaced_by: Option<String>,
    pub extension: bool,
    /// The span of the `[[error]]` table.
    pub span: Span,
    /// The span of its `code` value.
    pub code_span: Span,
}

impl ErrorEntry {
    /// The Rust variant name: the code in UpperCamelCase.
    pub fn variant(&self) -> String {
        names::variant(&self.code)
    }
}

/// The codes every operation of a family can answer (`[operation_defaults.FAMILY]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationDefaults {
    pub family: String,
    /// In the family's spec order.
    pub errors: Vec<String>,
    pub span: Span,
}

/// One HTTP operation (`[[operation]]`) and every code it can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// UpperCamelCase and unique (`CreateLicenses`).
    pub name: String,
    /// Whether the spec gave `name` (a baseline spec from before names may not).
    pub named: bool,
    pub name_span: Span,
    /// Upper case: `GET`, `POST`, ...
    pub method: String,
    /// The path template, e.g. `/v1/apps/{appId}/licenses`.
    pub path: String,
    pub summary: String,
    pub family: String,
    /// Every code of `family` the server may answer, the family's defaults
    /// included (unless the operation opts out), in the family's spec order.
    pub errors: Vec<String>,
    /// Whether the family's `[operation_defaults]` apply.
    pub uses_defaults: bool,
    /// Codes of SDK-detected families a client may see on this call, in spec order.
    pub client_errors: Vec<String>,
    /// The span of the `[[operation]]` table.
    pub span: Span,
    pub path_span: Span,
}

impl Operation {
    /// `METHOD PATH`, the operation's name in messages and reports.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// What makes two operations the same route: the method and the path
    /// with its parameter names erased (`/v1/apps/{}`).
    pub fn key(&self) -> (String, String) {
        (self.method.clone(), operations::shape(&self.path))
    }
}

/// An explicit acknowledgement of one breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub rule: String,
    pub subject: String,
    pub reason: String,
    pub span: Span,
}

impl Spec {
    /// Reads and checks the spec at `path`; `display_path` names it in messages.
    pub fn load(path: &std::path::Path, display_path: &str) -> Result<Spec, SpecError> {
        let source = std::fs::read_to_string(path).map_err(|err| SpecError::Io {
            path: display_path.to_owned(),
            message: err.to_string(),
        })?;
        Spec::parse(display_path, &source).map_err(SpecError::Invalid)
    }

    /// Parses and checks spec text. Never panics, whatever the input.
    pub fn parse(path: &str, source: &str) -> Result<Spec, Diagnostics> {
        Self::parse_as(path, source, Edition::Current)
    }

    /// Parses a spec of an earlier commit, for `spec-compat`: as [`Spec::parse`], but what
    /// a later version made required may be missing ([`Edition::Baseline`]).
    pub fn parse_baseline(path: &str, source: &str) -> Result<Spec, Diagnostics> {
        Self::parse_as(path, source, Edition::Baseline)
    }

    fn parse_as(path: &str, source: &str, edition: Edition) -> Result<Spec, Diagnostics> {
        let diagnostics = |problems| Diagnostics {
            path: path.to_owned(),
            source: source.to_owned(),
            problems,
        };
        let raw: RawSpec = toml::from_str(source).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            diagnostics(vec![Diagnostic::at(source, span, toml_message(&err))])
        })?;
        let mut checker = Checker {
            path,
            source,
            edition,
            problems: Vec::new(),
        };
        let spec = checker.check(raw);
        if checker.problems.is_empty()
            && let Some(spec) = spec
        {
            return Ok(spec);
        }
        let mut problems = checker.problems;
        problems.sort_by_key(|d| d.span.start);
        Err(diagnostics(problems))
    }

    /// `PATH:LINE:COL` of byte `offset`.
    pub fn location(&self, offset: usize) -> String {
        let (line, column, _) = crate::diagnostic::locate(&self.source, offset);
        format!("{}:{line}:{column}", self.path)
    }

    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.name == name)
    }

    pub fn retry_class(&self, name: &str) -> Option<&RetryClass> {
        self.retry_classes.iter().find(|c| c.name == name)
    }

    pub fn user_action(&self, name: &str) -> Option<&UserAction> {
        self.user_actions.iter().find(|a| a.name == name)
    }

    /// Whether each operation of `family` gets its own error enum (see
    /// [`operations::has_operation_enums`]).
    pub fn has_operation_enums(&self, family: &str) -> bool {
        operations::has_operation_enums(&self.operations, family)
    }

    /// The errors of one family, in spec order.
    pub fn errors_of<'a>(&'a self, family: &'a str) -> impl Iterator<Item = &'a ErrorEntry> + 'a {
        self.errors.iter().filter(move |e| e.family == family)
    }
}

/// Why a spec could not be loaded.
#[derive(Debug)]
pub enum SpecError {
    Io { path: String, message: String },
    Invalid(Diagnostics),
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpecError::Io { path, message } => write!(f, "{path}: cannot read the spec: {message}"),
            SpecError::Invalid(diagnostics) => write!(f, "{diagnostics}"),
        }
    }
}

impl std::error::Error for SpecError {}

/// toml's message without its own rendering of the place (we render our own).
fn toml_message(err: &toml::de::Error) -> String {
    let message = err.message().trim();
    if message.is_empty() {
        "invalid TOML".to_owned()
    } else {
        message.to_owned()
    }
}

/// Collects every problem of a spec instead of stopping at the first.
struct Checker<'a> {
    path: &'a str,
    source: &'a str,
    edition: Edition,
    problems: Vec<Diagnostic>,
}

/// Which rules a spec is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edition {
    /// This version's: the spec being generated from.
    Current,
    /// An earlier commit's, compared with by `spec-compat`: an `[[operation]]` may lack
    /// its `name` (required since operations got their own error enums); it is given
    /// one derived from its method and path, marked as such.
    Baseline,
}

const HTTP_STATUSES: std::ops::RangeInclusive<i64> = 400..=599;

impl Checker<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.report(Diagnostic::at(self.source, span, message));
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.problems.push(diagnostic);
    }

    /// A text for people: not empty, CRLF read as LF, and no character that
    /// breaks an output (see [`text::refused`]).
    fn text(&mut self, value: Spanned<String>, what: &str) -> String {
        let span = value.span();
        let value = text::normalize(value.into_inner());
        if value.trim().is_empty() {
            self.error(span.clone(), format!("{what} must not be empty"));
        }
        if let Some((c, why)) = value.chars().find_map(|c| Some((c, text::refused(c)?))) {
            self.error(
                span,
                format!("{what} contains U+{:04X}, {why}", u32::from(c)),
            );
        }
        value
    }

    fn version(&mut self, value: &Spanned<String>, what: &str) -> Option<Version> {
        match Version::parse(value.get_ref()) {
            Ok(version) => Some(version),
            Err(err) => {
                self.error(
                    value.span(),
                    format!(
                        "{what} `{}` is not a semantic version: {err}",
                        value.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn count(&mut self, value: &Spanned<i64>, min: i64, max: i64, what: &str) -> Option<i64> {
        let n = *value.get_ref();
        if (min..=max).contains(&n) {
            Some(n)
        } else {
            self.error(
                value.span(),
                format!("{what} must be between {min} and {max}, not {n}"),
            );
            None
        }
    }

    fn identifier(&mut self, name: &str, span: Span, what: &str) {
        let mut chars = name.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !name.ends_with('_')
            && !name.contains("__");
        if !ok {
            self.error(
                span,
                format!("{what} `{name}` must be snake_case: lowercase ASCII letters, digits and single underscores"),
            );
        }
    }

    fn rust_type_name(&mut self, value: &Spanned<String>) {
        let name = value.get_ref();
        let ok = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_alphanumeric())
            && syn::parse_str::<syn::Ident>(name).is_ok();
        if !ok {
            self.error(
                value.span(),
                format!("rust_name `{name}` must be an UpperCamelCase Rust identifier"),
            );
        }
    }

    fn reference(&mut self, value: &Spanned<String>, known: &HashSet<&str>, what: &str) {
        if !known.contains(value.get_ref().as_str()) {
            let mut names: Vec<&str> = known.iter().copied().collect();
            names.sort_unstable();
            let mut diagnostic = Diagnostic::at(
                self.source,
                value.span(),
                format!(
                    "unknown {what} `{}` (known: {})",
                    value.get_ref(),
                    names.join(", ")
                ),
            );
            if let Some(close) = crate::diagnostic::did_you_mean(value.get_ref(), names) {
                diagnostic = diagnostic.help(format!("did you mean `{close}`?"));
            }
            self.report(diagnostic);
        }
    }

    fn check(&mut self, raw: RawSpec) -> Option<Spec> {
        let version = self.version(&raw.spec.version, "spec version");
        let version_span = raw.spec.version.span();

        let releases = self.check_releases(&raw, version.as_ref());
        let rate_limit = self.check_rate_limit(&raw);

        let mut user_actions = Vec::new();
        for (name, action) in raw.user_action {
            let span = action.span();
            let name_span = name.span();
            self.identifier(name.get_ref(), name_span.clone(), "user action");
            let action = action.into_inner();
            let label = self.text(action.label, "label");
            let link = action.link.map(|l| self.text(l, "link"));
            user_actions.push(UserAction {
                name: name.into_inner(),
                label,
                link,
                span,
                name_span,
            });
        }
        if user_actions.is_empty() {
            self.error(0..0, "the spec needs at least one [user_action.NAME]");
        }

        let mut retry_classes = Vec::new();
        for (name, class) in raw.retry_class {
            let span = class.span();
            self.identifier(name.get_ref(), name.span(), "retry class");
            retry_classes.extend(self.check_retry_class(name, class.into_inner(), span));
        }

        let action_names: HashSet<&str> = user_actions.iter().map(|a| a.name.as_str()).collect();
        let class_names: HashSet<&str> = retry_classes.iter().map(|c| c.name.as_str()).collect();

        let mut families = Vec::new();
        for (name, family) in raw.family {
            let span = family.span();
            let name_span = name.span();
            let name = name.into_inner();
            self.identifier(&name, name_span.clone(), "family");
            let family = family.into_inner();
            self.rust_type_name(&family.rust_name);
            self.reference(&family.unknown_user_action, &action_names, "user action");
            self.reference(&family.unknown_retry, &class_names, "retry class");
            let unknown_http_status = match (&family.unknown_http_status, family.http) {
                (Some(status), true) => self
                    .count(
                        status,
                        *HTTP_STATUSES.start(),
                        *HTTP_STATUSES.end(),
                        "unknown_http_status",
                    )
                    .and_then(|s| u16::try_from(s).ok()),
                (None, true) => {
                    self.error(
                        span.clone(),
                        format!("family `{name}` has `http = true` and needs unknown_http_status"),
                    );
                    None
                }
                (Some(status), false) => {
                    self.error(
                        status.span(),
                        "unknown_http_status needs `http = true` on the family",
                    );
                    None
                }
                (None, false) => None,
            };
            families.push(Family {
                name,
                rust_name_span: family.rust_name.span(),
                rust_name: family.rust_name.into_inner(),
                description: self.text(family.description, "description"),
                http: family.http,
                unknown_http_status,
                unknown_user_message: self
                    .text(family.unknown_user_message, "unknown_user_message"),
                unknown_user_action: family.unknown_user_action.into_inner(),
                unknown_retry: family.unknown_retry.into_inner(),
                sdk_detected: family.sdk_detected,
                span,
                name_span,
            });
        }
        if families.is_empty() {
            self.error(0..0, "the spec needs at least one [family.NAME]");
        }
        let family_names: HashSet<&str> = families.iter().map(|f| f.name.as_str()).collect();

        let mut envelopes = Vec::new();
        for (name, envelope) in raw.envelope {
            let span = envelope.span();
            let name_span = name.span();
            let name = name.into_inner();
            self.identifier(&name, name_span.clone(), "envelope");
            let envelope = envelope.into_inner();
            self.rust_type_name(&envelope.rust_name);
            if envelope.families.get_ref().is_empty() {
                self.error(
                    envelope.families.span(),
                    "an envelope needs at least one family",
                );
            }
            let mut families_of = Vec::new();
            for family in envelope.families.into_inner() {
                self.reference(&family, &family_names, "family");
                if families_of.contains(family.get_ref()) {
                    self.error(
                        family.span(),
                        format!("family `{}` is listed twice", family.get_ref()),
                    );
                }
                families_of.push(family.into_inner());
            }
            let mut fields: Vec<Field> = Vec::new();
            for field in envelope.fields {
                let field_span = field.span();
                let field = field.into_inner();
                let field_name = field.name.get_ref().clone();
                if field_name.is_empty()
                    || !field_name.chars().all(|c| c.is_ascii_alphanumeric())
                    || !field_name.starts_with(|c: char| c.is_ascii_lowercase())
                {
                    self.error(
                        field.name.span(),
                        format!("field name `{field_name}` must be a camelCase wire name"),
                    );
                }
                if fields.iter().any(|f| f.name == field_name) {
                    self.error(
                        field.name.span(),
                        format!("field `{field_name}` is listed twice"),
                    );
                }
                let ty = match FieldType::ALL
                    .into_iter()
                    .find(|t| t.as_str() == field.ty.get_ref())
                {
                    Some(ty) => ty,
                    None => {
                        let known: Vec<&str> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
                        self.error(
                            field.ty.span(),
                            format!(
                                "unknown field type `{}` (known: {})",
                                field.ty.get_ref(),
                                known.join(", ")
                            ),
                        );
                        FieldType::String
                    }
                };
                fields.push(Field {
                    name: field_name,
                    ty,
                    required: field.required,
                    description: self.text(field.description, "description"),
                    span: field_span,
                    name_span: field.name.span(),
                });
            }
            if !fields.iter().any(|f| f.ty == FieldType::Code) {
                self.error(
                    span.clone(),
                    format!("envelope `{name}` needs a field of type \"code\""),
                );
            }
            envelopes.push(Envelope {
                name,
                rust_name_span: envelope.rust_name.span(),
                rust_name: envelope.rust_name.into_inner(),
                description: self.text(envelope.description, "description"),
                families: families_of,
                fields,
                span,
                name_span,
            });
        }

        let release_versions: Vec<Version> = releases.iter().map(|r| r.version.clone()).collect();
        let mut errors = Vec::new();
        let mut seen: HashMap<(String, String), Span> = HashMap::new();
        for entry in raw.error {
            let span = entry.span();
            let entry = entry.into_inner();
            let family_name = entry.family.get_ref().clone();
            let code = entry.code.get_ref().clone();
            self.reference(&entry.family, &family_names, "family");
            self.identifier(&code, entry.code.span(), "error code");
            if let Some(first) = seen.insert((family_name.clone(), code.clone()), entry.code.span())
            {
                let (line, _, _) = crate::diagnostic::locate(self.source, first.start);
                let diagnostic = Diagnostic::at(
                    self.source,
                    entry.code.span(),
                    format!("duplicate code `{code}` in family `{family_name}` (first defined on line {line}); a code is never reused: retire the old entry instead"),
                )
                .related(self.source, first, "first defined here");
                self.report(diagnostic);
            }
            let family_http = families
                .iter()
                .find(|f| f.name == family_name)
                .map(|f| f.http);
            let http_status = match (&entry.http_status, family_http) {
                (Some(status), Some(true)) => self
                    .count(
                        status,
                        *HTTP_STATUSES.start(),
                        *HTTP_STATUSES.end(),
                        "http_status (4xx or 5xx)",
                    )
                    .and_then(|s| u16::try_from(s).ok()),
                (None, Some(true)) => {
                    self.error(entry.code.span(), format!("`{code}` needs an http_status: family `{family_name}` is carried by HTTP statuses"));
                    None
                }
                (Some(status), Some(false)) => {
                    self.error(
                        status.span(),
                        format!(
                            "family `{family_name}` has no HTTP statuses (set `http = true` on it)"
                        ),
                    );
                    None
                }
                (None, Some(false)) | (_, None) => None,
            };
            self.reference(&entry.user_action, &action_names, "user action");
            self.reference(&entry.retry, &class_names, "retry class");
            let since = self.version(&entry.since, "since");
            if let Some(since) = &since
                && !release_versions.is_empty()
                && !release_versions.contains(since)
            {
                self.error(
                    entry.since.span(),
                    format!("since `{since}` is not a [[release]] of the spec"),
                );
            }
            let retired = entry.retired.as_ref().and_then(|r| {
                let version = self.version(r, "retired")?;
                if !release_versions.is_empty() && !release_versions.contains(&version) {
                    self.error(
                        r.span(),
                        format!("retired `{version}` is not a [[release]] of the spec"),
                    );
                }
                if since.as_ref().is_some_and(|s| &version <= s) {
                    self.error(
                        r.span(),
                        "a code is retired in a later version than it appeared in",
                    );
                }
                Some(version)
            });
            if let (Some(replacement), None) = (&entry.replaced_by, &entry.retired) {
                self.error(replacement.span(), "replaced_by is only for retired codes");
            }
            errors.push((
                ErrorEntry {
                    family: family_name,
                    code,
                    http_status,
                    description: self.text(entry.description, "description"),
                    user_message: self.text(entry.user_message, "user_message"),
                    user_action: entry.user_action.into_inner(),
                    user_facing: entry.user_facing,
                    retry: entry.retry.into_inner(),
                    since: since.unwrap_or_else(|| Version::new(0, 0, 0)),
                    retired,
                    replaced_by: entry.replaced_by.as_ref().map(|r| r.get_ref().clone()),
                    extension: entry.extension,
                    span,
                    code_span: entry.code.span(),
                },
                entry.replaced_by,
            ));
        }
        // A retired code must not be referenced as the replacement of another.
        for (entry, replacement) in &errors {
            let Some(replacement) = replacement else {
                continue;
            };
            match errors
                .iter()
                .find(|(e, _)| e.family == entry.family && &e.code == replacement.get_ref())
            {
                None => self.error(
                    replacement.span(),
                    format!(
                        "replaced_by `{}` is not a code of family `{}`",
                        replacement.get_ref(),
                        entry.family
                    ),
                ),
                Some((target, _)) if target.retired.is_some() => self.error(
                    replacement.span(),
                    format!(
                        "replaced_by `{}` refers to a retired code",
                        replacement.get_ref()
                    ),
                ),
                Some(_) => {}
            }
        }
        let errors: Vec<ErrorEntry> = errors.into_iter().map(|(e, _)| e).collect();
        let (operation_defaults, operations) =
            self.check_operations(raw.operation_defaults, raw.operation, &families, &errors);
        for family in &families {
            if !errors.iter().any(|e| e.family == family.name) {
                self.error(
                    family.span.clone(),
                    format!("family `{}` has no error codes", family.name),
                );
            }
        }

        self.check_generated_names(
            &user_actions,
            &retry_classes,
            &families,
            &envelopes,
            &errors,
            &operations,
        );

        let acknowledgements = raw
            .acknowledge
            .into_iter()
            .map(|ack| {
                let span = ack.span();
                let ack = ack.into_inner();
                Acknowledgement {
                    rule: ack.rule.into_inner(),
                    subject: ack.subject.into_inner(),
                    reason: self.text(ack.reason, "reason"),
                    span,
                }
            })
            .collect();

        Some(Spec {
            path: self.path.to_owned(),
            source: self.source.to_owned(),
            version: version?,
            version_span,
            releases,
            rate_limit: rate_limit?,
            user_actions,
            retry_classes,
            families,
            envelopes,
            errors,
            operation_defaults,
            operations,
            acknowledgements,
        })
    }

    fn check_releases(&mut self, raw: &RawSpec, version: Option<&Version>) -> Vec<Release> {
        let mut releases: Vec<Release> = Vec::new();
        for release in &raw.release {
            let Some(v) = self.version(&release.version, "release version") else {
                continue;
            };
            if let Some(previous) = releases.last()
                && v >= previous.version
            {
                self.error(
                    release.version.span(),
                    "releases are listed newest first, each older than the one above",
                );
            }
            releases.push(Release {
                version: v,
                summary: self.text(release.summary.clone(), "summary"),
                span: release.version.span(),
            });
        }
        if releases.is_empty() {
            self.error(
                raw.spec.version.span(),
                "the spec needs at least one [[release]]",
            );
        } else if let (Some(version), Some(newest)) = (version, releases.first())
            && version != &newest.version
        {
            self.error(
                raw.spec.version.span(),
                format!(
                    "spec version `{version}` must be the newest [[release]] (`{}`)",
                    newest.version
                ),
            );
        }
        releases
    }

    fn check_rate_limit(&mut self, raw: &RawSpec) -> Option<RateLimit> {
        let limit = &raw.rate_limit;
        let burst = self.count(&limit.burst_per_second, 1, 1_000_000, "burst_per_second");
        let sustained = self.count(
            &limit.sustained_per_second,
            1,
            1_000_000,
            "sustained_per_second",
        );
        let (burst, sustained) = (burst?, sustained?);
        if sustained > burst {
            self.error(
                limit.sustained_per_second.span(),
                "sustained_per_second must not exceed burst_per_second",
            );
        }
        Some(RateLimit {
            burst_per_second: u32::try_from(burst).ok()?,
            sustained_per_second: u32::try_from(sustained).ok()?,
            burst_span_start: limit.burst_per_second.span().start,
            sustained_span_start: limit.sustained_per_second.span().start,
        })
    }

    fn check_retry_class(
        &mut self,
        name: Spanned<String>,
        class: raw::RawRetryClass,
        span: Span,
    ) -> Option<RetryClass> {
        const DAY_MS: i64 = 86_400_000;
        let max_attempts = self.count(&class.max_attempts, 1, 100, "max_attempts");
        let initial = self.count(&class.initial_delay_ms, 0, DAY_MS, "initial_delay_ms");
        let max_delay = self.count(&class.max_delay_ms, 0, DAY_MS, "max_delay_ms");
        let multiplier = *class.multiplier.get_ref();
        if !(1.0..=100.0).contains(&multiplier) {
            self.error(
                class.multiplier.span(),
                format!("multiplier must be between 1.0 and 100.0, not {multiplier}"),
            );
        }
        if let (Some(initial), Some(max_delay)) = (initial, max_delay)
            && max_delay < initial
        {
            self.error(
                class.max_delay_ms.span(),
                "max_delay_ms must not be below initial_delay_ms",
            );
        }
        let jitter = match class.jitter.get_ref().as_str() {
            "none" => Jitter::None,
            "full" => Jitter::Full,
            "equal" => Jitter::Equal,
            other => {
                self.error(
                    class.jitter.span(),
                    format!("unknown jitter `{other}` (known: none, full, equal)"),
                );
                Jitter::None
            }
        };
        if class.reauthenticate && class.security_alert {
            self.error(
                span.clone(),
                "a retry class cannot both re-authenticate and raise a security alert",
            );
        }
        Some(RetryClass {
            name_span: name.span(),
            name: name.into_inner(),
            description: self.text(class.description, "description"),
            max_attempts: u32::try_from(max_attempts?).ok()?,
            initial_delay_ms: u64::try_from(initial?).ok()?,
            multiplier,
            max_delay_ms: u64::try_from(max_delay?).ok()?,
            jitter,
            honor_retry_after: class.honor_retry_after,
            reauthenticate: class.reauthenticate,
            security_alert: class.security_alert,
            span,
        })
    }
}
