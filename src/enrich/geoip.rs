//! Client addresses and their countries (SPEC §1 "Client", §5 "country").
//!
//! [`client_ip`] finds the address in a `%h` field; [`open`] finds and maps
//! a MaxMind-format database; [`GeoDb::country`] looks an address up in it.
//!
//! Client tokens accepted, and why:
//! - plain IPv4 and IPv6 (`203.0.113.9`, `2001:db8::1`, also with leading
//!   zeros in the groups, `2a03:0000:10ff::8000`): what nginx
//!   `$remote_addr`, Apache `%h`/`%a` and gunicorn `%(h)s` write;
//! - IPv4-mapped IPv6 `::ffff:203.0.113.9` becomes `203.0.113.9`: servers on
//!   dual-stack sockets (Node/morgan, Java) log IPv4 clients this way, and it
//!   is the same client as the plain form;
//! - `203.0.113.9:51234`, `[2001:db8::1]` and `[2001:db8::1]:51234`: the
//!   port and brackets are dropped. Azure Application Gateway writes
//!   `X-Forwarded-For` entries with ports, and Go/Node loggers print
//!   `RemoteAddr` as it is; a bare IPv6 with a port cannot be told from an
//!   address (`2001:db8::1:80` is one), so it is read as the address it is;
//! - not: host names (Apache `HostnameLookups On`), `-`, the empty string,
//!   nginx's `unix:`, `unknown` in forwarded lists, zone ids (`fe80::1%eth0`).

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use maxminddb::{MaxMindDbError, PathElement, Reader};
use memmap2::Mmap;

/// The usual places of a country database, in the order they are tried:
/// where geoipupdate and the distribution packages put GeoLite2, then DB-IP.
pub const USUAL_PATHS: &[&str] = &[
    "/usr/share/GeoIP/GeoLite2-Country.mmdb",
    "/var/lib/GeoIP/GeoLite2-Country.mmdb",
    "/usr/local/share/GeoIP/GeoLite2-Country.mmdb",
    "/usr/share/GeoIP/dbip-country-lite.mmdb",
    "/var/lib/GeoIP/dbip-country-lite.mmdb",
];

/// The environment variable naming a database when `--geoip` is not given.
pub const ENV_VAR: &str = "LOGSTATS_GEOIP";

/// Longest token worth parsing: a full IPv6 with an IPv4 tail (45 bytes) in
/// brackets with a port. Longer tokens cannot be addresses, so the UTF-8 check
/// and the parse are skipped for them.
const MAX_TOKEN: usize = 45 + 2 + 6;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// SPEC §1: the client is the first token of the `%h` field that parses as
/// an IP address; tokens are split at spaces (and tabs), commas and double quotes,
/// because the field can be an `X-Forwarded-For` list `a, b` or a quoted list.
/// `None` when no token does (host names, `-`, empty, `unix:`). The module
/// documentation lists the forms accepted.
pub fn client_ip(field: &[u8]) -> Option<IpAddr> {
    if let Some(address) = plain_ipv4(field) {
        return Some(IpAddr::V4(Ipv4Addr::from(address)));
    }
    general_client_ip(field)
}

fn general_client_ip(field: &[u8]) -> Option<IpAddr> {
    field
        .split(|&b| matches!(b, b' ' | b',' | b'"' | b'\t'))
        .find_map(token_ip)
}

