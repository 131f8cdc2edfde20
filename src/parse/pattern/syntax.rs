//! The three syntaxes a pattern may be written in (nginx `log_format`,
//! Apache `LogFormat`, gunicorn `access_log_format`), read into literals
//! and fields; and a pasted configuration line unwrapped first.

use super::{Field, PatternError, Syntax, Unit};
/// A piece of a pattern before shapes are assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Literal(Vec<u8>),
    Field { field: Field, name: String },
}

fn push_literal(tokens: &mut Vec<Token>, bytes: &[u8]) {
    if let Some(Token::Literal(l)) = tokens.last_mut() {
        l.extend_from_slice(bytes);
    } else {
        tokens.push(Token::Literal(bytes.to_vec()));
    }
}

/// Takes the pattern out of a pasted configuration line.
pub(super) fn unwrap_config(s: &str) -> String {
    let s = s.trim().trim_end_matches(';').trim();
    // nginx: log_format NAME [escape=...] 'part' 'part'
    if let Some(rest) = s.strip_prefix("log_format") {
        let rest = rest.trim_start();
        let after_name = rest
            .find(|c: char| c.is_whitespace())
            .map_or("", |i| &rest[i..])
            .trim_start();
        let after_escape = match after_name.strip_prefix("escape=") {
            Some(e) => e
                .find(|c: char| c.is_whitespace())
                .map_or("", |i| &e[i..])
                .trim_start(),
            None => after_name,
        };
        return join_quoted(after_escape).unwrap_or_else(|| after_escape.to_string());
    }
    // Apache: LogFormat "..." [nickname]
    if let Some(rest) = s.strip_prefix("LogFormat") {
        let rest = rest.trim_start();
        if let Some(body) = rest.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, ch) in body.char_indices() {
                match ch {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            if let Some(end) = end {
                return body[..end].to_string();
            }
        }
        return rest.to_string();
    }
    // gunicorn: access_log_format = '...'
    if let Some(rest) = s.strip_prefix("access_log_format") {
        let rest = rest.trim_start().trim_start_matches('=').trim_start();
        return join_quoted(rest).unwrap_or_else(|| rest.to_string());
    }
    // nginx's multi-line form pasted without the directive: 'a' 'b'
    if s.starts_with('\'') {
        if let Some(joined) = join_quoted(s) {
            return joined;
        }
    }
    s.to_string()
}

/// `'part one ' 'part two'` (nginx concatenates adjacent strings) → the
/// parts joined; `None` unless the whole text is such strings.
fn join_quoted(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let body = &rest[1..];
        let end = body.find(quote)?;
        out.push_str(&body[..end]);
        rest = body[end + 1..].trim_start();
    }
    Some(out)
}

pub(super) fn syntax_of(text: &str) -> Option<Syntax> {
    let b = text.as_bytes();
    if text.contains("%(") {
        return Some(Syntax::Gunicorn);
    }
    let nginx_var = b
        .windows(2)
        .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_' || w[1] == b'{'));
    if nginx_var {
        return Some(Syntax::Nginx);
    }
    text.contains('%').then_some(Syntax::Apache)
}

/// What an nginx variable is to logstats. Any variable it does not use is
/// a field to skip: nginx has hundreds, and modules add more.
fn nginx_field(var: &str) -> Field {
    match var {
        "remote_addr" | "realip_remote_addr" => Field::Client,
        "http_x_forwarded_for" | "proxy_add_x_forwarded_for" => Field::ForwardedFor,
        "remote_user" => Field::User,
        "time_local" | "time_iso8601" => Field::Time,
        "msec" => Field::EpochTime,
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" => Field::Target,
        "uri" | "document_uri" => Field::Path,
        "is_args" => Field::QueryMark,
        "args" | "query_string" => Field::Query,
        "status" => Field::Status,
        "body_bytes_sent" | "bytes_sent" => Field::Bytes,
        "http_referer" => Field::Referer,
        "http_user_agent" => Field::UserAgent,
        "http_accept_language" => Field::AcceptLanguage,
        "host" | "server_name" | "http_host" => Field::Vhost,
        "request_time" => Field::Duration(Unit::Seconds),
        _ => Field::Skip,
    }
}

pub(super) fn tokens_nginx(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, next) = if b.get(i + 1) == Some(&b'{') {
                match text[i + 2..].find('}') {
                    Some(close) => (&text[i + 2..i + 2 + close], i + 3 + close),
                    None => ("", i + 1),
                }
            } else {
                let len = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (&text[i + 1..i + 1 + len], i + 1 + len)
            };
            if !name.is_empty() {
                tokens.push(Token::Field {
                    field: nginx_field(name),
                    name: format!("${name}"),
                });
                i = next;
                continue;
            }
        }
        push_literal(&mut tokens, &b[i..i + 1]);
        i += 1;
    }
    tokens
}

const APACHE_SUPPORTED: &str = "%h %a %l %u %t %r %m %U %q %H %>s %s %b %B %O %I %D %T %{ms}T \
     %{us}T %v %V %p %P %A %k %X %L %R %f %{Referer}i %{User-Agent}i %{X-Forwarded-For}i \
     %{Host}i %{...}i %{...}e %{...}o %{...}n %{...}C %{...}x %{...}p %{...}a %%";

