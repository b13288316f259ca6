//! The model usage page (`/settings/llm/usage`): what the organization's model calls cost
//! per UTC day over the last 30 days (an inline SVG bar chart, each bar titled with its
//! figures), the same calls per model and per workflow step, and this calendar month's
//! spend against the provider's monthly budgets. Every member and viewer may look.

use super::format::count;
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sentinel_core::clock::Millis;
use sentinel_integrations::llm::autopsy::month_bounds;
use sentinel_store::llm::usage::{DayUsage, UsageTotals};
use std::fmt::Write;

const DAY_MS: Millis = 86_400_000;
/// How many days the page covers, today included.
const DAYS: usize = 30;

/// Nano-USD as dollars: four decimals under a dollar, cents above.
pub fn usd(nano: i64) -> String {
    let dollars = nano as f64 / 1.0e9;
    if dollars.abs() < 1.0 {
        format!("${dollars:.4}")
    } else {
        format!("${dollars:.2}")
    }
}

/// One row of a usage table, formatted.
pub struct UsageRow {
    name: String,
    detail: String,
    calls: String,
    input: String,
    cached: String,
    cache_write: String,
    output: String,
    cost: String,
    unpriced: i64,
    cache_hits: String,
    failed: i64,
}

fn row(name: String, detail: String, t: &UsageTotals) -> UsageRow {
    UsageRow {
        name,
        detail,
        calls: count(t.calls),
        input: count(t.input_uncached),
        cached: count(t.cache_read),
        cache_write: count(t.cache_write),
        output: count(t.output),
        cost: usd(t.cost_nano_usd),
        unpriced: t.unpriced,
        cache_hits: count(t.cache_hits),
        failed: t.failed,
    }
}

/// This month's spend against one budget.
pub struct BudgetLine {
    label: &'static str,
    spent: String,
    limit: Option<String>,
    /// Percent of the budget spent, 0 to 100 (for the bar), when there is a budget.
    percent: Option<u32>,
    over: bool,
}

fn budget_line(
    label: &'static str,
    spent: i64,
    limit: Option<i64>,
    show: fn(i64) -> String,
) -> BudgetLine {
    let share = limit.map(|l| if l <= 0 { 1.0 } else { spent as f64 / l as f64 });
    BudgetLine {
        label,
        spent: show(spent),
        limit: limit.map(show),
        percent: share.map(|s| (s * 100.0).clamp(0.0, 100.0).round() as u32),
        over: limit.is_some_and(|l| spent >= l),
    }
}

#[derive(Template)]
#[template(path = "llm_usage.html")]
struct UsagePage {
    layout: Layout,
    chart: String,
    total: UsageRow,
    tokens: String,
    models: Vec<UsageRow>,
    steps: Vec<UsageRow>,
    month: String,
    month_calls: String,
    budgets: Vec<BudgetLine>,
}

/// `GET /settings/llm/usage`
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let now = state.clock.now_ms();
    let today = now.div_euclid(DAY_MS) * DAY_MS;
    let from = today - (DAYS as Millis - 1) * DAY_MS;
    let usage = state.store.llm_usage(org, from, today + DAY_MS).await?;
    let (month_start, month_end) = month_bounds(now);
    let spend = state.store.llm_spend(org, month_start, month_end).await?;
    let settings = state.store.get_provider_settings(org).await?;
    let (token_budget, cost_budget) = settings.map_or((None, None), |s| {
        (s.monthly_token_budget, s.monthly_cost_budget_nano_usd)
    });
    let totals = usage.totals();
    render(&UsagePage {
        layout: viewer.layout("Model usage", "llm"),
        chart: cost_chart(&usage.days, from),
        tokens: count(totals.tokens()),
        total: row("All calls".into(), String::new(), &totals),
        models: usage
            .models
            .iter()
            .map(|m| row(m.model.clone(), m.provider.clone(), &m.totals))
            .collect(),
        steps: usage
            .steps
            .iter()
            .map(|s| row(s.step.clone(), String::new(), &s.totals))
            .collect(),
        month: DateTime::<Utc>::from_timestamp_millis(month_start)
            .map(|d| d.format("%B %Y").to_string())
            .unwrap_or_default(),
        month_calls: count(spend.calls),
        budgets: vec![
            budget_line("Cost", spend.cost_nano_usd, cost_budget, usd),
            budget_line("Tokens", spend.tokens, token_budget, count),
        ],
    })
}