/// A client field that is nothing but a dotted quad, as most are, read
/// without the general parser, which cost more than all other filtering of
/// a line (`--exclude-ip`) and is run for every distinct client. Other spellings (leading zeros, lists,
/// ports, IPv6) are left to it: `None`.
fn plain_ipv4(field: &[u8]) -> Option<u32> {
    if !(7..=15).contains(&field.len()) {
        return None;
    }
    let (mut address, mut octet, mut digits, mut dots) = (0u32, 0u32, 0, 0);
    for &b in field {
        match b {
            b'0'..=b'9' => {
                if digits == 1 && octet == 0 {
                    return None;
                }
                octet = octet * 10 + u32::from(b - b'0');
                digits += 1;
                if octet > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && dots < 3 => {
                address = address << 8 | octet;
                (octet, digits, dots) = (0, 0, dots + 1);
            }
            _ => return None,
        }
    }
    (digits > 0 && dots == 3).then_some(address << 8 | octet)
}

fn token_ip(token: &[u8]) -> Option<IpAddr> {
    let first = *token.first()?;
    // Host names, `-`, `unix:` and `unknown` mostly fail here, before any
    // parsing: per-line cost matters.
    if token.len() > MAX_TOKEN || !(first.is_ascii_hexdigit() || first == b':' || first == b'[') {
        return None;
    }
    let text = std::str::from_utf8(token).ok()?;
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return inside
            .parse::<Ipv6Addr>()
            .ok()
            .map(|ip| IpAddr::V6(ip).to_canonical());
    }
    let (host, port) = text.split_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(text: &str) -> bool {
    (1..=5).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u16>().is_ok()
}

/// Where a database path came from: it decides what the user should fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--geoip FILE`.
    Flag,
    /// `$LOGSTATS_GEOIP`.
    Env,
    /// The `geoip` key of the configuration file.
    Config,
    /// One of [`USUAL_PATHS`].
    Usual,
}

impl Origin {
    fn fix(self) -> &'static str {
        match self {
            Origin::Flag => "check the path given to --geoip",
            Origin::Env => "fix LOGSTATS_GEOIP or unset it",
            Origin::Config => "fix the geoip key of the configuration file",
            Origin::Usual => "replace or remove it, or name another database with --geoip FILE",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "given with --geoip",
            Origin::Env => "named by LOGSTATS_GEOIP",
            Origin::Config => "named by the configuration file",
            Origin::Usual => "found at a usual path",
        })
    }
}

/// A country database that cannot be used. Each message names the file,
/// where its name came from, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("GeoIP database '{}' ({origin}) does not exist; {}", .path.display(), .origin.fix())]
    NotFound { path: PathBuf, origin: Origin },
    #[error("cannot read GeoIP database '{}' ({origin}): {reason}; {}", .path.display(), .origin.fix())]
    Unreadable {
        path: PathBuf,
        origin: Origin,
        reason: String,
    },
    #[error(
        "'{}' ({origin}) is not a MaxMind DB (.mmdb) file: {reason}; download the database again \
         (GeoLite2-Country.mmdb or dbip-country-lite.mmdb), or {}",
        .path.display(), .origin.fix()
    )]
    NotMmdb {
        path: PathBuf,
        origin: Origin,
        reason: String,
    },
    #[error(
        "'{}' ({origin}) is a {database_type} database, which has no countries; use a country \
         or city database (GeoLite2-Country.mmdb, GeoLite2-City.mmdb, dbip-country-lite.mmdb), or {}",
        .path.display(), .origin.fix()
    )]
    NotCountry {
        path: PathBuf,
        origin: Origin,
        database_type: String,
    },
}

/// Countries already decoded, by the place of their record in the
/// database: for one thread's lookups with [`GeoDb::country_cached`].
#[derive(Debug, Default)]
pub struct CountryCache<'a> {
    records: hashbrown::HashMap<usize, Result<Option<&'a str>, LookupFailed>>,
}

/// A lookup that went wrong because the database is damaged where it led
/// (a pointer past the end of the search tree or of the data), as opposed
/// to an address that is simply not in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupFailed;

/// Whether a reader error says the file is damaged. Not so: an IPv6
/// address asked of an IPv4-only database (it has none), or a record of
/// another shape than a country layout's (ipinfo's string `country`).
fn is_damage(e: &MaxMindDbError) -> bool {
    matches!(
        e,
        MaxMindDbError::InvalidDatabase { .. }
            | MaxMindDbError::Io(_)
            | MaxMindDbError::ResourceLimit { .. }
    )
}

/// A reader error as a lookup's answer: no country, or a failure.
fn no_country<'a>(e: &MaxMindDbError) -> Result<Option<&'a str>, LookupFailed> {
    if is_damage(e) {
        Err(LookupFailed)
    } else {
        Ok(None)
    }
}

/// An opened MaxMind-format country database, memory-mapped.
#[derive(Debug)]
pub struct GeoDb {
    reader: Reader<Mmap>,
    path: PathBuf,
}

