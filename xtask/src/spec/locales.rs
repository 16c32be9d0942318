//! Translations of the spec's end-user texts: `spec/locales/<BCP 47 tag>.ftl`,
//! Project Fluent files beside the spec (English stays in the spec).
//!
//! Every user message, every family's message for an unknown code and every
//! user action label is one Fluent message, named after where it comes from:
//!
//! | text | message ID |
//! |---|---|
//! | `[user_action.NAME] label` | `action-NAME` |
//! | `[[error]] user_message` of FAMILY/CODE | `error-FAMILY-CODE` |
//! | `[family.NAME] unknown_user_message` | `unknown-NAME` |
//!
//! (spec names are snake_case, so the `-` between the parts is unambiguous).
//! Each message carries `# source: HASH` in its comment: the hash of the
//! English text it was translated from ([`source_hash`]). A file is refused,
//! with `FILE:LINE:COL`, for a missing message, an orphan (no such code,
//! family or action), an empty message, placeholders that differ from the
//! English, a Fluent construct the generated tables cannot hold (terms,
//! attributes, selectors, references), a missing or malformed hash, or a
//! stale one (the English changed since): an error under `--check`, a
//! warning otherwise. Outside `--check` the stale text is still used: whoever
//! changes an English text can regenerate and test at once, a reworded
//! sentence's old translation is usually closer than English on a German
//! screen, and CI's `--check` keeps it from shipping.
//!
//! A locale whose tag has a shipped ancestor (`pt-BR` beside `pt`, `en-GB`
//! beside English) may leave messages out: they come from that ancestor.
//! Every other locale translates every text. Retired codes stay in the spec,
//! so their messages stay required.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use fluent_syntax::ast;
use fluent_syntax::parser::{ErrorKind, ParserError};
use sha2::{Digest, Sha256};

use super::Spec;
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};

/// The tag of the spec's own texts. Its `.ftl` is generated (the reference
/// a new translation starts from), never read.
pub const ENGLISH: &str = "en";

/// Where one text of the spec comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextKind {
    /// The label of a user action.
    Action { action: String },
    /// The user message of one code.
    Error { family: String, code: String },
    /// A family's user message for a code this version does not know.
    Unknown { family: String },
}

/// One end-user text of the spec, which every locale translates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    /// The Fluent message ID.
    pub id: String,
    pub kind: TextKind,
    /// The English text.
    pub text: String,
    /// [`source_hash`] of `text`.
    pub hash: String,
}

/// Every end-user text of `spec`, in the order of the generated tables: the
/// user actions, then each family's codes followed by its unknown-code text.
pub fn source_texts(spec: &Spec) -> Vec<SourceText> {
    let text = |id: String, kind, english: &str| SourceText {
        id,
        kind,
        hash: source_hash(english),
        text: english.to_owned(),
    };
    let mut texts: Vec<SourceText> = spec
        .user_actions
        .iter()
        .map(|a| {
            let kind = TextKind::Action {
                action: a.name.clone(),
            };
            text(format!("action-{}", a.name), kind, &a.label)
        })
        .collect();
    for family in &spec.families {
        for e in spec.errors_of(&family.name) {
            let kind = TextKind::Error {
                family: e.family.clone(),
                code: e.code.clone(),
            };
            texts.push(text(
                format!("error-{}-{}", e.family, e.code),
                kind,
                &e.user_message,
            ));
        }
        let kind = TextKind::Unknown {
            family: family.name.clone(),
        };
        texts.push(text(
            format!("unknown-{}", family.name),
            kind,
            &family.unknown_user_message,
        ));
    }
    texts
}

/// The hash a translation records of its English source: the first 16 hex
/// digits of its SHA-256. A fingerprint, not a secret: it only has to change
/// when the text does.
pub fn source_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The `{ $name }` placeholders of an English text, sorted.
fn source_placeholders(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let inner = rest.split('}').next().unwrap_or("").trim();
        if let Some(name) = inner.strip_prefix('$')
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    names
}

