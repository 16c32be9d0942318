//! Every base64 engine of the crate: the `base64` crate's SIMD engines (AVX2 or NEON,
//! detected once at run time, scalar otherwise), encoding straight into the buffer being
//! built (the crate's `encode_string` goes through a chunk buffer and an extra copy), and
//! the payload decoder that decodes only as far as asked.

use std::sync::LazyLock;

use base64::engine::Config as _;
use base64::engine::Simd;
use base64::engine::general_purpose::{NO_PAD, PAD, PAD_INDIFFERENT};
use base64::{DecodeError, Engine};

/// Standard alphabet, padded: the signed payload as servers write it.
pub(crate) static STANDARD: LazyLock<Simd> = LazyLock::new(|| Simd::standard(PAD));
/// Standard alphabet, padding optional: the signed payload as clients read it.
pub(crate) static STANDARD_PAD_INDIFFERENT: LazyLock<Simd> =
    LazyLock::new(|| Simd::standard(PAD_INDIFFERENT));
/// URL-safe alphabet, unpadded: session tokens.
pub(crate) static URL_SAFE_NO_PAD: LazyLock<Simd> = LazyLock::new(|| Simd::url_safe(NO_PAD));

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

/// The standard base64 text of a payload, decoded a step at a time from its start
/// ([`STANDARD_PAD_INDIFFERENT`]): the bytes decoded so far and how many characters they
/// came from. Every character is decoded once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartialDecode {
    /// The bytes of the first `consumed` characters.
    pub(crate) bytes: Vec<u8>,
    /// Characters decoded: a multiple of 4, or the whole text.
    pub(crate) consumed: usize,
}

impl PartialDecode {
    /// Nothing decoded yet, with room for all of `text`.
    pub(crate) fn new(text: &str) -> Self {
        Self {
            bytes: Vec::with_capacity(text.len() / 4 * 3 + 3),
            consumed: 0,
        }
    }

    pub(crate) fn is_complete(&self, text: &str) -> bool {
        self.consumed == text.len()
    }

    /// Decode `chars` more characters (a multiple of 4), or everything that is left when
    /// fewer than 4 more would remain.
    pub(crate) fn decode_more(&mut self, text: &str, chars: usize) -> Result<(), DecodeError> {
        let mut end = self.consumed + chars;
        if end + 4 >= text.len() {
            end = text.len();
        }
        self.decode_to(text, end)
    }

    /// Decode everything that is left.
    pub(crate) fn finish(&mut self, text: &str) -> Result<(), DecodeError> {
        self.decode_to(text, text.len())
    }

    fn decode_to(&mut self, text: &str, end: usize) -> Result<(), DecodeError> {
        let chunk = text.as_bytes().get(self.consumed..end).unwrap_or_default();
        if !chunk.is_empty() {
            STANDARD_PAD_INDIFFERENT.decode_vec(chunk, &mut self.bytes)?;
        }
        self.consumed = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn same_as_the_crate_for_every_padding() {
        for len in 0..10 {
            let input: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            for engine in [&*STANDARD, &*URL_SAFE_NO_PAD] {
                let mut out = b"head:".to_vec();
                push(engine, &input, &mut out);
                assert_eq!(out, format!("head:{}", engine.encode(&input)).into_bytes());
            }
        }
    }

    proptest! {
        /// The SIMD engines encode and decode exactly as the scalar ones, rejections
        /// included (any text, any length, so both the vector loop and the tail run).
        #[test]
        fn simd_engines_agree_with_the_scalar_ones(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            text in "[A-Za-z0-9+/_=-]{0,120}|(?s).{0,40}",
        ) {
            let pairs: [(&Simd, &general_purpose::GeneralPurpose); 3] = [
                (&STANDARD, &general_purpose::STANDARD),
                (&STANDARD_PAD_INDIFFERENT, &general_purpose::STANDARD_PAD_INDIFFERENT),
                (&URL_SAFE_NO_PAD, &general_purpose::URL_SAFE_NO_PAD),
            ];
            for (simd, scalar) in pairs {
                prop_assert_eq!(simd.encode(&bytes), scalar.encode(&bytes));
                let mut fast = [0u8; 128];
                let mut slow = [0u8; 128];
                let a = simd.decode_slice(&text, &mut fast).map(|n| fast[..n].to_vec());
                let b = scalar.decode_slice(&text, &mut slow).map(|n| slow[..n].to_vec());
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
            }
        }
    }
}
