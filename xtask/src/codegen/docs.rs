//! `docs/errors.md`: the error reference regenerated from the spec, with the
//! retry class, user message and user action of every code.

use std::fmt::Write as _;

use super::GeneratedFile;
use crate::spec::Spec;
use crate::spec::locales::{Locales, source_texts};

pub const PATH: &str = "docs/errors.md";

/// Text safe inside a Markdown table cell: one line, `|` escaped, and
/// [`inline`] otherwise.
pub fn cell(text: &str) -> String {
    inline(&text.replace("\r\n", " ").replace(['\r', '\n'], " ")).replace('|', "\\|")
}

/// Spec text as Markdown prose: raw HTML is shown, not interpreted (`<`, `>`
/// and `&` become entities), except inside code spans, where Markdown shows
/// every character as it is.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        let (before, from_tick) = rest.split_at(start);
        escape_html(before, &mut out);
        let ticks = from_tick.len() - from_tick.trim_start_matches('`').len();
        let fence = &from_tick[..ticks];
        let after = &from_tick[ticks..];
        // A code span closes at the next run of exactly as many backticks.
        let close = after
            .match_indices(fence)
            .find(|(i, _)| !after[i + ticks..].starts_with('`') && !after[..*i].ends_with('`'));
        match close {
            Some((i, _)) => {
                out.push_str(&from_tick[..ticks + i + ticks]);
                rest = &after[i + ticks..];
            }
            None => {
                out.push_str(fence);
                rest = after;
            }
        }
    }
    escape_html(rest, &mut out);
    out
}

fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
}

pub fn generate(spec: &Spec, locales: &Locales) -> Vec<GeneratedFile> {
    vec![GeneratedFile::new(PATH, render(spec, locales))]
}

fn render(spec: &Spec, locales: &Locales) -> String {
    let mut out = super::markdown_header();
    // `write!` to a String cannot fail.
    let _ = writeln!(out, "# Keyward error reference\n");
    let _ = writeln!(
        out,
        "Spec version **{}**. Every code below is part of the contract: a code is never deleted or reused, only retired. \
         End users are shown only the *user message* and *user action*, never the code.\n",
        spec.version
    );
    if !spec.operations.is_empty() {
        let _ = writeln!(
            out,
            "Which HTTP operation can answer which code: [errors by operation](errors-by-operation.md).\n"
        );
    }
    let _ = writeln!(out, "## Contents\n");
    for family in &spec.families {
        let _ = writeln!(
            out,
            "- [`{}` errors (`{}`)](#{}-errors)",
            family.name, family.rust_name, family.name
        );
    }
    let _ = writeln!(
        out,
        "- [Retry classes](#retry-classes)\n- [User actions](#user-actions)\n- [Locales](#locales)\n- [Rate limits](#rate-limits)\n"
    );

    for family in &spec.families {
        let _ = writeln!(out, "## `{}` errors\n", family.name);
        let _ = writeln!(
            out,
            "{} Rust type: `keyward_errors::{}`.\n",
            inline(&family.description),
            family.rust_name
        );
        let status = if family.http { "| HTTP " } else { "" };
        let status_rule = if family.http { "|---" } else { "" };
        let _ = writeln!(
            out,
            "| Code {status}| Description | User message | User action | Retry class | Since | Notes |"
        );
        let _ = writeln!(out, "|---{status_rule}|---|---|---|---|---|---|");
        for e in spec.errors_of(&family.name) {
            let status = e.http_status.map(|s| format!("| {s} ")).unwrap_or_default();
            let mut notes = Vec::new();
            if e.extension {
                notes.push("Keyward extension".to_owned());
            }
            if !e.user_facing {
                notes.push("generic message: never expose the reason".to_owned());
            }
            if let Some(retired) = &e.retired {
                match &e.replaced_by {
                    Some(by) => notes.push(format!("**retired in {retired}**, replaced by `{by}`")),
                    None => notes.push(format!("**retired in {retired}**")),
                }
            }
            let _ = writeln!(
                out,
                "| `{}` {status}| {} | {} | `{}` | `{}` | {} | {} |",
                e.code,
                cell(&e.description),
                cell(&e.user_message),
                e.user_action,
                e.retry,
                e.since,
                cell(&notes.join("; "))
            );
        }
        let _ = writeln!(
            out,
            "\nA code this version does not know keeps its raw text; it is shown as \"{}\" (`{}`) and classed `{}`{}.\n",
            cell(&family.unknown_user_message),
            family.unknown_user_action,
            family.unknown_retry,
            family
                .unknown_http_status
                .map(|s| format!(", HTTP {s}"))
                .unwrap_or_default()
        );
    }

    let _ = writeln!(out, "## Retry classes\n");
    let _ = writeln!(
        out,
        "| Class | Meaning | Max attempts | Initial delay | Multiplier | Max delay | Jitter | Honours Retry-After | Re-authenticates | Security alert |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for c in &spec.retry_classes {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} ms | {} | {} ms | {} | {} | {} | {} |",
            c.name,
            cell(&c.description),
            c.max_attempts,
            c.initial_delay_ms,
            c.multiplier,
            c.max_delay_ms,
            c.jitter.as_str(),
            yes_no(c.honor_retry_after),
            yes_no(c.reauthenticate),
            yes_no(c.security_alert)
        );
    }

    let _ = writeln!(out, "\n## User actions\n");
    let _ = writeln!(out, "| Action | Label | Link |");
    let _ = writeln!(out, "|---|---|---|");
    for a in &spec.user_actions {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            a.name,
            cell(&a.label),
            a.link.as_deref().map_or_else(|| "-".to_owned(), cell)
        );
    }

    render_locales(&mut out, spec, locales);

    let _ = writeln!(out, "\n## Rate limits\n");
    let _ = writeln!(
        out,
        "Per API key: a burst of {} requests, refilled at {} requests per second. Over the limit: `rate_limited` with `Retry-After`.",
        spec.rate_limit.burst_per_second, spec.rate_limit.sustained_per_second
    );
    out
}

