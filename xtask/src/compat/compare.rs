//! The comparison of two checked specs: every rule of [`super::rules`] applied
//! to the old and the new spec, producing a [`Report`].

mod operations;

use std::collections::{HashMap, HashSet};

use semver::Version;

use super::report::{Acknowledged, Finding, Report, StaleAcknowledgement};
use super::rules::{Class, Rule};
use crate::spec::{ErrorEntry, RetryClass, Span, Spec};

/// Compares two checked specs. Deterministic: the same specs give the same report.
pub fn compare(old: &Spec, new: &Spec) -> Report {
    let mut cx = Compare {
        old,
        new,
        old_lines: Lines::new(old),
        new_lines: Lines::new(new),
        findings: Vec::new(),
    };
    cx.rate_limit();
    cx.user_actions();
    cx.retry_classes();
    cx.families();
    cx.envelopes();
    cx.errors();
    cx.operations();

    let major_bump = is_major_bump(&old.version, &new.version);
    let mut findings = cx.findings;
    let mut used = vec![false; new.acknowledgements.len()];
    for finding in &mut findings {
        if finding.class() != Class::Breaking {
            continue;
        }
        let ack = new
            .acknowledgements
            .iter()
            .position(|a| a.rule == finding.rule.id() && a.subject == finding.subject);
        if let Some(index) = ack {
            used[index] = true;
            let ack = &new.acknowledgements[index];
            finding.acknowledged = Some(Acknowledged::Entry {
                reason: ack.reason.clone(),
                location: new.location(ack.span.start),
            });
        } else if major_bump {
            finding.acknowledged = Some(Acknowledged::MajorBump);
        }
    }
    findings.sort_by(|a, b| {
        (a.class(), a.rule.id(), &a.subject, &a.location).cmp(&(
            b.class(),
            b.rule.id(),
            &b.subject,
            &b.location,
        ))
    });
    let stale = new
        .acknowledgements
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(ack, _)| StaleAcknowledgement {
            rule: ack.rule.clone(),
            subject: ack.subject.clone(),
            location: new.location(ack.span.start),
            unknown_rule: Rule::from_id(&ack.rule).is_none(),
        })
        .collect();
    Report {
        old_path: old.path.clone(),
        new_path: new.path.clone(),
        old_version: old.version.clone(),
        new_version: new.version.clone(),
        major_bump,
        findings,
        stale,
    }
}

/// A bump Cargo would call incompatible: the major version, or the minor one while at `0.x`.
pub fn is_major_bump(old: &Version, new: &Version) -> bool {
    new.major > old.major || (old.major == 0 && new.major == 0 && new.minor > old.minor)
}

/// How a client reacts to a retry class, from its data: whether it retries
/// at all (`max_attempts > 1`), re-authenticates, or raises a security alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Behavior {
    retries: bool,
    reauthenticate: bool,
    security_alert: bool,
}

impl Behavior {
    fn of(class: &RetryClass) -> Self {
        Behavior {
            retries: class.max_attempts > 1,
            reauthenticate: class.reauthenticate,
            security_alert: class.security_alert,
        }
    }

    fn describe(self) -> String {
        let mut parts = vec![if self.retries {
            "retries"
        } else {
            "never retries"
        }];
        if self.reauthenticate {
            parts.push("re-authenticates");
        }
        if self.security_alert {
            parts.push("raises a security alert");
        }
        parts.join(", ")
    }
}

/// Byte offset of `key = ...` inside `span` of `source`, or the span's start.
/// Works for standard tables (`key` at the start of a line) and inline tables.
fn key_offset(source: &str, span: &Span, key: &str) -> usize {
    let end = span.end.min(source.len());
    let Some(text) = source.get(span.start..end) else {
        return span.start;
    };
    let mut from = 0;
    while let Some(found) = text[from..].find(key) {
        let at = from + found;
        let before = text[..at].chars().next_back();
        let after = text[at + key.len()..].trim_start_matches([' ', '\t']);
        let starts_key = before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ',');
        if starts_key && after.starts_with('=') {
            return span.start + at;
        }
        from = at + key.len();
    }
    span.start
}

