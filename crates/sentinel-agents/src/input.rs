//! What the event alone tells a provider: the exception, its frames top first with the SDK's
//! context lines as snapshots, the route, the language. Tracing adds the repository's side.

use sentinel_core::autopsy::{
    detect_language, AutopsyInput, FileSnapshot, RepoHints, SnapshotSource, TracedFrame,
};
use sentinel_core::code::mapping::frame_path;
use sentinel_core::event::{Event, Frame};

/// The SDK's context lines around the frame's line, when it sent them.
fn sdk_snapshot(frame: &Frame, path: &str) -> Option<FileSnapshot> {
    let line = frame.lineno.filter(|l| *l > 0)?;
    let context = frame.context_line.as_ref()?;
    let before = u32::try_from(frame.pre_context.len()).ok()?;
    let first_line = line.checked_sub(before).filter(|l| *l > 0)?;
    let mut lines = frame.pre_context.clone();
    lines.push(context.clone());
    lines.extend(frame.post_context.iter().cloned());
    Some(FileSnapshot {
        path: path.to_owned(),
        first_line,
        lines,
        focus_line: line,
        source: SnapshotSource::SdkContext,
    })
}

/// The input as far as the event goes; `repo_path`, repository snapshots, the suspect and
/// the repository hints are tracing's to fill in.
pub(crate) fn input_from_event(event: &Event) -> AutopsyInput {
    let exception = event
        .exceptions
        .iter()
        .rev()
        .find(|e| !e.frames.is_empty())
        .or(event.exceptions.last());
    let any_in_app = exception.is_some_and(|e| e.frames.iter().any(|f| f.in_app == Some(true)));
    let frames: Vec<TracedFrame> = exception
        .map(|e| {
            e.frames
                .iter()
                .rev()
                .filter_map(|f| {
                    let path = frame_path(f)?;
                    let in_app = if any_in_app {
                        f.in_app == Some(true)
                    } else {
                        f.in_app != Some(false)
                    };
                    Some(TracedFrame {
                        frame_path: path.to_owned(),
                        repo_path: None,
                        function: f.function.clone(),
                        line: f.lineno,
                        in_app,
                        snapshot: sdk_snapshot(f, path),
                        vars: f.vars.clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let language = detect_language(&event.platform, &frames);
    let mechanism = exception.and_then(|e| e.mechanism.as_ref());
    let http_status = event
        .tags
        .iter()
        .find(|(k, _)| k == "http.status_code" || k == "status_code")
        .and_then(|(_, v)| v.parse().ok());
    AutopsyInput {
        language,
        exception_type: exception.map(|e| e.ty.clone()).unwrap_or_default(),
        exception_message: exception
            .and_then(|e| e.value.clone())
            .or_else(|| event.message.as_ref().map(|m| m.formatted.clone()))
            .unwrap_or_default(),
        handled: mechanism.and_then(|m| m.handled) != Some(false),
        mechanism: mechanism.map(|m| m.ty.clone()),
        frames,
        http_status,
        route: event.transaction.clone(),
        suspect: None,
        // Detecting the test framework and test files is the repository hints' business.
        repo: RepoHints::default(),
    }
}
