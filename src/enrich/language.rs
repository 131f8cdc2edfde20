//! The preferred language of a request, from its `Accept-Language` header
//! (SPEC §5): the language range with the highest `q` (ties to the first
//! written), its primary subtag lower-cased. `fr-CA;q=0.9, en;q=0.8` → `fr`.
//!
//! Worked out once per distinct header value at the end of a run, like
//! user agents: a site sees a few hundred distinct values, not one per line
//! (the visit walk's `languages_of`).

/// The language of a header that names none: `*`, empty or `-`.
pub const UNKNOWN_LANGUAGE: &str = "unknown";

/// The number the visit walk gives [`UNKNOWN_LANGUAGE`] among the
/// languages of a run.
pub const UNKNOWN_INDEX: u32 = 0;

/// The preferred language of an `Accept-Language` header, as written
/// (escapes decoded).
///
/// A range whose `q` cannot be read (`q=high`, `q=2`) is left out, as
/// HTTP says a malformed element is; so is a range whose primary subtag is
/// not 1 to 8 ASCII letters (`*` apart): such text names no language. An
/// underscore separates subtags too (`en_US`, which some clients send).
pub fn preferred_language(header: &[u8]) -> String {
    let mut best: Option<(&[u8], u16)> = None;
    for element in header.split(|&b| b == b',') {
        let mut params = element.split(|&b| b == b';');
        let range = trim(params.next().unwrap_or_default());
        if range.is_empty() {
            continue;
        }
        let mut q = Some(1000);
        for param in params {
            let param = trim(param);
            if let Some(value) = param
                .strip_prefix(b"q=")
                .or_else(|| param.strip_prefix(b"Q="))
            {
                q = qvalue(trim(value));
            }
        }
        let Some(q) = q else { continue };
        if range != b"*" && primary_subtag(range).is_none() {
            continue;
        }
        // Strictly higher: a tie keeps the range written first.
        if best.is_none_or(|(_, top)| q > top) {
            best = Some((range, q));
        }
    }
    match best.and_then(|(range, _)| primary_subtag(range)) {
        Some(primary) => String::from_utf8_lossy(primary).to_ascii_lowercase(),
        None => UNKNOWN_LANGUAGE.to_string(),
    }
}

/// The primary subtag of a language range, when it is 1 to 8 letters.
fn primary_subtag(range: &[u8]) -> Option<&[u8]> {
    let primary = range.split(|&b| b == b'-' || b == b'_').next()?;
    ((1..=8).contains(&primary.len()) && primary.iter().all(u8::is_ascii_alphabetic))
        .then_some(primary)
}

/// A weight `0`, `0.5`, `1`, `1.000` in thousandths; `None` when it is
/// none (more than three decimals, above 1, not a number).
fn qvalue(text: &[u8]) -> Option<u16> {
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if int.len() != 1 || frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = match int[0] {
        b'0' => 0u16,
        b'1' => 1000,
        _ => return None,
    };
    for (i, &d) in frac.iter().enumerate() {
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    (thousandths <= 1000).then_some(thousandths)
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(header: &str) -> String {
        preferred_language(header.as_bytes())
    }

    #[test]
    fn the_highest_q_wins_and_ties_go_to_the_first() {
        assert_eq!(lang("fr-CA;q=0.9, en;q=0.8"), "fr");
        assert_eq!(lang("en;q=0.5, de-DE;q=0.7, fr;q=0.6"), "de");
        // No q is q=1, and a tie keeps the first written.
        assert_eq!(lang("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7"), "pt");
        assert_eq!(lang("de;q=0.8, en;q=0.8"), "de");
        assert_eq!(lang("en-GB;q=0.8, es"), "es");
        assert_eq!(lang("da, en-gb;q=0.8, en;q=0.7"), "da");
        assert_eq!(lang("nl;q=1.000, fr;q=1"), "nl");
        assert_eq!(lang(" ZH-Hant-TW ; Q=0.9 , ja;q=0.3"), "zh");
    }

    #[test]
    fn wildcards_dashes_and_empty_headers_are_unknown() {
        assert_eq!(lang("*"), UNKNOWN_LANGUAGE);
        assert_eq!(lang("-"), UNKNOWN_LANGUAGE);
        assert_eq!(lang(""), UNKNOWN_LANGUAGE);
        assert_eq!(lang("   "), UNKNOWN_LANGUAGE);
        // The wildcard is the range with the highest q: no language.
        assert_eq!(lang("*, fr;q=0.5"), UNKNOWN_LANGUAGE);
        assert_eq!(lang("fr;q=0.5, *;q=0.1"), "fr");
    }

    #[test]
    fn unreadable_ranges_are_left_out() {
        assert_eq!(lang("en;q=high, fr;q=0.1"), "fr");
        assert_eq!(lang("en;q=2, fr;q=0.1"), "fr");
        assert_eq!(lang("en;q=0.12345, fr;q=0.1"), "fr");
        assert_eq!(lang("\x1b[31m, de;q=0.2"), "de");
        assert_eq!(lang("en_US"), "en");
        assert_eq!(lang("12-34"), UNKNOWN_LANGUAGE);
        assert_eq!(lang(",,;q=0.5,"), UNKNOWN_LANGUAGE);
    }

    #[test]
    fn weights() {
        assert_eq!(qvalue(b"0"), Some(0));
        assert_eq!(qvalue(b"0.9"), Some(900));
        assert_eq!(qvalue(b"0.05"), Some(50));
        assert_eq!(qvalue(b"1."), Some(1000));
        assert_eq!(qvalue(b"1.001"), None);
        assert_eq!(qvalue(b".5"), None);
        assert_eq!(qvalue(b""), None);
    }
}
