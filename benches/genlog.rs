//! Deterministic generator of realistic web-server access logs in the nginx/Apache
//! "combined" format, used for logstats benchmarks (1 GB files) and load tests.
//!
//! It simulates a small product site: a Zipf-distributed population of visitors with stable
//! IPs and user agents makes visits (from search engines, social sites, campaigns or direct;
//! 1-8 page views, each followed by its static assets and XHRs), interleaved in time with
//! crawlers, scripts, vulnerability scanners, uptime monitors and rare malformed requests.
//! The same seed and arguments always give byte-identical output. Standard library only.
//!
//! ```text
//! cargo run --release --example genlog -- --bytes 1G --seed 42 -o /tmp/big.log
//! cargo run --release --example genlog -- --lines 20 --seed 1          # to stdout
//!   --bytes N[K|M|G]  stop before the output would exceed N bytes (K/M/G are 1024-based)
//!   --lines N         stop after N lines (default 1000 when neither limit is given)
//!   --seed N          PRNG seed (default 42)
//!   -o PATH           output file; `-` or no -o for stdout
//!   --start TIME      first timestamp in UTC, e.g. 2024-05-01T00:00:00Z (the default)
//!   --tz +HH:MM       UTC offset the timestamps are written in (default +00:00)
//! ```

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

const USAGE: &str = "usage: genlog [--bytes N[K|M|G] | --lines N] [--seed N] [-o PATH|-] \
                     [--start 2024-05-01T00:00:00Z] [--tz +00:00]";
const SITE: &str = "https://example.com";
const H11: &str = "HTTP/1.1";
const DAY_MS: u64 = 86_400_000;
const NONE: u32 = u32::MAX;
/// Measured on the output (bytes per line, lines per visit); they only turn a size into a time span.
const AVG_LINE: u64 = 242;
const LINES_PER_VISIT: f64 = 8.4;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Appends byte-like pieces (str, String, Vec<u8>, byte literals) to a buffer.
macro_rules! put {
    ($buf:expr $(, $x:expr)*) => {{ $( $buf.extend_from_slice(AsRef::<[u8]>::as_ref(&$x)); )* }};
}

// ------------------------------------------------------------------------------------------ randomness

/// splitmix64: tiny, fast and good enough for synthetic data, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }
    /// Trials until the first success, capped: the shape of "pages per visit".
    fn geometric(&mut self, p: f64, max: u64) -> u64 {
        (1..max).find(|_| self.chance(p)).unwrap_or(max)
    }
}

/// splitmix64 finaliser. Also used statelessly so that a page or asset always has the same size
/// and hash, as on a real site, without storing anything per object.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Zipf sampling by binary search over a cumulative table: popularity of pages, visitors and
/// browsers is heavy-headed and long-tailed.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        Zipf(
            (1..=n.max(1))
                .map(|k| {
                    acc += (k as f64).powf(-s);
                    acc
                })
                .collect(),
        )
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.f64() * self.0[self.0.len() - 1];
        self.0.partition_point(|&c| c < u).min(self.0.len() - 1)
    }
}

// ------------------------------------------------------------------------------------------ static data

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0",
    "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.111 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (Android 14; Mobile; rv:126.0) Gecko/126.0 Firefox/126.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.0.0",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7.3329.21",
    "Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.0.24.85 (iPhone15,2; iOS 17_4_1; en_US; en; scale=3.00; 1179x2556; 599362546)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
];

