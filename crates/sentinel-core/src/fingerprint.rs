//! Grouping: which events are the same problem.
//!
//! Events with one fingerprint in one service form one incident. The rules (ARCHITECTURE §5)
//! are tried in order:
//! 1. the SDK's own fingerprint, where `{{ default }}` stands for the computed one;
//! 2. the exception chain: per exception its type plus its in-app frames (all frames when
//!    none is in-app), each frame as normalised module-or-filename + function;
//! 3. the message: the logentry template, else the message with variable parts replaced;
//! 4. service + route template + error class + status code (spans, log lines).
//!
//! Line and column numbers, install paths, bundle hashes, closure numbers and memory
//! addresses never take part, so the same bug thrown from a moved line, a new release or a
//! rebuilt bundle stays one incident. The rules are versioned: a change of algorithm gets a
//! new [`GROUPING_VERSION`] and never regroups stored incidents.

use crate::classify;
use crate::event::{Event, Exception, Frame};
use crate::normalize::{
    normalize_filename, normalize_function, normalize_message, normalize_module, route_template,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of the grouping rules in this build.
pub const GROUPING_VERSION: u32 = 1;

/// The group key of an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    /// SHA-256 of the versioned grouping input, lowercase hex (64 characters).
    pub hash: String,
    /// The [`GROUPING_VERSION`] that computed it.
    pub version: u32,
}

/// Which rule grouped an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupingBasis {
    Custom,
    Exception,
    Message,
    Route,
}

/// What the fingerprint was computed from, for explaining a grouping to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupingInput {
    pub basis: GroupingBasis,
    /// One `name=value` line per contributing component, in hashing order.
    pub components: Vec<String>,
}

/// The fingerprint of an event sent to the service named `service_name`.
pub fn fingerprint(event: &Event, service_name: &str) -> Fingerprint {
    let input = grouping_input(event, service_name);
    Fingerprint {
        hash: hash_components(&input.components),
        version: GROUPING_VERSION,
    }
}

/// The components the fingerprint is computed from.
pub fn grouping_input(event: &Event, service_name: &str) -> GroupingInput {
    let default = default_input(event, service_name);
    match custom_parts(event) {
        None => default,
        Some(parts) => {
            let components = parts
                .iter()
                .map(|part| {
                    let value = expand_variable(part, event, &default);
                    format!("fingerprint={value}")
                })
                .collect();
            GroupingInput {
                basis: GroupingBasis::Custom,
                components,
            }
        }
    }
}

fn custom_parts(event: &Event) -> Option<&[String]> {
    event
        .fingerprint
        .as_deref()
        .filter(|parts| !parts.is_empty())
}

/// SDK fingerprints may name parts of the event as `{{ name }}`.
fn expand_variable(part: &str, event: &Event, default: &GroupingInput) -> String {
    let Some(name) = part
        .trim()
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .map(|name| name.trim().to_ascii_lowercase())
    else {
        return part.to_string();
    };
    let main = event.main_exception();
    match name.as_str() {
        "default" => hash_components(&default.components),
        "transaction" => event.transaction.clone().unwrap_or_default(),
        "type" | "error.type" => main.map(|e| e.ty.clone()).unwrap_or_default(),
        "value" | "error.value" => main.and_then(|e| e.value.clone()).unwrap_or_default(),
        "message" => event
            .message
            .as_ref()
            .map(|m| m.formatted.clone())
            .unwrap_or_default(),
        "level" => event.level.as_str().to_string(),
        "route" => event.route.clone().unwrap_or_default(),
        _ => part.to_string(),
    }
}

