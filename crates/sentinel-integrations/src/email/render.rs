//! The subject, plain-text part and HTML part of a notification e-mail.
//!
//! Every value in the HTML part is escaped: titles and fields come from error messages, which
//! an attacker can often choose, and must never become markup in an operator's mail client.
//! The link is only rendered when it is an http(s) URL, so a `javascript:` link cannot ride
//! along either.

use crate::notification::{iso8601, safe_link, truncate_chars, Notification, NotificationKind};

const SUBJECT_MAX: usize = 200;

/// The rendered texts of one notification e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenderedEmail {
    pub subject: String,
    pub plain: String,
    pub html: String,
}

fn label(n: &Notification) -> String {
    match n.kind {
        NotificationKind::Trigger => n.severity.as_str().to_uppercase(),
        NotificationKind::Resolve => "RESOLVED".to_owned(),
    }
}

/// Replaces control characters (line breaks above all) so a title cannot add headers.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes text for HTML element content and double- or single-quoted attributes.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The labelled values shown in both parts, in order.
fn rows(n: &Notification) -> Vec<(String, String)> {
    let mut rows = vec![
        ("Severity".to_owned(), n.severity.as_str().to_owned()),
        ("Service".to_owned(), n.service.clone()),
    ];
    if let Some(environment) = &n.environment {
        rows.push(("Environment".to_owned(), environment.clone()));
    }
    if let Some(class) = &n.class {
        rows.push(("Class".to_owned(), class.clone()));
    }
    rows.extend(n.fields.iter().map(|f| (f.name.clone(), f.value.clone())));
    rows.push(("Occurred at".to_owned(), iso8601(n.occurred_at)));
    rows
}

pub(crate) fn render(n: &Notification) -> RenderedEmail {
    let label = label(n);
    let subject = truncate_chars(
        &one_line(&format!("[Sentinel] [{label}] {}", n.title)),
        SUBJECT_MAX,
    );
    let link = safe_link(n.link.as_deref());
    let rows = rows(n);

    let mut plain = format!("[{label}] {}\n\n", n.title);
    if !n.summary.trim().is_empty() {
        plain.push_str(n.summary.trim_end());
        plain.push_str("\n\n");
    }
    for (name, value) in &rows {
        plain.push_str(&format!("{name}: {value}\n"));
    }
    if let Some(link) = &link {
        plain.push_str(&format!("\nView in Sentinel: {link}\n"));
    }
    plain.push_str("\n-- \nSent by Sentinel\n");

    let mut html = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:sans-serif\">\n",
    );
    html.push_str(&format!(
        "<h2>[{}] {}</h2>\n",
        escape_html(&label),
        escape_html(&n.title)
    ));
    if !n.summary.trim().is_empty() {
        html.push_str(&format!(
            "<p style=\"white-space:pre-wrap\">{}</p>\n",
            escape_html(n.summary.trim_end())
        ));
    }
    html.push_str("<table cellpadding=\"4\">\n");
    for (name, value) in &rows {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
            escape_html(name),
            escape_html(value)
        ));
    }
    html.push_str("</table>\n");
    if let Some(link) = &link {
        html.push_str(&format!(
            "<p><a href=\"{}\">View in Sentinel</a></p>\n",
            escape_html(link)
        ));
    }
    html.push_str("<p style=\"color:#888\">Sent by Sentinel</p>\n</body></html>\n");

    RenderedEmail {
        subject,
        plain,
        html,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::notification::{Field, Severity};

    fn notification() -> Notification {
        Notification {
            kind: NotificationKind::Trigger,
            title: "<img src=x onerror=alert(1)>\r\nBcc: victim@example.test".to_owned(),
            summary: "a \"quoted\" & 'single' <b>bold</b>".to_owned(),
            severity: Severity::Critical,
            link: Some("javascript:alert(1)".to_owned()),
            service: "api".to_owned(),
            environment: Some("prod".to_owned()),
            class: None,
            fields: vec![Field::new("<k>", "<v>")],
            dedup_key: "k".to_owned(),
            occurred_at: 0,
        }
    }

    #[test]
    fn html_part_escapes_every_value() {
        let rendered = render(&notification());
        assert!(!rendered.html.contains("<img"));
        assert!(!rendered.html.contains("<b>"));
        assert!(!rendered.html.contains("<k>"));
        assert!(rendered.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(rendered
            .html
            .contains("a &quot;quoted&quot; &amp; &#39;single&#39; &lt;b&gt;bold&lt;/b&gt;"));
        assert!(!rendered.html.contains("javascript:"));
        assert!(!rendered.plain.contains("javascript:"));
    }

    #[test]
    fn subject_is_one_line() {
        let rendered = render(&notification());
        assert!(!rendered.subject.contains('\n') && !rendered.subject.contains('\r'));
        assert!(rendered.subject.starts_with("[Sentinel] [CRITICAL] <img"));
    }
}
