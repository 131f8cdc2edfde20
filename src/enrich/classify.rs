//! Classification of a hit (SPEC §2) and the user-agent enrichment (SPEC §5):
//! static or not, bot or not, page view or not; device, browser, OS and bot
//! name.
//!
//! [`is_static`] and [`is_pageview`] run once per line and must stay cheap;
//! [`classify_agent`] is costly (woothee runs dozens of regexes) and is meant
//! to run once per distinct user agent, its result cached by the caller.

use std::sync::LazyLock;

use woothee::parser::Parser;

/// SPEC §2 static extensions, dot included, lower case.
#[cfg_attr(not(test), allow(dead_code))] // the list as SPEC §2 writes it; `is_static` matches it
const STATIC_EXTENSIONS: &[&[u8]] = &[
    b".css", b".js", b".mjs", b".map", b".png", b".jpg", b".jpeg", b".gif", b".svg", b".ico",
    b".webp", b".avif", b".bmp", b".tif", b".tiff", b".woff", b".woff2", b".ttf", b".otf", b".eot",
    b".mp4", b".webm", b".mp3", b".ogg", b".wav", b".txt", b".xml",
];

/// Longest entry of [`STATIC_EXTENSIONS`] (`.woff2`): a longer tail cannot
/// match, so it is never lower-cased. A unit test keeps this in step with
/// the list.
const MAX_EXTENSION_LEN: usize = 6;

/// SPEC §2 bot words, matched against the lower-cased user agent.
const BOT_WORDS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "java/",
    "libwww-perl",
    "okhttp",
    "httpclient",
    "headlesschrome",
    "scrapy",
    "axios/",
    "node-fetch",
    "facebookexternalhit",
    "pingdom",
    "uptimerobot",
];

/// Woothee's own spelling of "no value"; SPEC §5 uses the same word.
const UNKNOWN: &str = "UNKNOWN";

/// The woothee parser holds no state today, but building it once keeps that
/// an implementation detail of woothee rather than a cost we might pay per
/// agent if it ever changes.
static PARSER: LazyLock<Parser> = LazyLock::new(Parser::new);

/// SPEC §2 static: path lower-cased ends in one of the listed extensions.
///
/// Only the tail after the last `.` can match (no extension holds a second
/// dot), so only that tail, at most six bytes, is lower-cased, on the stack.
/// ASCII lower-casing is exact here: the path is raw bytes, and no non-ASCII
/// character lower-cases to one of the ASCII letters these extensions use.
pub fn is_static(path: &[u8]) -> bool {
    // Called on every line: look for the dot only where an extension of the
    // list could start, so that most page paths are turned away in a few
    // instructions.
    let window = &path[path.len().saturating_sub(MAX_EXTENSION_LEN)..];
    let Some(dot) = window.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let tail = &window[dot..];
    let mut buf = [0u8; MAX_EXTENSION_LEN];
    let lower = &mut buf[..tail.len()];
    lower.copy_from_slice(tail);
    lower.make_ascii_lowercase();
    // A `match` on the bytes compiles to a few length and word comparisons;
    // a search of the list called `memcmp` for each entry. The test
    // `static_list_and_match_agree` keeps the two in step.
    matches!(
        &*lower,
        b".css"
            | b".js"
            | b".mjs"
            | b".map"
            | b".png"
            | b".jpg"
            | b".jpeg"
            | b".gif"
            | b".svg"
            | b".ico"
            | b".webp"
            | b".avif"
            | b".bmp"
            | b".tif"
            | b".tiff"
            | b".woff"
            | b".woff2"
            | b".ttf"
            | b".otf"
            | b".eot"
            | b".mp4"
            | b".webm"
            | b".mp3"
            | b".ogg"
            | b".wav"
            | b".txt"
            | b".xml"
    )
}

/// What is known of one distinct user agent; computed once per distinct agent, never per line (the caller caches it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    pub is_bot: bool,
    /// woothee category ("pc", "smartphone", "mobilephone", "crawler", "appliance", "misc"), or "UNKNOWN"
    pub device: String,
    /// woothee name, or "UNKNOWN"
    pub browser: String,
    /// woothee os, or "UNKNOWN"
    pub os: String,
    /// SPEC §5 bot name when is_bot, else None
    pub bot_name: Option<String>,
}

