//! Small renderings shared by the pages: times, counts and inline SVG charts.

use chrono::{DateTime, Utc};
use sentinel_core::clock::Millis;
use std::fmt;

const HOUR_MS: Millis = 3_600_000;
const DAY_MS: Millis = 24 * HOUR_MS;

/// A point in time as a `<time>` element: UTC in the text and the tooltip, ISO 8601 in
/// `datetime` for the script that converts it to the reader's zone. Render with `|safe`:
/// it is made only of digits and fixed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HtmlTime(pub Millis);

impl fmt::Display for HtmlTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(at) => write!(
                f,
                "<time datetime=\"{}\" title=\"{} UTC\">{} UTC</time>",
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                at.format("%Y-%m-%d %H:%M:%S"),
                at.format("%Y-%m-%d %H:%M"),
            ),
            None => f.write_str("–"),
        }
    }
}

/// How long ago `then` was, coarsely ("3 min ago", "5 d ago").
pub fn ago(now: Millis, then: Millis) -> String {
    let secs = (now - then).max(0) / 1000;
    match secs {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// A count with thousands separated by a thin space, e.g. `12 345`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// The window a sparkline covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// 24 hourly bars.
    Day,
    /// 14 daily bars.
    TwoWeeks,
}

impl Window {
    pub fn parse(text: &str) -> Self {
        if text == "14d" {
            Window::TwoWeeks
        } else {
            Window::Day
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Window::Day => "24h",
            Window::TwoWeeks => "14d",
        }
    }

    fn bucket_ms(self) -> Millis {
        match self {
            Window::Day => HOUR_MS,
            Window::TwoWeeks => DAY_MS,
        }
    }

    fn buckets(self) -> usize {
        match self {
            Window::Day => 24,
            Window::TwoWeeks => 14,
        }
    }

    /// The first hour the window needs counts for.
    pub fn since(self, now: Millis) -> Millis {
        bucket_start(now, self.bucket_ms()) - (self.buckets() as Millis - 1) * self.bucket_ms()
    }
}

fn bucket_start(at: Millis, bucket_ms: Millis) -> Millis {
    at - at.rem_euclid(bucket_ms)
}

/// Sums hourly counts into `buckets` buckets of `bucket_ms` ending with the one holding
/// `now`, oldest first.
pub fn bucketize(
    hourly: &[(Millis, i64)],
    now: Millis,
    bucket_ms: Millis,
    buckets: usize,
) -> Vec<i64> {
    let mut sums = vec![0i64; buckets];
    let last = bucket_start(now, bucket_ms);
    for &(hour, n) in hourly {
        let back = (last - bucket_start(hour, bucket_ms)) / bucket_ms;
        if (0..buckets as Millis).contains(&back) {
            let index = buckets - 1 - back as usize;
            sums[index] += n;
        }
    }
    sums
}

/// A row's sparkline: bars of events per hour (24 h) or per day (14 days).
pub fn sparkline(hourly: &[(Millis, i64)], now: Millis, window: Window) -> String {
    let sums = bucketize(hourly, now, window.bucket_ms(), window.buckets());
    let total: i64 = sums.iter().sum();
    let label = match window {
        Window::Day => "in the last 24 hours",
        Window::TwoWeeks => "in the last 14 days",
    };
    bars(&sums, 96, 20, &format!("{} events {label}", count(total)))
}

/// The incident page's chart: events per 6 hours over 14 days, with a day grid.
pub fn occurrence_chart(hourly: &[(Millis, i64)], now: Millis) -> String {
    const BUCKET: Millis = 6 * HOUR_MS;
    const BUCKETS: usize = 56;
    let sums = bucketize(hourly, now, BUCKET, BUCKETS);
    let total: i64 = sums.iter().sum();
    let (width, height) = (560u32, 80u32);
    let mut svg = bars(
        &sums,
        width,
        height,
        &format!("{} events in the last 14 days", count(total)),
    );
    // Day labels under the bars: the chart is read as "when did it start".
    let first = bucket_start(now, BUCKET) - (BUCKETS as Millis - 1) * BUCKET;
    let mut labels = String::new();
    let step = f64::from(width) / BUCKETS as f64;
    for i in (0..BUCKETS).step_by(8) {
        let at = first + i as Millis * BUCKET;
        if let Some(day) = DateTime::<Utc>::from_timestamp_millis(at) {
            labels.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" class=\"axis\">{}</text>",
                i as f64 * step,
                height + 12,
                day.format("%b %d")
            ));
        }
    }
    svg = svg.replacen(
        &format!("viewBox=\"0 0 {width} {height}\""),
        &format!("viewBox=\"0 0 {width} {}\"", height + 14),
        1,
    );
    svg = svg.replacen(
        &format!("height=\"{height}\""),
        &format!("height=\"{}\"", height + 14),
        1,
    );
    svg.replace("</svg>", &format!("{labels}</svg>"))
}

/// Inline SVG bars scaled to the largest value; `title` is the accessible label.
fn bars(values: &[i64], width: u32, height: u32, title: &str) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = f64::from(width) / values.len().max(1) as f64;
    let bar = (step - 1.0).max(1.0);
    let mut svg = format!(
        "<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-label=\"{title}\"><title>{title}</title>"
    );
    for (i, &value) in values.iter().enumerate() {
        if value <= 0 {
            continue;
        }
        // At least two pixels, so a single event is visible next to thousands.
        let h = ((value as f64 / max) * f64::from(height)).max(2.0);
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"/>",
            i as f64 * step,
            f64::from(height) - h
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_utc_and_carry_iso_for_the_script() {
        let html = HtmlTime(1_700_000_000_000).to_string();
        assert_eq!(
            html,
            "<time datetime=\"2023-11-14T22:13:20Z\" title=\"2023-11-14 22:13:20 UTC\">2023-11-14 22:13 UTC</time>"
        );
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1\u{2009}234\u{2009}567");
    }

    #[test]
    fn hourly_counts_fall_into_their_buckets() {
        let now = 10 * DAY_MS + 5 * HOUR_MS + 123;
        let hourly = [
            (now - now % HOUR_MS, 3),           // this hour: last bucket
            (now - now % HOUR_MS - HOUR_MS, 2), // an hour earlier
            (now - 30 * HOUR_MS, 7),            // outside 24 h
        ];
        let sums = bucketize(&hourly, now, HOUR_MS, 24);
        assert_eq!(sums[23], 3);
        assert_eq!(sums[22], 2);
        assert_eq!(sums.iter().sum::<i64>(), 5);
        let days = bucketize(&hourly, now, DAY_MS, 14);
        assert_eq!(days.iter().sum::<i64>(), 12);
        assert_eq!(days[13], 5);
        assert_eq!(days[11], 7, "30 hours before 05:00 is two days back");
    }

    #[test]
    fn sparklines_draw_one_bar_per_non_empty_bucket() {
        let now = 100 * DAY_MS;
        let svg = sparkline(&[(now - HOUR_MS, 4), (now, 1)], now, Window::Day);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("5 events in the last 24 hours"));
        let empty = sparkline(&[], now, Window::TwoWeeks);
        assert_eq!(empty.matches("<rect").count(), 0);
    }
}
