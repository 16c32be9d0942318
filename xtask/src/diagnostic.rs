//! Errors in a spec file, rendered by `annotate-snippets` (the renderer of
//! rustc and cargo): `error: message`, then `--> PATH:LINE:COL`, the source
//! with the whole span underlined, secondary labels (where a duplicate was
//! first defined) and a `help:` line (a did-you-mean).

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// One problem at one place of a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column of the span's start, in characters.
    pub column: usize,
    /// Byte range in the source (clamped to it and to character boundaries).
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// Other places that explain it, each with its label.
    pub related: Vec<(Range<usize>, String)>,
    /// A hint, for example a did-you-mean.
    pub help: Option<String>,
    /// A warning: reported, but it does not stop the task.
    pub warning: bool,
}

impl Diagnostic {
    /// A problem at byte `span` of `source`.
    pub fn at(source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let span = clamp(source, span);
        let (line, column, _) = locate(source, span.start);
        Self {
            line,
            column,
            span,
            message: message.into(),
            related: Vec::new(),
            help: None,
            warning: false,
        }
    }

    /// Adds a secondary label at `span` of the same source.
    #[must_use]
    pub fn related(mut self, source: &str, span: Range<usize>, label: impl Into<String>) -> Self {
        self.related.push((clamp(source, span), label.into()));
        self
    }

    /// Makes it a warning.
    #[must_use]
    pub fn warning(mut self) -> Self {
        self.warning = true;
        self
    }

    /// Adds a `help:` line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// `span` inside `source` and on character boundaries, so rendering never panics.
fn clamp(source: &str, span: Range<usize>) -> Range<usize> {
    let boundary = |mut offset: usize| {
        offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    };
    let start = boundary(span.start);
    start..boundary(span.end).max(start)
}

/// 1-based line and column of byte `offset`, and the text of that line.
/// Offsets past the end or inside a character are clamped, never a panic.
pub fn locate(source: &str, offset: usize) -> (usize, usize, &str) {
    let offset = clamp(source, offset..offset).start;
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = source[..offset].matches('\n').count() + 1;
    let column = source[line_start..offset].chars().count() + 1;
    let text = source[line_start..line_end].trim_end_matches('\r');
    (line, column, text)
}

/// Every problem found in one file, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The file as the user named it.
    pub path: String,
    /// The file's text.
    pub source: String,
    pub problems: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Renders every problem; `styled` adds terminal colours (strip them,
    /// for example with `anstream`, when the output is not a terminal).
    pub fn render(&self, styled: bool) -> String {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = String::new();
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            let mut snippet = Snippet::source(self.source.as_str())
                .path(self.path.as_str())
                .annotation(AnnotationKind::Primary.span(problem.span.clone()));
            for (span, label) in &problem.related {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(span.clone())
                        .label(label.as_str()),
                );
            }
            let level = if problem.warning {
                Level::WARNING
            } else {
                Level::ERROR
            };
            let mut group = level
                .primary_title(problem.message.as_str())
                .element(snippet);
            if let Some(help) = &problem.help {
                group = group.element(Level::HELP.message(help.as_str()));
            }
            let report: [Group<'_>; 1] = [group];
            out.push_str(renderer.render(&report).trim_end());
        }
        let warnings = self.problems.iter().filter(|p| p.warning).count();
        let errors = self.problems.len() - warnings;
        if errors > 1 {
            out.push_str(&format!("\n\n{errors} errors in the spec"));
        } else if warnings > 1 && errors == 0 {
            out.push_str(&format!("\n\n{warnings} warnings in the spec"));
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

/// The known name closest to `unknown`, if one is close enough to be a typo.
pub fn did_you_mean<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    known
        .into_iter()
        .map(|name| (strsim::jaro_winkler(unknown, name), name))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let source = "a = 1\nbé = 2\n";
        assert_eq!(locate(source, 0), (1, 1, "a = 1"));
        assert_eq!(locate(source, 6), (2, 1, "bé = 2"));
        // Column counts characters, not bytes: 'é' is two bytes.
        assert_eq!(locate(source, 10), (2, 4, "bé = 2"));
        // Inside a character and past the end are clamped.
        assert_eq!(locate(source, 8).0, 2);
        assert_eq!(locate(source, 999).0, 3);
    }

    #[test]
    fn underlines_the_whole_span_with_labels_and_help() {
        let source = "x = \"oftn\"\nretry = \"oftn\"\n";
        let diagnostics = Diagnostics {
            path: "spec/errors.toml".into(),
            source: source.into(),
            problems: vec![
                Diagnostic::at(source, 19..25, "unknown retry class `oftn`")
                    .related(source, 4..10, "also here")
                    .help("did you mean `often`?"),
            ],
        };
        assert_eq!(
            diagnostics.to_string(),
            "error: unknown retry class `oftn`\n --> spec/errors.toml:2:9\n  |\n1 | x = \"oftn\"\n  |     ------ also here\n2 | retry = \"oftn\"\n  |         ^^^^^^\n  |\n  = help: did you mean `often`?"
        );
    }

    #[test]
    fn spans_outside_the_source_are_clamped() {
        let source = "é";
        let d = Diagnostic::at(source, 1..99, "x");
        assert_eq!(d.span, 0..2);
        let diagnostics = Diagnostics {
            path: "p".into(),
            source: source.into(),
            problems: vec![d],
        };
        assert!(diagnostics.to_string().contains("p:1:1"));
    }

    #[test]
    fn suggests_close_names_only() {
        let known = ["permanent", "transient", "throttled"];
        assert_eq!(did_you_mean("permanant", known), Some("permanent"));
        assert_eq!(did_you_mean("sometimes", known), None);
    }
}
