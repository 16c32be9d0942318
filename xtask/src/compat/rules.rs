//! The rules of `spec-compat`: every kind of change it reports, with a stable
//! id (used in reports and in `[[acknowledge]]` entries) and its class.

use std::fmt;

/// Whether a change can break a client that was built against the old spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Fails the check unless acknowledged.
    Breaking,
    /// Reported, never fails the check.
    Compatible,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Compatible => "compatible",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! rules {
    ($( $(#[doc = $doc:literal])* $variant:ident = $id:literal, $class:ident; )*) => {
        /// One kind of change. The id is stable: it is what `[[acknowledge]] rule` names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, breaking ones first.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            /// The stable id, for example `code-deleted`.
            pub const fn id(self) -> &'static str {
                match self { $( Rule::$variant => $id, )* }
            }

            pub const fn class(self) -> Class {
                match self { $( Rule::$variant => Class::$class, )* }
            }

            /// The rule with this id.
            pub fn from_id(id: &str) -> Option<Rule> {
                match id { $( $id => Some(Rule::$variant), )* _ => None }
            }
        }
    };
}

rules! {
    /// A code of a family disappeared instead of being retired.
    CodeDeleted = "code-deleted", Breaking;
    /// A whole family disappeared (with every code in it).
    FamilyRemoved = "family-removed", Breaking;
    /// A code disappeared from one family and appeared in another.
    CodeMoved = "code-moved", Breaking;
    /// A retired code is no longer retired, with its original `since`.
    CodeUnretired = "code-unretired", Breaking;
    /// A retired code came back as a new code (a different `since`).
    CodeReused = "code-reused", Breaking;
    /// The HTTP status of an api code (or a family's status for unknown codes) changed.
    ApiStatusChanged = "api-status-changed", Breaking;
    /// Clients would now retry where they did not, stop retrying, re-authenticate
    /// or raise a security alert differently.
    RetryBehaviorChanged = "retry-behavior-changed", Breaking;
    /// A retry-policy number tightened: fewer attempts, longer delays, a steeper
    /// multiplier, or Retry-After now to be honoured.
    PolicyTightened = "policy-tightened", Breaking;
    /// A rate limit was lowered.
    RateLimitTightened = "rate-limit-tightened", Breaking;
    /// A retry class disappeared.
    RetryClassRemoved = "retry-class-removed", Breaking;
    /// A user action disappeared.
    UserActionRemoved = "user-action-removed", Breaking;
    /// A wire envelope disappeared.
    EnvelopeRemoved = "envelope-removed", Breaking;
    /// A field of a wire envelope disappeared.
    EnvelopeFieldRemoved = "envelope-field-removed", Breaking;
    /// A field of a wire envelope changed its type.
    EnvelopeFieldRetyped = "envelope-field-retyped", Breaking;
    /// A required field became optional: a newer server may omit what old clients require.
    EnvelopeFieldOptional = "envelope-field-optional", Breaking;
    /// An optional field became required: its generated type changes from `Option<T>` to `T`.
    EnvelopeFieldRequired = "envelope-field-required", Breaking;
    /// A new field that is required.
    EnvelopeRequiredFieldAdded = "envelope-required-field-added", Breaking;
    /// The families an envelope carries changed (the type of its code field changes).
    EnvelopeFamiliesChanged = "envelope-families-changed", Breaking;
    /// A generated Rust type was renamed.
    RustNameChanged = "rust-name-changed", Breaking;
    /// An HTTP operation disappeared: clients calling it get `not_found`.
    OperationRemoved = "operation-removed", Breaking;
    /// The method or path of an HTTP operation changed (same summary): clients call the old one.
    OperationPathChanged = "operation-path-changed", Breaking;
    /// A code was retired in favour of a new one: clients of the old spec receive an unknown code.
    CodeReplaced = "code-replaced", Breaking;
    /// An HTTP operation's name changed: its Rust error enum and OpenAPI operationId are renamed.
    OperationRenamed = "operation-renamed", Breaking;

    /// A new code.
    CodeAdded = "code-added", Compatible;
    /// A code was retired (it stays in the spec).
    CodeRetired = "code-retired", Compatible;
    /// A new family.
    FamilyAdded = "family-added", Compatible;
    /// The `since`, `retired` or `replaced_by` marker of a code was rewritten.
    HistoryChanged = "history-changed", Compatible;
    /// A developer-facing description changed.
    DescriptionChanged = "description-changed", Compatible;
    /// An end-user message changed.
    UserMessageChanged = "user-message-changed", Compatible;
    /// The user action of a code changed, or the label or link of an action.
    UserActionChanged = "user-action-changed", Compatible;
    /// Whether a code's reason may be shown to end users changed.
    UserFacingChanged = "user-facing-changed", Compatible;
    /// A code moved to another retry class that retries the same way.
    RetryClassChanged = "retry-class-changed", Compatible;
    /// A retry-policy number relaxed: more attempts, shorter delays, a flatter
    /// multiplier, or Retry-After no longer required.
    PolicyRelaxed = "policy-relaxed", Compatible;
    /// A retry policy's jitter changed.
    PolicyChanged = "policy-changed", Compatible;
    /// A rate limit was raised.
    RateLimitRelaxed = "rate-limit-relaxed", Compatible;
    /// A new retry class.
    RetryClassAdded = "retry-class-added", Compatible;
    /// A new user action.
    UserActionAdded = "user-action-added", Compatible;
    /// A new wire envelope.
    EnvelopeAdded = "envelope-added", Compatible;
    /// A new optional envelope field.
    EnvelopeFieldAdded = "envelope-field-added", Compatible;
    /// A new HTTP operation.
    OperationAdded = "operation-added", Compatible;
    /// An operation can answer a code it did not: clients keep a code they do not
    /// expect, but should learn to handle it.
    OperationCodeAdded = "operation-code-added", Compatible;
    /// An operation no longer answers a code.
    OperationCodeRemoved = "operation-code-removed", Compatible;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
