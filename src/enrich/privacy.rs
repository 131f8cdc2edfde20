//! Keeping visitors' addresses out of reports.
//!
//! A report is mailed around and pasted into tickets; the addresses of the
//! people who visited a site must not travel with it. Addresses are used
//! during a run (visitors, countries) and never printed: where the report
//! shows a client (the `clients` table) it shows the address anonymised as
//! GoAccess's `--anonymize-ip` does, and any client address that appears
//! inside other text taken from the log (a malformed line, a path, a
//! referrer) is anonymised the same way. `--show-ips` turns this off.

use std::collections::HashSet;
use std::hash::Hasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// IPv4 with its last octet zeroed, IPv6 with its last 80 bits zeroed.
pub fn anonymize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 80) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

/// Replaces client addresses inside text from the log.
#[derive(Debug, Default)]
pub struct Redactor {
    clients: Vec<Option<IpAddr>>,
    /// The clients as a set, built the first time text holds an address
    /// (most reports have none outside their malformed lines, and a big
    /// log has hundreds of thousands of clients).
    set: OnceLock<HashSet<IpAddr>>,
    /// `--show-ips`: change nothing.
    off: bool,
    /// Clients known only by keyed hashes of their addresses (a saved
    /// state keeps no address), used instead of `clients` when set.
    hashed: Option<HashedClients>,
}

/// A set of client addresses kept as 128-bit keyed hashes: whether an
/// address is among them can be asked, the addresses cannot be read back.
#[derive(Debug, Default, Clone)]
pub struct HashedClients {
    key: [u64; 2],
    /// Sorted, each once: looked up only for text that reads as an
    /// address, so a sorted list serves, and is much quicker to build
    /// from a state's hundreds of thousands than a hash set. Shared: a
    /// state's report and its Prometheus series redact with one list.
    sorted: std::sync::Arc<[u128]>,
}

impl HashedClients {
    /// The clients whose hashes under `key` are `hashes` (in any order,
    /// repeats allowed; a sorted start is cheap to sort).
    pub fn new(key: [u64; 2], mut hashes: Vec<u128>) -> HashedClients {
        // A stable sort finds sorted runs (a state's saved sums come
        // sorted) and merges them.
        hashes.sort();
        hashes.dedup();
        HashedClients {
            key,
            sorted: hashes.into(),
        }
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        (self.sorted)
            .binary_search(&address_hash(self.key, ip))
            .is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

/// SipHash-1-3 (128-bit) of an address under `key`: what a saved state
/// keeps of a client instead of its address.
pub fn address_hash(key: [u64; 2], ip: &IpAddr) -> u128 {
    use siphasher::sip128::{Hasher128, SipHasher13};
    use std::hash::Hasher;
    let mut h = SipHasher13::new_with_keys(key[0], key[1]);
    match ip {
        IpAddr::V4(v4) => h.write(&v4.octets()),
        IpAddr::V6(v6) => h.write(&v6.octets()),
    }
    h.finish128().as_u128()
}

impl Redactor {
    /// A redactor for the addresses of `clients`; with `show_ips`, one that
    /// leaves text as it is.
    pub fn new(clients: Vec<Option<IpAddr>>, show_ips: bool) -> Redactor {
        Redactor {
            clients: if show_ips { Vec::new() } else { clients },
            set: OnceLock::new(),
            off: show_ips,
            hashed: None,
        }
    }

    /// A redactor for clients known by their hashes.
    pub fn hashed(clients: HashedClients, show_ips: bool) -> Redactor {
        Redactor {
            hashed: (!show_ips).then_some(clients),
            ..Redactor::new(Vec::new(), show_ips)
        }
    }

    fn is_client(&self, ip: &IpAddr) -> bool {
        if let Some(hashed) = &self.hashed {
            return hashed.contains(ip);
        }
        self.set
            .get_or_init(|| self.clients.iter().flatten().copied().collect())
            .contains(ip)
    }

    pub fn is_off(&self) -> bool {
        self.off
    }

    /// `text` with every client address in it anonymised. An address is a
    /// run of hex digits, `.` and `:` that parses as one (IPv4-mapped and
    /// other IPv6 spellings included) and is a client's; anything else is
    /// left alone, so paths and versions keep their numbers.
    pub fn redact(&self, text: &str) -> String {
        if self.clients.is_empty() && self.hashed.as_ref().is_none_or(|h| h.is_empty()) {
            return text.to_string();
        }
        self.replace(text, false)
    }

    /// `text` with every address in it anonymised, a client's or not: for
    /// lines that could not be parsed, where the client is not known.
    pub fn redact_any(&self, text: &str) -> String {
        if self.off {
            return text.to_string();
        }
        self.replace(text, true)
    }

    fn replace(&self, text: &str, any: bool) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(is_address_char) {
            out.push_str(&rest[..start]);
            let run = &rest[start..];
            let len = run.find(|c| !is_address_char(c)).unwrap_or(run.len());
            let token = &run[..len];
            // An address has dots (IPv4) or colons (IPv6): the hex runs of
            // words and hashes (`fa` in `/faq`) are passed over at once.
            if token.contains(['.', ':']) {
                out.push_str(&self.redact_token(token, any));
            } else {
                out.push_str(token);
            }
            rest = &run[len..];
        }
        out.push_str(rest);
        out
    }

    fn redact_token(&self, token: &str, any: bool) -> String {
        // `1.2.3.4.` (end of a sentence) and `[::1]:80` leave punctuation
        // around the address itself.
        let (lead, trimmed) = [
            (0, token),
            (0, token.trim_end_matches(['.', ':'])),
            (
                token.len() - token.trim_start_matches(['.', ':']).len(),
                token.trim_matches(['.', ':']),
            ),
        ]
        .into_iter()
        .find(|(_, t)| t.parse::<IpAddr>().is_ok())
        .unwrap_or((0, token));
        if let Ok(ip) = trimmed.parse::<IpAddr>() {
            let ip_unified = match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
                v4 => v4,
            };
            if any || self.is_client(&ip) || self.is_client(&ip_unified) {
                let mut s = token[..lead].to_string();
                s.push_str(&anonymize(ip_unified).to_string());
                s.push_str(&token[lead + trimmed.len()..]);
                return s;
            }
        }
        // An address with a port glued on (`1.2.3.4:8080`) is two tokens.
        if let Some((host, port)) = trimmed.rsplit_once(':') {
            if host.contains('.') && !host.contains(':') {
                let mut s = token[..lead].to_string();
                s.push_str(&self.redact_token(host, any));
                s.push(':');
                s.push_str(port);
                s.push_str(&token[lead + trimmed.len()..]);
                return s;
            }
        }
        token.to_string()
    }
}

