//! OpenTelemetry's exception attributes (`exception.type`, `exception.message`,
//! `exception.stacktrace`, `exception.escaped`) as the core exception they describe.

use super::attributes::Attributes;
use crate::stacktrace::parse_stack_trace;
use sentinel_core::event::{Exception, Mechanism};

/// The exception the attributes describe, or `None` when they name neither a type nor a
/// message nor a stack trace. `platform` is the sender's, in Sentry's names: a JVM type is
/// split into package and class as the Sentry Java SDK splits it, so both group alike.
pub fn read_exception(attributes: Attributes<'_>, platform: &str) -> Option<Exception> {
    let ty = attributes.text("exception.type");
    let message = attributes.text("exception.message");
    let trace = attributes
        .text("exception.stacktrace")
        .map(|text| parse_stack_trace(&text));
    if ty.is_none() && message.is_none() && trace.as_ref().is_none_or(|t| t.frames.is_empty()) {
        return None;
    }
    let trace = trace.unwrap_or_default();
    // An exception that escaped the span's scope was not handled there; without the
    // (deprecated) attribute nothing is known, as for an SDK that reports no mechanism.
    let mechanism = attributes
        .bool("exception.escaped")
        .map(|escaped| Mechanism {
            ty: "opentelemetry".into(),
            handled: Some(!escaped),
            synthetic: false,
        });
    let ty = ty
        .or(trace.exception_type)
        .unwrap_or_else(|| "Error".into());
    let (module, ty) = match ty.rsplit_once('.') {
        Some((package, class)) if platform == "java" && !class.is_empty() => {
            (Some(package.to_string()), class.to_string())
        }
        _ => (None, ty),
    };
    Some(Exception {
        ty,
        value: message.or(trace.value),
        module,
        mechanism,
        frames: trace.frames,
    })
}
