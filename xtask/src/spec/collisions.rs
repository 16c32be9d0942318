//! The generated names as a set: after every transformation the generator
//! applies ([`names`]), no two spec entries may end up as the same Rust
//! name, none may take a name the generated module already uses, and none
//! may be a keyword that cannot be escaped. Checking each source name alone
//! misses `a1` and `a_1`, which are both the variant `A1`.

use std::collections::HashMap;

use super::operations::has_operation_enums;
use super::{
    Checker, Envelope, ErrorEntry, Family, Operation, RetryClass, Span, UserAction, names,
};

/// The first entry that produced a name: where it is and how to call it.
struct Claim {
    span: Span,
    who: String,
}

/// Generated names of one namespace, with the entry that claimed each first.
#[derive(Default)]
struct Namespace {
    claims: HashMap<String, Claim>,
}

impl Checker<'_> {
    pub(super) fn check_generated_names(
        &mut self,
        user_actions: &[UserAction],
        retry_classes: &[RetryClass],
        families: &[Family],
        envelopes: &[Envelope],
        errors: &[ErrorEntry],
        operations: &[Operation],
    ) {
        self.variants(
            user_actions
                .iter()
                .map(|a| (format!("user action `{}`", a.name), &a.name, &a.name_span)),
            None,
        );
        self.variants(
            retry_classes
                .iter()
                .map(|c| (format!("retry class `{}`", c.name), &c.name, &c.name_span)),
            None,
        );
        self.variants(
            families
                .iter()
                .map(|f| (format!("family `{}`", f.name), &f.name, &f.name_span)),
            None,
        );
        for family in families {
            self.variants(
                errors
                    .iter()
                    .filter(|e| e.family == family.name)
                    .map(|e| (format!("code `{}`", e.code), &e.code, &e.code_span)),
                Some((
                    names::UNKNOWN_VARIANT,
                    "the catch-all variant for codes this version does not know",
                )),
            );
        }

        let mut types = Namespace::default();
        let rust_names = families
            .iter()
            .map(|f| ("family", &f.name, &f.rust_name, &f.rust_name_span))
            .chain(
                envelopes
                    .iter()
                    .map(|e| ("envelope", &e.name, &e.rust_name, &e.rust_name_span)),
            );
        for (kind, name, rust_name, span) in rust_names {
            self.claim_type(
                &mut types,
                rust_name,
                span,
                format!("the rust_name of {kind} `{name}`"),
            );
        }
        for envelope in envelopes.iter().filter(|e| e.families.len() > 1) {
            for family in &envelope.families {
                self.claim_type(
                    &mut types,
                    &names::alias(family, &envelope.rust_name),
                    &envelope.rust_name_span,
                    format!(
                        "the alias of envelope `{}` for family `{family}`",
                        envelope.name
                    ),
                );
            }
        }

        for family in families
            .iter()
            .filter(|f| has_operation_enums(operations, &f.name))
        {
            self.claim_type(
                &mut types,
                &names::defaults_enum(&family.rust_name),
                &family.rust_name_span,
                format!("the defaults enum of family `{}`", family.name),
            );
        }
        // A name used twice is reported as such by the operations check.
        let mut named = std::collections::HashSet::new();
        for op in operations
            .iter()
            .filter(|op| has_operation_enums(operations, &op.family))
            .filter(|op| named.insert(op.name.as_str()))
        {
            self.claim_type(
                &mut types,
                &names::operation_enum(&op.name),
                &op.name_span,
                format!("the error enum of operation `{}`", op.name),
            );
        }

        for envelope in envelopes {
            self.fields(envelope);
        }
    }

    /// The variants of one enum: `entries` are (description, spec name, span).
    fn variants<'e>(
        &mut self,
        entries: impl Iterator<Item = (String, &'e String, &'e Span)>,
        reserved: Option<(&str, &str)>,
    ) {
        let mut seen: HashMap<String, (&'e str, Claim)> = HashMap::new();
        for (who, name, span) in entries {
            let variant = names::variant(name);
            if names::is_keyword(&variant) {
                self.error(
                    span.clone(),
                    format!(
                        "{who} becomes the variant `{variant}`, a Rust keyword that cannot be an identifier (not even as r#{variant}): rename it"
                    ),
                );
                continue;
            }
            if let Some((taken, why)) = reserved.filter(|(taken, _)| *taken == variant) {
                self.error(
                    span.clone(),
                    format!("{who} becomes the variant `{taken}`, which is reserved for {why}"),
                );
                continue;
            }
            match seen.get(&variant) {
                // The same spec name twice is reported by its own check.
                Some((first, _)) if first == name => {}
                Some((_, first)) => {
                    let diagnostic =
                        self.collision(span, &who, &format!("variant `{variant}`"), first);
                    self.report(diagnostic);
                }
                None => {
                    seen.insert(
                        variant,
                        (
                            name.as_str(),
                            Claim {
                                span: span.clone(),
                                who,
                            },
                        ),
                    );
                }
            }
        }
    }

    /// A type name at the module level (and at the crate root, which
    /// re-exports the generated module).
    fn claim_type(&mut self, types: &mut Namespace, name: &str, span: &Span, who: String) {
        if let Some(why) = names::reserved_type(name) {
            self.error(
                span.clone(),
                format!(
                    "{who} is `{name}`, a name the generated module already uses ({why}): choose another"
                ),
            );
            return;
        }
        match types.claims.get(name) {
            Some(first) => {
                let diagnostic = self.collision(span, &who, &format!("type `{name}`"), first);
                self.report(diagnostic);
            }
            None => {
                types.claims.insert(
                    name.to_owned(),
                    Claim {
                        span: span.clone(),
                        who,
                    },
                );
            }
        }
    }

    /// The struct fields of one envelope.
    fn fields(&mut self, envelope: &Envelope) {
        let mut seen: HashMap<String, (&str, Claim)> = HashMap::new();
        for field in &envelope.fields {
            let who = format!("field `{}` of envelope `{}`", field.name, envelope.name);
            if names::field_is_reserved(&field.name) {
                self.error(
                    field.name_span.clone(),
                    format!(
                        "{who} becomes the struct field `{}`, a keyword that cannot be escaped as a raw identifier: rename it",
                        heck::ToSnakeCase::to_snake_case(field.name.as_str())
                    ),
                );
                continue;
            }
            let rust = names::field(&field.name);
            match seen.get(&rust) {
                Some((first, _)) if *first == field.name => {}
                Some((_, first)) => {
                    let diagnostic = self.collision(
                        &field.name_span,
                        &who,
                        &format!("struct field `{rust}`"),
                        first,
                    );
                    self.report(diagnostic);
                }
                None => {
                    seen.insert(
                        rust,
                        (
                            field.name.as_str(),
                            Claim {
                                span: field.name_span.clone(),
                                who,
                            },
                        ),
                    );
                }
            }
        }
    }

    /// "`who` becomes `what`, as `first` does", naming both places.
    fn collision(
        &self,
        span: &Span,
        who: &str,
        what: &str,
        first: &Claim,
    ) -> crate::diagnostic::Diagnostic {
        let (line, _, _) = crate::diagnostic::locate(self.source, first.span.start);
        crate::diagnostic::Diagnostic::at(
            self.source,
            span.clone(),
            format!(
                "{who} becomes the {what}, as {} on line {line} does: rename one of them",
                first.who
            ),
        )
        .related(
            self.source,
            first.span.clone(),
            format!("{} becomes the {what} here", first.who),
        )
    }
}
