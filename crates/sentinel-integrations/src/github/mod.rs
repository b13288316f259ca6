//! GitHub REST as a GitHub App. So far: the App's JWT (RS256, signed with the App's private
//! key), which authenticates the App's own endpoints such as the installation-token exchange.

mod app_jwt;

pub use app_jwt::{AppJwtSigner, JwtError};
