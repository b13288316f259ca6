//! The GitHub App's JWT: RS256 over `{iat, exp, iss}` with the App's private key.
//!
//! `iat` is set 60 s in the past so a GitHub clock slightly behind ours still accepts it;
//! `exp` is 9 minutes ahead, inside GitHub's 10-minute limit. Times come from the caller's
//! injected clock. The key and the JWT never appear in `Debug` output or logs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use secrecy::{ExposeSecret, SecretString};
use sentinel_core::clock::Millis;

/// How far back `iat` is set, for clock drift between Sentinel and GitHub.
const ISSUED_AT_BACKDATE_S: i64 = 60;
/// How long a JWT is valid from now; GitHub refuses more than 10 minutes.
const LIFETIME_S: i64 = 9 * 60;

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("private key is not a PEM RSA key (PKCS#1 or PKCS#8): {0}")]
    Key(String),
    #[error("signing the App JWT failed")]
    Signing,
}

/// Signs App JWTs for one GitHub App.
pub struct AppJwtSigner {
    app_id: u64,
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for AppJwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppJwtSigner")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl AppJwtSigner {
    /// Reads the App's private key: GitHub hands out PKCS#1 PEM; PKCS#8 PEM works too.
    pub fn from_pem(app_id: u64, private_key_pem: &SecretString) -> Result<Self, JwtError> {
        let der = PrivateKeyDer::from_pem_slice(private_key_pem.expose_secret().as_bytes())
            .map_err(|e| JwtError::Key(e.to_string()))?;
        let key = match &der {
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            _ => return Err(JwtError::Key("not an RSA key".to_owned())),
        }
        .map_err(|e| JwtError::Key(e.to_string()))?;
        Ok(Self {
            app_id,
            key,
            rng: SystemRandom::new(),
        })
    }

    /// A JWT valid from a minute before `now_ms` to nine minutes after it.
    pub fn sign(&self, now_ms: Millis) -> Result<SecretString, JwtError> {
        let now_s = now_ms.div_euclid(1000);
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iat": now_s - ISSUED_AT_BACKDATE_S,
            "exp": now_s + LIFETIME_S,
            "iss": self.app_id.to_string(),
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| JwtError::Signing)?;
        let signature = URL_SAFE_NO_PAD.encode(signature);
        Ok(SecretString::from(format!("{signing_input}.{signature}")))
    }
}