/// Crawlers: user agent, the address block they really crawl from, and how many distinct
/// addresses to use (which also weights how often each one shows up).
const CRAWLERS: &[(&str, &str, u32)] = &[
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "66.249.66.", 10),
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "66.249.68.", 14),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "40.77.167.", 6),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", "157.55.39.", 5),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "5.255.231.", 4),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "54.36.148.", 6),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", "185.191.171.", 4),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "20.171.207.", 3),
    ("Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)", "216.244.66.", 2),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", "17.241.227.", 2),
    ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "20.191.45.", 1),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "69.171.249.", 2),
    ("Twitterbot/1.0", "199.16.157.", 1),
];
const SCRIPT_UAS: &[&str] = &[
    "curl/8.5.0",
    "curl/8.7.1",
    "curl/7.81.0",
    "python-requests/2.31.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "Wget/1.21.4",
    "axios/1.6.8",
    "okhttp/4.12.0",
    "Java/17.0.10",
    "-",
];
const SCANNER_UAS: &[&str] = &[
    "-",
    "Go-http-client/1.1",
    "python-requests/2.28.1",
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36",
];
/// Uptime monitors: user agent, fixed address, period in seconds, method, path.
const MONITORS: &[(&str, &str, u64, &str, &str)] = &[
    ("Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", "216.144.250.150", 300, "HEAD", "/"),
    ("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", "178.255.152.2", 60, "GET", "/health"),
    ("Better Uptime Bot Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.93 Safari/537.36", "3.120.62.44", 180, "GET", "/"),
];
/// Fixed repertoires: method, path, status, typical size. A path ending in `items/` gets an item id.
type Reqs = &'static [(&'static str, &'static str, u16, u64)];
const SCRIPT_REQS: Reqs = &[
    ("GET", "/", 200, 61_230),
    ("HEAD", "/", 200, 0),
    ("GET", "/api/v1/items?per_page=50", 200, 18_400),
    ("OPTIONS", "/api/v1/items", 204, 0),
    ("GET", "/feed.xml", 200, 48_210),
    ("POST", "/api/v1/items", 401, 61),
];
/// Staff behind HTTP basic auth (hence a %u user name) working in the admin area and the API.
const ADMIN_REQS: Reqs = &[
    ("GET", "/admin/", 200, 24_100),
    ("GET", "/admin/items?page=2", 200, 61_400),
    ("POST", "/admin/items", 302, 0),
    ("PUT", "/api/v1/items/", 200, 612),
    ("DELETE", "/api/v1/items/", 204, 0),
    ("GET", "/admin/items/", 200, 33_000),
];
/// What vulnerability scanners probe for; none of it exists on the site.
const SCAN_REQS: Reqs = &[
    ("GET", "/wp-login.php", 404, 153),
    ("GET", "/wp-admin/", 404, 153),
    ("POST", "/xmlrpc.php", 404, 153),
    ("GET", "/.env", 403, 153),
    ("GET", "/.git/config", 403, 153),
    ("GET", "/phpmyadmin/", 404, 153),
    ("GET", "/admin.php", 404, 153),
    ("GET", "/config.php", 404, 153),
    ("GET", "/cgi-bin/luci", 404, 153),
    (
        "GET",
        "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
        404,
        153,
    ),
    ("GET", "/.aws/credentials", 403, 153),
    ("POST", "/boaform/admin/formLogin", 404, 153),
    ("GET", "/server-status", 403, 153),
    ("GET", "/actuator/env", 404, 153),
    ("GET", "/owa/auth/logon.aspx", 404, 153),
    ("GET", "/.DS_Store", 403, 153),
    ("GET", "/backup.zip", 404, 153),
    (
        "GET",
        "/wp-content/plugins/wp-file-manager/readme.txt",
        404,
        153,
    ),
    ("GET", "/?XDEBUG_SESSION_START=phpstorm", 200, 61_230),
    ("GET", "/api/.env", 404, 153),
    ("GET", "/shell.php", 404, 153),
    ("GET", "/solr/admin/info/system?wt=json", 404, 153),
];
const TERMS: &[&str] = &[
    "nginx+log+analytics",
    "privacy+friendly+web+analytics",
    "parse+apache+access+log",
    "goaccess+alternative",
    "self+hosted+analytics",
    "web+analytics+without+javascript",
    "combined+log+format",
    "count+unique+visitors+nginx",
    "logstats",
    "access+log+bot+traffic",
    "log+analyzer+rust",
    "nginx+referrer+report",
    "top+pages+from+access+log",
    "%C3%A9tude+logs+nginx",
    "apache+log+404+report",
    "server+log+analysis+tool",
];
const SEARCH: &[&str] = &[
    "https://www.google.com/",
    "https://www.google.de/",
    "https://www.google.co.uk/",
    "https://www.google.com/search?q=",
    "https://www.bing.com/search?q=",
    "https://duckduckgo.com/?q=",
];
const OTHER_REFS: &[&str] = &[
    "https://github.com/",
    "https://news.ycombinator.com/",
    "https://lobste.rs/",
    "https://dev.to/",
    "https://stackoverflow.com/questions/7712345/analyze-nginx-access-logs",
    "https://www.linkedin.com/",
    "https://www.example.org/blog/2024/best-self-hosted-analytics",
    "android-app://com.google.android.gm/",
    "https://l.facebook.com/",
    "https://m.facebook.com/",
    "http://localhost:3000/",
    "https://example.com.best-seo-offer.xyz/",
];
const SUBREDDITS: &[&str] = &["rust", "selfhosted", "webdev", "sysadmin", "programming"];
const UTM: &[&str] = &[
    "utm_source=newsletter&utm_medium=email&utm_campaign=may-2024",
    "utm_source=twitter&utm_medium=social&utm_campaign=launch",
    "utm_source=google&utm_medium=cpc&utm_campaign=brand",
    "utm_source=reddit&utm_medium=social&utm_campaign=show-selfhosted",
    "utm_source=partner&utm_medium=referral&utm_campaign=spring-promo",
];
const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

// Page sections decide which assets, XHRs and forms come with a page view.
const MISC: u8 = 0;
const BLOG: u8 = 1;
const DOCS: u8 = 2;
const SHOP: u8 = 3;
const FORM: u8 = 4;
const FIND: u8 = 5;
const CHUNKS: [&str; 6] = ["main", "blog", "docs", "shop", "forms", "search"];
const BLOG_POSTS: u64 = 1200;

/// The site map: a few thousand pages, shuffled so that popularity (Zipf rank) does not follow
/// section, except for the top-level pages that lead on any real site.
fn build_site(rng: &mut Rng) -> Vec<(String, u8)> {
    let top = "/ /pricing /blog/ /docs/ /products/ /login /signup /contact /search /about /changelog /privacy /terms";
    let section = |s: &str| match s {
        "/login" | "/signup" | "/contact" => FORM,
        "/search" => FIND,
        _ => MISC,
    };
    let mut p: Vec<(String, u8)> = top
        .split(' ')
        .map(|s| (s.to_string(), section(s)))
        .collect();
    let fixed = p.len();
    p.extend((1..=BLOG_POSTS).map(|n| (format!("/blog/post-{n}"), BLOG)));
    let tags = "rust nginx privacy performance release howto apache security";
    p.extend(
        tags.split(' ')
            .map(|tag| (format!("/blog/tag/{tag}"), MISC)),
    );
    let sections = "getting-started install configuration cli reports formats api faq";
    let topics = "overview basics options examples advanced filters sessions bots referrers time-zones output troubleshooting";
    for sec in sections.split(' ') {
        p.extend(
            topics
                .split(' ')
                .map(|topic| (format!("/docs/{sec}/{topic}"), DOCS)),
        );
    }
    // Distinct five-digit ids: 7919 is coprime with 90000.
    p.extend((0..1500u64).map(|i| (format!("/products/{}", 10_000 + i * 7919 % 90_000), SHOP)));
    for i in (fixed + 1..p.len()).rev() {
        p.swap(i, fixed + rng.below((i - fixed + 1) as u64) as usize);
    }
    p
}

fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

fn ipv4(rng: &mut Rng) -> String {
    loop {
        let [a, b, c, d] = (rng.next() as u32).to_be_bytes();
        let reserved = matches!(a, 0 | 10 | 127 | 224..=255)
            || (a == 100 && (64..128).contains(&b))
            || (a == 169 && b == 254)
            || (a == 172 && (16..32).contains(&b))
            || (a == 192 && b == 168);
        if !reserved {
            return format!("{a}.{b}.{c}.{d}");
        }
    }
}

fn ipv6(rng: &mut Rng) -> String {
    let prefixes = [
        "2a02:810d",
        "2a01:cb1c",
        "2600:1700",
        "2601:644",
        "2003:e5",
        "2406:3003",
    ];
    let mut ip = rng.pick(&prefixes).to_string();
    if rng.chance(0.2) {
        // Hand-assigned interface id, written in compressed form.
        return ip + &format!(":{:x}::{:x}", rng.below(0x10000), rng.range(1, 255));
    }
    for _ in 0..6 {
        ip += &format!(":{:x}", rng.below(0x10000));
    }
    ip
}

// ------------------------------------------------------------------------------------------ time, arguments

/// Days since 1970-01-01 and back (Howard Hinnant's civil calendar algorithms).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let (era, doy) = (
        y.div_euclid(400),
        (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1,
    );
    let yoe = y - era * 400;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn civil_from_days(z: i64) -> (i64, usize, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        yoe + era * 400 + (m <= 2) as i64,
        m as usize,
        doy - (153 * mp + 2) / 5 + 1,
    )
}

struct Args {
    bytes: Option<u64>,
    lines: Option<u64>,
    seed: u64,
    out: Option<String>,
    start_ms: u64,
    tz_min: i64,
}

fn num(s: &str, what: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("invalid {what}: {s:?}"))
}

fn parse_size(s: &str) -> Result<u64, String> {
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let shift = match s[digits..]
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("invalid size: {s:?}")),
    };
    Ok(num(&s[..digits], "size")? << shift)
}

/// Accepts `YYYY-MM-DD`, optionally followed by `THH:MM:SS` and `Z`; always UTC.
fn parse_start(s: &str) -> Result<u64, String> {
    let bad = || format!("invalid --start (want 2024-05-01T00:00:00Z): {s:?}");
    let (date, time) = s
        .trim_end_matches('Z')
        .split_once('T')
        .unwrap_or((s, "00:00:00"));
    let ints = |x: &str, sep| {
        x.split(sep)
            .map(|v: &str| v.parse::<i64>().map_err(|_| bad()))
            .collect::<Result<Vec<_>, _>>()
    };
    let (d, t) = (ints(date, '-')?, ints(time, ':')?);
    if d.len() != 3
        || t.len() != 3
        || d[0] < 1970
        || !(1..=12).contains(&d[1])
        || !(1..=31).contains(&d[2])
        || t[0] > 23
        || t[1] > 59
        || t[2] > 60
    {
        return Err(bad());
    }
    Ok(
        ((days_from_civil(d[0], d[1], d[2]) * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]) * 1000)
            as u64,
    )
}

/// Accepts `Z`, `+HH:MM`, `+HHMM` or the same with `-`; returns minutes east of UTC.
fn parse_tz(s: &str) -> Result<i64, String> {
    let digits = s.get(1..).unwrap_or("").replace(':', "");
    let sign = match s.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => 0,
    };
    match (s, sign, digits.len(), digits.parse::<i64>()) {
        ("Z", ..) => Ok(0),
        (_, 1 | -1, 4, Ok(v)) if v / 100 <= 14 && v % 100 < 60 => {
            Ok(sign * (v / 100 * 60 + v % 100))
        }
        _ => Err(format!("invalid --tz (want +02:00): {s:?}")),
    }
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        bytes: None,
        lines: None,
        seed: 42,
        out: None,
        start_ms: parse_start("2024-05-01")?,
        tz_min: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let val = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bytes" => a.bytes = Some(parse_size(&val)?),
            "--lines" => a.lines = Some(num(&val, "--lines")?),
            "--seed" => a.seed = num(&val, "--seed")?,
            "-o" | "--output" => a.out = Some(val),
            "--start" => a.start_ms = parse_start(&val)?,
            "--tz" => a.tz_min = parse_tz(&val)?,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if a.bytes.is_none() && a.lines.is_none() {
        a.lines = Some(1000);
    }
    Ok(a)
}

fn push_num(buf: &mut Vec<u8>, n: u64) {
    if n >= 10 {
        push_num(buf, n / 10);
    }
    buf.push(b'0' + (n % 10) as u8);
}

fn push_hex(buf: &mut Vec<u8>, x: u64, digits: u32) {
    buf.extend(
        (0..digits)
            .rev()
            .map(|i| b"0123456789abcdef"[(x >> (4 * i)) as usize & 15]),
    );
}

// ------------------------------------------------------------------------------------------ simulation

struct Person {
    ip: String,
    ua: &'static str,
    user: &'static str,
    visits: u32,
}

fn human(rng: &mut Rng, uas: &Zipf) -> Person {
    let ip = match rng.below(100) {
        0..=9 => ipv6(rng),
        // Logged from X-Forwarded-For: the client plus the proxies it went through.
        10 => format!("10.0.{}.{}, {}", rng.below(8), rng.range(2, 254), ipv4(rng)),
        11 => format!("{}, {}", ipv4(rng), ipv4(rng)),
        _ => ipv4(rng),
    };
    person(ip, BROWSERS[uas.sample(rng)])
}

