//! Base64 written straight into the buffer being built (the `base64` crate's
//! `encode_string` goes through a chunk buffer and an extra copy).

use base64::Engine;
use base64::engine::Config as _;

/// Appends the base64 of `input` to `out`.
pub(crate) fn push<E: Engine>(engine: &E, input: &[u8], out: &mut Vec<u8>) {
    let Some(len) = base64::encoded_len(input.len(), engine.config().encode_padding()) else {
        // Unreachable for in-memory inputs; keep the slower path rather than panic.
        let mut text = String::new();
        engine.encode_string(input, &mut text);
        out.extend_from_slice(text.as_bytes());
        return;
    };
    let start = out.len();
    out.resize(start + len, 0);
    // Cannot fail: the slice is exactly the encoded length.
    let _ = engine.encode_slice(input, &mut out[start..]);
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    use super::*;

    #[test]
    fn same_as_the_crate_for_every_padding() {
        for len in 0..10 {
            let input: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            for engine in [&STANDARD, &URL_SAFE_NO_PAD] {
                let mut out = b"head:".to_vec();
                push(engine, &input, &mut out);
                assert_eq!(out, format!("head:{}", engine.encode(&input)).into_bytes());
            }
        }
    }
}