impl AgentInfo {
    /// The agent of a hit whose layout logs none: never a bot (SPEC §2),
    /// every name unknown.
    pub fn none() -> AgentInfo {
        AgentInfo {
            is_bot: false,
            device: "UNKNOWN".into(),
            browser: "UNKNOWN".into(),
            os: "UNKNOWN".into(),
            bot_name: None,
        }
    }
}

/// `agent` is the decoded user-agent text (bytes; may be invalid UTF-8).
/// It is matched as lossy text, where no bot word can be made up of an
/// escape; the bot name is cut from the text as printed (`\xHH`).
pub fn classify_agent(agent: &[u8]) -> AgentInfo {
    let text = String::from_utf8_lossy(agent);
    // SPEC treats these two as "no agent at all", before woothee or any word
    // rule gets a say (woothee itself answers UNKNOWN for both).
    let blank = text.is_empty() || text == "-";

    // Woothee answers `None` for agents it recognises nothing in; that is the
    // same as every field unknown.
    let (category, name, os) = match PARSER.parse(&text) {
        Some(r) => (or_unknown(r.category), or_unknown(r.name), or_unknown(r.os)),
        None => (UNKNOWN, UNKNOWN, UNKNOWN),
    };

    let is_bot = is_bot_by_words(&text) || category == "crawler" || name == "HTTP Library";

    let bot_name = is_bot.then(|| bot_name(&crate::text::from_log(agent), blank, category, name));

    AgentInfo {
        is_bot,
        device: category.to_owned(),
        browser: name.to_owned(),
        os: os.to_owned(),
        bot_name,
    }
}

/// The part of the SPEC §2 bot rule that needs no woothee: no agent at all
/// (empty or `-`), or a bot word in it. Cheap enough to run while lines
/// are scanned (once per distinct agent), so that most bots' lines are
/// never recorded as candidate page views; [`classify_agent`] applies the
/// same test, so the early answer never disagrees with the final one.
/// `text` is the decoded agent, as for [`classify_agent`].
pub fn is_bot_by_words(text: &str) -> bool {
    if text.is_empty() || text == "-" {
        return true;
    }
    let lower = text.to_lowercase();
    BOT_WORDS.iter().any(|w| lower.contains(w))
}

/// Woothee fills unknown fields with "UNKNOWN" but can in principle pass an
/// empty string through from its dataset; SPEC §5 wants one spelling.
fn or_unknown(s: &str) -> &str {
    if s.is_empty() {
        UNKNOWN
    } else {
        s
    }
}

/// SPEC §5 bot name of an agent already known to be a bot.
pub(crate) fn bot_name(text: &str, blank: bool, category: &str, name: &str) -> String {
    // Woothee's curated names ("Googlebot", "Yahoo! Slurp") are better than
    // anything cut from the text, except its catch-all, which says nothing.
    // An UNKNOWN name would be no name either, so it falls through too.
    if category == "crawler" && name != "misc crawler" && name != UNKNOWN {
        return name.to_owned();
    }
    if blank {
        return "(empty)".to_owned();
    }
    let mut tokens = text
        .split([' ', ';', '(', ')', ','])
        .filter(|t| !t.is_empty())
        // URLs and the browser-compatibility boilerplate name no bot; the
        // rest usually holds a `Name/version` product token.
        .filter(|t| !t.contains("://") && !t.starts_with("Mozilla/") && *t != "compatible");
    let Some(first) = tokens.next() else {
        return "(unknown)".to_owned();
    };
    let chosen = if has_bot_word(first) {
        first
    } else {
        tokens.find(|t| has_bot_word(t)).unwrap_or(first)
    };
    let cut = match chosen.find('/') {
        Some(i) => &chosen[..i],
        None => chosen,
    };
    // A token like `/bot` cuts to nothing; an empty name in a table would
    // read as a rendering bug, and "no name left" is what `(unknown)` means.
    if cut.is_empty() {
        "(unknown)".to_owned()
    } else {
        cut.to_owned()
    }
}

