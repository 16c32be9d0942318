//! Synthetic specs for benchmarks and tests: valid specs of any size, with
//! the real families, retry classes, user actions and envelopes, and a
//! changed variant for `spec-compat`.

use std::fmt::Write as _;

/// Families of the real spec; codes are spread over them round-robin.
pub const FAMILIES: [&str; 4] = ["api", "validate", "heartbeat", "client"];

const RETRY: [&str; 5] = [
    "permanent",
    "transient",
    "throttled",
    "permanent",
    "reauthenticate",
];
const ACTIONS: [&str; 5] = ["check_key", "renew", "contact_support", "try_later", "none"];
const STATUSES: [u16; 8] = [400, 401, 402, 403, 404, 409, 429, 500];

/// A valid spec with `n_codes` error codes spread over the real families
/// (spec version 1.0.0, one release). Every family needs a code, so there
/// are at least four.
pub fn synthetic_spec(n_codes: usize) -> String {
    render(n_codes, false)
}

/// [`synthetic_spec`] one release later (1.1.0) with changes of every kind a
/// release typically has: about 1% of the codes get a new description, 1%
/// are retired, 1% more are added, one in 500 is deleted (breaking) and one
/// in 250 of the api family changes its HTTP status (breaking).
pub fn synthetic_spec_changed(n_codes: usize) -> String {
    render(n_codes, true)
}

fn render(n_codes: usize, changed: bool) -> String {
    let n_codes = n_codes.max(FAMILIES.len());
    let mut out = String::with_capacity(400 + n_codes * 320);
    let version = if changed { "1.1.0" } else { "1.0.0" };
    let _ = write!(out, "[spec]\nversion = \"{version}\"\n\n");
    if changed {
        out.push_str("[[release]]\nversion = \"1.1.0\"\nsummary = \"Synthetic changes.\"\n\n");
    }
    out.push_str(HEADER);
    let added = if changed { n_codes / 100 } else { 0 };
    for i in 0..n_codes + added {
        let is_new = i >= n_codes;
        if changed && !is_new && i % 500 == 499 {
            continue;
        }
        let family = FAMILIES[i % FAMILIES.len()];
        let _ = write!(
            out,
            "[[error]]\nfamily = \"{family}\"\ncode = \"code_{i:05}\"\n"
        );
        if family == "api" {
            let mut status = STATUSES[(i / FAMILIES.len()) % STATUSES.len()];
            if changed && i % 1000 == 0 {
                status = if status == 500 { 503 } else { 500 };
            }
            let _ = writeln!(out, "http_status = {status}");
        }
        let edited = if changed && i % 97 == 5 {
            " Now with more detail."
        } else {
            ""
        };
        let _ = write!(
            out,
            "description = \"Synthetic error number {i}, for benchmarks.{edited}\"\n\
             user_message = \"Something went wrong ({i}). Please try again later.\"\n\
             user_action = \"{}\"\nuser_facing = {}\nretry = \"{}\"\nsince = \"{}\"\n",
            ACTIONS[i % ACTIONS.len()],
            i % 3 == 0,
            RETRY[i % RETRY.len()],
            if is_new { "1.1.0" } else { "1.0.0" },
        );
        if changed && !is_new && i % 100 == 7 {
            out.push_str("retired = \"1.1.0\"\n");
        }
        out.push('\n');
    }
    out
}

const HEADER: &str = r#"[[release]]
version = "1.0.0"
summary = "Synthetic spec."

[rate_limit]
burst_per_second = 100
sustained_per_second = 50

[user_action.none]
label = "No action needed."

[user_action.check_key]
label = "Check your license key and try again."

[user_action.renew]
label = "Renew your license."
link = "renewal"

[user_action.contact_support]
label = "Contact support."

[user_action.try_later]
label = "Try again later."

[retry_class.permanent]
description = "Never retry."
max_attempts = 1
initial_delay_ms = 0
multiplier = 1.0
max_delay_ms = 0
jitter = "none"
honor_retry_after = false
reauthenticate = false
security_alert = false

[retry_class.transient]
description = "Retry with exponential backoff."
max_attempts = 4
initial_delay_ms = 500
multiplier = 2.0
max_delay_ms = 8000
jitter = "full"
honor_retry_after = true
reauthenticate = false
security_alert = false

[retry_class.throttled]
description = "Back off, honouring Retry-After."
max_attempts = 4
initial_delay_ms = 1000
multiplier = 2.0
max_delay_ms = 16000
jitter = "equal"
honor_retry_after = true
reauthenticate = false
security_alert = false