fn person(ip: String, ua: &'static str) -> Person {
    Person {
        ip,
        ua,
        user: "-",
        visits: 0,
    }
}

/// Appends a pool of people and returns its index range.
fn add_pool(people: &mut Vec<Person>, pool: impl Iterator<Item = Person>) -> (u32, u32) {
    let start = people.len();
    people.extend(pool);
    (start as u32, (people.len() - start) as u32)
}

/// Also the index of each kind's pool of people.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Human,
    Admin,
    Crawler,
    Script,
    Scanner,
}

/// A visit in progress: `left` requests to go, `prev` the last page seen (NONE before the first),
/// `post` a form submission due as the next step.
#[derive(Clone, Copy)]
struct Visit {
    kind: Kind,
    who: u32,
    left: u64,
    prev: u32,
    post: bool,
}

enum What {
    Step(u32),
    Asset {
        who: u32,
        page: u32,
        asset: u8,
        cached: bool,
    },
    Xhr {
        who: u32,
        page: u32,
    },
    Monitor(usize),
}

/// A pending request, keyed by the time its response completes (when the server logs it).
struct Ev {
    at: u64,
    seq: u64,
    what: What,
}

impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
// Reversed so that BinaryHeap pops the earliest; `seq` keeps ties deterministic.
impl Ord for Ev {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

struct Gen {
    rng: Rng,
    seed: u64,
    start: u64,
    tz_min: i64,
    mean_gap_ms: f64,
    out: BufWriter<Box<dyn Write>>,
    err: Option<io::Error>,
    max_bytes: u64,
    max_lines: u64,
    written: u64,
    lines: u64,
    done: bool,
    first_ts: u64,
    last_ts: u64,
    // Line assembly: callers fill `path` and `referer`, then `emit` writes the line.
    line: Vec<u8>,
    path: Vec<u8>,
    referer: Vec<u8>,
    date: Vec<u8>,
    date_sec: i64,
    // The world. Pools of people are index ranges into `people`; humans come first.
    pages: Vec<(String, u8)>,
    page_zipf: Zipf,
    items: Vec<String>,
    item_zipf: Zipf,
    people: Vec<Person>,
    human_zipf: Zipf,
    pools: [(u32, u32); 5],
    monitors: u32,
    // Visits in progress (slots are reused) and the queue of pending requests.
    visits: Vec<Visit>,
    free: Vec<u32>,
    heap: BinaryHeap<Ev>,
    seq: u64,
}

impl Gen {
    fn new(a: &Args, out: BufWriter<Box<dyn Write>>) -> Gen {
        let mut rng = Rng(a.seed ^ 0x6C6F_6773_7461_7473);
        // The span grows sub-linearly with the size: ~10 days for 1 GB (4.5M lines), ~2 days for
        // 100 MB, minutes for a few hundred lines, so the request rate is plausible at every size.
        let expected = a
            .lines
            .unwrap_or(u64::MAX)
            .min(a.bytes.map_or(u64::MAX, |b| b / AVG_LINE))
            .max(1) as f64;
        let span_ms = (10.0 * DAY_MS as f64 * (expected / 4.5e6).powf(0.75)).max(10_000.0);
        let pages = build_site(&mut rng);
        let items = (0..4000).map(|_| uuid(&mut rng)).collect();
        let n_humans = ((expected / 20.0) as usize).clamp(500, 400_000);
        let (mut people, ua_zipf) = (Vec::new(), Zipf::new(BROWSERS.len(), 0.8));
        // Pools in `Kind` order, each a range of `people`; the elements are built one after another.
        let pools = [
            add_pool(
                &mut people,
                (0..n_humans).map(|_| human(&mut rng, &ua_zipf)),
            ),
            add_pool(
                &mut people,
                ["alice", "bob", "deploy"].into_iter().map(|user| Person {
                    user,
                    ..person(ipv4(&mut rng), BROWSERS[0])
                }),
            ),
            add_pool(
                &mut people,
                CRAWLERS
                    .iter()
                    .flat_map(|&(ua, block, n)| (0..n).map(move |_| (ua, block)))
                    .map(|(ua, block)| person(format!("{block}{}", rng.range(1, 254)), ua)),
            ),
            add_pool(
                &mut people,
                (0..150).map(|_| person(ipv4(&mut rng), rng.pick(SCRIPT_UAS))),
            ),
            add_pool(
                &mut people,
                (0..300).map(|_| person(ipv4(&mut rng), rng.pick(SCANNER_UAS))),
            ),
        ];
        let monitors = people.len() as u32;
        people.extend(MONITORS.iter().map(|&(ua, ip, ..)| person(ip.into(), ua)));
        let mut g = Gen {
            seed: a.seed,
            start: a.start_ms,
            tz_min: a.tz_min,
            mean_gap_ms: span_ms / expected * LINES_PER_VISIT,
            out,
            err: None,
            max_bytes: a.bytes.unwrap_or(u64::MAX),
            max_lines: a.lines.unwrap_or(u64::MAX),
            written: 0,
            lines: 0,
            done: a.lines == Some(0),
            first_ts: 0,
            last_ts: 0,
            line: Vec::with_capacity(1024),
            path: Vec::new(),
            referer: Vec::new(),
            date: Vec::new(),
            date_sec: i64::MIN,
            page_zipf: Zipf::new(pages.len(), 1.05),
            pages,
            item_zipf: Zipf::new(4000, 0.9),
            items,
            people,
            human_zipf: Zipf::new(n_humans, 0.85),
            pools,
            monitors,
            visits: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            seq: 0,
            rng,
        };
        for (i, m) in MONITORS.iter().enumerate() {
            let at = a.start_ms + g.rng.below(m.2 * 1000);
            g.push(at, What::Monitor(i));
        }
        g
    }