/// Same lower-casing as the bot rule, so that the token chosen is the one
/// that made the agent a bot.
fn has_bot_word(token: &str) -> bool {
    let lower = token.to_lowercase();
    BOT_WORDS.iter().any(|w| lower.contains(w))
}

/// SPEC §2 page view: not bot, not static, method GET, status 200–299 or 304.
pub fn is_pageview(is_bot: bool, is_static: bool, method: &[u8], status: u16) -> bool {
    !is_bot && !is_static && method == b"GET" && ((200..=299).contains(&status) || status == 304)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(a: &str) -> AgentInfo {
        classify_agent(a.as_bytes())
    }

    fn name(a: &str) -> Option<String> {
        agent(a).bot_name
    }

    #[test]
    fn max_extension_len_matches_list() {
        let longest = STATIC_EXTENSIONS.iter().map(|e| e.len()).max();
        assert_eq!(longest, Some(MAX_EXTENSION_LEN));
        assert_eq!(STATIC_EXTENSIONS.len(), 27);
        for ext in STATIC_EXTENSIONS {
            assert_eq!(ext.iter().filter(|&&b| b == b'.').count(), 1);
            assert!(ext.starts_with(b"."));
        }
    }

    #[test]
    fn static_every_extension_any_case() {
        for ext in STATIC_EXTENSIONS {
            let ext = std::str::from_utf8(ext).unwrap();
            let lower = format!("/assets/app{ext}");
            let upper = format!("/assets/APP{}", ext.to_uppercase());
            assert!(is_static(lower.as_bytes()), "{lower}");
            assert!(is_static(upper.as_bytes()), "{upper}");
        }
        assert!(is_static(b"/A.PNG"));
        assert!(is_static(b"/img/Photo.JpEg"));
        assert!(is_static(b"/fonts/x.WOFF2"));
        assert!(is_static(b"/robots.txt"));
        assert!(is_static(b"/sitemap.xml"));
        assert!(is_static(b"/feed.XML"));
        // The SPEC says "ends in": the extension alone is enough.
        assert!(is_static(b".css"));
        assert!(is_static(b"/.js"));
    }

    #[test]
    fn static_rejects_non_matching() {
        for p in [
            &b""[..],
            b"/",
            b"/about",
            b"/blog/post-1",
            b"(invalid)",
            b"/index.html",
            b"/index.php",
            b"/app.jsx",
            b"/style.css/",
            b"/style.cssx",
            b"/x.woff3",
            b"/a.json",
            b"/v1.2/users",
            b"/archive.tar.gz",
            b"/img.png.bak",
            b"/css",
            b"/js",
            b"/a.mp",
            b"/long.extension",
            b"/x.\xff\xfe",
        ] {
            assert!(!is_static(p), "{}", String::from_utf8_lossy(p));
        }
        // The path arrives without its query; a stray one is not ours to cut.
        assert!(!is_static(b"/a.png?x=1"));
        assert!(is_static(b"/search?q=a.png"));
    }

    #[test]
    fn pageview_rules() {
        assert!(is_pageview(false, false, b"GET", 200));
        assert!(is_pageview(false, false, b"GET", 299));
        assert!(is_pageview(false, false, b"GET", 304));
        assert!(is_pageview(false, false, b"GET", 204));
        assert!(!is_pageview(false, false, b"GET", 199));
        assert!(!is_pageview(false, false, b"GET", 300));
        assert!(!is_pageview(false, false, b"GET", 301));
        assert!(!is_pageview(false, false, b"GET", 303));
        assert!(!is_pageview(false, false, b"GET", 305));
        assert!(!is_pageview(false, false, b"GET", 404));
        assert!(!is_pageview(false, false, b"GET", 500));
        assert!(!is_pageview(false, false, b"GET", 0));
        assert!(!is_pageview(false, false, b"HEAD", 200));
        assert!(!is_pageview(false, false, b"POST", 200));
        assert!(!is_pageview(false, false, b"-", 200));
        assert!(!is_pageview(false, false, b"get", 200));
        assert!(!is_pageview(false, false, b"", 200));
        assert!(!is_pageview(true, false, b"GET", 200));
        assert!(!is_pageview(false, true, b"GET", 200));
        assert!(!is_pageview(true, true, b"GET", 304));
    }

    #[test]
    fn every_bot_word_makes_a_bot() {
        for w in BOT_WORDS {
            // Mixed case proves the rule lower-cases the agent first.
            let upper = format!(
                "Mozilla/5.0 (X11; Linux) Something/1 {}x/1.0",
                w.to_uppercase()
            );
            let info = agent(&upper);
            assert!(info.is_bot, "{upper}");
            assert!(info.bot_name.is_some(), "{upper}");
            let plain = format!("{w}x/9");
            assert!(agent(&plain).is_bot, "{plain}");
        }
        assert_eq!(BOT_WORDS.len(), 21);
    }

    #[test]
    fn bot_word_inside_a_longer_word_counts() {
        // "contains" in the SPEC: robots, Cubot phones, "crawler" all match.
        assert!(agent("Mozilla/5.0 (Linux; Android 10; CUBOT X30) Chrome/90.0 Mobile").is_bot);
        assert!(agent("SomeRobots/1.0").is_bot);
        assert!(agent("MyCrawler").is_bot);
    }

    #[test]
    fn empty_and_dash_are_bots() {
        for a in ["", "-"] {
            let info = agent(a);
            assert_eq!(
                info,
                AgentInfo {
                    is_bot: true,
                    device: "UNKNOWN".into(),
                    browser: "UNKNOWN".into(),
                    os: "UNKNOWN".into(),
                    bot_name: Some("(empty)".into()),
                }
            );
        }
        // Only exactly these: a blank-looking agent is not "empty".
        assert!(!agent(" ").is_bot);
        assert!(!agent("--").is_bot);
    }

    #[test]
    fn woothee_crawler_category_makes_a_bot() {
        // No bot word in these: woothee alone knows they are crawlers.
        for a in [
            "Mediapartners-Google",
            "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b",
            "Rome Client (http://tinyurl.com/64t5n)",
        ] {
            assert!(!BOT_WORDS.iter().any(|w| a.to_lowercase().contains(w)), "{a}");
            let info = agent(a);
            assert_eq!(info.device, "crawler", "{a}");
            assert!(info.is_bot, "{a}");
        }
        assert_eq!(
            name("Mediapartners-Google").as_deref(),
            Some("Google Mediapartners")
        );
    }

    #[test]
    fn woothee_http_library_makes_a_bot() {
        // No bot word in it: only woothee's "HTTP Library" name catches it.
        let a = "PHP/5.2.17";
        assert!(!BOT_WORDS.iter().any(|w| a.to_lowercase().contains(w)));
        let info = agent(a);
        assert_eq!(info.browser, "HTTP Library");
        assert_eq!(info.device, "misc");
        assert!(info.is_bot);
        assert_eq!(info.bot_name.as_deref(), Some("PHP"));
    }

    #[test]
    fn browsers_are_not_bots() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
        assert_eq!(
            agent(chrome),
            AgentInfo {
                is_bot: false,
                device: "pc".into(),
                browser: "Chrome".into(),
                os: "Windows 10".into(),
                bot_name: None,
            }
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        let info = agent(iphone);
        assert!(!info.is_bot);
        assert_eq!(
            (
                info.device.as_str(),
                info.browser.as_str(),
                info.os.as_str()
            ),
            ("smartphone", "Safari", "iPhone")
        );
    }

    #[test]
    fn unknown_agent_fields_are_unknown() {
        let info = agent("zzz");
        assert_eq!(
            info,
            AgentInfo {
                is_bot: false,
                device: "UNKNOWN".into(),
                browser: "UNKNOWN".into(),
                os: "UNKNOWN".into(),
                bot_name: None,
            }
        );
    }

    #[test]
    fn invalid_utf8_is_tolerated() {
        let info = classify_agent(b"\xff\xfe bot\xc3");
        assert!(info.is_bot);
        assert_eq!(info.bot_name.as_deref(), Some(r"bot\xc3"));
        let info = classify_agent(b"\xff\xfe");
        assert!(!info.is_bot);
    }

    #[test]
    fn bot_names_of_real_agents() {
        let cases = [
            // Woothee knows these crawlers by name: its name wins.
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Googlebot",
            ),
            (
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/120.0.6099.129 Safari/537.36",
                "Googlebot",
            ),
            (
                "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
                "bingbot",
            ),
            // Woothee's own spellings, kept as the SPEC says even if odd.
            (
                "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
                "ahref AhrefsBot",
            ),
            (
                "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                "facebook",
            ),
            // Woothee says "misc crawler": the token rule names them.
            (
                "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
                "YandexBot",
            ),
            (
                "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
                "SemrushBot",
            ),
            (
                "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
                "UptimeRobot",
            ),
            (
                "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
                "MJ12bot",
            ),
            // Not crawlers to woothee: the token rule again.
            ("curl/8.5.0", "curl"),
            ("Wget/1.21.4", "Wget"),
            ("Wget/1.12 (linux-gnu)", "Wget"),
            ("python-requests/2.31.0", "python-requests"),
            ("Go-http-client/1.1", "Go-http-client"),
            ("Go-http-client/2.0", "Go-http-client"),
            ("Python/3.11 aiohttp/3.9.1", "aiohttp"),
            ("Apache-HttpClient/4.5.14 (Java/17.0.8)", "Apache-HttpClient"),
            ("okhttp/4.9.0", "okhttp"),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
                "HeadlessChrome",
            ),
            ("", "(empty)"),
            ("-", "(empty)"),
        ];
        for (a, want) in cases {
            assert_eq!(name(a).as_deref(), Some(want), "{a}");
        }
    }

    #[test]
    fn bot_name_token_rules() {
        // Drops URLs, Mozilla/ and compatible; no bot-word token: the first.
        assert_eq!(
            bot_name(
                "Mozilla/5.0 (compatible; Foo/1.0; +http://x.example/bot)",
                false,
                UNKNOWN,
                UNKNOWN
            ),
            "Foo"
        );
        // The first token with a bot word beats an earlier one.
        assert_eq!(
            bot_name("Acme/2 (Linux) SuperSpider/0.1", false, UNKNOWN, UNKNOWN),
            "SuperSpider"
        );
        // Separators: spaces, `;`, `(`, `)`, `,`.
        assert_eq!(
            bot_name("a,b;c(d)e MyBot", false, UNKNOWN, UNKNOWN),
            "MyBot"
        );
        assert_eq!(bot_name("x,MyBot/2", false, UNKNOWN, UNKNOWN), "MyBot");
        // Nothing left after dropping: unknown.
        assert_eq!(
            bot_name(
                "Mozilla/5.0 (compatible; +http://bot.example/)",
                false,
                UNKNOWN,
                UNKNOWN
            ),
            "(unknown)"
        );
        assert_eq!(bot_name(" ; ( ) , ", false, UNKNOWN, UNKNOWN), "(unknown)");
        // A chosen token that cuts to nothing names nothing either.
        assert_eq!(bot_name("/bot", false, UNKNOWN, UNKNOWN), "(unknown)");
        // `Mozilla/` and `compatible` are dropped as written, not by case.
        assert_eq!(
            bot_name("mozilla/5.0 Compatible", false, UNKNOWN, UNKNOWN),
            "mozilla"
        );
        // Woothee's name only for its crawlers, and not its catch-all.
        assert_eq!(
            bot_name("Zed/1 bot", false, "crawler", "Zed Crawler"),
            "Zed Crawler"
        );
        assert_eq!(
            bot_name("Zed/1 bot", false, "crawler", "misc crawler"),
            "bot"
        );
        assert_eq!(bot_name("Zed/1 bot", false, "misc", "HTTP Library"), "bot");
        assert_eq!(bot_name("Zed/1", false, "misc", "HTTP Library"), "Zed");
    }

    #[test]
    fn bot_name_only_for_bots() {
        let info = agent("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0");
        assert!(!info.is_bot);
        assert_eq!(info.bot_name, None);
        assert_eq!(info.browser, "Firefox");
    }

    #[test]
    fn static_list_and_match_agree() {
        for ext in STATIC_EXTENSIONS {
            let path = [&b"/a/b"[..], ext].concat();
            assert!(is_static(&path), "{}", String::from_utf8_lossy(&path));
        }
        assert!(!is_static(b"/a.cs"));
        assert!(!is_static(b"/a.jsx"));
    }
}