[retry_class.reauthenticate]
description = "Validate once more, then resume."
max_attempts = 1
initial_delay_ms = 0
multiplier = 1.0
max_delay_ms = 0
jitter = "none"
honor_retry_after = false
reauthenticate = true
security_alert = false

[retry_class.security]
description = "Never retry, always log."
max_attempts = 1
initial_delay_ms = 0
multiplier = 1.0
max_delay_ms = 0
jitter = "none"
honor_retry_after = false
reauthenticate = false
security_alert = true

[family.api]
rust_name = "ApiError"
http = true
unknown_http_status = 500
description = "Developer API errors."
unknown_user_message = "Something went wrong. Please try again later."
unknown_user_action = "try_later"
unknown_retry = "permanent"

[family.validate]
rust_name = "ValidateError"
description = "Errors of POST /auth/validate."
unknown_user_message = "Authentication failed."
unknown_user_action = "contact_support"
unknown_retry = "permanent"

[family.heartbeat]
rust_name = "HeartbeatError"
description = "Errors of POST /auth/heartbeat."
unknown_user_message = "Your session could not be confirmed."
unknown_user_action = "try_later"
unknown_retry = "permanent"

[family.client]
rust_name = "ClientError"
description = "Errors the SDK detects itself."
unknown_user_message = "Authentication failed."
unknown_user_action = "try_later"
unknown_retry = "permanent"

[envelope.api_error]
rust_name = "ApiErrorBody"
description = "Body of every Developer API error response."
families = ["api"]
fields = [
    { name = "error", type = "code", required = true, description = "The error code." },
    { name = "message", type = "string", required = true, description = "Developer-facing text." },
]

[envelope.auth_failure]
rust_name = "AuthFailure"
description = "Body of a failed auth answer."
families = ["validate", "heartbeat"]
fields = [
    { name = "status", type = "failed", required = true, description = "Always \"failed\"." },
    { name = "error", type = "code", required = true, description = "The error code." },
    { name = "details", type = "field_errors", required = false, description = "Each bad field." },
]

"#;

/// Spec names chosen to trip a generator: keywords, prelude and method
/// names, and pairs that are equal after case conversion.
const HOSTILE_NAMES: &[&str] = &[
    "none",
    "some",
    "ok",
    "err",
    "option",
    "result",
    "string",
    "vec",
    "all",
    "info",
    "code",
    "from",
    "into",
    "default",
    "clone",
    "hash",
    "debug",
    "fmt",
    "display",
    "type",
    "fn",
    "match",
    "ref",
    "async",
    "await",
    "gen",
    "try",
    "dyn",
    "r",
    "e",
    "unknown_code",
    "unknown2",
    "a1",
    "a_1",
    "x_y1",
    "x_y_1",
    "ab2c",
    "ab_2c",
    "self",
    "self_check",
    "crate_name",
    "super_user",
    "as_str",
    "label",
    "link",
    "policy",
    "description",
    "known",
    "is_unknown",
    "parse_known",
    "http_status",
    "iter",
    "error",
    "errors",
    "family",
    "user_action",
    "retry_class",
];

/// Rust type names: some taken by the generated module, some close to one.
const HOSTILE_TYPES: &[&str] = &[
    "Error",
    "Errors",
    "ApiError",
    "Options",
    "Results",
    "E",
    "E2",
    "UserActions",
    "Families",
    "Info",
    "ErrorInfos",
    "Code",
    "Codes",
    "SelfError",
    "Family",
    "Option",
    "Duration",
    "Jitter",
    "OperationInfo",
    "Failed",
    "Unknown",
    "AllErrors",
    "Str",
    "Fmt",
    "Serialize",
    "Deserialize",
    "JsonSchema",
    "Debug",
    "Hash",
];

/// Envelope wire names: keywords (some cannot be escaped) and pairs equal
/// after snake_case.
const HOSTILE_FIELDS: &[&str] = &[
    "type", "fn", "match", "ref", "async", "gen", "try", "dyn", "loop", "self", "crate", "super",
    "error", "code", "status", "details", "message", "fooBar", "fooBAR", "a1B", "r", "value",
];

/// Texts that must come out escaped: quotes, backslashes, Markdown, HTML,
/// fences that rustdoc would run, comment markers, CR and bidi controls.
const HOSTILE_TEXTS: &[&str] = &[
    "Plain text.",
    "Quotes \" and \\ backslash.",
    "`Option<T>` and <b>html</b> & <script>alert(1)</script>.",
    "Fence:\n\n```\nlet x: u8 = 300;\n```",
    "```rust\npanic!()\n```",
    "~~~\nnot rust\n~~~",
    "Indented:\n\n    code_that_does_not_exist();",
    "Pipes | in | cells.",
    "Unicode: é → 漢字 🦀.",
    "*/ and /* and //! and #[doc = \"x\"]",
    "{} and {0} and %s",
    "Line\nbreaks\n\nparagraph.",
    "\"#raw\"# and r#\"x\"#",
    "Tab\there.",
    "ends with a backslash \\",
    "[link](https://example.com) and [`Foo`]",
    "Windows\r\nline break.",
];

