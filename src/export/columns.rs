//! The columns of an export, in the order every format writes them. Names
//! follow OpenTelemetry's HTTP semantic conventions, `_` for `.`, where one
//! exists (`http.request.method` is `http_request_method`); docs/export.md
//! gives each one's definition, and a test holds the two to the same list.

/// A text column: where its values are kept in [`Rows`](super::rows::Rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    ServerAddress,
    Method,
    UrlPath,
    UrlQuery,
    Route,
    UserAgent,
    ReferrerHost,
    BotName,
    Device,
    Browser,
    Os,
    Country,
    VisitorId,
    Channel,
    SearchTerm,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    InputFile,
    ClientAddress,
}

pub const TEXT_COLUMNS: usize = Text::ClientAddress as usize + 1;

/// A true-or-false column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Pageview,
    Static,
    Bot,
    Entry,
    Exit,
}

pub const FLAG_COLUMNS: usize = Flag::Exit as usize + 1;

/// What a column holds, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// UTC, microseconds since 1970.
    Timestamp,
    Text(Text),
    /// 32-bit.
    Status,
    BodySize,
    /// Seconds, a float.
    Duration,
    Flag(Flag),
    VisitId,
    InputLine,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub slot: Slot,
    pub nullable: bool,
}

const fn column(name: &'static str, slot: Slot, nullable: bool) -> Column {
    Column {
        name,
        slot,
        nullable,
    }
}

const fn text(name: &'static str, t: Text, nullable: bool) -> Column {
    column(name, Slot::Text(t), nullable)
}

const fn flag(name: &'static str, f: Flag) -> Column {
    column(name, Slot::Flag(f), false)
}

/// Every column, `client_address` (only with `--show-ips`) last.
const COLUMNS: [Column; 31] = [
    column("timestamp", Slot::Timestamp, false),
    text("server_address", Text::ServerAddress, true),
    text("http_request_method", Text::Method, false),
    text("url_path", Text::UrlPath, false),
    text("url_query", Text::UrlQuery, true),
    text("http_route", Text::Route, false),
    column("http_response_status_code", Slot::Status, false),
    column("http_response_body_size", Slot::BodySize, false),
    column("http_server_request_duration", Slot::Duration, true),
    text("user_agent_original", Text::UserAgent, true),
    text("referrer_host", Text::ReferrerHost, true),
    flag("is_pageview", Flag::Pageview),
    flag("is_static", Flag::Static),
    flag("is_bot", Flag::Bot),
    text("bot_name", Text::BotName, true),
    text("device", Text::Device, false),
    text("browser", Text::Browser, false),
    text("os", Text::Os, false),
    text("client_country", Text::Country, false),
    text("visitor_id", Text::VisitorId, false),
    column("visit_id", Slot::VisitId, true),
    flag("is_entry", Flag::Entry),
    flag("is_exit", Flag::Exit),
    text("channel", Text::Channel, true),
    text("search_term", Text::SearchTerm, true),
    text("utm_source", Text::UtmSource, true),
    text("utm_medium", Text::UtmMedium, true),
    text("utm_campaign", Text::UtmCampaign, true),
    text("input_file", Text::InputFile, false),
    column("input_line", Slot::InputLine, false),
    text("client_address", Text::ClientAddress, false),
];

/// The columns of an export, with `client_address` when `show_ips`.
pub fn columns(show_ips: bool) -> &'static [Column] {
    if show_ips {
        &COLUMNS
    } else {
        &COLUMNS[..COLUMNS.len() - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_is_one_column() {
        let all = columns(true);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.slot, b.slot, "{} and {}", a.name, b.name);
                assert_ne!(a.name, b.name);
            }
        }
        let texts = all
            .iter()
            .filter(|c| matches!(c.slot, Slot::Text(_)))
            .count();
        assert_eq!(texts, TEXT_COLUMNS);
        let flags = all
            .iter()
            .filter(|c| matches!(c.slot, Slot::Flag(_)))
            .count();
        assert_eq!(flags, FLAG_COLUMNS);
        assert_eq!(columns(false).len(), 30);
        assert!(columns(false).iter().all(|c| c.name != "client_address"));
    }
}