    fn push(&mut self, at: u64, what: What) {
        self.seq += 1;
        self.heap.push(Ev {
            at,
            seq: self.seq,
            what,
        });
    }

    /// Discrete-event loop: new visits arrive as a Poisson process; every request of every visit
    /// sits in one time-ordered queue, which interleaves concurrent visitors as on a real server.
    fn run(&mut self) {
        let mut next_visit = self.start;
        while !self.done {
            if self.heap.peek().is_none_or(|e| next_visit <= e.at) {
                self.spawn(next_visit);
                next_visit +=
                    (self.rng.exp(self.mean_gap_ms) / self.activity(next_visit)) as u64 + 1;
                continue;
            }
            let Ev { at, what, .. } = self.heap.pop().unwrap();
            match what {
                What::Step(id) => self.step(at, id),
                What::Asset {
                    who,
                    page,
                    asset,
                    cached,
                } => self.asset(at, who, page, asset, cached),
                What::Xhr { who, page } => self.xhr(at, who, page),
                What::Monitor(i) => self.monitor(at, i),
            }
            if self.rng.chance(1.0 / 10_000.0) {
                self.oddity(at);
            }
        }
    }

    /// Relative traffic level: a daily cycle in the written time zone peaking mid-afternoon and
    /// quieter weekends, so hourly and daily reports have a realistic shape.
    fn activity(&self, t: u64) -> f64 {
        let local_s = (t / 1000) as i64 + self.tz_min * 60;
        let hour = local_s.rem_euclid(86_400) as f64 / 3600.0;
        let weekend = (local_s.div_euclid(86_400) + 3).rem_euclid(7) >= 5; // day 0 was a Thursday
        (1.0 + 0.6 * ((hour - 9.0) / 24.0 * std::f64::consts::TAU).sin())
            * if weekend { 0.75 } else { 1.0 }
    }

    fn spawn(&mut self, t: u64) {
        // Visit mix in ‰ of visits; requests per visit follow a geometric(p) capped at `max`.
        let (kind, p, max) = match self.rng.below(1000) {
            0..=3 => (Kind::Admin, 0.2, 12),
            4..=109 => (Kind::Crawler, 0.12, 60),
            110..=179 => (Kind::Script, 0.5, 6),
            180..=187 => (Kind::Scanner, 0.1, 25),
            _ => (Kind::Human, 0.45, 8),
        };
        let who = self.member(kind);
        let left = self.rng.geometric(p, max);
        self.people[who as usize].visits += 1;
        let v = Visit {
            kind,
            who,
            left,
            prev: NONE,
            post: false,
        };
        let id = self.free.pop().unwrap_or(self.visits.len() as u32);
        if id as usize == self.visits.len() {
            self.visits.push(v);
        }
        self.visits[id as usize] = v;
        self.push(t, What::Step(id));
    }

    /// A random member of a pool; humans follow a Zipf, so a few visitors come back very often.
    fn member(&mut self, kind: Kind) -> u32 {
        let (start, len) = self.pools[kind as usize];
        match kind {
            Kind::Human => self.human_zipf.sample(&mut self.rng) as u32,
            _ => start + self.rng.below(len as u64) as u32,
        }
    }

    fn step(&mut self, t: u64, id: u32) {
        let mut v = self.visits[id as usize];
        let r = &mut self.rng;
        let gap_s = match v.kind {
            // Reading time; now and then a tab sits idle past the usual 30-minute visit cut-off.
            Kind::Human if r.chance(0.03) => 1800.0 + r.exp(2400.0),
            Kind::Human => 2.0 + r.exp(40.0),
            Kind::Crawler => 0.5 + r.exp(6.0),
            Kind::Admin => 3.0 + r.exp(30.0),
            Kind::Script => 0.1 + r.exp(1.5),
            Kind::Scanner => r.exp(0.4),
        };
        match v.kind {
            Kind::Human => self.human_page(t, &mut v),
            Kind::Crawler => self.crawl(t, &mut v),
            Kind::Admin => self.fixed(t, v.who, ADMIN_REQS, 0.0),
            Kind::Script => self.fixed(t, v.who, SCRIPT_REQS, 0.1),
            Kind::Scanner => self.fixed(t, v.who, SCAN_REQS, 0.3),
        }
        v.left -= 1;
        if v.left == 0 {
            self.free.push(id);
        } else {
            self.visits[id as usize] = v;
            self.push(t + (gap_s * 1000.0) as u64, What::Step(id));
        }
    }

    fn set_path(&mut self, s: &str) {
        self.path.clear();
        put!(self.path, s);
    }

    fn page_path(&mut self, page: u32) {
        self.path.clear();
        put!(self.path, self.pages[page as usize].0);
    }

    fn ref_page(&mut self, page: u32) {
        self.referer.clear();
        put!(self.referer, SITE, self.pages[page as usize].0);
    }

    /// Stable per-page HTML size, plus a little per-request variation (dynamic content).
    fn page_size(&mut self, page: u32) -> u64 {
        6_000 + mix(self.seed ^ page as u64) % 60_000 + self.rng.below(400)
    }

    /// Occasional 5xx on dynamic requests, partly concentrated in short incidents (a few minutes,
    /// about once a day) so that error reports show spikes rather than only uniform noise.
    fn server_error(&mut self, t: u64) -> Option<(u16, u64)> {
        let h = mix(self.seed ^ (t / 3_600_000).wrapping_mul(0x9E37_79B9));
        let (minute, from) = (t / 60_000 % 60, (h >> 8) % 50);
        if h % 24 == 0
            && from <= minute
            && minute < from + 2 + (h >> 16) % 9
            && self.rng.chance(0.4)
        {
            Some(self.rng.pick(&[(502, 157), (503, 190), (504, 167)]))
        } else if self.rng.chance(0.005) {
            Some(
                self.rng
                    .pick(&[(500, 1534), (500, 1534), (502, 157), (504, 167)]),
            )
        } else {
            None
        }
    }

