//! Password rules for new accounts: long enough, not the email, not a well-known password.

use crate::AppError;

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;

/// Passwords that appear at the top of every breach list (and their obvious variants are
/// caught by the length rule). Compared case-insensitively.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiopas",
    "qwertyuiop123",
    "password1234",
    "password12345",
    "passwordpassword",
    "password123!",
    "iloveyou1234",
    "administrator",
    "adminadmin123",
    "letmein12345",
    "welcome12345",
    "welcome123456",
    "changeme1234",
    "monkey123456",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "dragon123456",
    "trustno11234",
    "abcdefghijkl",
    "abc123456789",
    "111111111111",
    "000000000000",
    "aaaaaaaaaaaa",
    "qazwsxedcrfv",
    "1q2w3e4r5t6y",
    "zaq12wsxcde3",
    "passw0rd1234",
    "p@ssw0rd1234",
    "superman1234",
    "starwars1234",
    "whatever1234",
    "computer1234",
    "internet1234",
    "roccavina123",
    "roccavinawater",
];

/// Checks a new password against the rules; the error names the `password` field.
pub fn check(password: &str, email: &str) -> Result<(), AppError> {
    let fail = |message: &str| Err(AppError::validation("password", message));
    if password.chars().count() < MIN_LEN {
        return fail("must be at least 12 characters");
    }
    if password.len() > 1024 {
        return fail("is too long");
    }
    let lower = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if lower == email || (!local.is_empty() && lower.contains(local) && local.len() >= 4) {
        return fail("must not contain your email address");
    }
    if COMMON.iter().any(|c| *c == lower) {
        return fail("is too common; choose another");
    }
    if lower
        .chars()
        .all(|c| c == lower.chars().next().unwrap_or(' '))
    {
        return fail("must not repeat one character");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<(), AppError>) -> Option<String> {
        match r {
            Err(AppError::Validation { field, message }) => Some(format!("{field}: {message}")),
            _ => None,
        }
    }

    #[test]
    fn accepts_a_long_uncommon_password() {
        assert!(check("granite-Lagoon-47-tide", "ada@utility.it").is_ok());
    }

    #[test]
    fn refuses_short_email_common_and_repeated() {
        assert_eq!(
            field(check("short", "a@b.it")).unwrap(),
            "password: must be at least 12 characters"
        );
        assert!(field(check("mariorossi-2026", "mariorossi@utility.it"))
            .unwrap()
            .contains("email"));
        assert!(field(check("Password1234", "a@b.it"))
            .unwrap()
            .contains("common"));
        assert!(field(check("zzzzzzzzzzzzzz", "a@b.it"))
            .unwrap()
            .contains("repeat"));
    }
}