/// How much of every end-user text each locale translates.
fn render_locales(out: &mut String, spec: &Spec, locales: &Locales) {
    let texts = source_texts(spec);
    let total = texts.len();
    let _ = writeln!(out, "\n## Locales\n");
    let _ = writeln!(
        out,
        "The {total} end-user texts above (every user message, unknown-code message and action label) \
         in each language keyward-errors ships (feature `locales`). English is the spec's own; \
         each other locale is a Project Fluent file checked by `cargo xtask codegen`. \
         A text a locale leaves out comes from its parent; a stale one was translated from an \
         English text that has changed since (refused by `--check`).\n"
    );
    let _ = writeln!(
        out,
        "| Locale | File | Translated | From the parent | Stale | Coverage |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| `en` | `spec/errors.toml` (the source) | {total} | - | - | 100% |"
    );
    for locale in &locales.locales {
        let translated = texts
            .iter()
            .filter(|t| locale.translations.contains_key(&t.id))
            .count();
        let stale = locale.translations.values().filter(|t| t.stale).count();
        let parent = locale.parent.as_deref().unwrap_or("en");
        let inherited = if translated == total {
            "-".to_owned()
        } else {
            format!("{} (`{parent}`)", total - translated)
        };
        let coverage = (translated * 100).checked_div(total).unwrap_or(100);
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {translated} | {inherited} | {stale} | {coverage}% |",
            locale.tag, locale.path
        );
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_stay_one_row_and_show_html() {
        assert_eq!(cell("a|b\r\nc\rd\ne"), "a\\|b c d e");
        assert_eq!(cell("<b>bold</b> & co"), "&lt;b&gt;bold&lt;/b&gt; &amp; co");
        // Code spans keep their text; an unclosed backtick is literal.
        assert_eq!(inline("`Option<T>` <x>"), "`Option<T>` &lt;x&gt;");
        assert_eq!(inline("``a`b`` <"), "``a`b`` &lt;");
        assert_eq!(inline("a ` <"), "a ` &lt;");
        assert_eq!(cell("`a|b`"), "`a\\|b`");
    }
}
