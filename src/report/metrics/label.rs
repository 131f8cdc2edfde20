//! Label values, numbered. A label is text (the exposition format is
//! UTF-8) that a person reads in a file, a terminal or a Grafana legend:
//! [`label_text`](crate::text::label_text) shows bytes that are not UTF-8
//! as `\xHH` (SPEC §1), and control and bidi characters as the tables show
//! them (`\x1b`, `\x0a`, `\u{202e}`), so that no label carries a control
//! character anywhere it is shown. The format's own escapes (`\\`, `\"`,
//! `\n`) are the renderer's.
//!
//! Two spellings that show the same (a byte `0xff` and the text `\xff`)
//! are one label: their figures are added, since a series name may occur
//! once in a scrape.

use std::borrow::Cow;

use hashbrown::hash_table::Entry as TableEntry;
use hashbrown::HashTable;

use crate::aggregate::bytes_map::hash_of;

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
    use crate::text::label_text;

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
