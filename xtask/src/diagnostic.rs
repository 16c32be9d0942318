//! Errors in a spec file, reported as `PATH:LINE:COL: message` with the
//! source line and a caret under the place.

use std::fmt;
use std::ops::Range;

/// One problem at one place of a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The whole source line.
    pub source_line: String,
}

impl Diagnostic {
    /// A problem at byte `span` of `source`.
    pub fn at(path: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let (line, column, source_line) = locate(source, span.start);
        Self {
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
            source_line: source_line.to_owned(),
        }
    }

    /// `PATH:LINE:COL`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.path, self.line, self.column)
    }
}

/// 1-based line and column of byte `offset`, and the text of that line.
/// Offsets past the end or inside a character are clamped, never a panic.
pub fn locate(source: &str, offset: usize) -> (usize, usize, &str) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = source[..offset].matches('\n').count() + 1;
    let column = source[line_start..offset].chars().count() + 1;
    let text = source[line_start..line_end].trim_end_matches('\r');
    (line, column, text)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.location(), self.message)?;
        let gutter = self.line.to_string();
        let pad = " ".repeat(gutter.len());
        writeln!(f, "{pad} |")?;
        writeln!(f, "{gutter} | {}", self.source_line)?;
        // Tabs keep their width so the caret stays under the right character.
        let lead: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {lead}^")
    }
}

/// Every problem found in one file, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n\n{} errors in the spec", self.0.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

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
    fn renders_source_line_and_caret() {
        let d = Diagnostic::at(
            "spec/errors.toml",
            "x = 1\nretry = \"often\"\n",
            14..21,
            "unknown retry class `often`",
        );
        assert_eq!(
            d.to_string(),
            "spec/errors.toml:2:9: unknown retry class `often`\n  |\n2 | retry = \"often\"\n  |         ^"
        );
    }
}
