//! Small hex helpers on top of the `hex` crate.

/// True if `s` is exactly `len` lowercase hex characters (`0-9a-f`).
pub(crate) fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Decode exactly 32 bytes from 64 hex characters (either case). `None` if malformed.
pub(crate) fn decode32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok().map(|()| out)
}

/// Lowercase hex of 32 bytes, on the stack.
pub(crate) fn encode32(bytes: &[u8; 32]) -> Hex64 {
    let mut out = [0u8; 64];
    // Cannot fail: the output is exactly twice the input.
    let _ = hex::encode_to_slice(bytes, &mut out);
    Hex64(out)
}

/// 64 lowercase hex characters.
pub(crate) struct Hex64([u8; 64]);

impl Hex64 {
    pub(crate) fn as_str(&self) -> &str {
        // Hex digits are ASCII; the fallback is unreachable.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode32_takes_exactly_64_hex_digits_of_either_case() {
        let lower = "00ff7f80a5c3e1d2b4f6089a1b2c3d4e5f60718293a4b5c6d7e8f9012345abcd";
        let bytes = decode32(lower).unwrap();
        assert_eq!(encode32(&bytes).as_str(), lower);
        assert_eq!(decode32(&lower.to_uppercase()), Some(bytes));
        for bad in [
            lower[..63].to_owned(),
            format!("{lower}0"),
            format!("{}g", &lower[..63]),
            format!("{} ", &lower[..63]),
            String::new(),
        ] {
            assert_eq!(decode32(&bad), None, "{bad}");
        }
    }
}
