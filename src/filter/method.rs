//! `--method`: which request methods are kept.

use super::list::{items, quote_item};

/// A `--method` list: methods kept (any of them, when there are some) and
/// methods dropped, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSet {
    keep: Vec<Box<[u8]>>,
    drop: Vec<Box<[u8]>>,
}

impl MethodSet {
    pub fn parse(s: &str) -> Result<MethodSet, String> {
        let mut set = MethodSet {
            keep: Vec::new(),
            drop: Vec::new(),
        };
        for item in items(s) {
            let name = item.name;
            // Methods are letters; `-` is what an unreadable request has.
            if name.is_empty() || !(name == "-" || name.bytes().all(|b| b.is_ascii_alphabetic())) {
                return Err(format!(
                    "{} is not a method: write methods like GET,HEAD, comma-separated, \
                     each negated with ! to drop it (!POST)",
                    quote_item(item.written, s)
                ));
            }
            let name = name.to_ascii_uppercase().into_bytes().into_boxed_slice();
            if item.negated {
                set.drop.push(name);
            } else {
                set.keep.push(name);
            }
        }
        Ok(set)
    }

    #[inline]
    pub fn contains(&self, method: &[u8]) -> bool {
        (self.keep.is_empty() || self.keep.iter().any(|m| m.eq_ignore_ascii_case(method)))
            && !self.drop.iter().any(|m| m.eq_ignore_ascii_case(method))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_lists() {
        let m = MethodSet::parse("get,Head").unwrap();
        assert!(m.contains(b"GET") && m.contains(b"HEAD") && !m.contains(b"POST"));
        let m = MethodSet::parse("!post").unwrap();
        assert!(m.contains(b"GET") && m.contains(b"-") && !m.contains(b"POST"));
        assert!(MethodSet::parse("-").unwrap().contains(b"-"));
        for bad in ["", "GET,", "G ET", "!", "GET/1"] {
            assert!(
                MethodSet::parse(bad).unwrap_err().contains("!POST"),
                "{bad}"
            );
        }
    }
}