fn is_address_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '.' || c == ':'
}

/// Feeds the client as SPEC §1 identifies it into a keyed hash: its address
/// when the field holds one (so `::ffff:1.2.3.4` and `1.2.3.4` are one
/// client), else the field's text, length first so that what follows it
/// cannot run into it.
pub fn hash_client(h: &mut impl Hasher, ip: Option<IpAddr>, field: &[u8]) {
    match ip {
        Some(IpAddr::V4(v4)) => {
            h.write_u8(4);
            h.write(&v4.octets());
        }
        Some(IpAddr::V6(v6)) => {
            h.write_u8(6);
            h.write(&v6.octets());
        }
        None => {
            h.write_u8(0);
            h.write_usize(field.len());
            h.write(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn anonymised_like_goaccess() {
        assert_eq!(anonymize(ip("203.0.113.77")), ip("203.0.113.0"));
        assert_eq!(
            anonymize(ip("2001:db8:85a3:1234:5678:8a2e:370:7334")),
            ip("2001:db8:85a3::")
        );
        assert_eq!(anonymize(ip("::1")), ip("::"));
    }

    #[test]
    fn only_client_addresses_are_replaced() {
        let r = Redactor::new(
            vec![
                Some(ip("203.0.113.77")),
                Some(ip("2001:db8::1")),
                Some(ip("10.0.0.1")),
                None,
            ],
            false,
        );
        assert_eq!(
            r.redact("203.0.113.77 - - [x] \"GET /v/1.2.3.4 HTTP/1.1\" 200"),
            "203.0.113.0 - - [x] \"GET /v/1.2.3.4 HTTP/1.1\" 200"
        );
        assert_eq!(r.redact("from 2001:db8::1, then"), "from 2001:db8::, then");
        assert_eq!(r.redact("http://10.0.0.1:8080/x"), "http://10.0.0.0:8080/x");
        assert_eq!(r.redact("at 10.0.0.1."), "at 10.0.0.0.");
        assert_eq!(r.redact("::ffff:10.0.0.1 x"), "10.0.0.0 x");
        assert_eq!(r.redact("deadbeef cafe 12:30"), "deadbeef cafe 12:30");
        assert_eq!(r.redact("é 203.0.113.77é"), "é 203.0.113.0é");
        let shown = Redactor::new(vec![Some(ip("203.0.113.77"))], true);
        assert_eq!(shown.redact("203.0.113.77"), "203.0.113.77");
        assert_eq!(shown.redact_any("203.0.113.77"), "203.0.113.77");
    }

    #[test]
    fn unparsed_lines_lose_every_address() {
        let r = Redactor::new(Vec::new(), false);
        assert_eq!(
            r.redact_any("198.51.100.7 - - [garbage] via 2001:db8::9"),
            "198.51.100.0 - - [garbage] via 2001:db8::"
        );
        assert_eq!(r.redact("198.51.100.7"), "198.51.100.7");
    }
}
