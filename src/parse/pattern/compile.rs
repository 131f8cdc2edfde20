//! Compiling a pattern: a preset's or a pasted configuration line's text
//! read into tokens in its server's syntax (`syntax.rs`), then each field
//! given the shape that tells where it ends in a line.

use super::syntax::{
    syntax_of, tokens_apache, tokens_gunicorn, tokens_nginx, unwrap_config, Token,
};
use super::{known_names, Field, Item, Pattern, PatternError, Shape, Syntax, Unit, PRESETS};

impl Pattern {
    /// A preset by name, or a pattern in nginx, Apache or gunicorn syntax.
    /// Configuration lines pasted whole (`log_format main '...' '...';`,
    /// `LogFormat "..." combined`, `access_log_format = '...'`) are taken
    /// apart first.
    pub fn compile(given: &str) -> Result<Pattern, PatternError> {
        Pattern::compile_among(given, &[])
    }

    /// As [`compile`](Self::compile), where `layouts` names the layouts that
    /// are no pattern (the predefined ones), for the message that says what
    /// a value that is neither could have been.
    pub fn compile_among(given: &str, layouts: &[&str]) -> Result<Pattern, PatternError> {
        if let Some((name, text)) = PRESETS.iter().find(|(n, _)| *n == given) {
            let mut p = Pattern::compile(text)?;
            p.name = (*name).to_string();
            return Ok(p);
        }
        let text = unwrap_config(given.trim());
        let syntax = syntax_of(&text).ok_or_else(|| {
            PatternError(format!(
                "'{given}' is neither a format name nor a pattern: write the layout as in the \
                 server's configuration, e.g. nginx '$remote_addr [$time_local] \"$request\" \
                 $status', Apache '%h %t \"%r\" %>s' or gunicorn '%(h)s %(t)s \"%(r)s\" %(s)s', \
                 or name one of: {}",
                known_names(layouts)
            ))
        })?;
        let tokens = match syntax {
            Syntax::Nginx => tokens_nginx(&text),
            Syntax::Apache => tokens_apache(&text)?,
            Syntax::Gunicorn => tokens_gunicorn(&text)?,
        };
        let items = shape(tokens, &text)?;
        let fields: Vec<Field> = items
            .iter()
            .filter_map(|i| match i {
                Item::Field { field, .. } => Some(*field),
                Item::Literal(_) => None,
            })
            .collect();
        let has = |f: Field| fields.contains(&f);
        let missing = if !has(Field::Time) && !has(Field::EpochTime) {
            Some("time field ($time_local, $time_iso8601, $msec; %t; %(t)s)")
        } else if !has(Field::Status) {
            Some("status field ($status; %>s or %s; %(s)s)")
        } else if !has(Field::Request)
            && !(has(Field::Method) && (has(Field::Target) || has(Field::Path)))
        {
            Some("request field ($request, or $request_method with $request_uri; %r; %(r)s)")
        } else {
            None
        };
        if let Some(what) = missing {
            return Err(PatternError(format!(
                "the {} pattern '{text}' has no {what}; logstats needs a time, a status and a request",
                syntax.name()
            )));
        }
        Ok(Pattern {
            name: syntax.name().to_string(),
            has_client: has(Field::Client),
            has_accept_language: has(Field::AcceptLanguage),
            text,
            syntax,
            items,
        })
    }
}

