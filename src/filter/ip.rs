//! `--exclude-ip`: addresses and networks, and the sorted ranges a client
//! is looked up in.

use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};

/// The networks of one `--exclude-ip` value: one, or those of an `@FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpList(pub Vec<IpNet>);

const NET_FORMS: &str =
    "write an address (192.0.2.7, 2001:db8::1) or a network (10.0.0.0/8, 2001:db8::/32)";

impl IpList {
    /// An address, a network, or `@FILE`: one per line, `#` comments.
    pub fn parse(s: &str) -> Result<IpList, String> {
        match s.strip_prefix('@') {
            Some(file) => IpList::read(Path::new(file)),
            None => parse_net(s)
                .map(|n| IpList(vec![n]))
                .ok_or_else(|| format!("'{s}' is not an IP address or network: {NET_FORMS}")),
        }
    }

    /// One address or network per line; `#` starts a comment, blank lines
    /// are skipped.
    pub fn read(path: &Path) -> Result<IpList, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
        let mut nets = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            let net = parse_net(entry).ok_or_else(|| {
                format!(
                    "{}:{}: '{entry}' is not an IP address or network: {NET_FORMS}",
                    path.display(),
                    i + 1
                )
            })?;
            nets.push(net);
        }
        Ok(IpList(nets))
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    let net = if s.contains('/') {
        IpNet::from_str(s).ok()?
    } else {
        IpNet::from(IpAddr::from_str(s).ok()?)
    };
    Some(canonical_net(net))
}

/// Clients are resolved to canonical addresses (`::ffff:1.2.3.4` is
/// `1.2.3.4`), so a network written in the IPv4-mapped range must be the
/// IPv4 network it maps to, or it would never match.
fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if let (Some(v4), true) = (v6.network().to_ipv4_mapped(), v6.prefix_len() >= 96) {
            if let Ok(n) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                return IpNet::V4(n);
            }
        }
    }
    net.trunc()
}

/// Address ranges, sorted and merged, so that a client is looked up by
/// binary search however long an `@FILE` list is.
#[derive(Debug, Default)]
pub(super) struct IpRanges {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpRanges {
    pub(super) fn new(nets: &[IpNet]) -> IpRanges {
        let mut r = IpRanges::default();
        for net in nets {
            match net {
                IpNet::V4(n) => r.v4.push((n.network().into(), n.broadcast().into())),
                IpNet::V6(n) => r.v6.push((n.network().into(), n.broadcast().into())),
            }
        }
        merge_ranges(&mut r.v4);
        merge_ranges(&mut r.v6);
        r
    }

    pub(super) fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => in_ranges(&self.v4, u32::from(a)),
            IpAddr::V6(a) => in_ranges(&self.v6, u128::from(a)),
        }
    }
}

fn merge_ranges<T: Ord + Copy>(ranges: &mut Vec<(T, T)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for &(lo, hi) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    *ranges = merged;
}

fn in_ranges<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    let i = ranges.partition_point(|r| r.1 < x);
    ranges.get(i).is_some_and(|r| r.0 <= x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let nets: Vec<IpNet> = [
            "10.0.0.0/8",
            "192.0.2.7",
            "2001:db8::/32",
            "::ffff:172.16.0.0/108",
        ]
        .iter()
        .flat_map(|s| IpList::parse(s).unwrap().0)
        .collect();
        let r = IpRanges::new(&nets);
        for (ip, inside) in [
            ("10.1.2.3", true),
            ("11.0.0.0", false),
            ("192.0.2.7", true),
            ("192.0.2.8", false),
            ("2001:db8::1", true),
            ("2001:db9::1", false),
            ("172.16.5.5", true),
            ("172.32.0.1", false),
        ] {
            assert_eq!(r.contains(ip.parse().unwrap()), inside, "{ip}");
        }
        for bad in ["", "10.0.0.0/33", "example.com", "10.0.0", "1.2.3.4:80"] {
            assert!(
                IpList::parse(bad).unwrap_err().contains("10.0.0.0/8"),
                "{bad}"
            );
        }
        // Host bits set are ignored, as in a firewall rule.
        assert_eq!(parse_net("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
    }

    #[test]
    fn overlapping_ranges_merge() {
        let mut v = vec![(5u32, 9), (1, 3), (2, 6), (20, 30), (31, 31)];
        merge_ranges(&mut v);
        assert_eq!(v, vec![(1, 9), (20, 30), (31, 31)]);
        assert!(in_ranges(&v, 9) && !in_ranges(&v, 10) && in_ranges(&v, 31) && !in_ranges(&v, 0));
    }

    #[test]
    fn ip_list_file_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ips.txt");
        std::fs::write(
            &path,
            "# office\n10.0.0.0/8  # vpn\n\n   \n192.0.2.1\n2001:db8::/32\nnope\n",
        )
        .unwrap();
        let e = IpList::parse(&format!("@{}", path.display())).unwrap_err();
        assert!(
            e.contains(&format!("{}:7:", path.display())) && e.contains("'nope'"),
            "{e}"
        );
        std::fs::write(&path, "# office\n10.0.0.0/8  # vpn\n\n192.0.2.1\n").unwrap();
        assert_eq!(
            IpList::parse(&format!("@{}", path.display()))
                .unwrap()
                .0
                .len(),
            2
        );
        let e = IpList::parse("@/nonexistent/ips.txt").unwrap_err();
        assert!(e.contains("cannot read '/nonexistent/ips.txt'"), "{e}");
    }
}