    /// Where a visit comes from: fills `referer` and returns campaign parameters for the landing URL.
    fn landing(&mut self) -> &'static str {
        let (r, b) = (&mut self.rng, &mut self.referer);
        let id = r.next();
        b.clear();
        let (kind, utm) = match r.below(100) {
            0..=37 => (0, ""),           // direct
            38..=64 => (1, ""),          // search engine
            65..=76 => (2 + id % 3, ""), // t.co, reddit, facebook
            77..=92 => (5, ""),          // other sites
            // Newsletters arrive without a referrer, other campaigns from their platform.
            _ => [
                (0, UTM[0]),
                (2, UTM[1]),
                (1, UTM[2]),
                (3, UTM[3]),
                (5, UTM[4]),
            ][id as usize % 5],
        };
        match kind {
            1 => {
                // Google mostly sends a bare origin; Bing and DuckDuckGo keep the query.
                let e = if utm.is_empty() {
                    [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 4, 4, 5][r.below(14) as usize]
                } else {
                    0
                };
                put!(b, SEARCH[e]);
                if e >= 3 {
                    put!(b, r.pick(TERMS));
                }
            }
            2 => {
                put!(b, "https://t.co/");
                b.extend((0..10).map(|i| BASE58[(id >> (i * 6)) as usize % 58]));
            }
            3 => {
                put!(
                    b,
                    "https://www.reddit.com/r/",
                    SUBREDDITS[(id >> 40) as usize % SUBREDDITS.len()],
                    "/comments/1c"
                );
                push_hex(b, id, 5);
                b.push(b'/');
            }
            4 => put!(b, "https://www.facebook.com/"),
            5 => put!(
                b,
                if utm.is_empty() {
                    r.pick(OTHER_REFS)
                } else {
                    OTHER_REFS[6]
                }
            ),
            _ => {}
        }
        utm
    }

    fn human_page(&mut self, t: u64, v: &mut Visit) {
        let (who, first) = (v.who, v.prev == NONE);
        if v.post {
            // Submitting the form shown on the previous page: usually redirected, sometimes rejected.
            v.post = false;
            self.page_path(v.prev);
            self.ref_page(v.prev);
            let login = self.path == b"/login";
            let (st, n) = if self.rng.chance(0.85) {
                (302, 0)
            } else if login {
                (401, 2_210)
            } else {
                (422, 5_870)
            };
            return self.emit(t, who, "POST", H11, st, n);
        }
        let page = self.page_zipf.sample(&mut self.rng) as u32;
        let section = self.pages[page as usize].1;
        self.page_path(page);
        if section == FIND {
            put!(self.path, "?q=", self.rng.pick(TERMS));
        } else if section == SHOP && self.rng.chance(0.1) {
            put!(self.path, "?ref=related");
        }
        if !first {
            self.ref_page(v.prev);
        } else if let utm @ [_, ..] = self.landing().as_bytes() {
            self.path.push(if self.path.contains(&b'?') {
                b'&'
            } else {
                b'?'
            });
            put!(self.path, utm);
        }
        if self.rng.chance(0.015) && !self.path.contains(&b'?') && !self.path.ends_with(b"/") {
            // An old link with a trailing slash: redirected to the canonical URL first.
            self.path.push(b'/');
            self.emit(t, who, "GET", H11, 301, 169);
            self.path.pop();
        }
        let (status, bytes) = if self.rng.chance(0.006) {
            self.set_path("/blog/post-"); // a broken link
            push_num(&mut self.path, BLOG_POSTS + self.rng.range(1, 400));
            (404, 3_720)
        } else {
            self.server_error(t)
                .unwrap_or_else(|| (200, self.page_size(page)))
        };
        self.emit(t, who, "GET", H11, status, bytes);
        v.prev = page;
        if status != 200 {
            return;
        }
        // The browser then fetches what the page references; returning visitors have most of it cached.
        let Person { ua, visits, .. } = self.people[who as usize];
        let returning = visits > 1;
        let (mut fetch, mut n) = ([(0u8, false); 12], 0);
        let mut add = |asset: u8, cached: bool| {
            fetch[n] = (asset, cached);
            n += 1
        };
        if first {
            for asset in 0..6 {
                match (returning, self.rng.below(100)) {
                    (false, _) | (true, 85..) => add(asset, false),
                    (true, 60..=84) => add(asset, true),
                    _ => {}
                }
            }
            if !returning && (ua.contains("iPhone") || ua.contains("iPad")) {
                add(8, false);
                add(9, false);
            }
        } else if self.rng.chance(0.1) {
            add(0, true);
        }
        if section == BLOG || section == SHOP {
            add(6, false);
        }
        if section != MISC && (first || self.rng.chance(0.3)) {
            add(7, returning && self.rng.chance(0.4));
        }
        let mut at = t;
        for &(asset, cached) in &fetch[..n] {
            at += self.rng.range(5, 400);
            self.push(
                at,
                What::Asset {
                    who,
                    page,
                    asset,
                    cached,
                },
            );
        }
        if section == SHOP && self.rng.chance(0.5) {
            let at = at + self.rng.range(200, 2500);
            self.push(at, What::Xhr { who, page });
        }
        if section == FORM && self.rng.chance(0.3) {
            v.post = true;
            v.left += 1;
        }
    }

