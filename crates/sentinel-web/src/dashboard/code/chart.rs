//! The overview's chart: the AI share of commits and of added lines per day, week or month,
//! with the commit volume underneath, as inline SVG. Each bucket carries a `<title>`, so a
//! browser shows its figures on hover without any script.

use super::percent;
use crate::dashboard::format::count;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sentinel_core::clock::Millis;
use sentinel_store::code::OverviewDay;
use std::fmt::Write;

const DAY_MS: Millis = 86_400_000;
/// The most buckets a chart draws; a range that would need more is cut to its latest ones.
const MAX_BUCKETS: usize = 400;

/// How wide one bucket of the chart is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Day,
    /// Monday to Sunday, UTC.
    Week,
    Month,
}

impl Step {
    /// Days up to two months, weeks up to two years, months beyond.
    pub fn for_span(span_ms: Millis) -> Self {
        if span_ms <= 62 * DAY_MS {
            Step::Day
        } else if span_ms <= 731 * DAY_MS {
            Step::Week
        } else {
            Step::Month
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Step::Day => "day",
            Step::Week => "week",
            Step::Month => "month",
        }
    }

    /// The start of the bucket holding `at`.
    fn start_of(self, at: Millis) -> Millis {
        let day = at.div_euclid(DAY_MS) * DAY_MS;
        match self {
            Step::Day => day,
            // 1970-01-01 was a Thursday: Monday is three days after the epoch's weekday.
            Step::Week => day - ((at.div_euclid(DAY_MS) + 3).rem_euclid(7)) * DAY_MS,
            Step::Month => date_of(at)
                .and_then(|d| NaiveDate::from_ymd_opt(d.year(), d.month(), 1))
                .map_or(day, millis_of),
        }
    }

    /// The start of the bucket after the one starting at `start`.
    fn next(self, start: Millis) -> Millis {
        match self {
            Step::Day => start + DAY_MS,
            Step::Week => start + 7 * DAY_MS,
            Step::Month => date_of(start)
                .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                .map_or(start + 31 * DAY_MS, millis_of),
        }
    }

    fn label(self, start: Millis) -> String {
        let Some(date) = date_of(start) else {
            return String::new();
        };
        match self {
            Step::Day | Step::Week => date.format("%b %d").to_string(),
            Step::Month => date.format("%b %Y").to_string(),
        }
    }

    fn title(self, start: Millis) -> String {
        let Some(date) = date_of(start) else {
            return String::new();
        };
        match self {
            Step::Day => date.format("%Y-%m-%d").to_string(),
            Step::Week => format!("week of {}", date.format("%Y-%m-%d")),
            Step::Month => date.format("%B %Y").to_string(),
        }
    }
}

fn date_of(at: Millis) -> Option<NaiveDate> {
    DateTime::<Utc>::from_timestamp_millis(at).map(|t| t.date_naive())
}

fn millis_of(date: NaiveDate) -> Millis {
    date.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

/// One bucket's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bucket {
    pub start: Millis,
    pub commits: i64,
    pub ai_commits: i64,
    pub lines_added: i64,
    pub ai_lines_added: i64,
}

/// Sums the overview's days into buckets covering `[from, to)`, empty ones included. A range
/// from before the first commit starts at the first commit's bucket.
pub fn bucketize(days: &[OverviewDay], from: Millis, to: Millis, step: Step) -> Vec<Bucket> {
    let Some(first) = days.first() else {
        return Vec::new();
    };
    let mut start = step.start_of(from.max(first.day_start));
    let mut buckets = Vec::new();
    let mut rest = days.iter().peekable();
    while start < to {
        let end = step.next(start);
        let mut bucket = Bucket {
            start,
            ..Bucket::default()
        };
        while let Some(day) = rest.next_if(|d| d.day_start < end) {
            if day.day_start >= start {
                bucket.commits += day.commits;
                bucket.ai_commits += day.ai_commits;
                bucket.lines_added += day.lines_added;
                bucket.ai_lines_added += day.ai_lines_added;
            }
        }
        buckets.push(bucket);
        start = end;
    }
    if buckets.len() > MAX_BUCKETS {
        buckets.drain(..buckets.len() - MAX_BUCKETS);
    }
    buckets
}

const WIDTH: f64 = 760.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const SHARE_TOP: f64 = 18.0;
const SHARE_BOTTOM: f64 = 150.0;
const VOLUME_TOP: f64 = 160.0;
const VOLUME_BOTTOM: f64 = 200.0;
const HEIGHT: f64 = 216.0;