/// One translated text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The text as the end user sees it (string literals resolved).
    pub text: String,
    /// Translated from an English text that has changed since.
    pub stale: bool,
}

/// One checked locale file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale {
    /// Its BCP 47 tag, as the file is named.
    pub tag: String,
    /// The file as the user named it.
    pub path: String,
    /// The tag of the nearest shipped ancestor, whose texts fill what this
    /// one leaves out; `None`: English.
    pub parent: Option<String>,
    /// By message ID.
    pub translations: HashMap<String, Translation>,
}

/// Every checked locale, sorted by tag (English, the spec's own, is not one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locales {
    pub locales: Vec<Locale>,
}

impl Locales {
    pub fn get(&self, tag: &str) -> Option<&Locale> {
        self.locales.iter().find(|l| l.tag == tag)
    }

    /// The text of `source` in `locale`: its own translation, else its
    /// ancestors', else English.
    pub fn text<'a>(&'a self, locale: &'a Locale, source: &'a SourceText) -> &'a str {
        let mut current = Some(locale);
        while let Some(l) = current {
            if let Some(t) = l.translations.get(&source.id) {
                return &t.text;
            }
            current = l.parent.as_deref().and_then(|tag| self.get(tag));
        }
        &source.text
    }
}

/// Locales that loaded, and the problems that did not stop them.
#[derive(Debug, Default)]
pub struct Loaded {
    pub locales: Locales,
    /// Stale translations, outside `--check`.
    pub warnings: Vec<Diagnostics>,
}

/// One locale file's text.
#[derive(Debug, Clone)]
pub struct LocaleSource {
    /// The file as the user named it.
    pub path: String,
    pub source: String,
}

impl LocaleSource {
    /// The tag its file name gives.
    fn tag(&self) -> &str {
        let name = self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path);
        name.strip_suffix(".ftl").unwrap_or(name)
    }
}

/// Reads every `<tag>.ftl` of `dir` (none if it does not exist) and checks
/// them against `spec`; `display_dir` names the folder in messages.
pub fn load(
    dir: &Path,
    display_dir: &str,
    spec: &Spec,
    check: bool,
) -> Result<Loaded, LocalesError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(err) => return Err(LocalesError::Io(format!("{display_dir}: {err}"))),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| LocalesError::Io(format!("{display_dir}: {err}")))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".ftl") || name == format!("{ENGLISH}.ftl") {
            continue;
        }
        let path = format!("{display_dir}/{name}");
        let source = std::fs::read_to_string(entry.path())
            .map_err(|err| LocalesError::Io(format!("{path}: {err}")))?;
        files.push(LocaleSource { path, source });
    }
    check_all(&files, spec, check).map_err(LocalesError::Invalid)
}

/// Why the locales could not be loaded.
#[derive(Debug)]
pub enum LocalesError {
    Io(String),
    /// One entry per file with problems.
    Invalid(Vec<Diagnostics>),
}

