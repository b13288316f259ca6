//! The catalogue of root-cause rules, one file per language plus the rules every language
//! shares. A rule reads the exception's type and message and the focus line, and answers a
//! [`Finding`] or nothing.

mod common;
mod javascript;
mod python;
mod rust;

use super::finding::Finding;
use crate::autopsy::Language;

/// What the rules look at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observed<'a> {
    pub exception_type: &'a str,
    pub message: &'a str,
    pub mechanism: Option<&'a str>,
    /// The text of the line the chosen frame points at.
    pub focus: Option<&'a str>,
    pub http_status: Option<u16>,
}

/// The first rule of the language's catalogue that matches.
pub(crate) fn classify(language: Language, seen: &Observed<'_>) -> Option<Finding> {
    match language {
        Language::Python => python::classify(seen),
        Language::JavaScript | Language::TypeScript => javascript::classify(seen),
        Language::Rust => rust::classify(seen),
        Language::Other => common::upstream_5xx(seen.message, seen.http_status)
            .or_else(|| common::dependency_unavailable(seen.message)),
    }
}

#[cfg(test)]
mod tests;