/// Gives every field its shape from the literals around it, keeps the
/// first of repeated fields (a second time or byte count is skipped), and
/// refuses what cannot be matched unambiguously.
fn shape(mut tokens: Vec<Token>, text: &str) -> Result<Vec<Item>, PatternError> {
    // Only the first field of a kind counts.
    let mut seen: Vec<Field> = Vec::new();
    for t in tokens.iter_mut() {
        if let Token::Field { field, .. } = t {
            let kind = match *field {
                Field::EpochTime => Field::Time,
                Field::Duration(_) => Field::Duration(Unit::Seconds),
                f => f,
            };
            if kind != Field::Skip && kind != Field::QueryMark && seen.contains(&kind) {
                *field = Field::Skip;
            } else {
                seen.push(kind);
            }
        }
    }

    let mut items = Vec::new();
    let n = tokens.len();
    // Literal bytes taken by a shape from the start of the next literal.
    let mut skip_next = 0;
    for i in 0..n {
        match &tokens[i] {
            Token::Literal(l) => {
                let mut l = &l[skip_next.min(l.len())..];
                // A quote or bracket that belongs to the next field.
                if let Some(Token::Field { .. }) = tokens.get(i + 1) {
                    if let Some(close) = opener_closed_after(&tokens, i) {
                        if l.last() == Some(&close.0) {
                            l = &l[..l.len() - 1];
                        }
                    }
                }
                if !l.is_empty() {
                    items.push(Item::Literal(collapse_spaces(l).into()));
                }
                skip_next = 0;
            }
            Token::Field { field, name } => {
                let prev = match i.checked_sub(1).map(|p| &tokens[p]) {
                    Some(Token::Literal(l)) => l.last().copied(),
                    _ => None,
                };
                let next = tokens.get(i + 1);
                let next_lit = match next {
                    Some(Token::Literal(l)) => Some(&l[..]),
                    _ => None,
                };
                let shape = match (prev, next_lit.and_then(|l| l.first().copied())) {
                    (Some(b'"'), Some(b'"')) => {
                        skip_next = 1;
                        Shape::Quoted
                    }
                    (Some(b'['), Some(b']')) => {
                        skip_next = 1;
                        Shape::Bracketed
                    }
                    // Also when a second time field is skipped: it is still
                    // bracketed, spaces and all.
                    _ if prev != Some(b'"') && is_bracketed_time(name) => Shape::Bracketed,
                    _ if *field == Field::QueryMark => Shape::Mark,
                    _ => {
                        if matches!(field, Field::Request) {
                            return Err(PatternError(format!(
                                "{name} must stand in double quotes in '{text}' (\"{name}\"): \
                                 a request line holds spaces"
                            )));
                        }
                        let at_query = *field == Field::Path;
                        match next {
                            Some(Token::Literal(l)) => Shape::Until {
                                stop: l.first().copied(),
                                at_query,
                            },
                            None => Shape::Until {
                                stop: None,
                                at_query,
                            },
                            Some(Token::Field {
                                field: f2,
                                name: n2,
                            }) => {
                                let query_follows =
                                    at_query && matches!(f2, Field::Query | Field::QueryMark);
                                if !query_follows {
                                    return Err(PatternError(format!(
                                        "{name} and {n2} stand side by side in '{text}' with \
                                         nothing between them, so where one ends cannot be told"
                                    )));
                                }
                                Shape::Until {
                                    stop: stop_after(&tokens, i + 1),
                                    at_query,
                                }
                            }
                        }
                    }
                };
                items.push(Item::Field {
                    field: *field,
                    shape,
                    name: name.as_str().into(),
                });
            }
        }
    }
    Ok(items)
}

/// A space in a literal matches a run of spaces, so a run in the pattern
/// is one space.
fn collapse_spaces(l: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(l.len());
    for &b in l {
        if !(b == b' ' && out.last() == Some(&b' ')) {
            out.push(b);
        }
    }
    out
}

/// `%t` and `%(t)s` print their own brackets; nginx's `$time_local` does not.
fn is_bracketed_time(name: &str) -> bool {
    name == "%t" || name == "%(t)s"
}

/// When the literal at `i` ends with `"` or `[` and the field after it is
/// closed by the matching byte, that opener belongs to the field.
fn opener_closed_after(tokens: &[Token], i: usize) -> Option<(u8, u8)> {
    let Token::Literal(l) = &tokens[i] else {
        return None;
    };
    let open = *l.last()?;
    let close = match open {
        b'"' => b'"',
        b'[' => b']',
        _ => return None,
    };
    match tokens.get(i + 2) {
        Some(Token::Literal(next)) if next.first() == Some(&close) => Some((open, close)),
        _ => None,
    }
}

/// The first byte of the first literal at or after token `i`: where a run
/// of adjacent fields ends.
fn stop_after(tokens: &[Token], i: usize) -> Option<u8> {
    tokens[i..].iter().find_map(|t| match t {
        Token::Literal(l) => l.first().copied(),
        Token::Field { .. } => None,
    })
}
