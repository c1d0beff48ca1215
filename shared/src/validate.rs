//! Input checks shared by the browser (instant feedback) and the server (the real gate).

use crate::AppError;

/// Longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// Normalises and checks an email address: trimmed, lower-cased, one `@`, a dot in the domain.
pub fn email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::validation("email", "is required"));
    }
    if email.len() > MAX_EMAIL_LEN {
        return Err(AppError::validation("email", "is too long"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(AppError::validation("email", "must contain @"));
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@');
    if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
        return Err(AppError::validation("email", "is not a valid address"));
    }
    Ok(email)
}

/// Checks that a password was given at all (strength rules apply at registration, not login).
pub fn password_present(raw: &str) -> Result<(), AppError> {
    if raw.is_empty() {
        return Err(AppError::validation("password", "is required"));
    }
    if raw.len() > 1024 {
        return Err(AppError::validation("password", "is too long"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_valid_addresses() {
        assert_eq!(email("  Ada@Example.ORG ").unwrap(), "ada@example.org");
    }

    #[test]
    fn names_the_field_on_failure() {
        for bad in ["", "no-at-sign", "@x.org", "a@nodot", "a@.org", "a b@x.org"] {
            match email(bad) {
                Err(AppError::Validation { field, .. }) => assert_eq!(field, "email", "{bad}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn password_must_be_present() {
        assert!(password_present("").is_err());
        assert!(password_present("x").is_ok());
    }
}

/// Where to send someone after login: only a local absolute path, never another site.
///
/// `//evil.example` and `https://…` would leave the site (an open redirect), so they fall
/// back to the dashboard.
pub fn safe_next_path(raw: Option<&str>) -> String {
    match raw.map(str::trim) {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".to_string(),
    }
}

/// Percent-encodes a path for use as a query value (keeps `/` readable).
pub fn encode_query_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod redirect_tests {
    use super::*;

    #[test]
    fn next_path_stays_on_site() {
        assert_eq!(
            safe_next_path(Some("/nodes/3?range=7d")),
            "/nodes/3?range=7d"
        );
        assert_eq!(safe_next_path(Some("//evil.example/x")), "/");
        assert_eq!(safe_next_path(Some("https://evil.example")), "/");
        assert_eq!(safe_next_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_next_path(None), "/");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode_query_value("/nodes/3?a=b&c"), "/nodes/3%3Fa%3Db%26c");
    }
}