const WIDTH: f64 = 760.0;
const LEFT: f64 = 52.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 120.0;
const HEIGHT: f64 = 136.0;

/// Cost per day for the `DAYS` days from `from`, one bar per day with calls, scaled to the
/// dearest day; each day carries a `<title>` with its cost and calls.
pub fn cost_chart(days: &[DayUsage], from: Millis) -> String {
    let mut cost = [0i64; DAYS];
    let mut calls = [0i64; DAYS];
    for day in days {
        let index = (day.day_start - from).div_euclid(DAY_MS);
        if let Ok(i) = usize::try_from(index) {
            if i < DAYS {
                cost[i] += day.totals.cost_nano_usd;
                calls[i] += day.totals.calls;
            }
        }
    }
    let total: i64 = cost.iter().sum();
    let max = cost.iter().copied().max().unwrap_or(0).max(1);
    let slot = (WIDTH - LEFT) / DAYS as f64;
    let bar = (slot - 2.0).max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" width=\"100%\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"Model cost per day\"><title>Model cost per day over the last {DAYS} days: \
         {} in all</title>",
        usd(total)
    );
    for (value, y) in [(max, TOP), (0, BOTTOM)] {
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y + 3.0,
            if value == 0 {
                "$0".to_owned()
            } else {
                usd(value)
            }
        );
    }
    for i in 0..DAYS {
        let start = from + i as Millis * DAY_MS;
        let x = LEFT + slot * i as f64;
        let date = DateTime::<Utc>::from_timestamp_millis(start);
        let title = format!(
            "{}: {}, {} call{}",
            date.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            usd(cost[i]),
            count(calls[i]),
            if calls[i] == 1 { "" } else { "s" }
        );
        let h = if cost[i] > 0 {
            // At least two pixels, so a cheap day shows next to a dear one.
            ((cost[i] as f64 / max as f64) * (BOTTOM - TOP)).max(2.0)
        } else {
            0.0
        };
        let _ = write!(
            svg,
            "<g><title>{title}</title><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" \
             height=\"{h:.1}\"/></g>",
            BOTTOM - h
        );
        if i % 5 == 0 {
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                HEIGHT - 3.0,
                date.map(|d| d.format("%b %d").to_string())
                    .unwrap_or_default()
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(at: Millis, calls: i64, cost: i64) -> DayUsage {
        DayUsage {
            day_start: at,
            totals: UsageTotals {
                calls,
                cost_nano_usd: cost,
                ..UsageTotals::default()
            },
        }
    }

    #[test]
    fn dollars_show_four_decimals_under_one_dollar() {
        assert_eq!(usd(62_383_800), "$0.0624");
        assert_eq!(usd(12_500_000_000), "$12.50");
        assert_eq!(usd(0), "$0.0000");
    }

    #[test]
    fn each_day_has_a_titled_slot_and_days_outside_are_ignored() {
        // 2024-01-01.
        let from = 1_704_067_200_000;
        let svg = cost_chart(
            &[
                day(from, 2, 500_000_000),
                day(from + 3 * DAY_MS, 1, 1_000_000_000),
                day(from + 40 * DAY_MS, 9, 9_000_000_000),
            ],
            from,
        );
        assert_eq!(svg.matches("<g><title>").count(), DAYS);
        assert!(svg.contains("2024-01-01: $0.5000, 2 calls"), "{svg}");
        assert!(svg.contains("2024-01-04: $1.00, 1 call<"), "{svg}");
        assert!(svg.contains("$1.50 in all"), "{svg}");
        // The dearest day fills the height.
        assert!(svg.contains(&format!("height=\"{:.1}\"", BOTTOM - TOP)));
    }
}
