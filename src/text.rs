//! Text from the log as the report prints it (SPEC §1).
//!
//! Log fields are bytes: nginx and Apache write a byte they must escape as
//! `\xHH`, which the parser decodes, and clients send whatever they like.
//! Where those bytes are UTF-8 they are text; where they are not, each
//! byte is printed as `\xHH`, so that a referrer host written in cp1251
//! reads `\xe4\xe5...` (searchable, and the bytes can be told apart) where
//! U+FFFD would have made every such name the same row of `�`.

use std::borrow::Cow;
use std::fmt::Write;

/// `bytes` as text, losslessly: valid UTF-8 as it is (borrowed, no copy),
/// each byte that is not part of valid UTF-8 as `\xHH` with lower-case
/// hex digits (as the tables escape control characters: `\x1b`). This is
/// the one conversion of log bytes to report text; it runs once per
/// distinct value, when the report is made, never per line.
pub fn from_log(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(escape_invalid(bytes)),
    }
}

#[cold]
fn escape_invalid(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_utf8_is_borrowed_as_it_is() {
        for s in [
            "",
            "/index.html",
            "/П",
            "Mozilla/5.0 (é ✓ \u{fffd})",
            "a\x1bb",
        ] {
            assert!(matches!(from_log(s.as_bytes()), Cow::Borrowed(t) if t == s));
        }
    }

    #[test]
    fn each_invalid_byte_is_a_hex_escape() {
        let cases: &[(&[u8], &str)] = &[
            (b"\xff", r"\xff"),
            (b"/a\xfe\xff/b", r"/a\xfe\xff/b"),
            // cp1251 `дегтярное-мыло.рф`: no two of these bytes make UTF-8.
            (
                b"\xe4\xe5\xe3\xf2\xff\xf0\xed\xee\xe5-\xec\xfb\xeb\xee.\xf0\xf4",
                r"\xe4\xe5\xe3\xf2\xff\xf0\xed\xee\xe5-\xec\xfb\xeb\xee.\xf0\xf4",
            ),
            // Valid sequences around invalid ones stay characters.
            (b"\xd0\x9f\xff\xd0\x9f", r"П\xffП"),
            // A sequence cut short (the end of a 200-byte sample) and a
            // lead byte followed by ASCII: every byte of each escaped.
            (b"caf\xc3", r"caf\xc3"),
            (b"\xe2\x82x", r"\xe2\x82x"),
            // Surrogates and overlong forms are not UTF-8.
            (b"\xed\xa0\x80", r"\xed\xa0\x80"),
            (b"\xc0\xaf", r"\xc0\xaf"),
        ];
        for &(bytes, want) in cases {
            assert_eq!(from_log(bytes), want, "{bytes:?}");
        }
    }
}