/// Texts the checker refuses: a bare CR and bidirectional controls.
const REFUSED_TEXTS: &[&str] = &[
    "Bare\rreturn.",
    "Right-to-left \u{202E}override.",
    "\u{2066}isolate\u{2069}",
];

/// A deterministic random spec from `seed`, made of [`HOSTILE_NAMES`] and
/// friends: most are refused by the checker, and every one it accepts must
/// generate a crate that compiles (`tests/generated_compiles.rs`).
pub fn hostile_spec(seed: u64) -> String {
    let mut rng = SplitMix(seed);
    let mut out =
        String::from("[spec]\nversion = \"1.1.0\"\n\n[[release]]\nversion = \"1.1.0\"\nsummary = ");
    // Now and then a text that is refused, so both outcomes are exercised.
    let summary = if rng.below(8) == 0 {
        quote(rng.pick(REFUSED_TEXTS))
    } else {
        rng.text()
    };
    let _ = write!(out, "{summary}\n\n");
    out.push_str("[[release]]\nversion = \"1.0.0\"\nsummary = \"First.\"\n\n");
    out.push_str("[rate_limit]\nburst_per_second = 10\nsustained_per_second = 5\n\n");

    let actions = rng.names(HOSTILE_NAMES, 1, 3);
    for action in &actions {
        let _ = write!(out, "[user_action.{action}]\nlabel = {}\n", rng.text());
        if rng.below(2) == 0 {
            let _ = writeln!(out, "link = {}", rng.text());
        }
        out.push('\n');
    }
    let classes = rng.names(HOSTILE_NAMES, 1, 3);
    for class in &classes {
        let _ = write!(
            out,
            "[retry_class.{class}]\ndescription = {}\nmax_attempts = {}\ninitial_delay_ms = 10\n\
             multiplier = 2.0\nmax_delay_ms = 100\njitter = \"full\"\nhonor_retry_after = {}\n\
             reauthenticate = false\nsecurity_alert = false\n\n",
            rng.text(),
            1 + rng.below(3),
            rng.below(2) == 0,
        );
    }
    let families = rng.names(HOSTILE_NAMES, 1, 3);
    let mut http = Vec::new();
    for family in &families {
        let is_http = rng.below(2) == 0;
        http.push(is_http);
        let _ = write!(
            out,
            "[family.{family}]\nrust_name = \"{}\"\ndescription = {}\nunknown_user_message = {}\n\
             unknown_user_action = \"{}\"\nunknown_retry = \"{}\"\n",
            rng.pick(HOSTILE_TYPES),
            rng.text(),
            rng.text(),
            rng.pick(&actions),
            rng.pick(&classes),
        );
        if is_http {
            out.push_str("http = true\nunknown_http_status = 500\n");
        }
        out.push('\n');
    }
    for n in 0..rng.below(3) {
        let members = rng.names(&families, 1, families.len());
        let _ = write!(
            out,
            "[envelope.body_{n}]\nrust_name = \"{}\"\ndescription = {}\nfamilies = [{}]\nfields = [\n    \
             {{ name = \"{}\", type = \"code\", required = true, description = {} }},\n",
            rng.pick(HOSTILE_TYPES),
            rng.text(),
            members
                .iter()
                .map(|m| format!("\"{m}\""))
                .collect::<Vec<_>>()
                .join(", "),
            rng.pick(HOSTILE_FIELDS),
            rng.text(),
        );
        for field in rng.names(HOSTILE_FIELDS, 0, 3) {
            let ty = rng.pick(&["string", "failed", "field_errors", "code"]);
            let _ = writeln!(
                out,
                "    {{ name = \"{field}\", type = \"{ty}\", required = {}, description = {} }},",
                rng.below(2) == 0,
                rng.text(),
            );
        }
        out.push_str("]\n\n");
    }
    // Half of the specs declare an operation per family, answering its live codes.
    let with_operations = rng.below(2) == 0;
    for (n, (family, is_http)) in families.iter().zip(http).enumerate() {
        let codes = rng.names(HOSTILE_NAMES, 1, 4);
        if with_operations {
            let live = if codes.len() > 1 {
                &codes[1..]
            } else {
                &codes[..]
            };
            let errors = live
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            // Sometimes two operations share the family, which gives each its own enum.
            let shared = rng.below(2) == 0;
            for (suffix, path) in [("A", "/{id}"), ("B", "")]
                .iter()
                .take(1 + usize::from(shared))
            {
                let _ = write!(
                    out,
                    "[[operation]]\nname = \"Op{n}{suffix}\"\nmethod = \"{}\"\npath = \"/v1/{family}{path}\"\nsummary = {}\n\
                     family = \"{family}\"\nerrors = [{errors}]\n\n",
                    ["GET", "POST", "DELETE"][n % 3],
                    rng.line(),
                );
            }
        }
        for (i, code) in codes.iter().enumerate() {
            let _ = write!(
                out,
                "[[error]]\nfamily = \"{family}\"\ncode = \"{code}\"\ndescription = {}\nuser_message = {}\n\
                 user_action = \"{}\"\nuser_facing = {}\nretry = \"{}\"\nsince = \"1.0.0\"\nextension = {}\n",
                rng.text(),
                rng.text(),
                rng.pick(&actions),
                rng.below(2) == 0,
                rng.pick(&classes),
                rng.below(2) == 0,
            );
            if is_http {
                let _ = writeln!(out, "http_status = {}", 400 + rng.below(200));
            }
            // Retire the first of several codes, replaced by the last.
            if i == 0 && codes.len() > 1 {
                let _ = writeln!(
                    out,
                    "retired = \"1.1.0\"\nreplaced_by = \"{}\"",
                    codes[codes.len() - 1]
                );
            }
            out.push('\n');
        }
    }
    out
}

