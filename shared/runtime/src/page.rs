//! Pagination (AIP-158): opaque tokens that resume after the last key of the previous page.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::FieldViolation;

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// What a List request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows wanted (the page size).
    pub size: u64,
    /// Resume after this key; `None` for the first page.
    pub after: Option<String>,
    fingerprint: u64,
}

#[derive(Serialize, Deserialize)]
struct Token {
    a: String,
    f: u64,
}

/// A stable 64-bit FNV-1a hash: tokens stay valid across processes and versions.
pub fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

impl PageRequest {
    /// Reads `page_size` and `page_token`; `scope` is the tenant, method and filters, so a token
    /// cannot be replayed against another query.
    pub fn parse(page_size: i32, page_token: &str, scope: &[&str]) -> Result<Self, FieldViolation> {
        let size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n < 0 => return Err(FieldViolation::new("page_size", "must not be negative")),
            n => (n as u64).min(MAX_PAGE_SIZE),
        };
        let fingerprint = fingerprint(scope);
        let after = if page_token.is_empty() {
            None
        } else {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(page_token)
                .map_err(|_| FieldViolation::new("page_token", "is not a token this method returned"))?;
            let token: Token = serde_json::from_slice(&bytes)
                .map_err(|_| FieldViolation::new("page_token", "is not a token this method returned"))?;
            if token.f != fingerprint {
                return Err(FieldViolation::new(
                    "page_token",
                    "belongs to another query; keep the filters of the first page",
                ));
            }
            Some(token.a)
        };
        Ok(Self {
            size,
            after,
            fingerprint,
        })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.size + 1
    }

    /// Trims the extra row and gives the token of the next page ("" on the last page).
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, String) {
        if rows.len() as u64 > self.size {
            rows.truncate(self.size as usize);
            let token = rows
                .last()
                .map(|last| {
                    let json = serde_json::to_vec(&Token {
                        a: key(last),
                        f: self.fingerprint,
                    })
                    .unwrap_or_default();
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
                })
                .unwrap_or_default();
            (rows, token)
        } else {
            (rows, String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_resumes_only_the_query_it_came_from() {
        let first = PageRequest::parse(2, "", &["acme", "teams"]).unwrap();
        let (rows, token) = first.finish(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(rows, ["a", "b"]);
        let next = PageRequest::parse(2, &token, &["acme", "teams"]).unwrap();
        assert_eq!(next.after.as_deref(), Some("b"));
        assert!(PageRequest::parse(2, &token, &["other", "teams"]).is_err());
        assert!(PageRequest::parse(2, "garbage!", &["acme", "teams"]).is_err());
        assert!(PageRequest::parse(-1, "", &[]).is_err());
        assert_eq!(PageRequest::parse(5000, "", &[]).unwrap().size, MAX_PAGE_SIZE);
    }

    #[test]
    fn the_last_page_has_no_token() {
        let page = PageRequest::parse(3, "", &[]).unwrap();
        let (rows, token) = page.finish(vec![1, 2, 3], |n| n.to_string());
        assert_eq!(rows.len(), 3);
        assert!(token.is_empty());
    }
}
