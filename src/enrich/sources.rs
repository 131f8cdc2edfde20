//! Where visits come from (SPEC §4): hosts, channels, search terms and
//! campaigns, worked out from the entry page view's referrer and query.
//!
//! Referrers and query strings are whatever clients sent, so nothing here
//! expects valid UTF-8 or a well-formed URL: bytes that are not UTF-8 become
//! `\xHH` ([`crate::text::from_log`]), and a referrer that names no host
//! simply has none.
//!
//! Where SPEC §4 leaves room, these are the choices (the tests pin each):
//! - A referrer has a host only when it carries an authority: `scheme://host`
//!   or `//host` (RFC 7231 allows a relative Referer, and a network-path
//!   reference is one). Scheme-less text such as `example.com/page` is a
//!   relative path by RFC 3986 and has no host; browsers only send absolute
//!   URLs, so such text comes from scripts and referrer spam. GoAccess,
//!   Matomo and Plausible also give it no site.
//! - Query parameters are split at `&` only, as WHATWG `URLSearchParams`, GA
//!   and PHP do; `;` is part of a value. A fragment (`#...`) ends the query.
//!   Names are percent-decoded and compared exactly (`UTM_SOURCE` is not
//!   `utm_source`, as in GA).
//! - An empty value is no value: `utm_source=` is not "present" for the
//!   channel, shows as `-` in the campaign triple, and `q=` is no search
//!   term. Of repeated parameters the first non-empty one counts.
//! - `utm_medium` matches its lists ASCII-case-insensitively (`Email` is
//!   email), after percent-decoding.
//! - Search terms and the campaign triple are decoded as a form decodes a
//!   query string: `+` is a space, then percent escapes are bytes
//!   (`Feed:+semicomplete%2Fmain` is `Feed: semicomplete/main`, as GA and
//!   Plausible show it); a `%` that starts no escape stays as written.
//! - Any parameter whose name starts with `utm_` makes a campaign, even
//!   when only `utm_term` or `utm_content` is there, or all are empty: the
//!   triple is then `(-, -, -)` while the channel rule 1 does not apply.
//! - Webmail hosts (rule 5) match exactly; rules 3 and 4 say "is or ends
//!   in", rule 5 does not.
//! - A trailing dot (`example.com.`) is kept: normalisation is exactly
//!   lower-casing, dropping the port and one leading `www.`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use percent_encoding::percent_decode;

use crate::text::from_log;

/// Rule 3 prefixes: the country domains of these engines are too many to
/// list (`google.de`, `google.co.uk`, `yandex.com.tr`).
const SEARCH_PREFIXES: [&str; 2] = ["google.", "yandex."];

/// Rule 3 domains, matched with their subdomains (`cn.bing.com`).
const SEARCH_DOMAINS: [&str; 9] = [
    "bing.com",
    "duckduckgo.com",
    "search.yahoo.com",
    "baidu.com",
    "ecosia.org",
    "qwant.com",
    "startpage.com",
    "search.brave.com",
    "kagi.com",
];

/// Rule 4 domains, matched with their subdomains (`m.facebook.com`).
const SOCIAL_DOMAINS: [&str; 15] = [
    "facebook.com",
    "t.co",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "lnkd.in",
    "reddit.com",
    "news.ycombinator.com",
    "instagram.com",
    "youtube.com",
    "pinterest.com",
    "tiktok.com",
    "bsky.app",
    "threads.net",
    "vk.com",
];

/// Rule 5 hosts, matched exactly. None is caught by an earlier rule:
/// `mail.google.com` does not start with `google.` and `mail.yahoo.com` is
/// not under `search.yahoo.com` (a test checks every entry of every list).
const WEBMAIL_HOSTS: [&str; 4] = [
    "mail.google.com",
    "outlook.live.com",
    "mail.yahoo.com",
    "com.google.android.gm",
];

const EMAIL_MEDIUMS: [&str; 3] = ["email", "e-mail", "newsletter"];
const PAID_MEDIUMS: [&str; 4] = ["cpc", "ppc", "paid", "paidsearch"];

/// SPEC §4 host normalisation: lower-cased, without port, without a leading `www.`.
pub fn normalize_host(host: &str) -> String {
    let host = without_port(host);
    // `get` is None when byte 4 is inside a character; when it succeeds the
    // prefix is ASCII `www.` and slicing after it is safe.
    let host = match host.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("www.") => &host[4..],
        _ => host,
    };
    host.to_lowercase()
}

