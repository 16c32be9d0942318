//! What `spec-compat` found: each change with its class, rule and place, the
//! acknowledgements that cover them, and the rendered report.

use std::fmt::Write as _;

use semver::Version;

use super::rules::{Class, Rule};

/// One reported change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// What changed, for example `validate/invalid_key`,
    /// `retry_class/transient.max_attempts` or `envelope/auth_failure.details`.
    pub subject: String,
    pub message: String,
    /// `PATH:LINE:COL` in the new spec, or in the old one when `in_old_spec`.
    pub location: String,
    /// The place is in the old spec (the thing is gone from the new one).
    pub in_old_spec: bool,
    /// How a breaking change is acknowledged, if it is.
    pub acknowledged: Option<Acknowledged>,
}

impl Finding {
    pub fn class(&self) -> Class {
        self.rule.class()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledged {
    /// By an `[[acknowledge]]` entry: its reason and place.
    Entry { reason: String, location: String },
    /// By a major version bump of `[spec] version`.
    MajorBump,
}

/// An `[[acknowledge]]` entry that matches no breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleAcknowledgement {
    pub rule: String,
    pub subject: String,
    pub location: String,
    pub unknown_rule: bool,
}

/// Everything `spec-compat` found between two specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub old_path: String,
    pub new_path: String,
    pub old_version: Version,
    pub new_version: Version,
    /// The new version is a major bump of the old one (acknowledges every breaking change).
    pub major_bump: bool,
    /// Breaking first, then by rule id, subject and place.
    pub findings: Vec<Finding>,
    pub stale: Vec<StaleAcknowledgement>,
}

impl Report {
    pub fn breaking(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.class() == Class::Breaking)
    }

    pub fn unacknowledged(&self) -> impl Iterator<Item = &Finding> {
        self.breaking().filter(|f| f.acknowledged.is_none())
    }

    /// No unacknowledged breaking change.
    pub fn passed(&self) -> bool {
        self.unacknowledged().next().is_none()
    }

    /// The report as the CLI prints it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "spec-compat: {} ({}) -> {} ({})",
            self.old_path, self.old_version, self.new_path, self.new_version
        );
        if self.findings.is_empty() {
            let _ = writeln!(out, "\nno changes to the error contract");
        }
        for class in [Class::Breaking, Class::Compatible] {
            let mut findings = self.findings.iter().filter(|f| f.class() == class);
            let Some(first) = findings.next() else {
                continue;
            };
            let _ = writeln!(out, "\n{class} changes:");
            for finding in std::iter::once(first).chain(findings) {
                let marker = if finding.in_old_spec {
                    " (old spec)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "  {}{marker}: {class} [{}] {}: {}",
                    finding.location, finding.rule, finding.subject, finding.message
                );
                match &finding.acknowledged {
                    Some(Acknowledged::Entry { reason, location }) => {
                        let _ = writeln!(out, "      acknowledged at {location}: {reason}");
                    }
                    Some(Acknowledged::MajorBump) => {
                        let _ = writeln!(
                            out,
                            "      acknowledged by the major version bump {} -> {}",
                            self.old_version, self.new_version
                        );
                    }
                    None => {}
                }
            }
        }
        if !self.stale.is_empty() {
            let _ = writeln!(out, "\nwarnings:");
            for stale in &self.stale {
                let why = if stale.unknown_rule {
                    "names no known rule"
                } else {
                    "matches no breaking change"
                };
                let _ = writeln!(
                    out,
                    "  {}: warning: [[acknowledge]] rule = \"{}\", subject = \"{}\" {why}; remove it",
                    stale.location, stale.rule, stale.subject
                );
            }
        }
        let breaking = self.breaking().count();
        let compatible = self.findings.len() - breaking;
        let open: Vec<&Finding> = self.unacknowledged().collect();
        let _ = writeln!(
            out,
            "\nresult: {breaking} breaking ({} acknowledged), {compatible} compatible, {} warning(s): {}",
            breaking - open.len(),
            self.stale.len(),
            if open.is_empty() { "ok" } else { "FAILED" }
        );
        if !open.is_empty() {
            let _ = writeln!(
                out,
                "\nEach breaking change above can break an SDK already installed on users' machines.\n\
                 If it is intended, acknowledge it in {} with a reason:\n",
                self.new_path
            );
            for finding in &open {
                let _ = writeln!(
                    out,
                    "[[acknowledge]]\nrule = \"{}\"\nsubject = \"{}\"\nreason = \"...\"\n",
                    finding.rule, finding.subject
                );
            }
            let next = Version::new(self.old_version.major + 1, 0, 0);
            let _ = writeln!(
                out,
                "or acknowledge them all with a major version bump: `[spec] version = \"{next}\"` and a \
                 new [[release]] (see docs/spec-compat.md)."
            );
        }
        out
    }
}