struct Compare<'a> {
    old: &'a Spec,
    new: &'a Spec,
    old_lines: Lines<'a>,
    new_lines: Lines<'a>,
    findings: Vec<Finding>,
}

/// `PATH:LINE:COL` of byte offsets, like [`Spec::location`] but with the line
/// starts computed once (a big spec with many findings stays linear).
struct Lines<'a> {
    spec: &'a Spec,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(spec: &'a Spec) -> Self {
        let starts = std::iter::once(0)
            .chain(spec.source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { spec, starts }
    }

    fn location(&self, offset: usize) -> String {
        let source = &self.spec.source;
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = source[start..offset].chars().count() + 1;
        format!("{}:{line}:{column}", self.spec.path)
    }
}

impl Compare<'_> {
    /// A finding located at `key` (or the start) of `span` in the new spec.
    fn at_new(
        &mut self,
        rule: Rule,
        subject: String,
        span: &Span,
        key: Option<&str>,
        message: String,
    ) {
        let offset = key.map_or(span.start, |k| key_offset(&self.new.source, span, k));
        self.findings.push(Finding {
            rule,
            subject,
            message,
            location: self.new_lines.location(offset),
            in_old_spec: false,
            acknowledged: None,
        });
    }

    /// A finding about something gone: located in the old spec.
    fn at_old(&mut self, rule: Rule, subject: String, span: &Span, message: String) {
        self.findings.push(Finding {
            rule,
            subject,
            message,
            location: self.old_lines.location(span.start),
            in_old_spec: true,
            acknowledged: None,
        });
    }

    fn text_change(
        &mut self,
        rule: Rule,
        subject: &str,
        span: &Span,
        key: &str,
        old: &str,
        new: &str,
    ) {
        if old != new {
            let message = format!("{key} changed from {old:?} to {new:?}");
            self.at_new(rule, subject.to_owned(), span, Some(key), message);
        }
    }

    fn rate_limit(&mut self) {
        let (old, new) = (&self.old.rate_limit, &self.new.rate_limit);
        let pairs = [
            (
                "burst_per_second",
                old.burst_per_second,
                new.burst_per_second,
                new.burst_span_start,
            ),
            (
                "sustained_per_second",
                old.sustained_per_second,
                new.sustained_per_second,
                new.sustained_span_start,
            ),
        ];
        for (key, before, after, start) in pairs {
            if before == after {
                continue;
            }
            let (rule, how) = if after < before {
                (
                    Rule::RateLimitTightened,
                    "lowered; clients pacing themselves by the old limit would be throttled",
                )
            } else {
                (Rule::RateLimitRelaxed, "raised")
            };
            self.at_new(
                rule,
                format!("rate_limit.{key}"),
                &(start..start),
                None,
                format!("{key} {before} -> {after} req/s: {how}"),
            );
        }
    }

    fn user_actions(&mut self) {
        for old in &self.old.user_actions {
            let subject = format!("user_action/{}", old.name);
            match self.new.user_action(&old.name) {
                None => self.at_old(
                    Rule::UserActionRemoved,
                    subject,
                    &old.span,
                    format!(
                        "user action `{}` was removed; the generated `UserAction` enum loses a variant",
                        old.name
                    ),
                ),
                Some(new) => {
                    let span = new.span.clone();
                    self.text_change(
                        Rule::UserActionChanged,
                        &format!("{subject}.label"),
                        &span,
                        "label",
                        &old.label,
                        &new.label,
                    );
                    let (before, after) = (old.link.as_deref(), new.link.as_deref());
                    if before != after {
                        self.at_new(
                            Rule::UserActionChanged,
                            format!("{subject}.link"),
                            &span,
                            Some("link"),
                            format!("link changed from {before:?} to {after:?}"),
                        );
                    }
                }
            }
        }
        for new in &self.new.user_actions {
            if self.old.user_action(&new.name).is_none() {
                self.at_new(
                    Rule::UserActionAdded,
                    format!("user_action/{}", new.name),
                    &new.span,
                    None,
                    format!("new user action `{}`", new.name),
                );
            }
        }
    }

    fn retry_classes(&mut self) {
        for old in &self.old.retry_classes {
            let subject = format!("retry_class/{}", old.name);
            let Some(new) = self.new.retry_class(&old.name) else {
                self.at_old(
                    Rule::RetryClassRemoved,
                    subject,
                    &old.span,
                    format!(
                        "retry class `{}` was removed; the generated `RetryClass` enum loses a variant",
                        old.name
                    ),
                );
                continue;
            };
            let span = new.span.clone();
            let (b_old, b_new) = (Behavior::of(old), Behavior::of(new));
            if b_old.retries != b_new.retries {
                let what = if b_new.retries {
                    "clients would now retry errors they treated as final"
                } else {
                    "clients would stop retrying errors they retried"
                };
                self.at_new(
                    Rule::RetryBehaviorChanged,
                    format!("{subject}.max_attempts"),
                    &span,
                    Some("max_attempts"),
                    format!(
                        "max_attempts {} -> {}: {what}",
                        old.max_attempts, new.max_attempts
                    ),
                );
            } else {
                self.policy_number(
                    &subject,
                    &span,
                    "max_attempts",
                    f64::from(old.max_attempts),
                    f64::from(new.max_attempts),
                    false,
                );
            }
            for (key, before, after) in [
                ("reauthenticate", old.reauthenticate, new.reauthenticate),
                ("security_alert", old.security_alert, new.security_alert),
            ] {
                if before != after {
                    self.at_new(
                        Rule::RetryBehaviorChanged,
                        format!("{subject}.{key}"),
                        &span,
                        Some(key),
                        format!("{key} {before} -> {after}: clients would react differently"),
                    );
                }
            }
            // Precision loss is irrelevant: delays are at most a day in ms.
            #[allow(clippy::cast_precision_loss)]
            let numbers = [
                (
                    "initial_delay_ms",
                    old.initial_delay_ms as f64,
                    new.initial_delay_ms as f64,
                ),
                ("multiplier", old.multiplier, new.multiplier),
                (
                    "max_delay_ms",
                    old.max_delay_ms as f64,
                    new.max_delay_ms as f64,
                ),
            ];
            for (key, before, after) in numbers {
                self.policy_number(&subject, &span, key, before, after, true);
            }
            if old.honor_retry_after != new.honor_retry_after {
                let (rule, what) = if new.honor_retry_after {
                    (
                        Rule::PolicyTightened,
                        "clients must now honour Retry-After; old clients ignore it",
                    )
                } else {
                    (Rule::PolicyRelaxed, "clients no longer need to honour it")
                };
                self.at_new(
                    rule,
                    format!("{subject}.honor_retry_after"),
                    &span,
                    Some("honor_retry_after"),
                    format!(
                        "honor_retry_after {} -> {}: {what}",
                        old.honor_retry_after, new.honor_retry_after
                    ),
                );
            }
            if old.jitter != new.jitter {
                self.at_new(
                    Rule::PolicyChanged,
                    format!("{subject}.jitter"),
                    &span,
                    Some("jitter"),
                    format!("jitter {} -> {}", old.jitter.as_str(), new.jitter.as_str()),
                );
            }
            self.text_change(
                Rule::DescriptionChanged,
                &format!("{subject}.description"),
                &span,
                "description",
                &old.description,
                &new.description,
            );
        }
        for new in &self.new.retry_classes {
            if self.old.retry_class(&new.name).is_none() {
                self.at_new(
                    Rule::RetryClassAdded,
                    format!("retry_class/{}", new.name),
                    &new.span,
                    None,
                    format!("new retry class `{}`", new.name),
                );
            }
        }
    }

    /// A retry-policy number: a rise is a tightening when `higher_is_tighter`
    /// (delays, multiplier), a fall otherwise (max_attempts).
    fn policy_number(
        &mut self,
        subject: &str,
        span: &Span,
        key: &str,
        before: f64,
        after: f64,
        higher_is_tighter: bool,
    ) {
        if before == after {
            return;
        }
        let tighter = (after > before) == higher_is_tighter;
        let (rule, how) = if tighter {
            (
                Rule::PolicyTightened,
                "tightened; installed clients keep retrying by the old number",
            )
        } else {
            (Rule::PolicyRelaxed, "relaxed")
        };
        self.at_new(
            rule,
            format!("{subject}.{key}"),
            span,
            Some(key),
            format!("{key} {before} -> {after}: {how}"),
        );
    }

    /// A change of retry class, of a code or of a family's fallback.
    fn retry_reference(&mut self, subject: String, span: &Span, key: &str, old: &str, new: &str) {
        if old == new {
            return;
        }
        let behavior = |spec: &Spec, name: &str| spec.retry_class(name).map(Behavior::of);
        let (before, after) = (behavior(self.old, old), behavior(self.new, new));
        match (before, after) {
            (Some(before), Some(after)) if before != after => self.at_new(
                Rule::RetryBehaviorChanged,
                subject,
                span,
                Some(key),
                format!(
                    "retry class `{old}` ({}) -> `{new}` ({})",
                    before.describe(),
                    after.describe()
                ),
            ),
            _ => self.at_new(
                Rule::RetryClassChanged,
                subject,
                span,
                Some(key),
                format!("retry class `{old}` -> `{new}` (same retry behaviour)"),
            ),
        }
    }

    fn families(&mut self) {
        for old in &self.old.families {
            let subject = format!("family/{}", old.name);
            let Some(new) = self.new.family(&old.name) else {
                let codes = self.old.errors_of(&old.name).count();
                self.at_old(
                    Rule::FamilyRemoved,
                    subject,
                    &old.span,
                    format!(
                        "family `{}` was removed with its {codes} code(s); retire its codes instead",
                        old.name
                    ),
                );
                continue;
            };
            let span = new.span.clone();
            if old.rust_name != new.rust_name {
                self.at_new(
                    Rule::RustNameChanged,
                    format!("{subject}.rust_name"),
                    &span,
                    Some("rust_name"),
                    format!(
                        "generated type renamed `{}` -> `{}`",
                        old.rust_name, new.rust_name
                    ),
                );
            }
            if old.unknown_http_status != new.unknown_http_status {
                self.at_new(
                    Rule::ApiStatusChanged,
                    format!("{subject}.unknown_http_status"),
                    &span,
                    Some("unknown_http_status"),
                    format!(
                        "HTTP status of unknown codes {} -> {}",
                        status(old.unknown_http_status),
                        status(new.unknown_http_status)
                    ),
                );
            }
            self.retry_reference(
                format!("{subject}.unknown_retry"),
                &span,
                "unknown_retry",
                &old.unknown_retry,
                &new.unknown_retry,
            );
            self.text_change(
                Rule::UserMessageChanged,
                &format!("{subject}.unknown_user_message"),
                &span,
                "unknown_user_message",
                &old.unknown_user_message,
                &new.unknown_user_message,
            );
            self.text_change(
                Rule::UserActionChanged,
                &format!("{subject}.unknown_user_action"),
                &span,
                "unknown_user_action",
                &old.unknown_user_action,
                &new.unknown_user_action,
            );
            self.text_change(
                Rule::DescriptionChanged,
                &format!("{subject}.description"),
                &span,
                "description",
                &old.description,
                &new.description,
            );
        }
        for new in &self.new.families {
            if self.old.family(&new.name).is_none() {
                let codes = self.new.errors_of(&new.name).count();
                self.at_new(
                    Rule::FamilyAdded,
                    format!("family/{}", new.name),
                    &new.span,
                    None,
                    format!("new family `{}` with {codes} code(s)", new.name),
                );
            }
        }
    }

    fn envelopes(&mut self) {
        for old in &self.old.envelopes {
            let subject = format!("envelope/{}", old.name);
            let Some(new) = self.new.envelopes.iter().find(|e| e.name == old.name) else {
                self.at_old(
                    Rule::EnvelopeRemoved,
                    subject,
                    &old.span,
                    format!("wire envelope `{}` was removed", old.name),
                );
                continue;
            };
            let span = new.span.clone();
            if old.rust_name != new.rust_name {
                self.at_new(
                    Rule::RustNameChanged,
                    format!("{subject}.rust_name"),
                    &span,
                    Some("rust_name"),
                    format!(
                        "generated type renamed `{}` -> `{}`",
                        old.rust_name, new.rust_name
                    ),
                );
            }
            let mut before = old.families.clone();
            let mut after = new.families.clone();
            before.sort();
            after.sort();
            if before != after {
                self.at_new(
                    Rule::EnvelopeFamiliesChanged,
                    format!("{subject}.families"),
                    &span,
                    Some("families"),
                    format!(
                        "families [{}] -> [{}]: the type of its code field changes",
                        before.join(", "),
                        after.join(", ")
                    ),
                );
            }
            for field in &old.fields {
                let field_subject = format!("{subject}.{}", field.name);
                let Some(now) = new.fields.iter().find(|f| f.name == field.name) else {
                    self.at_old(
                        Rule::EnvelopeFieldRemoved,
                        field_subject,
                        &field.span,
                        format!(
                            "field `{}` was removed from the wire envelope `{}`",
                            field.name, old.name
                        ),
                    );
                    continue;
                };
                let field_span = now.span.clone();
                if field.ty != now.ty {
                    self.at_new(
                        Rule::EnvelopeFieldRetyped,
                        field_subject.clone(),
                        &field_span,
                        Some("type"),
                        format!(
                            "field `{}` changed type {} -> {}",
                            field.name,
                            field.ty.as_str(),
                            now.ty.as_str()
                        ),
                    );
                }
                match (field.required, now.required) {
                    (true, false) => self.at_new(
                        Rule::EnvelopeFieldOptional,
                        field_subject.clone(),
                        &field_span,
                        Some("required"),
                        format!(
                            "field `{}` is no longer required: a newer server may omit what old clients require",
                            field.name
                        ),
                    ),
                    (false, true) => self.at_new(
                        Rule::EnvelopeFieldRequired,
                        field_subject.clone(),
                        &field_span,
                        Some("required"),
                        format!(
                            "field `{}` is now required: its generated type changes from Option<T> to T",
                            field.name
                        ),
                    ),
                    _ => {}
                }
                self.text_change(
                    Rule::DescriptionChanged,
                    &field_subject,
                    &field_span,
                    "description",
                    &field.description,
                    &now.description,
                );
            }
            for field in &new.fields {
                if old.fields.iter().any(|f| f.name == field.name) {
                    continue;
                }
                let field_subject = format!("{subject}.{}", field.name);
                if field.required {
                    self.at_new(
                        Rule::EnvelopeRequiredFieldAdded,
                        field_subject,
                        &field.span,
                        None,
                        format!(
                            "new required field `{}`: the generated struct gains a field every builder must set",
                            field.name
                        ),
                    );
                } else {
                    self.at_new(
                        Rule::EnvelopeFieldAdded,
                        field_subject,
                        &field.span,
                        None,
                        format!("new optional field `{}`", field.name),
                    );
                }
            }
            self.text_change(
                Rule::DescriptionChanged,
                &format!("{subject}.description"),
                &span,
                "description",
                &old.description,
                &new.description,
            );
        }
        for new in &self.new.envelopes {
            if !self.old.envelopes.iter().any(|e| e.name == new.name) {
                self.at_new(
                    Rule::EnvelopeAdded,
                    format!("envelope/{}", new.name),
                    &new.span,
                    None,
                    format!("new wire envelope `{}`", new.name),
                );
            }
        }
    }

    fn errors(&mut self) {
        let key = |e: &ErrorEntry| (e.family.clone(), e.code.clone());
        let old_keys: HashSet<(String, String)> = self.old.errors.iter().map(key).collect();
        let new_keys: HashSet<(String, String)> = self.new.errors.iter().map(key).collect();

        // Codes of a removed family are covered by `family-removed`.
        let deleted: Vec<&ErrorEntry> = self
            .old
            .errors
            .iter()
            .filter(|e| !new_keys.contains(&key(e)) && self.new.family(&e.family).is_some())
            .collect();
        let mut added: Vec<Option<&ErrorEntry>> = self
            .new
            .errors
            .iter()
            .filter(|e| !old_keys.contains(&key(e)))
            .map(Some)
            .collect();

        for gone in deleted {
            let subject = format!("{}/{}", gone.family, gone.code);
            let moved = added
                .iter_mut()
                .find(|slot| slot.is_some_and(|e| e.code == gone.code));
            if let Some(slot) = moved {
                let Some(to) = slot.take() else { continue };
                self.at_new(
                    Rule::CodeMoved,
                    subject,
                    &to.code_span,
                    None,
                    format!(
                        "`{}` moved from family `{}` to `{}`: clients of `{}` no longer know it",
                        gone.code, gone.family, to.family, gone.family
                    ),
                );
            } else {
                self.at_old(
                    Rule::CodeDeleted,
                    subject,
                    &gone.code_span,
                    format!(
                        "`{}` was deleted from family `{}`; a code is never deleted: keep it with `retired = \"VERSION\"`",
                        gone.code, gone.family
                    ),
                );
            }
        }
        for new in added.into_iter().flatten() {
            // Codes of a new family are covered by `family-added`.
            if self.old.family(&new.family).is_none() {
                continue;
            }
            let retired = if new.retired.is_some() {
                " (already retired)"
            } else {
                ""
            };
            self.at_new(
                Rule::CodeAdded,
                format!("{}/{}", new.family, new.code),
                &new.code_span,
                None,
                format!("new code `{}` since {}{retired}", new.code, new.since),
            );
        }

        let by_key: HashMap<(&str, &str), &ErrorEntry> = self
            .new
            .errors
            .iter()
            .map(|e| ((e.family.as_str(), e.code.as_str()), e))
            .collect();
        for old in &self.old.errors {
            if let Some(new) = by_key.get(&(old.family.as_str(), old.code.as_str())) {
                self.error_pair(old, new);
            }
        }
    }

    /// A code retired in favour of one the old spec does not have: a client built
    /// against the old spec receives the replacement as an unknown code, with its
    /// family's fallback retry class instead of the one the retired code had.
    fn replacement(&mut self, old: &ErrorEntry, new: &ErrorEntry) {
        let Some(by) = &new.replaced_by else {
            return;
        };
        let known = self
            .old
            .errors
            .iter()
            .any(|e| e.family == new.family && &e.code == by);
        if known {
            return;
        }
        let fallback = self
            .old
            .families
            .iter()
            .find(|f| f.name == old.family)
            .map_or("", |f| f.unknown_retry.as_str());
        self.at_new(
            Rule::CodeReplaced,
            format!("{}/{}", new.family, new.code),
            &new.span,
            Some("replaced_by"),
            format!(
                "`{}` is replaced by `{by}`, which clients of the old spec do not know: they treat it as an unknown `{}` code (retry `{fallback}`), not as `{}` (retry `{}`)",
                old.code, old.family, old.code, old.retry
            ),
        );
    }

    fn error_pair(&mut self, old: &ErrorEntry, new: &ErrorEntry) {
        let subject = format!("{}/{}", new.family, new.code);
        let span = new.span.clone();
        match (&old.retired, &new.retired) {
            (Some(retired), None) if old.since == new.since => self.at_new(
                Rule::CodeUnretired,
                subject.clone(),
                &span,
                Some("since"),
                format!(
                    "`{}` was retired in {retired} and is back: clients that dropped it break",
                    new.code
                ),
            ),
            (Some(retired), None) => self.at_new(
                Rule::CodeReused,
                subject.clone(),
                &span,
                Some("since"),
                format!(
                    "`{}` was retired in {retired} and is reused as a new code since {}; a code is never reused",
                    new.code, new.since
                ),
            ),
            (None, Some(retired)) => {
                let by = new
                    .replaced_by
                    .as_ref()
                    .map(|r| format!(", replaced by `{r}`"))
                    .unwrap_or_default();
                self.at_new(
                    Rule::CodeRetired,
                    subject.clone(),
                    &span,
                    Some("retired"),
                    format!("`{}` retired in {retired}{by}", new.code),
                );
                self.replacement(old, new);
            }
            (Some(before), Some(after)) => {
                if before != after || old.replaced_by != new.replaced_by {
                    self.at_new(
                        Rule::HistoryChanged,
                        subject.clone(),
                        &span,
                        Some("retired"),
                        format!(
                            "retired {before} -> {after}, replaced_by {:?} -> {:?}",
                            old.replaced_by, new.replaced_by
                        ),
                    );
                }
            }
            (None, None) => {}
        }
        let reused = old.retired.is_some() && new.retired.is_none() && old.since != new.since;
        if old.since != new.since && !reused {
            self.at_new(
                Rule::HistoryChanged,
                subject.clone(),
                &span,
                Some("since"),
                format!(
                    "since {} -> {}: the changelog of published releases changes",
                    old.since, new.since
                ),
            );
        }
        if old.http_status != new.http_status {
            self.at_new(
                Rule::ApiStatusChanged,
                subject.clone(),
                &span,
                Some("http_status"),
                format!(
                    "HTTP status {} -> {}",
                    status(old.http_status),
                    status(new.http_status)
                ),
            );
        }
        self.retry_reference(subject.clone(), &span, "retry", &old.retry, &new.retry);
        self.text_change(
            Rule::DescriptionChanged,
            &subject,
            &span,
            "description",
            &old.description,
            &new.description,
        );
        self.text_change(
            Rule::UserMessageChanged,
            &subject,
            &span,
            "user_message",
            &old.user_message,
            &new.user_message,
        );
        self.text_change(
            Rule::UserActionChanged,
            &subject,
            &span,
            "user_action",
            &old.user_action,
            &new.user_action,
        );
        if old.user_facing != new.user_facing {
            self.at_new(
                Rule::UserFacingChanged,
                subject,
                &span,
                Some("user_facing"),
                format!("user_facing {} -> {}", old.user_facing, new.user_facing),
            );
        }
    }
}

fn status(status: Option<u16>) -> String {
    status.map_or_else(|| "none".to_owned(), |s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_spec_location() {
        let source = crate::synthetic::synthetic_spec(8).replace("Synthetic", "Synthétique");
        let spec = Spec::parse("s.toml", &source).expect("valid");
        let lines = Lines::new(&spec);
        for offset in (0..source.len() + 3).step_by(7) {
            assert_eq!(lines.location(offset), spec.location(offset), "{offset}");
        }
    }

    #[test]
    fn key_offset_finds_keys_of_tables_and_inline_tables() {
        let source = "[t]\nmax = 1\nmax_attempts = 2\nx = { type = \"a\", required = true }\n";
        let span = 0..source.len();
        assert_eq!(key_offset(source, &span, "max_attempts"), 12);
        assert_eq!(
            key_offset(source, &span, "required"),
            source.find("required").unwrap()
        );
        assert_eq!(key_offset(source, &span, "missing"), 0);
    }
}