/// Checks locale files against `spec`. Stale translations are errors when
/// `check`, warnings otherwise. Never panics, whatever the input.
pub fn check_all(
    files: &[LocaleSource],
    spec: &Spec,
    check: bool,
) -> Result<Loaded, Vec<Diagnostics>> {
    let texts = source_texts(spec);
    let mut files: Vec<&LocaleSource> = files.iter().collect();
    files.sort_by(|a, b| a.tag().cmp(b.tag()));
    let tags: Vec<&str> = files.iter().map(|f| f.tag()).collect();
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    for file in files {
        let parent = ancestor(file.tag(), &tags);
        let mut checker = FileChecker {
            source: &file.source,
            errors: Vec::new(),
            stale: Vec::new(),
        };
        let translations = checker.check(file.tag(), &texts, parent.is_some());
        let diagnostics = |problems: Vec<Diagnostic>| Diagnostics {
            path: file.path.clone(),
            source: file.source.clone(),
            problems,
        };
        let mut problems = checker.errors;
        if check {
            problems.extend(checker.stale);
        } else if !checker.stale.is_empty() {
            loaded.warnings.push(diagnostics(
                checker.stale.into_iter().map(Diagnostic::warning).collect(),
            ));
        }
        if problems.is_empty() {
            loaded.locales.locales.push(Locale {
                tag: file.tag().to_owned(),
                path: file.path.clone(),
                parent: parent.filter(|p| *p != ENGLISH).map(str::to_owned),
                translations,
            });
        } else {
            problems.sort_by_key(|d| d.span.start);
            errors.push(diagnostics(problems));
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

/// The nearest ancestor of `tag` (cut at each `-`) that ships: English or
/// one of `tags`.
fn ancestor<'a>(tag: &str, tags: &[&'a str]) -> Option<&'a str> {
    let mut current = tag;
    while let Some(cut) = current.rfind('-') {
        current = &current[..cut];
        if current.eq_ignore_ascii_case(ENGLISH) {
            return Some(ENGLISH);
        }
        if let Some(found) = tags.iter().find(|t| **t == current) {
            return Some(found);
        }
    }
    None
}

/// Collects every problem of one file.
struct FileChecker<'a> {
    source: &'a str,
    errors: Vec<Diagnostic>,
    /// Stale translations: errors or warnings, as the caller decides.
    stale: Vec<Diagnostic>,
}