    /// Writes an asset's URL and returns its size. Bundle names carry a content hash that changes
    /// with every deploy (every two days), as with any modern front-end build.
    fn asset_path(&self, buf: &mut Vec<u8>, asset: u8, page: u32, t: u64) -> u64 {
        let (page_path, section) = &self.pages[page as usize];
        let deploy = t.saturating_sub(self.start) / (2 * DAY_MS) + 1;
        // Only the per-section chunk differs between sections.
        let chunk = if asset == 7 { *section as u64 } else { 0 };
        let h = mix(self.seed ^ deploy << 16 ^ chunk << 8 ^ asset as u64);
        let (prefix, hex, suffix, size) = match asset {
            0 => ("/static/css/main.", 16, ".css", 18_000 + h % 50_000),
            1 => ("/static/js/app.", 16, ".js", 120_000 + h % 300_000),
            2 => ("/static/js/vendor.", 16, ".js", 300_000 + h % 600_000),
            3 => ("/static/fonts/inter-var.woff2", 0, "", 48_432),
            4 => ("/static/img/logo.png", 0, "", 7_340),
            5 => ("/favicon.ico", 0, "", 15_086),
            6 => (
                "/static/img",
                0,
                ".png",
                25_000 + mix(self.seed ^ page as u64 ^ 0xFF) % 320_000,
            ),
            7 => ("/static/js/", 8, ".js", 8_000 + h % 50_000),
            8 => ("/apple-touch-icon-precomposed.png", 0, "", 0),
            _ => ("/apple-touch-icon.png", 0, "", 0),
        };
        put!(buf, prefix);
        match asset {
            6 => put!(buf, page_path),
            7 => put!(buf, CHUNKS[*section as usize], "."),
            _ => {}
        }
        push_hex(buf, h, hex);
        put!(buf, suffix);
        size
    }

    fn asset(&mut self, t: u64, who: u32, page: u32, asset: u8, cached: bool) {
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        let size = self.asset_path(&mut path, asset, page, t);
        self.path = path;
        if asset == 3 {
            // Fonts are requested by the stylesheet, so that is their referrer.
            let mut r = std::mem::take(&mut self.referer);
            r.clear();
            put!(r, SITE);
            self.asset_path(&mut r, 0, page, t);
            self.referer = r;
        } else {
            self.ref_page(page);
        }
        let (status, bytes) = match (asset, cached) {
            (8.., _) => (404, 555),
            (_, true) => (304, 0),
            _ => (200, size),
        };
        self.emit(t, who, "GET", H11, status, bytes);
    }

    fn xhr(&mut self, t: u64, who: u32, page: u32) {
        self.ref_page(page);
        let cart = self.rng.chance(0.12);
        let i = self.item_zipf.sample(&mut self.rng);
        self.set_path(if cart {
            "/api/v1/cart"
        } else {
            "/api/v1/items/"
        });
        if !cart {
            let fields = if self.rng.chance(0.2) {
                "?fields=price,stock"
            } else {
                ""
            };
            put!(self.path, self.items[i], fields);
        }
        let (st, n) = match self.server_error(t) {
            Some(e) => e,
            None if cart => (201, self.rng.range(60, 200)),
            None if self.rng.chance(0.01) => (404, 48),
            None => (200, 400 + mix(i as u64) % 5_600),
        };
        self.emit(t, who, if cart { "POST" } else { "GET" }, H11, st, n);
    }

    /// A request from a fixed repertoire (scripts, scanners, staff); some clients still use HTTP/1.0.
    fn fixed(&mut self, t: u64, who: u32, reqs: Reqs, http10: f64) {
        let (method, path, status, size) = self.rng.pick(reqs);
        self.set_path(path);
        if path.ends_with("items/") {
            let i = self.item_zipf.sample(&mut self.rng);
            put!(self.path, self.items[i]);
        }
        self.referer.clear();
        if path.starts_with("/admin/items") {
            put!(self.referer, SITE, "/admin/");
        }
        // Dynamic pages vary a little in size; canned error pages never do.
        let bytes = size
            + if size > 1000 {
                self.rng.below(size / 8)
            } else {
                0
            };
        let proto = if self.rng.chance(http10) {
            "HTTP/1.0"
        } else {
            H11
        };
        self.emit(t, who, method, proto, status, bytes);
    }

    fn crawl(&mut self, t: u64, v: &mut Visit) {
        self.referer.clear();
        let first = std::mem::replace(&mut v.prev, 0) == NONE;
        if first && self.rng.chance(0.3) || self.rng.chance(0.01) {
            let (path, n) = if first {
                ("/robots.txt", 245)
            } else {
                ("/sitemap.xml", 181_774)
            };
            self.set_path(path);
            return self.emit(t, v.who, "GET", H11, 200, n);
        }
        // Crawlers walk the whole site, so their page mix is much flatter than that of humans.
        let flat = self.rng.chance(0.6);
        let page = if flat {
            self.rng.below(self.pages.len() as u64)
        } else {
            self.page_zipf.sample(&mut self.rng) as u64
        };
        self.page_path(page as u32);
        let googlebot = self.people[v.who as usize].ua.contains("Googlebot");
        let (st, n) = match self.rng.below(100) {
            0..=3 => {
                self.set_path("/blog/post-"); // long gone, still in their index
                push_num(&mut self.path, BLOG_POSTS + self.rng.range(1, 900));
                (404, 3_720)
            }
            4..=6 if !self.path.ends_with(b"/") => {
                self.path.push(b'/');
                (301, 169)
            }
            7..=16 if googlebot => (304, 0),
            _ => self
                .server_error(t)
                .unwrap_or_else(|| (200, self.page_size(page as u32))),
        };
        self.emit(t, v.who, "GET", H11, st, n);
    }