fn apache_field(directive: char, arg: Option<&str>) -> Option<Field> {
    Some(match (directive, arg) {
        ('h', None) | ('a', _) => Field::Client,
        ('l', None) | ('H', None) | ('p', _) | ('P', _) | ('A', None) | ('k', None) => Field::Skip,
        ('X', None) | ('L', None) | ('R', None) | ('f', None) | ('I', None) | ('S', None) => {
            Field::Skip
        }
        ('u', None) => Field::User,
        ('t', None) => Field::Time,
        ('r', None) => Field::Request,
        ('m', None) => Field::Method,
        ('U', None) => Field::Path,
        ('q', None) => Field::Query,
        ('s', None) => Field::Status,
        ('b', None) | ('B', None) | ('O', None) => Field::Bytes,
        ('D', None) => Field::Duration(Unit::Micros),
        ('T', None) => Field::Duration(Unit::Seconds),
        ('T', Some(u)) => Field::Duration(match u {
            "s" => Unit::Seconds,
            "ms" => Unit::Millis,
            "us" => Unit::Micros,
            _ => return None,
        }),
        ('v', None) | ('V', None) => Field::Vhost,
        ('i', Some(h)) => header_field(h),
        ('e' | 'o' | 'n' | 'C' | 'x' | '^', Some(_)) => Field::Skip,
        _ => return None,
    })
}

/// A request header logged as a field.
fn header_field(header: &str) -> Field {
    match header.to_ascii_lowercase().as_str() {
        "referer" | "referrer" => Field::Referer,
        "user-agent" => Field::UserAgent,
        "accept-language" => Field::AcceptLanguage,
        "x-forwarded-for" => Field::ForwardedFor,
        "host" => Field::Vhost,
        _ => Field::Skip,
    }
}

pub(super) fn tokens_apache(text: &str) -> Result<Vec<Token>, PatternError> {
    let unsupported = |what: &str| {
        PatternError(format!(
            "unsupported Apache directive '{what}' in '{text}'; supported: {APACHE_SUPPORTED}"
        ))
    };
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            // The pattern as written inside LogFormat's double quotes.
            b'\\' if matches!(b.get(i + 1), Some(b'"' | b'\\')) => {
                push_literal(&mut tokens, &b[i + 1..i + 2]);
                i += 2;
            }
            b'\\' if b.get(i + 1) == Some(&b't') => {
                push_literal(&mut tokens, b"\t");
                i += 2;
            }
            b'%' => {
                let start = i;
                i += 1;
                if b.get(i) == Some(&b'%') {
                    push_literal(&mut tokens, b"%");
                    i += 1;
                    continue;
                }
                // Status conditions (`%400,501{...}i`, `%!200s`) and the
                // original/final request modifiers (`%<s`, `%>s`).
                while i < b.len() && (b[i] == b'!' || b[i] == b',' || b[i].is_ascii_digit()) {
                    i += 1;
                }
                while matches!(b.get(i), Some(b'<' | b'>')) {
                    i += 1;
                }
                let mut arg = None;
                if b.get(i) == Some(&b'{') {
                    let close = text[i..]
                        .find('}')
                        .ok_or_else(|| unsupported(&text[start..]))?;
                    arg = Some(&text[i + 1..i + close]);
                    i += close + 1;
                }
                let Some(directive) = text[i..].chars().next() else {
                    return Err(unsupported(&text[start..]));
                };
                i += directive.len_utf8();
                let name = &text[start..i];
                let field = apache_field(directive, arg).ok_or_else(|| unsupported(name))?;
                tokens.push(Token::Field {
                    field,
                    name: name.to_string(),
                });
            }
            _ => {
                push_literal(&mut tokens, &b[i..i + 1]);
                i += 1;
            }
        }
    }
    Ok(tokens)
}

const GUNICORN_SUPPORTED: &str = "%(h)s %(l)s %(u)s %(t)s %(r)s %(m)s %(U)s %(q)s %(H)s \
     %(s)s %(b)s %(B)s %(f)s %(a)s %(T)s %(D)s %(M)s %(L)s %(p)s %({header}i)s %({header}o)s \
     %({variable}e)s";

fn gunicorn_field(atom: &str) -> Option<Field> {
    Some(match atom {
        "h" => Field::Client,
        "l" | "H" | "p" => Field::Skip,
        "u" => Field::User,
        "t" => Field::Time,
        "r" => Field::Request,
        "m" => Field::Method,
        "U" => Field::Path,
        "q" => Field::Query,
        "s" => Field::Status,
        "b" | "B" => Field::Bytes,
        "f" => Field::Referer,
        "a" => Field::UserAgent,
        "T" | "L" => Field::Duration(Unit::Seconds),
        "D" => Field::Duration(Unit::Micros),
        "M" => Field::Duration(Unit::Millis),
        _ => {
            let inner = atom.strip_prefix('{')?;
            let (name, kind) = inner.split_once('}')?;
            match kind {
                "i" => header_field(name),
                "o" | "e" => Field::Skip,
                _ => return None,
            }
        }
    })
}

pub(super) fn tokens_gunicorn(text: &str) -> Result<Vec<Token>, PatternError> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && b.get(i + 1) == Some(&b'%') {
            push_literal(&mut tokens, b"%");
            i += 2;
            continue;
        }
        if b[i] == b'%' && b.get(i + 1) == Some(&b'(') {
            let close = text[i..].find(")s").map(|c| i + c);
            let Some(close) = close else {
                return Err(PatternError(format!(
                    "'{}' in '{text}' is not a gunicorn atom: atoms are written %(name)s",
                    &text[i..]
                )));
            };
            let atom = &text[i + 2..close];
            let name = &text[i..close + 2];
            let field = gunicorn_field(atom).ok_or_else(|| {
                PatternError(format!(
                    "unsupported gunicorn atom '{name}' in '{text}'; supported: {GUNICORN_SUPPORTED}"
                ))
            })?;
            tokens.push(Token::Field {
                field,
                name: name.to_string(),
            });
            i = close + 2;
            continue;
        }
        push_literal(&mut tokens, &b[i..i + 1]);
        i += 1;
    }
    Ok(tokens)
}
