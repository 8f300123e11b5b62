//! The URLs the client sends to: `http://` or `https://`, an authority
//! (host and optional port) and a path with an optional query, split the
//! way wasi:http wants them. And [`path_segment`], to put an applicant's
//! value (an enterprise name in Chinese) into a path safely.
//!
//! Not a general URL parser: no user info, no fragments, no relative
//! references.

use std::fmt;

/// A URL split into scheme, authority and path-with-query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    https: bool,
    authority: String,
    path_and_query: String,
}

impl Url {
    /// Parse `http(s)://authority[/path][?query]`; the reason otherwise.
    pub fn parse(text: &str) -> Result<Url, String> {
        let (https, rest) = if let Some(rest) = strip_prefix_ci(text, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ci(text, "http://") {
            (false, rest)
        } else {
            return Err("it must start with http:// or https://".into());
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.is_empty() {
            return Err("it names no host".into());
        }
        if authority.contains('@') {
            return Err("it holds user information; credentials never go in a URL".into());
        }
        if tail.contains('#') {
            return Err("it holds a fragment".into());
        }
        if let Some(bad) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "it holds {bad:?}; escape it with http::path_segment"
            ));
        }
        let path_and_query = match tail.strip_prefix('?') {
            Some(_) => format!("/{tail}"),
            None if tail.is_empty() => "/".to_owned(),
            None => tail.to_owned(),
        };
        Ok(Url {
            https,
            authority: authority.to_owned(),
            path_and_query,
        })
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Host and optional port.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The path and query, starting with `/`.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority, self.path_and_query)
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `value` percent-encoded as one path segment (RFC 3986 unreserved
/// characters kept, everything else as UTF-8 `%XX`):
/// `path_segment("厦门 A/B")` is `%E5%8E%A6%E9%97%A8%20A%2FB`.
pub fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let u = Url::parse("http://127.0.0.1:8090/household/v1/persons/1?x=1");
        let u = u.expect("parses");
        assert!(!u.is_https());
        assert_eq!(u.authority(), "127.0.0.1:8090");
        assert_eq!(u.path_and_query(), "/household/v1/persons/1?x=1");
        assert_eq!(
            u.to_string(),
            "http://127.0.0.1:8090/household/v1/persons/1?x=1"
        );
        let bare = Url::parse("HTTPS://tax.test").expect("parses");
        assert!(bare.is_https());
        assert_eq!(bare.path_and_query(), "/");
        assert_eq!(
            Url::parse("https://h?q=1").map(|u| u.path_and_query().to_owned()),
            Ok("/?q=1".into())
        );
        for bad in [
            "ftp://h/",
            "http:///x",
            "http://u:p@h/",
            "http://h/#f",
            "http://h/a b",
            "/persons/1",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(path_segment("厦门 A/B"), "%E5%8E%A6%E9%97%A8%20A%2FB");
        assert_eq!(path_segment("350206198811230519"), "350206198811230519");
        assert_eq!(path_segment("a-b.c_d~"), "a-b.c_d~");
        assert_eq!(path_segment("?#%"), "%3F%23%25");
    }
}
