//! Password hashing with Argon2id.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=…`), which carry their own parameters, so a
//! hash made at a lower cost (tests) still verifies, and raising the cost later needs no
//! migration.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// How expensive a new hash is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashCost {
    /// The OWASP-recommended Argon2id parameters (19 MiB, 2 passes).
    #[default]
    Standard,
    /// The smallest parameters Argon2 allows; for tests only.
    Minimal,
}

fn hasher(cost: HashCost) -> Result<Argon2<'static>, PasswordError> {
    let params = match cost {
        HashCost::Standard => Params::default(),
        HashCost::Minimal => Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None)
            .map_err(|err| PasswordError::Hash(err.to_string()))?,
    };
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password at the standard cost.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    hash_password_with(password, HashCost::Standard)
}

pub fn hash_password_with(password: &str, cost: HashCost) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| PasswordError::Hash(err.to_string()))
}

/// Whether `password` matches `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A valid hash of no one's password, verified against when a login names an unknown user
/// so that the answer takes as long as for a known one.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c2VudGluZWxkZWNveQ$2jYp7cB4aqHIiMZJCaKlLbZD2YrBrJ8hTNIbxI2NEDU"
}

/// A random password for a generated account: 20 characters, about 119 bits.
pub fn generate_password() -> String {
    use rand::distributions::Alphanumeric;
    use rand::Rng;
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password_with("correct horse", HashCost::Minimal).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horse!", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn the_standard_cost_uses_owasp_parameters() {
        let hash = hash_password("pw").unwrap();
        assert!(hash.contains("m=19456,t=2,p=1"), "{hash}");
        assert!(verify_password("pw", &hash));
    }

    #[test]
    fn the_decoy_hash_parses_and_matches_nothing_common() {
        assert!(PasswordHash::new(decoy_hash()).is_ok());
        assert!(!verify_password("", decoy_hash()));
        assert!(!verify_password("password", decoy_hash()));
    }

    #[test]
    fn generated_passwords_differ() {
        let a = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_password());
    }
}
