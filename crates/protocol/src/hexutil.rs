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
