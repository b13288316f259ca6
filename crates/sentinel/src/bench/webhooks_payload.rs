//! Signed GitHub deliveries for `sentinel bench webhooks`: GitHub's own example payloads
//! (copied from its published examples into `bench/github/`) with fresh commit shas and
//! delivery ids, each signed as GitHub signs it (`X-Hub-Signature-256: sha256=<HMAC-SHA256
//! of the body>`). The mix leans on pushes, as a busy organization's hook log does.

use super::load::BodySource;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sentinel_ingest::github::sign;

const PUSH: &str = include_str!("github/push.new-branch.json");
const PULL_REQUEST: &str = include_str!("github/pull_request.opened.json");
const REVIEW: &str = include_str!("github/pull_request_review.submitted.json");
const INSTALLATION: &str = include_str!("github/installation.created.json");
/// The installation the example pushes and pull requests name, and the one the installation
/// example is given in its place, so that the server claims it and applies what follows.
const INSTALLATION_ID: (&str, &str) = ("957387", "1");
/// The commit sha the push example names, replaced by a fresh one per delivery.
const PUSH_SHA: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

/// An endless stream of signed deliveries: 6 pushes, 3 pull requests and 1 review in 10.
pub struct Deliveries {
    secret: Vec<u8>,
    rng: StdRng,
    sent: u64,
    worker: u64,
}

impl Deliveries {
    pub fn new(secret: &str, worker: u64, seed: u64) -> Self {
        Self {
            secret: secret.as_bytes().to_vec(),
            rng: StdRng::seed_from_u64(seed ^ worker.wrapping_mul(0x9e37_79b9)),
            sent: 0,
            worker,
        }
    }

    /// The installation of `Codertocat/Hello-World` that the other deliveries name: sent
    /// first, so the only organization claims it and the rest is applied, not set aside.
    pub fn installation(&mut self) -> (Vec<u8>, Vec<String>) {
        let body = INSTALLATION
            .replace(INSTALLATION_ID.0, INSTALLATION_ID.1)
            .into_bytes();
        self.signed("installation", body)
    }

    /// The body and its headers (event, delivery id, signature).
    pub fn next_delivery(&mut self) -> (Vec<u8>, Vec<String>) {
        self.sent += 1;
        let (event, body) = match self.sent % 10 {
            0..=5 => {
                let sha: String = (0..40)
                    .map(|_| char::from(b"0123456789abcdef"[self.rng.gen_range(0..16)]))
                    .collect();
                ("push", PUSH.replace(PUSH_SHA, &sha))
            }
            6..=8 => ("pull_request", PULL_REQUEST.to_string()),
            _ => ("pull_request_review", REVIEW.to_string()),
        };
        self.signed(event, body.into_bytes())
    }

    fn signed(&mut self, event: &str, body: Vec<u8>) -> (Vec<u8>, Vec<String>) {
        let signature = sign(&self.secret, &body);
        let delivery = format!(
            "{:08x}-{:04x}-4000-8000-{:012x}",
            self.rng.gen::<u32>(),
            self.worker & 0xffff,
            self.sent
        );
        let headers = vec![
            "Content-Type: application/json".to_string(),
            "User-Agent: GitHub-Hookshot/bench".to_string(),
            format!("X-GitHub-Event: {event}"),
            format!("X-GitHub-Delivery: {delivery}"),
            format!("X-Hub-Signature-256: {signature}"),
        ];
        (body, headers)
    }
}

impl BodySource for Deliveries {
    fn next_body(&mut self) -> Vec<u8> {
        self.next_delivery().0
    }

    fn next_request(&mut self) -> (Vec<u8>, Vec<String>) {
        self.next_delivery()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    #[test]
    fn the_push_example_names_the_sha_it_replaces() {
        assert!(PUSH.contains(PUSH_SHA));
        let (body, headers) = Deliveries::new("s", 0, 1).next_delivery();
        assert!(!String::from_utf8(body).unwrap().contains(PUSH_SHA));
        assert!(headers.iter().any(|h| h == "X-GitHub-Event: push"));
    }

    #[test]
    fn the_installation_is_the_one_the_other_deliveries_name() {
        let (body, headers) = Deliveries::new("s", 0, 1).installation();
        let installation: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let push: serde_json::Value = serde_json::from_str(PUSH).unwrap();
        assert_eq!(
            installation["installation"]["id"],
            push["installation"]["id"]
        );
        assert!(headers.iter().any(|h| h == "X-GitHub-Event: installation"));
    }

    #[test]
    fn deliveries_are_signed_with_the_secret_and_never_repeat_an_id() {
        let mut deliveries = Deliveries::new("bench-secret", 3, 7);
        let mut ids = std::collections::HashSet::new();
        for _ in 0..50 {
            let (body, headers) = deliveries.next_delivery();
            let header = |name: &str| {
                headers
                    .iter()
                    .find_map(|h| h.strip_prefix(name))
                    .unwrap()
                    .to_string()
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(b"bench-secret").unwrap();
            mac.update(&body);
            let expected = hex::encode(mac.finalize().into_bytes());
            assert_eq!(header("X-Hub-Signature-256: sha256="), expected);
            assert!(ids.insert(header("X-GitHub-Delivery: ")));
        }
    }
}
