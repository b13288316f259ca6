//! The scan's progress bar: drawn on stderr when stderr is a terminal, nothing otherwise
//! (a pipe, a log file, CI), so scripted runs see only the summary line.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::time::Duration;

/// The bar's line: elapsed, bar, commits recorded of those to record, time left, AI so far.
const TEMPLATE: &str =
    "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} commits, {eta} left, {msg}";

/// How the scan shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressDisplay {
    /// A bar on stderr if it is a terminal.
    Terminal,
    /// Nothing (tests, embedding).
    Hidden,
}

/// A bar over the commits to record.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub(crate) fn new(display: ProgressDisplay, total: u64) -> Self {
        let visible = display == ProgressDisplay::Terminal && std::io::stderr().is_terminal();
        if !visible {
            return Self {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        // A test keeps the template valid; were it not, the default style would do.
        if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar }
    }

    /// `commits` more were recorded; `ai` of all so far were AI-attributed.
    pub(crate) fn advance(&self, commits: u64, ai: u64) {
        self.bar.inc(commits);
        self.bar.set_message(format!("{ai} AI"));
    }

    /// Removes the bar, leaving the terminal to the summary.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }

    #[test]
    fn hidden_progress_draws_nothing_but_counts() {
        let progress = Progress::new(ProgressDisplay::Hidden, 10);
        progress.advance(4, 1);
        assert!(progress.bar.is_hidden());
        assert_eq!(progress.bar.position(), 4);
        progress.finish();
    }
}