const MAXMIND_COUNTRY: [PathElement<'static>; 2] =
    [PathElement::Key("country"), PathElement::Key("iso_code")];
const FLAT_COUNTRY: [PathElement<'static>; 1] = [PathElement::Key("country_code")];

impl GeoDb {
    /// Where the database came from, for the report header and JSON
    /// `geoip: {database}`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database's own name of its kind (`GeoLite2-Country`,
    /// `DBIP-Country-Lite`, ...), as its metadata says.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// ISO country code of `ip` ("GB"), read from either record layout:
    /// MaxMind's `country.iso_code` or DB-IP / ip-location-db's top-level
    /// `country_code`. `None` when the address is not in the database, the
    /// record has neither, or the database is corrupt where the lookup went.
    ///
    /// Path lookups rather than a struct decode: a struct fails the whole
    /// record when one field has another type (ipinfo's databases hold the
    /// country *name* in a string `country` beside `country_code`), and a
    /// path skips the names maps without building them. `registered_country`
    /// is not a fallback: it is where the network is registered, not where
    /// the client is.
    pub fn country(&self, ip: IpAddr) -> Option<&str> {
        self.try_country(ip).ok().flatten()
    }

    /// [`country`](Self::country), telling a damaged database apart:
    /// `Err` when the lookup failed there.
    pub fn try_country(&self, ip: IpAddr) -> Result<Option<&str>, LookupFailed> {
        let found = match self.reader.lookup(ip) {
            Ok(found) => found,
            Err(e) => return no_country(&e),
        };
        if found.offset().is_none() {
            return Ok(None);
        }
        Self::decode_country(&found)
    }

    /// [`country`](Self::country), with the records already decoded kept
    /// in `cache`: a country database holds a few hundred records that
    /// all addresses point to, and decoding one (two path lookups for
    /// DB-IP's layout) cost more than finding it.
    pub fn country_cached<'a>(
        &'a self,
        ip: IpAddr,
        cache: &mut CountryCache<'a>,
    ) -> Option<&'a str> {
        self.try_country_cached(ip, cache).ok().flatten()
    }

    /// [`country_cached`](Self::country_cached), telling a damaged
    /// database apart as [`try_country`](Self::try_country) does.
    pub fn try_country_cached<'a>(
        &'a self,
        ip: IpAddr,
        cache: &mut CountryCache<'a>,
    ) -> Result<Option<&'a str>, LookupFailed> {
        let found = match self.reader.lookup(ip) {
            Ok(found) => found,
            Err(e) => return no_country(&e),
        };
        let Some(offset) = found.offset() else {
            return Ok(None);
        };
        *cache
            .records
            .entry(offset)
            .or_insert_with(|| Self::decode_country(&found))
    }

    fn decode_country<'a>(
        found: &maxminddb::LookupResult<'a, Mmap>,
    ) -> Result<Option<&'a str>, LookupFailed> {
        let code = match found.decode_path::<&str>(&MAXMIND_COUNTRY) {
            Ok(Some(code)) => code,
            Err(e) if is_damage(&e) => return Err(LookupFailed),
            // Absent or of another shape: the other layout may hold it.
            _ => match found.decode_path::<&str>(&FLAT_COUNTRY) {
                Ok(Some(code)) => code,
                Ok(None) => return Ok(None),
                Err(e) => return no_country(&e),
            },
        };
        Ok((!code.is_empty()).then_some(code))
    }
}

/// SPEC §5 lookup order: `explicit` (`--geoip FILE`; a missing or broken
/// file is an error), else `$LOGSTATS_GEOIP` (same), else the first existing
/// of [`USUAL_PATHS`] (a broken file there is an error too). `Ok(None)` when
/// none is configured or found.
pub fn open(explicit: Option<&Path>) -> Result<Option<GeoDb>, GeoError> {
    open_with_env(explicit, std::env::var_os(ENV_VAR))
}

/// [`open`], with the `geoip` key of the configuration file tried after
/// `$LOGSTATS_GEOIP` and before the usual paths: a flag or a variable set
/// for one run overrides what a file says for every run.
pub fn open_configured(
    explicit: Option<&Path>,
    configured: Option<&Path>,
) -> Result<Option<GeoDb>, GeoError> {
    let usual: Vec<&Path> = USUAL_PATHS.iter().map(Path::new).collect();
    open_from(explicit, std::env::var_os(ENV_VAR), configured, &usual)
}

