//! What the second reading works out per visitor (client and user agent),
//! kept for the visitors of the last few hundred lines.
//!
//! A visitor's hits come in bursts (a page, then its styles, scripts and
//! images), interleaved with other visitors' bursts: on the generated log
//! only a quarter of the lines have the visitor of the line before, but
//! three in five have one seen in the last thousand lines. Without this
//! cache each of them looks its client up in the run's table of clients,
//! hashes the visitor with SipHash, looks the hash up in the part's
//! `visitor_id` dictionary and the visitor up in the visit index: four
//! probes into tables of a few hundred thousand entries, each a cache miss.
//! With it, one probe into a table that stays in the processor's cache.
//!
//! Direct-mapped: each (client field, agent) pair has one slot, and a new
//! pair takes it over. The client field is kept in the slot (addresses are
//! short), so that a hit costs no lookup elsewhere.

use super::tables::ClientRow;
use super::visit_index::Visit;

/// Slots: a power of two.
const SLOTS: usize = 1024;

/// Client fields up to this long are cached (the longest IPv6 address with
/// an IPv4 tail is 45 bytes); a longer one is looked up every time.
const KEY_BYTES: usize = 46;

/// A visitor, as a row needs it.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'c> {
    pub client: ClientRow,
    /// Its `visitor_id`'s number in the part's dictionary.
    pub visitor: u32,
    /// Its visits, in time order (none for a bot: bots make no visits and
    /// their hits belong to none).
    pub visits: &'c [Visit],
}

#[derive(Clone, Copy)]
struct Slot<'c> {
    /// Length of the client field.
    len: u8,
    key: [u8; KEY_BYTES],
    agent: u32,
    seen: Seen<'c>,
}

/// The cache of one part of the input.
pub struct VisitorCache<'c> {
    slots: Vec<Option<Slot<'c>>>,
}

impl<'c> VisitorCache<'c> {
    pub fn new() -> Self {
        VisitorCache {
            slots: vec![None; SLOTS],
        }
    }

    /// What was worked out for the visitor (`client`, `agent`), if it is
    /// still here.
    #[inline]
    pub fn get(&self, client: &[u8], agent: u32) -> Option<Seen<'c>> {
        if client.len() > KEY_BYTES {
            return None;
        }
        let slot = self.slots[slot_of(client, agent)].as_ref()?;
        (slot.len as usize == client.len()
            && slot.agent == agent
            && &slot.key[..client.len()] == client)
            .then_some(slot.seen)
    }

    /// Keeps `seen` for the visitor (`client`, `agent`).
    #[inline]
    pub fn put(&mut self, client: &[u8], agent: u32, seen: Seen<'c>) {
        if client.len() > KEY_BYTES {
            return;
        }
        let mut key = [0u8; KEY_BYTES];
        key[..client.len()].copy_from_slice(client);
        self.slots[slot_of(client, agent)] = Some(Slot {
            len: client.len() as u8,
            key,
            agent,
            seen,
        });
    }
}

/// The slot of a visitor: a mix of the client field's first, middle and
/// last eight bytes (addresses differ at both ends), its length and the
/// agent.
#[inline]
fn slot_of(client: &[u8], agent: u32) -> usize {
    let n = client.len();
    let word = |at: usize| u64::from_le_bytes(*client[at..].first_chunk::<8>().unwrap_or(&[0; 8]));
    let mixed = if n >= 8 {
        word(0) ^ word(n - 8).rotate_left(23) ^ word(n / 2 - 4).rotate_left(41)
    } else {
        client.iter().fold(0u64, |h, &b| h << 8 | b as u64)
    };
    let mixed = mixed ^ (n as u64) << 56 ^ (agent as u64).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(client_id: u32) -> Seen<'static> {
        Seen {
            client: ClientRow {
                unified: client_id,
                partition: 0,
                country: 0,
                hash: 0,
                address: 0,
            },
            visitor: client_id + 100,
            visits: &[],
        }
    }

    #[test]
    fn a_visitor_is_found_only_by_its_own_client_and_agent() {
        let mut cache = VisitorCache::new();
        let (a, b) = (
            &b"2a02:810d:3d72:9ebc:fa2c:84dc:cc49:4f1c"[..],
            &b"10.0.0.1"[..],
        );
        assert!(cache.get(a, 1).is_none());
        cache.put(a, 1, seen(7));
        cache.put(b, 1, seen(8));
        cache.put(b"", 2, seen(9));
        assert_eq!(cache.get(a, 1).map(|s| s.visitor), Some(107));
        assert_eq!(cache.get(b, 1).map(|s| s.client.unified), Some(8));
        assert_eq!(cache.get(b"", 2).map(|s| s.client.unified), Some(9));
        // Another agent, a prefix, a longer field: not this visitor.
        assert!(cache.get(a, 2).is_none());
        assert!(cache.get(&a[..20], 1).is_none());
        assert!(cache.get(b"10.0.0.10", 1).is_none());
        assert!(cache.get(b"", 1).is_none());
        // A field too long to keep is never found.
        let long = [b'x'; KEY_BYTES + 1];
        cache.put(&long, 1, seen(10));
        assert!(cache.get(&long, 1).is_none());
    }

    #[test]
    fn a_new_visitor_takes_the_slot_over() {
        let mut cache = VisitorCache::new();
        // Enough visitors that some share a slot: each is found right after
        // it is put, and whatever is found is the right one.
        let clients: Vec<String> = (0..5000)
            .map(|i| format!("192.0.{}.{}", i / 256, i % 256))
            .collect();
        for (i, c) in clients.iter().enumerate() {
            cache.put(c.as_bytes(), 3, seen(i as u32));
            assert_eq!(
                cache.get(c.as_bytes(), 3).map(|s| s.client.unified),
                Some(i as u32)
            );
        }
        let found: Vec<usize> = (0..clients.len())
            .filter(|&i| match cache.get(clients[i].as_bytes(), 3) {
                Some(s) => {
                    assert_eq!(s.client.unified, i as u32);
                    true
                }
                None => false,
            })
            .collect();
        assert!(found.len() <= SLOTS, "{}", found.len());
        assert!(found.len() > SLOTS / 2, "{}", found.len());
    }
}
