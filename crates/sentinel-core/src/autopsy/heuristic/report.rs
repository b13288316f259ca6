//! The words of a diagnosis: the root cause sentence, the prompt for a coding assistant and
//! the manual steps, from the finding and what the input tells of the code and the suspect.

use super::finding::{Finding, Subject};
use crate::autopsy::{AutopsyInput, Category, Culprit, Diagnosis, Disposition, TracedFrame};

/// The root cause: exception, place, expression and why.
pub(crate) fn root_cause(
    input: &AutopsyInput,
    finding: &Finding,
    culprit: Option<&Culprit>,
    frame: Option<&TracedFrame>,
) -> String {
    let mut out = exception_label(input);
    if let Some(c) = culprit {
        out.push_str(&format!(" at {}:{}", c.path, c.line));
    }
    if let Some(function) = frame.and_then(|f| f.function.as_deref()) {
        out.push_str(&format!(" in {function}"));
    }
    let expression = finding
        .subject
        .as_ref()
        .map(Subject::expression)
        .unwrap_or_default();
    match finding.subject.as_ref() {
        Some(Subject::Setting { name, .. }) => out.push_str(&format!(": the setting `{name}`")),
        Some(Subject::Statement) | None => {}
        Some(_) => out.push_str(&format!(": `{expression}`")),
    }
    out.push_str(&format!(" — {}.", finding.explanation));
    if let Some(s) = &input.suspect {
        let short = &s.sha[..s.sha.len().min(12)];
        out.push_str(&format!(
            " The line was last changed by {short} (\"{}\", {})",
            s.summary, s.author
        ));
        if let Some(tool) = &s.ai_tool {
            out.push_str(&format!(", written with {tool}"));
        }
        out.push('.');
    }
    out
}

fn exception_label(input: &AutopsyInput) -> String {
    match (
        input.exception_type.is_empty(),
        input.exception_message.is_empty(),
    ) {
        (true, _) => input.exception_message.clone(),
        (false, true) => input.exception_type.clone(),
        (false, false) => format!("{}: {}", input.exception_type, input.exception_message),
    }
}

/// A prompt that gives a coding assistant what it needs without the incident page.
pub(crate) fn fix_prompt(
    input: &AutopsyInput,
    root_cause: &str,
    frame: Option<&TracedFrame>,
    culprit: Option<&Culprit>,
) -> String {
    let mut out = format!(
        "A production error needs a fix.\n\nError: {}\n",
        exception_label(input)
    );
    if let Some(route) = &input.route {
        out.push_str(&format!("Route: {route}\n"));
    }
    if let Some(c) = culprit {
        out.push_str(&format!("Location: {}:{}\n", c.path, c.line));
    }
    out.push_str(&format!("Likely root cause: {root_cause}\n"));
    if let Some(snapshot) = frame.and_then(|f| f.snapshot.as_ref()) {
        out.push_str(&format!(
            "\nCode around {}:{} (the frame's line marked >):\n```\n",
            snapshot.path, snapshot.focus_line
        ));
        for (i, line) in snapshot.lines.iter().enumerate() {
            let number = snapshot.first_line as usize + i;
            let mark = if number == snapshot.focus_line as usize {
                '>'
            } else {
                ' '
            };
            out.push_str(&format!("{mark}{number:>5} {line}\n"));
        }
        out.push_str("```\n");
    }
    let stack: Vec<String> = input
        .frames
        .iter()
        .filter(|f| f.in_app)
        .take(8)
        .map(|f| {
            format!(
                "  {} ({}:{})",
                f.function.as_deref().unwrap_or("?"),
                f.repo_path.as_deref().unwrap_or(&f.frame_path),
                f.line.unwrap_or(0)
            )
        })
        .collect();
    if !stack.is_empty() {
        out.push_str(&format!(
            "\nIn-app stack, innermost first:\n{}\n",
            stack.join("\n")
        ));
    }
    if let Some(s) = &input.suspect {
        out.push_str(&format!(
            "\nSuspect commit: {} \"{}\" by {}\n",
            s.sha, s.summary, s.author
        ));
    }
    out.push_str(
        "\nFix the cause, not only the symptom: handle the case the code did not expect where the value is \
         produced or at this line, keep the behaviour for valid inputs, and add a regression test that \
         fails before the fix and passes after it.\n",
    );
    out
}

/// What a developer does by hand, per category.
pub(crate) fn manual_steps(finding: &Finding, culprit: Option<&Culprit>) -> Vec<String> {
    let place = culprit
        .map(|c| format!("{}:{}", c.path, c.line))
        .unwrap_or_else(|| "the failing line".into());
    let what = finding
        .subject
        .as_ref()
        .map(Subject::expression)
        .filter(|e| !e.is_empty());
    let what = what
        .map(|e| format!("`{e}`"))
        .unwrap_or_else(|| "the value".into());
    let specific = match finding.category {
        Category::NullAccess => format!("Find where {what} comes from and why it can be empty; decide whether empty is valid input (guard it) or a bug upstream (fix it there)."),
        Category::MissingKey => format!("Check which inputs lack the key read by {what}; read it with a default or validate the input where it enters."),
        Category::IndexOutOfRange => format!("Check the bounds of {what}: an empty input or a loop bound off by one."),
        Category::DivisionByZero => format!("Decide what the result is when {what} is zero (an empty set) and handle that case explicitly."),
        Category::TypeMismatch => format!("Find where {what} gets the wrong type (often a string from a request or a file) and convert it where it enters."),
        Category::MissingConfig => format!("Set {what} in the environment of this deployment, and make the service fail at start-up with a clear message when it is missing."),
        Category::ParseError => "Log the input that failed to parse, validate it before parsing and answer bad input with a client error instead of a crash.".to_string(),
        Category::DependencyUnavailable => "Check the dependency's health and address from this host; add a timeout, retries with backoff and a fallback for when it is down.".to_string(),
        Category::UnhandledRejection => "Find the promise nobody awaits (a call without await or .catch) and handle its rejection.".to_string(),
        Category::Upstream5xx => "Check the upstream service's status; treat its 5xx as a temporary failure with retries and a fallback instead of a crash.".to_string(),
        Category::Unknown => "Read the stack trace and the code around the top in-app frame.".to_string(),
    };
    vec![
        format!("Open {place} and read the code around it."),
        specific,
        "Add the regression test, run it and see it fail before the fix.".to_string(),
        "Apply the guard patch (or a better fix), run the test and the suite, and deploy."
            .to_string(),
    ]
}

/// The answer when no rule matched.
pub(crate) fn unmatched(
    input: &AutopsyInput,
    culprit: Option<Culprit>,
    focus_text: Option<&str>,
) -> Diagnosis {
    let mut root_cause = exception_label(input);
    if let Some(c) = &culprit {
        root_cause.push_str(&format!(" at {}:{}", c.path, c.line));
    }
    if let Some(text) = focus_text {
        root_cause.push_str(&format!(" (`{}`)", text.trim()));
    }
    root_cause.push_str(" — no rule of the heuristic catalogue matched.");
    let finding = Finding::new(Category::Unknown, 0.0, "");
    let frame = input.frames.iter().find(|f| f.in_app);
    Diagnosis {
        category: Category::Unknown,
        disposition: Disposition::NotFound,
        ai_fix_prompt: fix_prompt(input, &root_cause, frame, culprit.as_ref()),
        manual_steps: manual_steps(&finding, culprit.as_ref()),
        root_cause,
        culprit,
        confidence: 0.0,
        test_case: None,
        patch_diff: None,
    }
}
