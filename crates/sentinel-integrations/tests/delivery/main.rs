//! Delivery clients against real local receivers on 127.0.0.1: scripted HTTP servers that
//! check each documented request shape, and the minimal SMTP server of
//! `sentinel_integrations::testing`, which keeps what it gets.
#![allow(clippy::unwrap_used)]

mod email;
mod http_server;
mod pagerduty;
mod slack;
mod support;
mod webhook;