/// SplitMix64: a small, seedable generator, enough to vary specs.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T: AsRef<str>>(&mut self, from: &'a [T]) -> &'a str {
        from[self.below(from.len())].as_ref()
    }

    /// Between `min` and `max` distinct names of `pool`.
    fn names<T: AsRef<str>>(&mut self, pool: &[T], min: usize, max: usize) -> Vec<String> {
        let count = min + self.below(max - min + 1);
        let mut names: Vec<String> = Vec::new();
        for _ in 0..count * 4 {
            let name = pool[self.below(pool.len())].as_ref();
            if names.len() < count && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        names
    }

    /// One of the one-line [`HOSTILE_TEXTS`] as a TOML basic string.
    fn line(&mut self) -> String {
        let lines: Vec<&str> = HOSTILE_TEXTS
            .iter()
            .copied()
            .filter(|t| !t.contains(['\n', '\r']))
            .collect();
        quote(self.pick(&lines))
    }

    /// One of [`HOSTILE_TEXTS`] as a TOML basic string.
    fn text(&mut self) -> String {
        quote(self.pick(HOSTILE_TEXTS))
    }
}

/// `text` as a TOML basic string.
fn quote(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            // Bidirectional controls (and their neighbours) as TOML escapes.
            '\u{2000}'..='\u{20FF}' => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    #[test]
    fn synthetic_specs_are_valid() {
        for n in [1, 4, 10, 1200] {
            let base = Spec::parse("base.toml", &synthetic_spec(n)).expect("base spec is valid");
            let n = n.max(4);
            assert_eq!(base.errors.len(), n);
            let changed = Spec::parse("changed.toml", &synthetic_spec_changed(n))
                .expect("changed spec is valid");
            assert!(changed.errors.len() >= n - n / 500);
        }
    }

    #[test]
    fn hostile_specs_parse_and_some_are_accepted() {
        let accepted = (0..200)
            .filter(|&seed| Spec::parse("hostile.toml", &hostile_spec(seed)).is_ok())
            .count();
        // TOML errors would mean the generator writes bad TOML, not hostile specs.
        for seed in 0..200 {
            if let Err(err) = Spec::parse("hostile.toml", &hostile_spec(seed)) {
                assert!(!err.to_string().contains("invalid"), "{seed}: {err}");
            }
        }
        assert!((10..190).contains(&accepted), "{accepted} of 200 accepted");
        let with_operations = (0..200)
            .filter_map(|seed| Spec::parse("hostile.toml", &hostile_spec(seed)).ok())
            .filter(|spec| !spec.operations.is_empty())
            .count();
        assert!(
            with_operations * 4 >= accepted,
            "{with_operations} of {accepted} with operations"
        );
        // The first accepted ones, which `tests/generated_compiles.rs` compiles, include some.
        let first: Vec<bool> = (0..1000)
            .filter_map(|seed| Spec::parse("hostile.toml", &hostile_spec(seed)).ok())
            .take(6)
            .map(|spec| !spec.operations.is_empty())
            .collect();
        assert!(first.contains(&true) && first.contains(&false), "{first:?}");
    }
}
