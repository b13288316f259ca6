//! Unified diffs from a snapshot: the focus line replaced by new lines, with up to three
//! lines of unchanged context on each side taken verbatim from the snapshot, so
//! `git apply` finds the hunk exactly where the frame pointed.

use crate::autopsy::FileSnapshot;

/// Lines of context on each side of the change, as `git diff` writes by default.
const CONTEXT: usize = 3;

/// A diff replacing the snapshot's focus line with `replacement`; `None` when the snapshot
/// does not hold the focus line or the replacement changes nothing.
pub(crate) fn replace_focus(snapshot: &FileSnapshot, replacement: &[String]) -> Option<String> {
    let focus = snapshot.focus_line.checked_sub(snapshot.first_line)? as usize;
    let original = snapshot.lines.get(focus)?;
    if replacement.len() == 1 && &replacement[0] == original {
        return None;
    }
    let before_start = focus.saturating_sub(CONTEXT);
    let after_end = (focus + 1 + CONTEXT).min(snapshot.lines.len());
    let leading = &snapshot.lines[before_start..focus];
    let trailing = &snapshot.lines[focus + 1..after_end];
    let old_start = snapshot.first_line as usize + before_start;
    let old_len = leading.len() + 1 + trailing.len();
    let new_len = leading.len() + replacement.len() + trailing.len();
    let path = &snapshot.path;
    let mut out = format!(
        "diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -{old_start},{old_len} +{old_start},{new_len} @@\n"
    );
    for line in leading {
        out.push_str(&format!(" {line}\n"));
    }
    // Lines inserted before an unchanged focus line show as additions only.
    match replacement.split_last() {
        Some((last, added)) if last == original => {
            for line in added {
                out.push_str(&format!("+{line}\n"));
            }
            out.push_str(&format!(" {original}\n"));
        }
        _ => {
            out.push_str(&format!("-{original}\n"));
            for line in replacement {
                out.push_str(&format!("+{line}\n"));
            }
        }
    }
    for line in trailing {
        out.push_str(&format!(" {line}\n"));
    }
    Some(out)
}

/// The indentation step of the snapshot's code: the smallest positive difference between
/// the indentation of consecutive non-blank lines, else four spaces.
pub(crate) fn indent_unit(snapshot: &FileSnapshot) -> String {
    let mut widths: Vec<(usize, bool)> = Vec::new();
    for line in &snapshot.lines {
        if line.trim().is_empty() {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        widths.push((indent.len(), indent.starts_with('\t')));
    }
    if widths.iter().any(|&(w, tab)| tab && w > 0) {
        return "\t".to_string();
    }
    let step = widths
        .windows(2)
        .filter_map(|w| w[1].0.checked_sub(w[0].0))
        .filter(|&d| d > 0)
        .min()
        .unwrap_or(4);
    " ".repeat(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autopsy::SnapshotSource;

    fn snapshot(lines: &[&str], first_line: u32, focus_line: u32) -> FileSnapshot {
        FileSnapshot {
            path: "app/users.py".into(),
            first_line,
            lines: lines.iter().map(|l| l.to_string()).collect(),
            focus_line,
            source: SnapshotSource::SdkContext,
        }
    }

    #[test]
    fn hunk_keeps_three_lines_of_context_and_counts_them() {
        let snap = snapshot(&["a", "b", "c", "d", "e", "f", "g", "h"], 10, 14);
        let diff = replace_focus(&snap, &["x".into(), "e".into()]).expect("a diff");
        assert_eq!(
            diff,
            "diff --git a/app/users.py b/app/users.py\n--- a/app/users.py\n+++ b/app/users.py\n\
             @@ -11,7 +11,8 @@\n b\n c\n d\n+x\n e\n f\n g\n h\n"
        );
    }

    #[test]
    fn context_is_cut_at_the_snapshot_edges() {
        let snap = snapshot(&["a", "b"], 1, 1);
        let diff = replace_focus(&snap, &["z".into()]).expect("a diff");
        assert!(diff.contains("@@ -1,2 +1,2 @@\n-a\n+z\n b\n"), "{diff}");
    }

    #[test]
    fn no_diff_without_the_focus_line_or_a_change() {
        assert!(replace_focus(&snapshot(&["a"], 1, 5), &["b".into()]).is_none());
        assert!(replace_focus(&snapshot(&["a"], 1, 1), &["a".into()]).is_none());
    }

    #[test]
    fn indent_unit_is_the_smallest_step() {
        assert_eq!(
            indent_unit(&snapshot(
                &["def f():", "  x = 1", "  if x:", "    y"],
                1,
                2
            )),
            "  "
        );
        assert_eq!(indent_unit(&snapshot(&["x = 1"], 1, 1)), "    ");
        assert_eq!(
            indent_unit(&snapshot(&["fn f() {", "\tx", "}"], 1, 2)),
            "\t"
        );
    }
}