/// [`open`] with the value of `$LOGSTATS_GEOIP` passed in. An empty value
/// counts as unset, as shells and unit files write `LOGSTATS_GEOIP=` to
/// clear a variable.
pub fn open_with_env(
    explicit: Option<&Path>,
    env: Option<OsString>,
) -> Result<Option<GeoDb>, GeoError> {
    let usual: Vec<&Path> = USUAL_PATHS.iter().map(Path::new).collect();
    open_from(explicit, env, None, &usual)
}

/// The lookup order with the usual paths passed in, so tests can stand
/// their own files where the system ones would be.
fn open_from(
    explicit: Option<&Path>,
    env: Option<OsString>,
    configured: Option<&Path>,
    usual: &[&Path],
) -> Result<Option<GeoDb>, GeoError> {
    if let Some(path) = explicit {
        return open_file(path, Origin::Flag).map(Some);
    }
    if let Some(path) = env.filter(|v| !v.is_empty()) {
        return open_file(Path::new(&path), Origin::Env).map(Some);
    }
    if let Some(path) = configured {
        return open_file(path, Origin::Config).map(Some);
    }
    // A path whose existence cannot be checked (a directory we may not
    // search) is passed over like a missing one: nothing says a database is
    // there.
    match usual.iter().find(|p| p.try_exists().unwrap_or(false)) {
        Some(path) => open_file(path, Origin::Usual).map(Some),
        None => Ok(None),
    }
}

fn open_file(path: &Path, origin: Origin) -> Result<GeoDb, GeoError> {
    let unreadable = |reason: String| GeoError::Unreadable {
        path: path.to_path_buf(),
        origin,
        reason,
    };
    let not_mmdb = |reason: String| GeoError::NotMmdb {
        path: path.to_path_buf(),
        origin,
        reason,
    };
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => GeoError::NotFound {
            path: path.to_path_buf(),
            origin,
        },
        io::ErrorKind::PermissionDenied => unreadable("permission denied".into()),
        _ => unreadable(e.to_string()),
    })?;
    let meta = file.metadata().map_err(|e| unreadable(e.to_string()))?;
    if meta.is_dir() {
        return Err(unreadable(
            "it is a directory, name the .mmdb file in it".into(),
        ));
    }
    if meta.len() == 0 {
        // Not mapped: a zero-length map is an error on some systems.
        return Err(not_mmdb("it is empty".into()));
    }
    // SAFETY: the map is only read. geoipupdate replaces a database by
    // renaming a new file over it, which leaves this mapping intact; only
    // truncating the file in place while logstats runs could fault (SIGBUS),
    // as with mapped log inputs.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| unreadable(e.to_string()))?;
    if map.starts_with(&GZIP_MAGIC) {
        return Err(not_mmdb(
            "it is gzip-compressed; unpack it first (gunzip, or tar xzf for MaxMind's .tar.gz)"
                .into(),
        ));
    }
    let reader = Reader::from_source(map).map_err(|e| not_mmdb(e.to_string()))?;
    if let Some(kind) = non_country_type(&reader.metadata().database_type) {
        return Err(GeoError::NotCountry {
            path: path.to_path_buf(),
            origin,
            database_type: kind.to_owned(),
        });
    }
    Ok(GeoDb {
        reader,
        path: path.to_path_buf(),
    })
}

/// MaxMind's databases that sit beside the country one in the same
/// directory and hold no country: picking one by mistake would silently
/// make every country unknown. Only MaxMind's own names are judged, so no
/// other vendor's country database is ever refused.
fn non_country_type(database_type: &str) -> Option<&str> {
    let maxmind = ["GeoLite2-", "GeoIP2-", "GeoIP-"]
        .iter()
        .any(|p| database_type.starts_with(p));
    let no_country = database_type
        .split('-')
        .any(|word| matches!(word, "ASN" | "ISP" | "Anonymous" | "Connection" | "Domain"));
    (maxmind && no_country).then_some(database_type)
}