fn without_port(host: &str) -> &str {
    if host.starts_with('[') {
        // An IPv6 literal: its own colons are no port, only what follows `]`.
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.split_once(':') {
        // A second colon means a bare IPv6 address, where no port can be told apart.
        Some((name, port)) if !port.contains(':') => name,
        _ => host,
    }
}

/// The normalised host of a referrer as logged (bytes, may be invalid UTF-8): None for `-`, empty, or no host.
///
/// `https://www.Google.com:443/search?q=x` gives `google.com` and
/// `android-app://com.google.android.gm/` gives `com.google.android.gm`.
/// Only a referrer with an authority (`scheme://...` or `//...`) has a host:
/// `example.com/page` has none (see the module notes). Bytes that are not
/// UTF-8 become `\xHH`, so an odd host still counts as a host, and reads
/// as it was logged.
pub fn referrer_host(referrer: &[u8]) -> Option<String> {
    let authority = authority(referrer.trim_ascii())?;
    // Browsers end the userinfo at the last `@`, so `a@b@host` is `host`.
    let host_port = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let host = normalize_host(&from_log(host_port));
    (!host.is_empty()).then_some(host)
}

/// The authority of `scheme://authority/...` or `//authority/...`.
fn authority(url: &[u8]) -> Option<&[u8]> {
    let rest = match url.strip_prefix(b"//") {
        Some(rest) => rest,
        None => url[scheme_len(url)? + 1..].strip_prefix(b"//")?,
    };
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The length of an RFC 3986 scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`)
/// followed by `:`.
fn scheme_len(url: &[u8]) -> Option<usize> {
    let colon = url.iter().position(|&b| b == b':')?;
    let scheme = &url[..colon];
    let valid = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some(colon)
}

/// Where a visit comes from (SPEC §4 channel rules).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Channel {
    Direct,
    Search,
    Social,
    Email,
    Paid,
    Campaign,
    Referral,
}

impl Channel {
    /// Every channel, in the order SPEC §4 lists them: the metrics give
    /// each a series, zero or not, so that a channel's first visit does
    /// not start a series.
    pub const ALL: [Channel; 7] = [
        Channel::Email,
        Channel::Paid,
        Channel::Campaign,
        Channel::Direct,
        Channel::Search,
        Channel::Social,
        Channel::Referral,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Direct => "Direct",
            Channel::Search => "Search",
            Channel::Social => "Social",
            Channel::Email => "Email",
            Channel::Paid => "Paid",
            Channel::Campaign => "Campaign",
            Channel::Referral => "Referral",
        }
    }
}

/// SPEC §4 channel rules 1–6, first that applies. `landing_query` is the query string of the visit's first page view (without `?`), `external_host` is the normalised host of the entry referrer when it is external (None when there is no referrer or it is an own host).
pub fn channel(landing_query: Option<&[u8]>, external_host: Option<&str>) -> Channel {
    channel_given(tagged_channel(landing_query), external_host)
}

/// The channel the landing query's `utm_` parameters give (rule 1), if
/// any: what [`channel`] needs of the query.
pub fn tagged_channel(landing_query: Option<&[u8]>) -> Option<Channel> {
    landing_query.and_then(campaign_channel)
}

/// [`channel`] from what the query gave ([`tagged_channel`]) and the
/// external host.
pub fn channel_given(tagged: Option<Channel>, external_host: Option<&str>) -> Channel {
    if let Some(channel) = tagged {
        return channel;
    }
    let Some(host) = external_host else {
        return Channel::Direct;
    };
    if is_search_engine(host) {
        Channel::Search
    } else if SOCIAL_DOMAINS.iter().any(|d| is_or_under(host, d)) {
        Channel::Social
    } else if WEBMAIL_HOSTS.contains(&host) {
        Channel::Email
    } else {
        Channel::Referral
    }
}

/// Rule 1, which only `utm_source`, `utm_medium` and `utm_campaign` trigger.
fn campaign_channel(query: &[u8]) -> Option<Channel> {
    if let Some(medium) = param(query, "utm_medium") {
        let medium: Cow<[u8]> = percent_decode(medium).into();
        let is = |list: &[&str]| {
            list.iter()
                .any(|m| medium.eq_ignore_ascii_case(m.as_bytes()))
        };
        return Some(if is(&EMAIL_MEDIUMS) {
            Channel::Email
        } else if is(&PAID_MEDIUMS) {
            Channel::Paid
        } else {
            Channel::Campaign
        });
    }
    let tagged = param(query, "utm_source").is_some() || param(query, "utm_campaign").is_some();
    tagged.then_some(Channel::Campaign)
}

fn is_search_engine(host: &str) -> bool {
    SEARCH_PREFIXES.iter().any(|p| host.starts_with(p))
        || SEARCH_DOMAINS.iter().any(|d| is_or_under(host, d))
}

/// "Is or ends in `.` + domain": `cn.bing.com` is under `bing.com`, `notbing.com` is not.
fn is_or_under(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// SPEC §4 search term for a Search visit: from the referrer URL's query: `q`, or `p` for yahoo, `text` for yandex, `wd`/`word` for baidu; percent-decoded, `+` as space, lower-cased, trimmed; None when empty or absent.
///
/// `host` is the referrer's normalised host; a host that rule 3 does not
/// call a search engine gives None, so that no term is made up for a visit
/// that is not a Search visit.
pub fn search_term(referrer: &[u8], host: &str) -> Option<String> {
    let names: &[&str] = if host.starts_with("yandex.") {
        &["text"]
    } else if is_or_under(host, "search.yahoo.com") {
        &["p"]
    } else if is_or_under(host, "baidu.com") {
        &["wd", "word"]
    } else if is_search_engine(host) {
        &["q"]
    } else {
        return None;
    };
    let query = referrer_query(referrer)?;
    // Search forms submit application/x-www-form-urlencoded.
    params(query)
        .filter(|(name, _)| names.iter().any(|n| *form_decode(name) == *n.as_bytes()))
        .find_map(|(_, value)| {
            let term = from_log(&form_decode(value)).trim().to_lowercase();
            (!term.is_empty()).then_some(term)
        })
}

/// A name or value of a query string as a form decodes it
/// (application/x-www-form-urlencoded, as WHATWG `URLSearchParams`): `+` is
/// a space, then each `%HH` the byte it names.
fn form_decode(raw: &[u8]) -> Cow<'_, [u8]> {
    if raw.contains(&b'+') {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        Cow::Owned(percent_decode(&spaced).collect())
    } else {
        percent_decode(raw).into()
    }
}

/// The query of a URL: after the first `?`, up to a fragment.
fn referrer_query(referrer: &[u8]) -> Option<&[u8]> {
    let start = referrer.iter().position(|&b| b == b'?')? + 1;
    Some(without_fragment(&referrer[start..]))
}

fn without_fragment(query: &[u8]) -> &[u8] {
    match query.iter().position(|&b| b == b'#') {
        Some(hash) => &query[..hash],
        None => query,
    }
}

/// SPEC §4 campaign: when the landing query has any `utm_` parameter, the triple (utm_source, utm_medium, utm_campaign), decoded with `+` as space, missing ones as "-".
pub fn campaign(landing_query: Option<&[u8]>) -> Option<(String, String, String)> {
    let query = landing_query?;
    if !params(query).any(|(name, _)| is_utm(name)) {
        return None;
    }
    let field = |name| {
        param(query, name).map_or_else(
            || "-".to_owned(),
            |value| from_log(&form_decode(value)).into_owned(),
        )
    };
    Some((
        field("utm_source"),
        field("utm_medium"),
        field("utm_campaign"),
    ))
}

/// Whether a raw parameter name is `utm_...` once percent-decoded.
fn is_utm(name: &[u8]) -> bool {
    percent_decode(name).take(4).eq(*b"utm_")
}

/// The raw `name=value` pairs of a query; a pair without `=` has an empty value.
fn params(query: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    without_fragment(query)
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (pair, &[][..]),
        })
}

/// The raw value of the first non-empty parameter `name` (compared after
/// percent-decoding the parameter's name).
fn param<'q>(query: &'q [u8], name: &str) -> Option<&'q [u8]> {
    params(query)
        .find(|(n, value)| !value.is_empty() && percent_decode(n).eq(name.bytes()))
        .map(|(_, value)| value)
}

/// SPEC §4 own-host rule 3: given (normalised referrer host, count) over the page views that are not the first of their visit and whose referrer has a host, the most frequent host if it has at least half of those page views (ties to the alphabetically first); None otherwise or when empty.
///
/// A host may come more than once (counts merged from several parts) and is
/// then summed. "Alphabetically" is byte order of the normalised host.
pub fn majority_host<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> Option<String> {
    // u128 sums: no input of u64 counts can overflow them.
    let mut per_host: BTreeMap<&str, u128> = BTreeMap::new();
    let mut total: u128 = 0;
    for (host, n) in counts {
        *per_host.entry(host).or_default() += u128::from(n);
        total += u128::from(n);
    }
    // In ascending order, only a strictly larger count replaces the best,
    // so a tie stays with the alphabetically first host.
    let mut best: Option<(&str, u128)> = None;
    for (host, n) in per_host {
        if best.is_none_or(|(_, most)| n > most) {
            best = Some((host, n));
        }
    }
    let (host, n) = best?;
    // "At least half" as 2n >= total, exact for odd totals.
    (total > 0 && 2 * n >= total).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(referrer: &str) -> Option<String> {
        referrer_host(referrer.as_bytes())
    }

    fn chan(query: &str, host: Option<&str>) -> Channel {
        channel(Some(query.as_bytes()), host)
    }

    fn camp(query: &str) -> Option<(String, String, String)> {
        campaign(Some(query.as_bytes()))
    }

    fn triple(s: &str, m: &str, c: &str) -> Option<(String, String, String)> {
        Some((s.to_owned(), m.to_owned(), c.to_owned()))
    }

    fn term(referrer: &str) -> Option<String> {
        let host = referrer_host(referrer.as_bytes()).unwrap();
        search_term(referrer.as_bytes(), &host)
    }

    #[test]
    fn normalize_lowercases_and_drops_port_and_www() {
        assert_eq!(normalize_host("Example.COM"), "example.com");
        assert_eq!(normalize_host("example.com:8080"), "example.com");
        assert_eq!(normalize_host("example.com:"), "example.com");
        assert_eq!(normalize_host("WWW.Example.com:443"), "example.com");
        assert_eq!(normalize_host("www.example.com"), "example.com");
    }

    #[test]
    fn normalize_strips_only_one_leading_www_dot() {
        assert_eq!(normalize_host("www.www.example.com"), "www.example.com");
        assert_eq!(normalize_host("www"), "www");
        assert_eq!(normalize_host("www2.example.com"), "www2.example.com");
        assert_eq!(normalize_host("wwwexample.com"), "wwwexample.com");
        assert_eq!(normalize_host("sub.www.example.com"), "sub.www.example.com");
        assert_eq!(normalize_host("www."), "");
    }

    #[test]
    fn normalize_keeps_ipv6_and_trailing_dot() {
        assert_eq!(normalize_host("[::1]:8080"), "[::1]");
        assert_eq!(normalize_host("[2001:DB8::1]"), "[2001:db8::1]");
        assert_eq!(normalize_host("2001:db8::1"), "2001:db8::1");
        assert_eq!(normalize_host("[::1"), "[::1");
        assert_eq!(normalize_host("example.com."), "example.com.");
    }

    #[test]
    fn normalize_handles_non_ascii_and_empty() {
        assert_eq!(normalize_host(""), "");
        assert_eq!(normalize_host("BÜCHER.de"), "bücher.de");
        // Byte 4 falls inside a character: no panic, nothing stripped.
        assert_eq!(normalize_host("wwé.x"), "wwé.x");
        assert_eq!(normalize_host("ééé"), "ééé");
    }

    #[test]
    fn referrer_host_of_spec_examples() {
        assert_eq!(
            host("https://www.Google.com:443/search?q=x").as_deref(),
            Some("google.com")
        );
        assert_eq!(
            host("android-app://com.google.android.gm/").as_deref(),
            Some("com.google.android.gm")
        );
        assert_eq!(host("android-app://x").as_deref(), Some("x"));
    }

    #[test]
    fn referrer_without_host_is_none() {
        assert_eq!(host("-"), None);
        assert_eq!(host(""), None);
        assert_eq!(host("  "), None);
        assert_eq!(host("http://"), None);
        assert_eq!(host("http:///path"), None);
        assert_eq!(host("http://:80/"), None);
        assert_eq!(host("http://www./"), None);
        assert_eq!(host("file:///etc/passwd"), None);
        assert_eq!(host("about:blank"), None);
        assert_eq!(host("mailto:someone@example.com"), None);
        assert_eq!(host("/relative/path"), None);
        assert_eq!(host("1http://example.com/"), None);
    }

    #[test]
    fn scheme_less_referrer_has_no_host() {
        // A relative reference by RFC 3986: no authority, so no host.
        assert_eq!(host("example.com/page"), None);
        assert_eq!(host("www.example.com"), None);
        assert_eq!(host("example.com:8080/page"), None);
        assert_eq!(host("localhost:8080"), None);
        // A network-path reference does carry one.
        assert_eq!(
            host("//www.example.com/page").as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn referrer_host_cuts_authority_at_path_query_fragment() {
        assert_eq!(
            host("http://example.com?x=1").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("http://example.com#top").as_deref(),
            Some("example.com")
        );
        assert_eq!(host("http://example.com").as_deref(), Some("example.com"));
        assert_eq!(
            host("HTTPS://WWW.EXAMPLE.COM:8443/A/B").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("  http://example.com/  ").as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn referrer_host_drops_userinfo_up_to_last_at() {
        assert_eq!(
            host("http://user:pass@www.example.com:81/").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("http://a@b@example.com/").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("http://example.com/@other.com").as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn referrer_host_of_ipv6() {
        assert_eq!(host("http://[::1]:8080/x").as_deref(), Some("[::1]"));
    }

    #[test]
    fn referrer_host_of_invalid_utf8_keeps_its_bytes() {
        let got = referrer_host(b"http://\xe4\xe5\xf2\xf1\xea\xee\xe5.\xf0\xf4/").unwrap();
        assert_eq!(got, r"\xe4\xe5\xf2\xf1\xea\xee\xe5.\xf0\xf4");
        // Lower-cased as any host, the escapes already are; UTF-8 is text.
        let got = referrer_host(b"http://WWW.\xC4\xD0\x9F.RU/").unwrap();
        assert_eq!(got, r"\xc4п.ru");
        assert_eq!(referrer_host(b"\xff\xfe"), None);
        assert_eq!(referrer_host(b"\xff://x/").as_deref(), None);
    }

    #[test]
    fn channel_names() {
        let all = [
            (Channel::Direct, "Direct"),
            (Channel::Search, "Search"),
            (Channel::Social, "Social"),
            (Channel::Email, "Email"),
            (Channel::Paid, "Paid"),
            (Channel::Campaign, "Campaign"),
            (Channel::Referral, "Referral"),
        ];
        for (channel, name) in all {
            assert_eq!(channel.name(), name);
        }
    }

    #[test]
    fn rule1_medium_email_and_paid_ignore_ascii_case() {
        for medium in ["email", "e-mail", "newsletter", "Email", "NEWSLETTER"] {
            assert_eq!(chan(&format!("utm_medium={medium}"), None), Channel::Email);
        }
        for medium in ["cpc", "ppc", "paid", "paidsearch", "CPC", "PaidSearch"] {
            assert_eq!(chan(&format!("utm_medium={medium}"), None), Channel::Paid);
        }
    }

    #[test]
    fn rule1_other_utm_is_campaign() {
        assert_eq!(chan("utm_medium=social", None), Channel::Campaign);
        assert_eq!(chan("utm_medium=emails", None), Channel::Campaign);
        assert_eq!(chan("utm_source=news", None), Channel::Campaign);
        assert_eq!(chan("a=1&utm_campaign=spring", None), Channel::Campaign);
    }

    #[test]
    fn rule1_comes_before_the_referrer() {
        let q = "utm_source=google&utm_medium=cpc";
        assert_eq!(chan(q, Some("google.com")), Channel::Paid);
        assert_eq!(
            chan("utm_medium=email", Some("facebook.com")),
            Channel::Email
        );
        assert_eq!(chan("utm_source=x", Some("example.com")), Channel::Campaign);
    }

    #[test]
    fn rule1_ignores_other_utm_parameters() {
        // utm_term alone gives no channel (yet a campaign, see below).
        assert_eq!(chan("utm_term=shoes", None), Channel::Direct);
        assert_eq!(
            chan("utm_content=banner", Some("bing.com")),
            Channel::Search
        );
    }

    #[test]
    fn rule1_empty_values_are_not_present() {
        assert_eq!(chan("utm_source=", None), Channel::Direct);
        assert_eq!(chan("utm_source&utm_medium", None), Channel::Direct);
        assert_eq!(chan("utm_medium=&utm_source=x", None), Channel::Campaign);
        // The first non-empty occurrence counts.
        assert_eq!(chan("utm_medium=&utm_medium=email", None), Channel::Email);
        assert_eq!(chan("utm_medium=cpc&utm_medium=email", None), Channel::Paid);
    }

    #[test]
    fn rule1_names_are_case_sensitive_and_percent_decoded() {
        assert_eq!(chan("UTM_MEDIUM=email", None), Channel::Direct);
        assert_eq!(chan("Utm_Source=x", None), Channel::Direct);
        assert_eq!(chan("utm%5Fmedium=email", None), Channel::Email);
    }

    #[test]
    fn rule1_medium_is_percent_decoded_without_plus() {
        assert_eq!(chan("utm_medium=e%2Dmail", None), Channel::Email);
        assert_eq!(chan("utm_medium=%45mail", None), Channel::Email);
        assert_eq!(chan("utm_medium=paid+search", None), Channel::Campaign);
        assert_eq!(chan("utm_medium=%ff", None), Channel::Campaign);
    }

    #[test]
    fn rule1_splits_at_ampersand_only_and_stops_at_fragment() {
        // `;` belongs to utm_source's value: there is no utm_medium.
        assert_eq!(
            chan("utm_source=a;utm_medium=email", None),
            Channel::Campaign
        );
        assert_eq!(chan("x=1#utm_medium=email", None), Channel::Direct);
        assert_eq!(chan("utm_medium=email#top", None), Channel::Email);
    }

    #[test]
    fn rule2_no_external_referrer_is_direct() {
        assert_eq!(channel(None, None), Channel::Direct);
        assert_eq!(chan("", None), Channel::Direct);
        assert_eq!(chan("page=2&sort=asc", None), Channel::Direct);
    }

    #[test]
    fn rule3_search_engines() {
        for host in [
            "google.com",
            "google.co.uk",
            "google.de",
            "yandex.ru",
            "yandex.com.tr",
            "bing.com",
            "cn.bing.com",
            "r.duckduckgo.com",
            "search.yahoo.com",
            "uk.search.yahoo.com",
            "baidu.com",
            "m.baidu.com",
            "ecosia.org",
            "qwant.com",
            "startpage.com",
            "search.brave.com",
            "kagi.com",
        ] {
            assert_eq!(channel(None, Some(host)), Channel::Search, "{host}");
        }
    }

    #[test]
    fn rule3_is_literal_about_prefixes_and_dots() {
        // Only a host that *starts* with `google.`/`yandex.` is a search
        // engine: Google's and Yandex's other subdomains are referrals.
        for host in [
            "encrypted.google.com",
            "images.google.com",
            "images.yandex.ru",
            "googleusercontent.com",
            "notbing.com",
            "yahoo.com",
            "brave.com",
            "mybaidu.com",
            "bing.com.evil.org",
        ] {
            assert_eq!(channel(None, Some(host)), Channel::Referral, "{host}");
        }
    }

    #[test]
    fn rule4_social() {
        for host in [
            "facebook.com",
            "m.facebook.com",
            "l.facebook.com",
            "t.co",
            "x.com",
            "mobile.twitter.com",
            "news.ycombinator.com",
            "old.reddit.com",
            "bsky.app",
            "vk.com",
        ] {
            assert_eq!(channel(None, Some(host)), Channel::Social, "{host}");
        }
        for host in ["box.com", "ycombinator.com", "at.com", "youtu.be"] {
            assert_eq!(channel(None, Some(host)), Channel::Referral, "{host}");
        }
    }

    #[test]
    fn rule5_webmail_is_exact() {
        assert_eq!(channel(None, Some("mail.google.com")), Channel::Email);
        assert_eq!(channel(None, Some("com.google.android.gm")), Channel::Email);
        assert_eq!(channel(None, Some("outlook.live.com")), Channel::Email);
        assert_eq!(channel(None, Some("mail.yahoo.com")), Channel::Email);
        assert_eq!(
            channel(None, Some("us-mg5.mail.yahoo.com")),
            Channel::Referral
        );
        assert_eq!(channel(None, Some("live.com")), Channel::Referral);
    }

    #[test]
    fn every_list_entry_reaches_its_own_rule() {
        // Guards the rule order: no entry is taken by an earlier rule.
        for host in SEARCH_DOMAINS {
            assert_eq!(channel(None, Some(host)), Channel::Search, "{host}");
        }
        for host in SOCIAL_DOMAINS {
            assert_eq!(channel(None, Some(host)), Channel::Social, "{host}");
            let sub = format!("m.{host}");
            assert_eq!(channel(None, Some(&sub)), Channel::Social, "{sub}");
        }
        for host in WEBMAIL_HOSTS {
            assert_eq!(channel(None, Some(host)), Channel::Email, "{host}");
        }
    }

    #[test]
    fn rule6_referral() {
        assert_eq!(channel(None, Some("example.com")), Channel::Referral);
        assert_eq!(chan("utm_term=x", Some("example.com")), Channel::Referral);
    }

    #[test]
    fn search_term_q_decoded_lowercased_trimmed() {
        assert_eq!(
            term("https://www.google.com/search?q=Rust+Lang%21&hl=en").as_deref(),
            Some("rust lang!")
        );
        assert_eq!(
            term("https://www.bing.com/search?q=++%20Hello+World+&form=x").as_deref(),
            Some("hello world")
        );
        // An encoded plus is a plus.
        assert_eq!(
            term("https://duckduckgo.com/?q=c%2B%2B").as_deref(),
            Some("c++")
        );
        assert_eq!(
            term("https://www.google.de/search?q=%C3%9CBER").as_deref(),
            Some("über")
        );
    }

    #[test]
    fn search_term_empty_or_absent_is_none() {
        assert_eq!(term("https://www.google.com/url?sa=t&q=&esrc=s"), None);
        assert_eq!(term("https://www.google.com/search?q=+++"), None);
        assert_eq!(term("https://www.google.com/"), None);
        assert_eq!(term("https://www.google.com/search?hl=en"), None);
        assert_eq!(search_term(b"-", "google.com"), None);
    }

    #[test]
    fn search_term_first_non_empty_and_exact_names() {
        assert_eq!(
            term("https://google.com/search?q=&q=second").as_deref(),
            Some("second")
        );
        assert_eq!(
            term("https://google.com/search?oq=no&Q=no&q=yes").as_deref(),
            Some("yes")
        );
        assert_eq!(
            term("https://google.com/search?q=a;b").as_deref(),
            Some("a;b")
        );
        assert_eq!(
            term("https://google.com/search?q=a#q=b").as_deref(),
            Some("a")
        );
    }

    #[test]
    fn search_term_engine_parameters() {
        assert_eq!(
            term("https://search.yahoo.com/search?q=no&p=Yahoo+Term").as_deref(),
            Some("yahoo term")
        );
        assert_eq!(term("https://search.yahoo.com/search?q=only"), None);
        assert_eq!(
            term("https://yandex.ru/search/?lr=2&text=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82")
                .as_deref(),
            Some("привет")
        );
        assert_eq!(term("https://yandex.ru/search/?q=no"), None);
        assert_eq!(
            term("https://www.baidu.com/s?wd=Baidu+WD").as_deref(),
            Some("baidu wd")
        );
        assert_eq!(
            term("https://m.baidu.com/s?word=mobile").as_deref(),
            Some("mobile")
        );
        assert_eq!(term("https://www.baidu.com/s?q=no"), None);
        assert_eq!(
            term("https://search.brave.com/search?q=brave").as_deref(),
            Some("brave")
        );
    }

    #[test]
    fn search_term_only_for_search_engines() {
        assert_eq!(term("https://example.com/?q=nope"), None);
        assert_eq!(term("https://images.google.com/images?q=nope"), None);
        assert_eq!(term("https://mail.google.com/?q=nope"), None);
    }

    #[test]
    fn search_term_invalid_utf8_keeps_its_bytes() {
        assert_eq!(
            term("https://www.google.com/search?q=Caf%E9+Cr%C3%A8me").as_deref(),
            Some(r"caf\xe9 crème")
        );
        assert_eq!(
            search_term(b"https://google.com/search?q=caf\xe9", "google.com").as_deref(),
            Some(r"caf\xe9")
        );
    }

    #[test]
    fn search_term_parameters_decoded_as_a_form_is() {
        // `+` in a name too; empty terms pass to the next parameter.
        assert_eq!(
            term("https://google.com/?q=+&q=b%2Bc").as_deref(),
            Some("b+c")
        );
        assert_eq!(term("https://google.com/?%71=a").as_deref(), Some("a"));
        assert_eq!(term("https://google.com/?+q=a&q=b").as_deref(), Some("b"));
        assert_eq!(term("https://google.com/?q=100%").as_deref(), Some("100%"));
    }

    #[test]
    fn campaign_needs_a_utm_parameter() {
        assert_eq!(campaign(None), None);
        assert_eq!(camp(""), None);
        assert_eq!(camp("a=1&b=2"), None);
        assert_eq!(camp("UTM_SOURCE=x"), None);
        assert_eq!(camp("utm=x&xutm_source=y"), None);
    }

    #[test]
    fn campaign_triple_with_missing_as_dash() {
        assert_eq!(
            camp("utm_source=news&utm_medium=email&utm_campaign=spring"),
            triple("news", "email", "spring")
        );
        assert_eq!(camp("utm_campaign=spring&id=3"), triple("-", "-", "spring"));
        assert_eq!(camp("utm_source=news"), triple("news", "-", "-"));
    }

    #[test]
    fn campaign_from_any_utm_even_without_the_three() {
        // SPEC literally: any utm_ parameter makes a campaign, though rule 1
        // gives no Campaign channel for these.
        assert_eq!(camp("utm_term=shoes"), triple("-", "-", "-"));
        assert_eq!(camp("utm_content=a&utm_id=7"), triple("-", "-", "-"));
        assert_eq!(camp("utm_source="), triple("-", "-", "-"));
        assert_eq!(camp("utm_=x"), triple("-", "-", "-"));
        assert_eq!(camp("utm%5Fterm=x"), triple("-", "-", "-"));
    }

    #[test]
    fn campaign_values_decoded_plus_as_space_case_kept() {
        assert_eq!(
            camp("utm_source=News%20Letter&utm_medium=E-Mail&utm_campaign=spring+sale"),
            triple("News Letter", "E-Mail", "spring sale")
        );
        // Both spellings of the elastic corpus log's feed campaign.
        let feed = "Feed: semicomplete/main (semicomplete.com - Jordan Sissel)";
        assert_eq!(
            camp("utm_source=feedburner&utm_medium=feed&utm_campaign=Feed:+semicomplete/main+(semicomplete.com+-+Jordan+Sissel)"),
            triple("feedburner", "feed", feed)
        );
        assert_eq!(
            camp("utm_source=feedburner&utm_medium=feed&utm_campaign=Feed%3A+semicomplete%2Fmain+%28semicomplete.com+-+Jordan+Sissel%29"),
            triple("feedburner", "feed", feed)
        );
        // A plus written as `%2B` is a plus.
        assert_eq!(camp("utm_source=a%2Bb+c"), triple("a+b c", "-", "-"));
        assert_eq!(camp("utm_source=caf%E9"), triple(r"caf\xe9", "-", "-"));
        assert_eq!(camp("utm_source=100%"), triple("100%", "-", "-"));
        assert_eq!(
            campaign(Some(b"utm_source=caf\xe9")),
            triple(r"caf\xe9", "-", "-")
        );
    }

    #[test]
    fn campaign_first_non_empty_occurrence_and_separators() {
        assert_eq!(
            camp("utm_source=&utm_source=b&utm_source=c"),
            triple("b", "-", "-")
        );
        assert_eq!(
            camp("utm_source=a;utm_medium=b"),
            triple("a;utm_medium=b", "-", "-")
        );
        assert_eq!(camp("utm_source=a#utm_medium=b"), triple("a", "-", "-"));
        assert_eq!(camp("utm_source=a=b"), triple("a=b", "-", "-"));
    }

    #[test]
    fn majority_host_empty_or_zero_is_none() {
        assert_eq!(majority_host(Vec::<(&str, u64)>::new()), None);
        assert_eq!(majority_host([("a.com", 0), ("b.com", 0)]), None);
    }

    #[test]
    fn majority_host_needs_at_least_half() {
        assert_eq!(majority_host([("a.com", 5)]).as_deref(), Some("a.com"));
        assert_eq!(
            majority_host([("a.com", 2), ("b.com", 1), ("c.com", 1)]).as_deref(),
            Some("a.com")
        );
        assert_eq!(
            majority_host([("a.com", 2), ("b.com", 2), ("c.com", 1)]),
            None
        );
        assert_eq!(
            majority_host([("a.com", 3), ("b.com", 2), ("c.com", 2)]),
            None
        );
        assert_eq!(
            majority_host([("a.com", 4), ("b.com", 3)]).as_deref(),
            Some("a.com")
        );
    }

    #[test]
    fn majority_host_ties_to_alphabetically_first() {
        assert_eq!(
            majority_host([("b.com", 3), ("a.com", 3)]).as_deref(),
            Some("a.com")
        );
        assert_eq!(
            majority_host([("a.com", 3), ("b.com", 3)]).as_deref(),
            Some("a.com")
        );
    }

    #[test]
    fn majority_host_sums_repeated_hosts_without_overflow() {
        assert_eq!(
            majority_host([("b.com", 2), ("a.com", 2), ("b.com", 1)]).as_deref(),
            Some("b.com")
        );
        assert_eq!(
            majority_host([
                ("a.com", u64::MAX),
                ("a.com", u64::MAX),
                ("b.com", u64::MAX)
            ])
            .as_deref(),
            Some("a.com")
        );
    }

    #[test]
    fn every_channel_is_listed_once() {
        // A new channel fails to compile here until it is in `Channel::ALL`.
        let index = |c: Channel| match c {
            Channel::Email => 0,
            Channel::Paid => 1,
            Channel::Campaign => 2,
            Channel::Direct => 3,
            Channel::Search => 4,
            Channel::Social => 5,
            Channel::Referral => 6,
        };
        for (i, &c) in Channel::ALL.iter().enumerate() {
            assert_eq!(index(c), i);
        }
    }
}