    fn monitor(&mut self, t: u64, i: usize) {
        let (_, _, period, method, path) = MONITORS[i];
        self.set_path(path);
        self.referer.clear();
        let (st, n) = match (self.rng.chance(0.997), method, path) {
            (false, ..) => (503, 190),
            (_, "HEAD", _) => (200, 0),
            (_, _, "/health") => (200, 2),
            _ => (200, self.page_size(0)),
        };
        self.emit(t, self.monitors + i as u32, method, H11, st, n);
        let at = t + period * 1000 + self.rng.below(1000);
        self.push(at, What::Monitor(i));
    }

    /// Rare malformed or unusual lines (each about 1 in 50,000) that a robust parser must survive.
    fn oddity(&mut self, t: u64) {
        self.referer.clear();
        let (scanner, human) = (self.member(Kind::Scanner), self.member(Kind::Human));
        self.path.clear();
        match self.rng.below(5) {
            0 => self.emit(t, scanner, r"\x16\x03\x01\x00\xA5\x01", "", 400, 157), // TLS on the plain port
            1 => self.emit(t, scanner, "-", "", 408, u64::MAX), // connection opened, nothing sent
            2 => {
                self.set_path(r#"/search?q=\"logstats\"+nginx"#);
                self.emit(t, human, "GET", H11, 200, 9_310)
            }
            3 => {
                let page = self.page_zipf.sample(&mut self.rng) as u32;
                self.page_path(page);
                let n = self.page_size(page);
                self.emit(t, human, "GET", "HTTP/2.0", 200, n)
            }
            _ => {
                self.set_path("/files/Quarterly Report 2024 (final).pdf");
                self.emit(t, human, "GET", H11, 404, 3_720)
            }
        }
    }

    /// Writes one line for the request in `path`/`referer`. `t` is when the response completed,
    /// i.e. the order lines are written in; the logged time is when the request started (Apache's
    /// %t), which leaves a few neighbouring lines a second or two out of order, as on real servers.
    /// `bytes == u64::MAX` logs `-`, as Apache's %b does for an empty body.
    fn emit(&mut self, t: u64, who: u32, method: &str, proto: &str, status: u16, mut bytes: u64) {
        if self.done {
            return;
        }
        let r = &mut self.rng;
        let duration = match r.below(1000) {
            0..=4 => r.range(1000, 1900),
            5..=29 => r.range(60, 900),
            _ => r.range(1, 60),
        };
        let ts = t.saturating_sub(duration).max(self.start);
        if (status == 304 || method == "HEAD") && r.chance(0.05) {
            bytes = u64::MAX;
        }
        let sec = (ts / 1000) as i64 + self.tz_min * 60;
        if sec != self.date_sec {
            self.format_date(sec);
        }
        let (p, l) = (&self.people[who as usize], &mut self.line);
        l.clear();
        put!(l, p.ip, " - ", p.user, " [", self.date, "] \"", method);
        if !proto.is_empty() {
            put!(l, " ", self.path, " ", proto);
        }
        put!(l, "\" ");
        push_num(l, status as u64);
        l.push(b' ');
        if bytes == u64::MAX {
            l.push(b'-')
        } else {
            push_num(l, bytes)
        }
        let referer: &[u8] = if self.referer.is_empty() {
            b"-"
        } else {
            &self.referer
        };
        // Without a parsable request line the server never saw any headers.
        let ua = if proto.is_empty() { "-" } else { p.ua };
        put!(l, " \"", referer, "\" \"", ua, "\"\n");
        if self.written + l.len() as u64 > self.max_bytes {
            self.done = true;
            return;
        }
        if let Err(e) = self.out.write_all(l) {
            (self.err, self.done) = (Some(e), true);
        }
        self.written += l.len() as u64;
        self.lines += 1;
        self.done |= self.lines >= self.max_lines;
        self.first_ts = if self.lines == 1 { ts } else { self.first_ts };
        self.last_ts = self.last_ts.max(ts);
    }

    /// `sec` is already shifted to the written offset; the result is cached per second.
    fn format_date(&mut self, sec: i64) {
        let (y, m, d) = civil_from_days(sec.div_euclid(86_400));
        let (s, tz) = (sec.rem_euclid(86_400), self.tz_min);
        let sign = if tz < 0 { '-' } else { '+' };
        self.date.clear();
        let (month, h, min) = (MONTHS[m - 1], s / 3600, s / 60 % 60);
        let _ = write!(
            self.date,
            "{d:02}/{month}/{y}:{h:02}:{min:02}:{:02} {sign}{:02}{:02}",
            s % 60,
            tz.abs() / 60,
            tz.abs() % 60
        );
        self.date_sec = sec;
    }
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("genlog: {e}\n{USAGE}");
        std::process::exit(2)
    });
    let clock = Instant::now();
    let sink: Box<dyn Write> = match args.out.as_deref() {
        None | Some("-") => Box::new(io::stdout().lock()),
        Some(p) => Box::new(File::create(p).unwrap_or_else(|e| {
            eprintln!("genlog: cannot create {p}: {e}");
            std::process::exit(1)
        })),
    };
    let mut g = Gen::new(&args, BufWriter::with_capacity(8 << 20, sink));
    g.run();
    let flushed = g.out.flush();
    match g.err.take().map_or(flushed, Err) {
        Ok(()) => eprintln!(
            "genlog: {} lines, {} bytes, {:.2} days of traffic, {:.2}s",
            g.lines,
            g.written,
            (g.last_ts - g.first_ts) as f64 / DAY_MS as f64,
            clock.elapsed().as_secs_f64()
        ),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {} // e.g. piped into `head`
        Err(e) => {
            eprintln!("genlog: write failed: {e}");
            std::process::exit(1)
        }
    }
}
