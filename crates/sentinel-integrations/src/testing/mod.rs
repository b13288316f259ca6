//! Receivers for tests of e-mail delivery, in this crate and in the crates that drive it
//! (the alert delivery jobs): a minimal SMTP server on 127.0.0.1 that records what it is
//! sent and answers as scripted, and a reader for the messages it receives; and a stand-in
//! for the GitHub REST endpoints publishing writes to ([`github`]).
//!
//! Built with the `testing` feature (and for this crate's own tests). These helpers fail
//! loudly: a receiver that cannot bind or a message that cannot be read ends the test.

pub mod github;
mod received_mail;
mod smtp_server;

pub use received_mail::ReceivedMail;
pub use smtp_server::{SmtpScript, SmtpServer, SmtpSession};
