//! The delivery headers GitHub sends with every webhook, read from plain name/value pairs so
//! this crate needs no HTTP types: which event, which delivery (the replay key), both
//! signature headers, and which hook target the delivery is for.

/// Why a delivery's headers were refused (400: GitHub always sends these).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("no X-GitHub-Event header")]
    MissingEvent,
    #[error("no X-GitHub-Delivery header")]
    MissingDeliveryId,
    #[error("{header} is not a number: {value:?}")]
    NotANumber { header: &'static str, value: String },
}

pub const EVENT_HEADER: &str = "X-GitHub-Event";
pub const DELIVERY_HEADER: &str = "X-GitHub-Delivery";
pub const SIGNATURE_256_HEADER: &str = "X-Hub-Signature-256";
pub const SIGNATURE_SHA1_HEADER: &str = "X-Hub-Signature";
pub const HOOK_ID_HEADER: &str = "X-GitHub-Hook-ID";
pub const TARGET_ID_HEADER: &str = "X-GitHub-Hook-Installation-Target-ID";
pub const TARGET_TYPE_HEADER: &str = "X-GitHub-Hook-Installation-Target-Type";

/// What a delivery's headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubHeaders {
    /// `X-GitHub-Event`: `push`, `pull_request`, `ping`, …
    pub event: String,
    /// `X-GitHub-Delivery`: a GUID, the same on a redelivery, so replays can be no-ops.
    pub delivery_id: String,
    /// `X-Hub-Signature-256`, as sent.
    pub signature_256: Option<String>,
    /// The legacy SHA-1 `X-Hub-Signature`, as sent; only used to explain a refusal.
    pub signature_sha1: Option<String>,
    pub hook_id: Option<i64>,
    /// The repository, organisation or App the hook belongs to.
    pub target_id: Option<i64>,
    /// `repository`, `organization`, `integration` (a GitHub App), …
    pub target_type: Option<String>,
}

impl GithubHeaders {
    /// Reads the headers from name/value pairs; names are matched case-insensitively and the
    /// first occurrence wins.
    pub fn from_pairs<'a, I>(pairs: I) -> Result<Self, HeaderError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        Self::from_lookup(|wanted| {
            pairs
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| *value)
        })
    }

    /// Reads the headers through a lookup by name (`X-GitHub-Event`, …), for callers that
    /// already hold a header map.
    pub fn from_lookup<'a, F>(lookup: F) -> Result<Self, HeaderError>
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        let text = |name: &str| {
            lookup(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
        };
        let number = |name: &'static str| -> Result<Option<i64>, HeaderError> {
            text(name)
                .map(|value| {
                    value.parse().map_err(|_| HeaderError::NotANumber {
                        header: name,
                        value: value.clone(),
                    })
                })
                .transpose()
        };
        Ok(GithubHeaders {
            event: text(EVENT_HEADER).ok_or(HeaderError::MissingEvent)?,
            delivery_id: text(DELIVERY_HEADER).ok_or(HeaderError::MissingDeliveryId)?,
            signature_256: text(SIGNATURE_256_HEADER),
            signature_sha1: text(SIGNATURE_SHA1_HEADER),
            hook_id: number(HOOK_ID_HEADER)?,
            target_id: number(TARGET_ID_HEADER)?,
            target_type: text(TARGET_TYPE_HEADER),
        })
    }
}
