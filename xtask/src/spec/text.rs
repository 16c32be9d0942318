//! Characters a spec text may not contain: each would break an output
//! (rustfmt refuses a bare CR in a doc comment, rustc denies bidirectional
//! controls in literals and comments) or make the docs lie about the text.

/// Why `c` is refused in a spec text, if it is.
pub fn refused(c: char) -> Option<&'static str> {
    match c {
        '\r' => Some(
            "a carriage return outside a CRLF line break (rustfmt refuses a bare CR in a doc comment); write \\n for a line break",
        ),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some(
            "a bidirectional control character: the text would display differently from what it is (rustc denies it in literals and comments)",
        ),
        '\n' | '\t' => None,
        c if c.is_control() => {
            Some("a control character: it has no place in a message, a doc comment or a table")
        }
        _ => None,
    }
}

/// `text` with CRLF line breaks as LF, so a Windows checkout of the spec
/// generates the same output.
pub fn normalize(text: String) -> String {
    if text.contains("\r\n") {
        text.replace("\r\n", "\n")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_breaks_an_output() {
        for c in [
            '\r', '\u{202E}', '\u{2066}', '\u{2069}', '\u{0}', '\u{7f}', '\u{1b}',
        ] {
            assert!(refused(c).is_some(), "{c:?}");
        }
        for c in ['\n', '\t', 'é', '→', '\u{200D}'] {
            assert!(refused(c).is_none(), "{c:?}");
        }
        assert_eq!(normalize("a\r\nb".into()), "a\nb");
    }
}
