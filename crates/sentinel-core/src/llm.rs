//! Asking a language model for an autopsy, as far as it is pure: what a call used and cost,
//! what the request is (and the hash identical requests share), the bounded and scrubbed
//! prompt built from an [`AutopsyInput`](crate::autopsy::AutopsyInput), and the checked
//! reading of the model's JSON answer into a [`Diagnosis`](crate::autopsy::Diagnosis).
//!
//! The HTTP clients (`sentinel-integrations`) turn each vendor's wire format into these
//! types; nothing here knows a URL or a header.

pub mod answer;
pub mod call;
pub mod price;
pub mod prompt;
pub mod request;
pub mod usage;

pub use answer::{diagnosis_schema, parse_diagnosis, AnswerError};
pub use call::LlmCallRecord;
pub use price::{Cost, ModelPrice, PriceTable};
pub use prompt::{build_patch_retry_prompt, build_prompt, PromptLimits, RejectedPatch};
pub use request::{LlmRequest, ProviderKind};
pub use usage::TokenUsage;