fn default_input(event: &Event, service_name: &str) -> GroupingInput {
    let exceptions: Vec<&Exception> = event
        .exceptions
        .iter()
        .filter(|e| !e.ty.is_empty() || !e.frames.is_empty())
        .collect();
    if !exceptions.is_empty() {
        let mut components = Vec::with_capacity(32);
        for exception in exceptions {
            exception_components(exception, &mut components);
        }
        return GroupingInput {
            basis: GroupingBasis::Exception,
            components,
        };
    }
    if let Some(text) = message_text(event) {
        return GroupingInput {
            basis: GroupingBasis::Message,
            components: vec![format!("message={text}")],
        };
    }
    let route = event
        .route
        .as_deref()
        .or(event.transaction.as_deref())
        .or_else(|| event.request.as_ref().and_then(|r| r.url.as_deref()))
        .map(route_path)
        .map(route_template)
        .unwrap_or_default();
    GroupingInput {
        basis: GroupingBasis::Route,
        components: vec![
            format!("service={service_name}"),
            format!("route={route}"),
            format!("class={}", classify::error_class(event)),
            format!(
                "status={}",
                event.http_status.map(|s| s.to_string()).unwrap_or_default()
            ),
        ],
    }
}

/// The path of a full URL (`https://host/a/b` → `/a/b`); paths pass through.
fn route_path(route: &str) -> &str {
    match route.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => route,
    }
}

/// The message text that groups: the template when the SDK sent one, else the normalised
/// message; a value-only exception counts as a message.
fn message_text(event: &Event) -> Option<String> {
    if let Some(message) = &event.message {
        if let Some(template) = message.template.as_deref().filter(|t| !t.trim().is_empty()) {
            return Some(template.trim().to_string());
        }
        if !message.formatted.trim().is_empty() {
            return Some(normalize_message(message.formatted.trim()));
        }
    }
    event
        .exceptions
        .iter()
        .rev()
        .find_map(|e| e.value.as_deref().filter(|v| !v.trim().is_empty()))
        .map(|value| normalize_message(value.trim()))
}

fn exception_components(exception: &Exception, out: &mut Vec<String>) {
    let synthetic = exception.mechanism.as_ref().is_some_and(|m| m.synthetic);
    if !synthetic {
        out.push(format!("type={}", exception.ty));
    }
    let any_in_app = exception.frames.iter().any(|f| f.in_app == Some(true));
    let before = out.len();
    let mut previous: Option<String> = None;
    for frame in &exception.frames {
        if any_in_app && frame.in_app != Some(true) {
            continue;
        }
        let Some(component) = frame_component(frame) else {
            continue;
        };
        // Recursion repeats a frame; the depth of it is not the bug.
        if previous.as_deref() == Some(component.as_str()) {
            continue;
        }
        out.push(component.clone());
        previous = Some(component);
    }
    if out.len() == before {
        // Without a usable stack, the kind of failure is in the value.
        if let Some(value) = exception.value.as_deref().filter(|v| !v.trim().is_empty()) {
            let first_line = value.trim().lines().next().unwrap_or("");
            out.push(format!("value={}", normalize_message(first_line)));
        }
    }
}

/// `frame=<module or file>|<function>`, or nothing when the frame has neither.
fn frame_component(frame: &Frame) -> Option<String> {
    let place = match frame.module.as_deref().filter(|m| !m.trim().is_empty()) {
        Some(module) => normalize_module(module.trim()),
        None => frame
            .filename
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .or(frame.abs_path.as_deref())
            .map(normalize_filename)
            .unwrap_or_default(),
    };
    let function = frame
        .function
        .as_deref()
        .map(normalize_function)
        .unwrap_or_default();
    if place.is_empty() && (function.is_empty() || function == "<anonymous>") {
        return None;
    }
    Some(format!("frame={place}|{function}"))
}

/// The id of an event that belongs to a trace: one per trace and incident. A failure is
/// often reported several times within one trace (OpenTelemetry records an exception on
/// every span it escapes through, exporters retry), and the store keeps one event per id, so
/// repeats of one trace count once. 32 lowercase hex characters, like an SDK's event id.
pub fn trace_event_id(trace_id: &str, fingerprint_hash: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"sentinel-trace-event");
    hasher.update((trace_id.len() as u64).to_le_bytes());
    hasher.update(trace_id.as_bytes());
    hasher.update(fingerprint_hash.as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

/// SHA-256 over the version and the length-prefixed components, so no two different
/// component lists hash the same input bytes.
fn hash_components(components: &[String]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"sentinel-grouping");
    hasher.update(GROUPING_VERSION.to_le_bytes());
    for component in components {
        hasher.update((component.len() as u64).to_le_bytes());
        hasher.update(component.as_bytes());
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests;