impl<'a> FileChecker<'a> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors.push(Diagnostic::at(self.source, span, message));
    }

    /// The byte range of `slice`, a part of the file's text.
    fn span(&self, slice: &str) -> Range<usize> {
        let start = (slice.as_ptr() as usize).wrapping_sub(self.source.as_ptr() as usize);
        if start <= self.source.len() {
            start..start + slice.len()
        } else {
            0..0
        }
    }

    fn check(
        &mut self,
        tag: &str,
        texts: &[SourceText],
        may_be_partial: bool,
    ) -> HashMap<String, Translation> {
        self.check_tag(tag);
        let by_id: HashMap<&str, &SourceText> = texts.iter().map(|t| (t.id.as_str(), t)).collect();
        let mut translations = HashMap::new();
        let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
        let resource = match fluent_syntax::parser::parse(self.source) {
            Ok(resource) => resource,
            Err((resource, errors)) => {
                for error in errors {
                    // An empty message is there, only empty: not missing too.
                    if let Some(id) = self.parse_error(&error) {
                        let known = by_id.get_key_value(id.as_str()).map(|(known, _)| *known);
                        seen.extend(known.map(|known| (known, error.pos.clone())));
                    }
                }
                resource
            }
        };
        for entry in &resource.body {
            match entry {
                ast::Entry::Message(message) => {
                    let id = message.id.name;
                    let id_span = self.span(id);
                    if let Some(first) = seen.insert(id, id_span.clone()) {
                        self.errors.push(
                            Diagnostic::at(
                                self.source,
                                id_span,
                                format!("message `{id}` is defined twice"),
                            )
                            .related(self.source, first, "first defined here"),
                        );
                        continue;
                    }
                    let Some(source) = by_id.get(id) else {
                        self.orphan(id, id_span, texts);
                        continue;
                    };
                    if let Some(translation) = self.message(message, source) {
                        translations.insert(id.to_owned(), translation);
                    }
                }
                ast::Entry::Term(term) => self.error(
                    self.span(term.id.name),
                    format!(
                        "term `-{}`: the generated tables hold plain texts, so write the words into each message",
                        term.id.name
                    ),
                ),
                _ => {}
            }
        }
        if !may_be_partial {
            // Where a missing message would be added: after the last line.
            let last = self.source.trim_end().len();
            let end = last..last;
            for text in texts {
                if !seen.contains_key(text.id.as_str()) {
                    self.errors.push(
                        Diagnostic::at(
                            self.source,
                            end.clone(),
                            format!("missing message `{}` (English: \"{}\")", text.id, text.text),
                        )
                        .help(format!(
                            "add it, translated:\n# source: {}\n{} = ...",
                            text.hash, text.id
                        )),
                    );
                }
            }
        }
        translations
    }

    fn check_tag(&mut self, tag: &str) {
        match tag.parse::<unic_langid::LanguageIdentifier>() {
            Ok(langid) if langid != tag => self.error(
                0..0,
                format!("the file name's tag `{tag}` is not in canonical BCP 47 form: name it `{langid}.ftl`"),
            ),
            Ok(_) => {}
            Err(err) => self.error(
                0..0,
                format!("the file name `{tag}` is not a BCP 47 language tag ({err})"),
            ),
        }
    }

    /// Reports a syntax error; the ID of an empty message.
    fn parse_error(&mut self, error: &ParserError) -> Option<String> {
        let (message, empty) = match &error.kind {
            ErrorKind::ExpectedMessageField { entry_id } => (
                format!("message `{entry_id}` is empty"),
                Some(entry_id.clone()),
            ),
            kind => (format!("invalid Fluent syntax: {kind}"), None),
        };
        self.error(error.pos.clone(), message);
        empty
    }

    fn orphan(&mut self, id: &str, span: Range<usize>, texts: &[SourceText]) {
        let mut diagnostic = Diagnostic::at(
            self.source,
            span,
            format!("orphan message `{id}`: the spec has no such user action, code or family"),
        );
        if let Some(close) = did_you_mean(id, texts.iter().map(|t| t.id.as_str())) {
            diagnostic = diagnostic.help(format!("did you mean `{close}`?"));
        }
        self.errors.push(diagnostic);
    }

    /// Checks one message against its English source; its text if it can be used.
    fn message(
        &mut self,
        message: &ast::Message<&'a str>,
        source: &SourceText,
    ) -> Option<Translation> {
        let id = message.id.name;
        let id_span = self.span(id);
        for attribute in &message.attributes {
            self.error(
                self.span(attribute.id.name),
                format!(
                    "attribute `.{}` of `{id}`: a message here is one plain text",
                    attribute.id.name
                ),
            );
        }
        let stale = self.source_comment(message, source);
        let Some(pattern) = &message.value else {
            self.error(id_span, format!("message `{id}` is empty"));
            return None;
        };
        let mut text = String::new();
        let mut placeholders = Vec::new();
        let mut usable = true;
        for element in &pattern.elements {
            match element {
                ast::PatternElement::TextElement { value } => text.push_str(value),
                ast::PatternElement::Placeable { expression } => {
                    match self.placeable(expression, id_span.clone()) {
                        Some(Placeable::Literal(literal)) => text.push_str(&literal),
                        Some(Placeable::Variable(name)) => {
                            text.push_str(&format!("{{ ${name} }}"));
                            placeholders.push(name.to_owned());
                        }
                        None => usable = false,
                    }
                }
            }
        }
        if usable && text.trim().is_empty() {
            self.error(id_span.clone(), format!("message `{id}` is empty"));
            usable = false;
        }
        if let Some((c, why)) = text
            .chars()
            .find_map(|c| Some((c, super::text::refused(c)?)))
        {
            self.error(
                id_span.clone(),
                format!("message `{id}` contains U+{:04X}, {why}", u32::from(c)),
            );
            usable = false;
        }
        placeholders.sort();
        let expected = source_placeholders(&source.text);
        if placeholders != expected {
            let list = |names: &[String]| {
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names
                        .iter()
                        .map(|n| format!("{{ ${n} }}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            self.error(
                id_span,
                format!(
                    "placeholders of `{id}` differ from the English: it has {}, the English has {}",
                    list(&placeholders),
                    list(&expected)
                ),
            );
            usable = false;
        }
        usable.then_some(Translation { text, stale })
    }

    /// Checks the `# source: HASH` comment; whether the translation is stale.
    fn source_comment(&mut self, message: &ast::Message<&'a str>, source: &SourceText) -> bool {
        let id = message.id.name;
        let line = message
            .comment
            .iter()
            .flat_map(|c| c.content.iter())
            .find_map(|line| line.trim().strip_prefix("source:"));
        let Some(hash) = line.map(str::trim) else {
            self.errors.push(
                Diagnostic::at(
                    self.source,
                    self.span(id),
                    format!("message `{id}` has no `# source: HASH` comment: which English text was it translated from?"),
                )
                .help(format!(
                    "once it translates \"{}\", put `# source: {}` right above it",
                    source.text, source.hash
                )),
            );
            return false;
        };
        let span = self.span(hash);
        if hash.len() != source.hash.len() || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            self.error(
                span,
                format!(
                    "`{hash}` is not a source hash ({} hex digits)",
                    source.hash.len()
                ),
            );
            return false;
        }
        if hash != source.hash {
            self.stale.push(
                Diagnostic::at(
                    self.source,
                    span,
                    format!("stale translation of `{id}`: its English source has changed"),
                )
                .help(format!(
                    "the English now reads \"{}\": update the translation, then write `# source: {}`",
                    source.text, source.hash
                )),
            );
            return true;
        }
        false
    }

    fn placeable(
        &mut self,
        expression: &ast::Expression<&'a str>,
        id_span: Range<usize>,
    ) -> Option<Placeable<'a>> {
        use ast::InlineExpression as Inline;
        let unsupported = |what: &str| {
            format!(
                "{what}: the generated tables hold plain texts (only `{{ $name }}` placeholders of the English and string literals)"
            )
        };
        match expression {
            ast::Expression::Inline(Inline::StringLiteral { value }) => Some(Placeable::Literal(
                fluent_syntax::unicode::unescape_unicode_to_string(value).into_owned(),
            )),
            ast::Expression::Inline(Inline::NumberLiteral { value }) => {
                Some(Placeable::Literal((*value).to_owned()))
            }
            ast::Expression::Inline(Inline::VariableReference { id }) => {
                Some(Placeable::Variable(id.name))
            }
            ast::Expression::Inline(Inline::Placeable { expression }) => {
                self.placeable(expression, id_span)
            }
            ast::Expression::Inline(Inline::MessageReference { id, .. }) => {
                self.error(self.span(id.name), unsupported("a message reference"));
                None
            }
            ast::Expression::Inline(Inline::TermReference { id, .. }) => {
                self.error(self.span(id.name), unsupported("a term reference"));
                None
            }
            ast::Expression::Inline(Inline::FunctionReference { id, .. }) => {
                self.error(self.span(id.name), unsupported("a function call"));
                None
            }
            ast::Expression::Select { .. } => {
                self.error(id_span, unsupported("a select expression"));
                None
            }
        }
    }
}

/// What a placeable contributes to a text.
enum Placeable<'a> {
    Literal(String),
    Variable(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_short_and_follow_the_text() {
        assert_eq!(source_hash("Renew your license.").len(), 16);
        assert_ne!(source_hash("a"), source_hash("b"));
    }

    #[test]
    fn finds_english_placeholders() {
        assert_eq!(
            source_placeholders("Hi { $name }, {$n} left {x}"),
            vec!["n".to_owned(), "name".to_owned()]
        );
    }

    #[test]
    fn ancestors_are_cut_at_each_subtag() {
        assert_eq!(ancestor("pt-BR", &["pt", "pt-BR"]), Some("pt"));
        assert_eq!(ancestor("pt-BR", &["pt-BR"]), None);
        assert_eq!(ancestor("en-GB", &["en-GB"]), Some(ENGLISH));
        assert_eq!(ancestor("sr-Latn-RS", &["sr", "sr-Latn-RS"]), Some("sr"));
    }
}
