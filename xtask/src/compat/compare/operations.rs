//! The rules on `[[operation]]`s. An operation is known by its method and
//! path shape (parameter names do not reach the wire). One that is gone is
//! breaking: `operation-path-changed` when a new operation of the same name
//! (or, failing that, summary) took its place, `operation-removed` otherwise.
//! A new name for the same route is breaking too (`operation-renamed`): the
//! name is a Rust type and an OpenAPI operationId. A code an operation
//! can answer now, or no longer, is compatible: clients keep codes they do
//! not know, and handle the ones they do wherever they come from.

use crate::compat::rules::Rule;
use crate::spec::{Operation, Spec};

use super::Compare;

impl Compare<'_> {
    pub(super) fn operations(&mut self) {
        let find = |ops: &'_ [Operation], op: &Operation| {
            let key = op.key();
            ops.iter().position(|other| other.key() == key)
        };
        let (old_ops, new_ops) = (&self.old.operations, &self.new.operations);
        let mut added: Vec<Option<&Operation>> = new_ops
            .iter()
            .filter(|op| find(old_ops, op).is_none())
            .map(Some)
            .collect();
        for old in old_ops {
            let subject = format!("operation/{}", old.route());
            if let Some(index) = find(new_ops, old) {
                let new = &new_ops[index];
                // A baseline from before names has derived ones: nothing was renamed.
                if old.named && new.name != old.name {
                    self.at_new(
                        Rule::OperationRenamed,
                        subject.clone(),
                        &new.name_span,
                        None,
                        format!(
                            "`{}` is now named `{}` (was `{}`): its error enum and operationId change",
                            new.route(),
                            new.name,
                            old.name
                        ),
                    );
                }
                self.operation_codes(old, new);
                continue;
            }
            let successor = added
                .iter()
                .position(|slot| slot.is_some_and(|new| old.named && new.name == old.name))
                .or_else(|| {
                    added
                        .iter()
                        .position(|slot| slot.is_some_and(|new| new.summary == old.summary))
                })
                .and_then(|index| added[index].take());
            match successor {
                Some(new) => self.at_new(
                    Rule::OperationPathChanged,
                    subject,
                    &new.path_span,
                    None,
                    format!(
                        "`{}` is now `{}`: clients calling the old route get `not_found`",
                        old.route(),
                        new.route()
                    ),
                ),
                None => self.at_old(
                    Rule::OperationRemoved,
                    subject,
                    &old.span,
                    format!(
                        "`{}` was removed: clients calling it get `not_found`",
                        old.route()
                    ),
                ),
            }
        }
        for new in added.into_iter().flatten() {
            self.at_new(
                Rule::OperationAdded,
                format!("operation/{}", new.route()),
                &new.span,
                None,
                format!("new operation `{}`", new.route()),
            );
        }
    }

    /// The codes `old` and `new` (the same route) can answer, as `family/code`.
    fn operation_codes(&mut self, old: &Operation, new: &Operation) {
        let (before, after) = (codes(self.old, old), codes(self.new, new));
        let subject = |code: &str| format!("operation/{}:{code}", new.route());
        for code in after.iter().filter(|c| !before.contains(c)) {
            self.at_new(
                Rule::OperationCodeAdded,
                subject(code),
                &new.span,
                Some(if code.starts_with(&format!("{}/", new.family)) {
                    "errors"
                } else {
                    "client_errors"
                }),
                format!(
                    "`{}` can now answer `{code}`: clients keep it, and should learn to handle it",
                    new.route()
                ),
            );
        }
        for code in before.iter().filter(|c| !after.contains(c)) {
            self.at_new(
                Rule::OperationCodeRemoved,
                subject(code),
                &new.span,
                None,
                format!("`{}` no longer answers `{code}`", new.route()),
            );
        }
    }
}

/// Every code `op` can answer, as `family/code`, its own family's first.
fn codes(spec: &Spec, op: &Operation) -> Vec<String> {
    let sdk_family = |code: &String| {
        spec.families
            .iter()
            .filter(|f| f.sdk_detected)
            .find(|f| spec.errors_of(&f.name).any(|e| &e.code == code))
            .map_or("", |f| f.name.as_str())
    };
    op.errors
        .iter()
        .map(|code| format!("{}/{code}", op.family))
        .chain(
            op.client_errors
                .iter()
                .map(|code| format!("{}/{code}", sdk_family(code))),
        )
        .collect()
}