/// The chart: AI share by line and by commit per bucket (lines broken where a bucket had no
/// commits), commits per bucket below, AI ones darker.
pub fn share_chart(buckets: &[Bucket], step: Step) -> String {
    let n = buckets.len().max(1) as f64;
    let slot = (WIDTH - LEFT - RIGHT) / n;
    let x_of = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let y_of = |share: f64| SHARE_BOTTOM - (SHARE_BOTTOM - SHARE_TOP) * share.clamp(0.0, 1.0);
    let total_commits: i64 = buckets.iter().map(|b| b.commits).sum();
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"share\" width=\"100%\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"AI share per {noun}\"><title>AI share of commits and of added lines per {noun}, \
         {commits} commits</title>",
        noun = step.noun(),
        commits = count(total_commits),
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let y = y_of(tick);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}%</text>",
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 3.0,
            tick * 100.0
        );
    }
    let max_commits = buckets.iter().map(|b| b.commits).max().unwrap_or(0).max(1) as f64;
    let bar = (slot - 1.0).max(1.0);
    for (i, b) in buckets.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        if b.commits > 0 {
            let scale = (VOLUME_BOTTOM - VOLUME_TOP) / max_commits;
            let h = (b.commits as f64 * scale).max(1.5);
            let ai = b.ai_commits as f64 * scale;
            let _ = write!(
                svg,
                "<rect class=\"vol\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"/>",
                VOLUME_BOTTOM - h
            );
            if b.ai_commits > 0 {
                let _ = write!(
                    svg,
                    "<rect class=\"vol-ai\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\"/>",
                    VOLUME_BOTTOM - ai.max(1.0),
                    ai.max(1.0)
                );
            }
        }
    }
    for (class, share_of) in [
        (
            "by-line",
            (|b: &Bucket| share(b.ai_lines_added, b.lines_added)) as fn(&Bucket) -> Option<f64>,
        ),
        ("by-commit", |b: &Bucket| share(b.ai_commits, b.commits)),
    ] {
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, svg: &mut String| {
            if run.len() > 1 {
                let _ = write!(
                    svg,
                    "<polyline class=\"{class}\" points=\"{}\"/>",
                    run.join(" ")
                );
            }
            run.clear();
        };
        for (i, b) in buckets.iter().enumerate() {
            match share_of(b) {
                Some(s) => {
                    let (x, y) = (x_of(i), y_of(s));
                    run.push(format!("{x:.1},{y:.1}"));
                    let _ = write!(
                        svg,
                        "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2\"/>"
                    );
                }
                None => flush(&mut run, &mut svg),
            }
        }
        flush(&mut run, &mut svg);
    }
    let every = buckets.len().div_ceil(8).max(1);
    for (i, b) in buckets.iter().enumerate() {
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x_of(i),
                HEIGHT - 3.0,
                step.label(b.start)
            );
        }
        // A full-height target per bucket, for its tooltip.
        let _ = write!(
            svg,
            "<rect class=\"hit\" x=\"{:.1}\" y=\"{SHARE_TOP}\" width=\"{slot:.1}\" height=\"{:.1}\">\
             <title>{}: {} of {} commits AI ({}), {} of {} added lines ({})</title></rect>",
            LEFT + slot * i as f64,
            VOLUME_BOTTOM - SHARE_TOP,
            step.title(b.start),
            count(b.ai_commits),
            count(b.commits),
            share(b.ai_commits, b.commits).map_or("–".to_string(), percent),
            count(b.ai_lines_added),
            count(b.lines_added),
            share(b.ai_lines_added, b.lines_added).map_or("–".to_string(), percent),
        );
    }
    let _ = write!(
        svg,
        "<text class=\"legend by-line\" x=\"{LEFT}\" y=\"11\">● share of added lines</text>\
         <text class=\"legend by-commit\" x=\"{:.1}\" y=\"11\">● share of commits</text>\
         <text class=\"legend\" x=\"{:.1}\" y=\"11\">▮ commits per {} (AI darker)</text></svg>",
        LEFT + 150.0,
        LEFT + 290.0,
        step.noun()
    );
    svg
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(at: Millis, commits: i64, ai: i64) -> OverviewDay {
        OverviewDay {
            day_start: at,
            commits,
            ai_commits: ai,
            lines_added: commits * 10,
            ai_lines_added: ai * 10,
        }
    }

    // 2024-01-01 was a Monday.
    const MONDAY: Millis = 1_704_067_200_000;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        assert_eq!(Step::Week.start_of(MONDAY + 3 * DAY_MS + 5), MONDAY);
        assert_eq!(Step::Week.start_of(MONDAY - 1), MONDAY - 7 * DAY_MS);
        assert_eq!(Step::Month.start_of(MONDAY + 20 * DAY_MS), MONDAY);
        assert_eq!(Step::Month.next(MONDAY), MONDAY + 31 * DAY_MS);
        assert_eq!(Step::for_span(30 * DAY_MS), Step::Day);
        assert_eq!(Step::for_span(365 * DAY_MS), Step::Week);
        assert_eq!(Step::for_span(1000 * DAY_MS), Step::Month);
    }

    #[test]
    fn days_are_summed_into_their_weeks_with_empty_weeks_kept() {
        let days = [
            day(MONDAY, 2, 1),
            day(MONDAY + 6 * DAY_MS, 3, 3),
            day(MONDAY + 14 * DAY_MS, 1, 0),
        ];
        let weeks = bucketize(&days, 0, MONDAY + 21 * DAY_MS, Step::Week);
        assert_eq!(weeks.len(), 3, "starts at the first commit's week");
        assert_eq!((weeks[0].commits, weeks[0].ai_commits), (5, 4));
        assert_eq!(weeks[1].commits, 0);
        assert_eq!(weeks[2].commits, 1);
        assert!(bucketize(&[], 0, MONDAY, Step::Day).is_empty());
    }

    #[test]
    fn the_chart_breaks_its_lines_at_empty_buckets_and_titles_each_bucket() {
        let buckets = bucketize(
            &[
                day(MONDAY, 4, 1),
                day(MONDAY + DAY_MS, 4, 2),
                day(MONDAY + 3 * DAY_MS, 2, 2),
            ],
            MONDAY,
            MONDAY + 4 * DAY_MS,
            Step::Day,
        );
        let svg = share_chart(&buckets, Step::Day);
        // Days 0–1 make one run per series; day 3 stands alone after the empty day 2.
        assert_eq!(svg.matches("<polyline class=\"by-line\"").count(), 1);
        assert_eq!(svg.matches("<circle class=\"by-commit\"").count(), 3);
        assert_eq!(svg.matches("<rect class=\"hit\"").count(), 4);
        assert!(svg.contains("2024-01-02: 2 of 4 commits AI (50 %)"));
        assert!(svg.contains("2024-01-03: 0 of 0 commits AI (–)"));
    }
}
