//! What the page must escape beyond what maud does (element text and
//! attribute values, which maud escapes by default): log text shown to a
//! reader, and JSON embedded in a `<script>` element.

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Log text as the page shows it: control characters and bidi overrides
/// as visible escapes (`\x1b`, `\u{202e}`), as in the terminal tables. A
/// U+202E in a path would otherwise make the rest of its cell, and with
/// some browsers its neighbours, read backwards. maud then escapes the
/// result for HTML.
pub fn shown(text: &str) -> String {
    crate::output::table::terminal_safe(text)
}

/// `value` as JSON that can stand inside `<script type="application/json">`.
/// In a script element, `</script` ends the element and `<!--` changes how
/// the rest is read, whatever the JSON means: every `<` (and `>` and `&`,
/// for good measure) is written as a `\u` escape. U+2028 and U+2029 are
/// escaped too: valid in JSON, they ended a JavaScript string before
/// ES2019. These characters can only occur inside JSON strings, where
/// serde_json never leaves a lone backslash before them, so each is
/// replaced wherever it is.
pub fn script_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let json = serde_json::to_string(value)?;
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The Content-Security-Policy source that allows exactly this inline
/// script: `'sha256-…'` of its text as it stands between the tags.
pub fn script_hash(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let hostile = [
            "</script><script>alert(1)</script>",
            "<!--",
            "a\u{2028}b\u{2029}",
            "\\<",
        ];
        let json = script_json(&hostile).unwrap();
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        assert!(!json.contains('\u{2028}') && !json.contains('\u{2029}'));
        assert!(json.contains("\\u003c/script\\u003e"));
        // Still the same JSON.
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hostile);
    }

    #[test]
    fn shown_text_makes_controls_and_bidi_visible() {
        assert_eq!(shown("a\u{202e}b\x1b[31m"), "a\\u{202e}b\\x1b[31m");
        assert_eq!(shown("/plain/path"), "/plain/path");
    }

    #[test]
    fn script_hash_is_sha256_in_base64() {
        // `echo -n "" | openssl dgst -sha256 -binary | base64`
        assert_eq!(
            script_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}
