//! Text from the log as the report prints it (SPEC §1).
//!
//! Log fields are bytes: nginx and Apache write a byte they must escape as
//! `\xHH`, which the parser decodes, and clients send whatever they like.
//! Where those bytes are UTF-8 they are text; where they are not, each
//! byte is printed as `\xHH`, so that a referrer host written in cp1251
//! reads `\xe4\xe5...` (searchable, and the bytes can be told apart) where
//! U+FFFD would have made every such name the same row of `�`.
//!
//! Text is then shown where control characters would act (a terminal, a
//! CSV read with `cat`, a page, a metric label): [`terminal_safe`] shows
//! them as escapes, and [`label_text`] does both steps in one pass for
//! metric labels. Depends on no other module of the crate.

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

/// Text from the log as a terminal may show it. User agents, paths and
/// referrers are written by whoever sends a request: an escape sequence in
/// them could recolour, retitle or rewrite the terminal of the person
/// reading the report, and a bidi override could make text read backwards.
/// Control characters (C0, DEL, C1) are shown as `\x1b`, bidi controls as
/// `\u{202e}`; bytes that were not UTF-8 already show as `\xHH`.
pub fn terminal_safe(s: &str) -> String {
    if !s.chars().any(is_terminal_unsafe) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_terminal_safe(&mut out, c);
    }
    out
}

/// Whether [`terminal_safe`] shows `c` as an escape: a control character
/// (C0, DEL, C1) or a bidi control.
pub fn is_terminal_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends `c` as [`terminal_safe`] shows it.
pub fn push_terminal_safe(out: &mut String, c: char) {
    if !is_terminal_unsafe(c) {
        out.push(c);
    } else if (c as u32) < 0x100 {
        out.push_str(&format!("\\x{:02x}", c as u32));
    } else {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    }
}

/// `bytes` as a label shows them; borrowed when they are valid UTF-8
/// without a control character, as nearly all log text is.
pub fn label_text(bytes: &[u8]) -> Cow<'_, str> {
    // Printable ASCII, nearly every path: one pass over the bytes.
    if bytes.iter().all(|b| (b' '..=b'~').contains(b)) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Cow::Borrowed(text);
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if !text.chars().any(is_terminal_unsafe) {
            return Cow::Borrowed(text);
        }
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_terminal_safe(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    Cow::Owned(out)
}

/// [`label_text`] of text that may be owned already (a route, a decoded
/// field): borrowed stays borrowed, owned is reused when it can be.
pub fn label_of(bytes: Cow<'_, [u8]>) -> Cow<'_, str> {
    match bytes {
        Cow::Borrowed(b) => label_text(b),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) if !s.chars().any(is_terminal_unsafe) => Cow::Owned(s),
            Ok(s) => Cow::Owned(label_text(s.as_bytes()).into_owned()),
            Err(e) => Cow::Owned(label_text(e.as_bytes()).into_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_drive_the_terminal() {
        assert_eq!(terminal_safe("/a\x1b[31mred"), "/a\\x1b[31mred");
        assert_eq!(
            terminal_safe("ding\x07\r\x08\u{9b}"),
            "ding\\x07\\x0d\\x08\\x9b"
        );
        assert_eq!(terminal_safe("abc\u{202e}cba"), "abc\\u{202e}cba");
        assert_eq!(
            terminal_safe("Mozilla/5.0 (é ✓ \u{fffd})"),
            "Mozilla/5.0 (é ✓ \u{fffd})"
        );
    }

    #[test]
    fn valid_text_is_borrowed() {
        assert!(matches!(
            label_text(b"/caf\xc3\xa9?"),
            Cow::Borrowed("/café?")
        ));
        // Quotes and backslashes are the format's to escape, not a label's.
        assert!(matches!(
            label_text(br#"/a"b\c"#),
            Cow::Borrowed(r#"/a"b\c"#)
        ));
    }

    #[test]
    fn invalid_utf8_shows_as_hex_escapes() {
        assert_eq!(label_text(b"/x\xff\xfey"), r"/x\xff\xfey");
        // A truncated sequence: each byte of it.
        assert_eq!(label_text(b"/caf\xc3"), r"/caf\xc3");
        assert_eq!(label_text(b"\xe2\x82"), r"\xe2\x82");
    }

    #[test]
    fn control_characters_show_as_the_tables_show_them() {
        assert_eq!(label_text(b"/a\nb\x1b[31m"), r"/a\x0ab\x1b[31m");
        assert_eq!(label_text("a\u{202e}b".as_bytes()), r"a\u{202e}b");
        assert_eq!(label_text(b"\r\t"), r"\x0d\x09");
    }

    #[test]
    fn owned_text_is_reused_or_shown_the_same() {
        let owned = |b: &[u8]| label_of(Cow::Owned(b.to_vec())).into_owned();
        for bytes in [&b"/users/:id"[..], b"/a\xff", b"/\x07"] {
            assert_eq!(owned(bytes), label_text(bytes));
        }
    }

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