/// The warning for a database that failed some lookups: it opened, so its
/// start is sound, but it is damaged further in (a partial download, a
/// disk error), and the countries of those clients are missing.
pub fn lookup_warning(database: &str, n: u64) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "GeoIP database '{database}': the lookup of {n} client address{} failed, so {} \
             counted as unknown; the file looks damaged: download it again",
            if n == 1 { "" } else { "es" },
            if n == 1 { "it is" } else { "they are" },
        )
    })
}

/// One sentence for users with no database: where to get one and where
/// logstats looks.
pub fn missing_database_hint() -> String {
    format!(
        "no GeoIP database found, so every country is unknown; for countries, get \
         GeoLite2-Country.mmdb from MaxMind (free account, then geoipupdate: \
         https://dev.maxmind.com/geoip/geolite2-free-geolocation-data) or the gunzipped \
         dbip-country-lite.mmdb from DB-IP (free, CC BY 4.0: \
         https://db-ip.com/db/download/ip-to-country-lite), then name it with --geoip FILE or \
         {ENV_VAR}, or put it where logstats looks: {}",
        USUAL_PATHS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ipv4_agrees_with_the_general_parser() {
        for field in [
            "0.0.0.0",
            "1.2.3.4",
            "10.0.0.255",
            "255.255.255.255",
            "192.168.1.10",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3.4:80",
            "1.2.3.4, 5.6.7.8",
            "::ffff:1.2.3.4",
            "a.b.c.d",
            "1234.1.1.1",
            "1.2.3.4 ",
            "",
        ] {
            let general = general_client_ip(field.as_bytes());
            match plain_ipv4(field.as_bytes()) {
                Some(a) => assert_eq!(
                    Some(IpAddr::from(std::net::Ipv4Addr::from(a))),
                    general,
                    "{field}"
                ),
                // Left to the general parser, which may or may not read it.
                None => assert!(
                    general.is_none()
                        || !field.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                        || field.split('.').any(|o| o.len() > 1 && o.starts_with('0')),
                    "{field}: {general:?}"
                ),
            }
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn client_forms_servers_write() {
        let cases: &[(&str, Option<&str>)] = &[
            ("203.0.113.9", Some("203.0.113.9")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("::1", Some("::1")),
            ("::", Some("::")),
            ("::ffff:203.0.113.9", Some("203.0.113.9")),
            ("203.0.113.9:51234", Some("203.0.113.9")),
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("[2001:db8::1]:443", Some("2001:db8::1")),
            ("[::ffff:203.0.113.9]:443", Some("203.0.113.9")),
            // A valid IPv6 is the address it spells, never an address + port.
            ("2001:db8::1:80", Some("2001:db8::1:80")),
            ("unknown, 203.0.113.9", Some("203.0.113.9")),
            ("\t203.0.113.9 ", Some("203.0.113.9")),
            ("-", None),
            ("", None),
            ("   ", None),
            (",,", None),
            ("\"\"", None),
            ("unix:", None),
            ("localhost", None),
            ("crawl-66-249-66-1.googlebot.com", None),
            ("deadbeef.example", None),
            ("203.0.113.9:", None),
            ("203.0.113.9:http", None),
            ("203.0.113.9:65536", None),
            ("203.0.113.9:123456", None),
            ("[2001:db8::1", None),
            ("[2001:db8::1]x", None),
            ("[203.0.113.9]", None),
            ("2001:db8::1:80:", None),
            ("fe80::1%eth0", None),
            ("256.1.1.1", None),
            ("010.0.0.1", None),
        ];
        for (field, want) in cases {
            assert_eq!(client_ip(field.as_bytes()), want.map(ip), "field {field:?}");
        }
    }

    #[test]
    fn client_bytes_that_are_not_utf8() {
        assert_eq!(client_ip(b"\xff\xfe"), None);
        assert_eq!(client_ip(b"a\xff, 10.1.2.3"), Some(ip("10.1.2.3")));
        let long = "1".repeat(MAX_TOKEN + 1);
        assert_eq!(client_ip(long.as_bytes()), None);
    }

    #[test]
    fn only_maxmind_side_databases_are_refused() {
        for t in [
            "GeoLite2-ASN",
            "GeoIP2-ISP",
            "GeoIP2-Anonymous-IP",
            "GeoIP2-Connection-Type",
            "GeoIP2-Domain",
        ] {
            assert_eq!(non_country_type(t), Some(t), "{t}");
        }
        for t in [
            "GeoLite2-Country",
            "GeoLite2-City",
            "GeoIP2-City",
            "GeoIP2-Enterprise",
            "DBIP-Country-Lite",
            "country ipvAll",
            "ipinfo country_asn.mmdb",
            "Test",
        ] {
            assert_eq!(non_country_type(t), None, "{t}");
        }
    }

    #[test]
    fn origin_decides_the_advice() {
        let e = GeoError::NotFound {
            path: "/nope/x.mmdb".into(),
            origin: Origin::Env,
        };
        let msg = e.to_string();
        assert!(msg.contains("'/nope/x.mmdb'"), "{msg}");
        assert!(msg.contains("LOGSTATS_GEOIP"), "{msg}");
    }

    fn geo(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/geo")
            .join(rel)
    }

    #[test]
    fn usual_paths_first_existing_wins() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("absent.mmdb");
        let dbip = geo("dbip/dbip-country.mmdb");
        let maxmind = geo("maxmind-test/GeoLite2-Country-Test.mmdb");
        let usual = [absent.as_path(), dbip.as_path(), maxmind.as_path()];
        let db = open_from(None, None, None, &usual).unwrap().unwrap();
        assert_eq!(db.path(), dbip);
        // An empty $LOGSTATS_GEOIP is unset, not a file named "".
        let db = open_from(None, Some(OsString::new()), None, &usual)
            .unwrap()
            .unwrap();
        assert_eq!(db.path(), dbip);
        // The environment wins over the usual paths.
        let db = open_from(None, Some(maxmind.clone().into_os_string()), None, &usual)
            .unwrap()
            .unwrap();
        assert_eq!(db.path(), maxmind);
    }

    #[test]
    fn configured_database_after_the_environment() {
        let dbip = geo("dbip/dbip-country.mmdb");
        let maxmind = geo("maxmind-test/GeoLite2-Country-Test.mmdb");
        let usual = [dbip.as_path()];
        let db = open_from(None, None, Some(&maxmind), &usual)
            .unwrap()
            .unwrap();
        assert_eq!(db.path(), maxmind);
        let db = open_from(
            None,
            Some(dbip.clone().into_os_string()),
            Some(&maxmind),
            &[],
        )
        .unwrap()
        .unwrap();
        assert_eq!(db.path(), dbip);
        let db = open_from(Some(&dbip), None, Some(&maxmind), &[])
            .unwrap()
            .unwrap();
        assert_eq!(db.path(), dbip);
        let Err(e) = open_from(None, None, Some(Path::new("/nope/x.mmdb")), &usual) else {
            panic!("a missing configured database was passed over");
        };
        assert!(e.to_string().contains("configuration file"), "{e}");
    }

    #[test]
    fn usual_paths_none_found() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("absent.mmdb");
        assert!(open_from(None, None, None, &[absent.as_path()])
            .unwrap()
            .is_none());
        assert!(open_from(None, None, None, &[]).unwrap().is_none());
    }

    #[test]
    fn broken_file_at_a_usual_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("GeoLite2-Country.mmdb");
        std::fs::write(&broken, "<html>404 Not Found</html>").unwrap();
        let good = geo("dbip/dbip-country.mmdb");
        let Err(e) = open_from(None, None, None, &[broken.as_path(), good.as_path()]) else {
            panic!("a broken database at a usual path was passed over");
        };
        let msg = e.to_string();
        assert!(msg.contains(&broken.display().to_string()), "{msg}");
        assert!(msg.contains("usual path"), "{msg}");
    }

    #[test]
    fn hint_names_sources_and_paths() {
        let hint = missing_database_hint();
        for part in ["GeoLite2", "geoipupdate", "DB-IP", "CC BY 4.0", "--geoip"] {
            assert!(hint.contains(part), "{part}: {hint}");
        }
        for p in USUAL_PATHS {
            assert!(hint.contains(p), "{p}: {hint}");
        }
        assert!(!hint.contains('\n'));
    }
}
