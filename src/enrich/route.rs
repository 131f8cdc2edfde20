//! Routes (SPEC §5): a path with its variable segments replaced, so that
//! `/users/17` and `/users/42` are counted as one `/users/:id`.

use std::borrow::Cow;

/// `path` with each segment that is all digits replaced by `:id`, a UUID by
/// `:uuid`, and 16 or more hex digits by `:hex`. Computed once per distinct
/// path, never per line; borrowed when nothing is replaced, as on most
/// paths of a log with a great many (nothing is copied for them).
pub fn route_of(path: &[u8]) -> Cow<'_, [u8]> {
    let segments = || path.split(|&b| b == b'/');
    if segments().all(|segment| placeholder(segment).is_none()) {
        return Cow::Borrowed(path);
    }
    let mut out = Vec::with_capacity(path.len());
    for (i, segment) in segments().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(placeholder(segment).unwrap_or(segment));
    }
    Cow::Owned(out)
}

/// What a variable segment is replaced by.
fn placeholder(segment: &[u8]) -> Option<&'static [u8]> {
    if is_digits(segment) {
        Some(b":id")
    } else if is_uuid(segment) {
        Some(b":uuid")
    } else if segment.len() >= 16 && segment.iter().all(u8::is_ascii_hexdigit) {
        Some(b":hex")
    } else {
        None
    }
}

fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// `8-4-4-4-12` hex digits, any case.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(p: &str) -> String {
        String::from_utf8(route_of(p.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn replaces_variable_segments() {
        assert_eq!(r("/users/42/posts/7"), "/users/:id/posts/:id");
        assert_eq!(
            r("/api/items/123e4567-E89B-12d3-a456-426614174000"),
            "/api/items/:uuid"
        );
        assert_eq!(
            r("/static/app.0123456789abcdef.js"),
            "/static/app.0123456789abcdef.js"
        );
        assert_eq!(r("/blob/0123456789abcdef"), "/blob/:hex");
        assert_eq!(r("/blob/0123456789abcde"), "/blob/0123456789abcde");
        // All digits wins over hex, whatever the length.
        assert_eq!(r("/n/12345678901234567890"), "/n/:id");
    }

    #[test]
    fn keeps_the_rest_as_is() {
        assert_eq!(r("/"), "/");
        assert_eq!(r(""), "");
        assert_eq!(r("//a//1/"), "//a//:id/");
        assert_eq!(r("/v2/users"), "/v2/users");
        assert_eq!(r("*"), "*");
        assert_eq!(r("(invalid)"), "(invalid)");
    }

    #[test]
    fn a_route_without_variable_segments_is_the_path_borrowed() {
        assert!(matches!(
            route_of(b"/v2/users/me"),
            Cow::Borrowed(b"/v2/users/me")
        ));
        assert!(matches!(route_of(b"/v2/users/7"), Cow::Owned(_)));
    }
}
