//! Label values from log text. A label is text (the exposition format is
//! UTF-8) that a person reads in a file, a terminal or a Grafana legend:
//! bytes that are not UTF-8 show as `\xHH` (SPEC §1), and control and
//! bidi characters as the tables show them (`\x1b`, `\x0a`, `\u{202e}`),
//! so that no label carries a control character anywhere it is shown.
//! The format's own escapes (`\\`, `\"`, `\n`) are the renderer's.
//!
//! Two spellings that show the same (a byte `0xff` and the text `\xff`)
//! are one label: their figures are added, since a series name may occur
//! once in a scrape.

use std::borrow::Cow;

use hashbrown::hash_table::Entry as TableEntry;
use hashbrown::HashTable;

use crate::aggregate::bytes_map::hash_of;
use crate::output::table::{is_terminal_unsafe, push_terminal_safe};

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

/// The distinct label values of one label, numbered, each with the total
/// it is ranked by (see [`super::fold`]). Every path of a log can be a
/// value: each is hashed once, and the hash kept for when the table grows.
#[derive(Debug, Default)]
pub struct Labels<'a> {
    index: HashTable<u32>,
    hashes: Vec<u64>,
    names: Vec<Cow<'a, str>>,
    totals: Vec<u64>,
}

impl<'a> Labels<'a> {
    /// Room for `n` labels.
    pub fn with_capacity(n: usize) -> Self {
        Labels {
            index: HashTable::with_capacity(n),
            hashes: Vec::with_capacity(n),
            names: Vec::with_capacity(n),
            totals: Vec::with_capacity(n),
        }
    }

    /// The id of label `text`, whose total grows by `n`.
    pub fn add(&mut self, text: Cow<'a, str>, n: u64) -> u32 {
        let hash = hash_of(text.as_bytes());
        let names = &self.names;
        let hashes = &self.hashes;
        let next = names.len() as u32;
        let id = match self.index.entry(
            hash,
            |&id| names[id as usize] == text,
            |&id| hashes[id as usize],
        ) {
            TableEntry::Occupied(e) => *e.get(),
            TableEntry::Vacant(e) => {
                e.insert(next);
                self.hashes.push(hash);
                self.names.push(text);
                self.totals.push(0);
                next
            }
        };
        self.totals[id as usize] += n;
        id
    }

    /// `(label, total)` of every label, by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        (self.names.iter().map(|n| n.as_ref())).zip(self.totals.iter().copied())
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn labels_that_show_the_same_are_one() {
        let mut labels = Labels::default();
        let a = labels.add(label_text(b"/\xff"), 2);
        let b = labels.add(label_text(br"/\xff"), 3);
        let c = labels.add(label_text(b"/"), 1);
        assert_eq!((a, b, c), (0, 0, 1));
        assert_eq!(labels.iter().collect::<Vec<_>>(), [(r"/\xff", 5), ("/", 1)]);
    }
}
