use super::*;
use chrono::NaiveDate;
use chrono_tz::Tz;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn periods_start_at_local_midnight_of_the_organizations_zone() {
    let utc = PeriodWindow::of_date(Period::Day, date(2024, 3, 5), Tz::UTC).unwrap();
    assert_eq!(utc.starts_at, 1_709_596_800_000);
    assert_eq!(utc.ends_at - utc.starts_at, 86_400_000);
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let day = PeriodWindow::of_date(Period::Day, date(2024, 3, 5), berlin).unwrap();
    assert_eq!(day.starts_at, utc.starts_at - 3_600_000);
    // The day the clocks go forward is 23 hours long.
    let short = PeriodWindow::of_date(Period::Day, date(2024, 3, 31), berlin).unwrap();
    assert_eq!(short.ends_at - short.starts_at, 23 * 3_600_000);
    // 23:30 UTC on the 4th is already the 5th in Berlin.
    let at = utc.starts_at - 30 * 60_000;
    assert_eq!(
        PeriodWindow::containing(Period::Day, at, berlin)
            .unwrap()
            .date,
        date(2024, 3, 5)
    );
    assert_eq!(
        PeriodWindow::containing(Period::Day, at, Tz::UTC)
            .unwrap()
            .date,
        date(2024, 3, 4)
    );
}

#[test]
fn weeks_start_on_monday_and_months_on_the_first() {
    let week = PeriodWindow::of_date(Period::Week, date(2024, 3, 7), Tz::UTC).unwrap();
    assert_eq!(week.date, date(2024, 3, 4));
    assert_eq!(week.ends_at - week.starts_at, 7 * 86_400_000);
    let month = PeriodWindow::of_date(Period::Month, date(2024, 2, 20), Tz::UTC).unwrap();
    assert_eq!(month.date, date(2024, 2, 1));
    assert_eq!(month.ends_at - month.starts_at, 29 * 86_400_000);
    let weeks =
        PeriodWindow::covering(Period::Week, date(2024, 3, 1), date(2024, 3, 31), Tz::UTC).unwrap();
    assert_eq!(weeks.first().unwrap().date, date(2024, 2, 26));
    assert_eq!(weeks.len(), 5);
    assert_eq!(weeks.last().unwrap().date, date(2024, 3, 25));
    assert_eq!("month".parse::<Period>(), Ok(Period::Month));
    assert!("year".parse::<Period>().is_err());
}

fn group(method: Option<&str>, confidence: Option<f64>, commits: i64, lines: i64) -> CommitFact {
    CommitFact {
        method: method.map(str::to_owned),
        ai: AuthorClass::is_ai(confidence),
        commits,
        lines_changed: lines,
    }
}

const H: i64 = 3_600_000;

#[test]
fn a_row_counts_classes_shares_review_times_and_the_tax() {
    let facts = RowFacts {
        commits: vec![
            group(Some("declared"), Some(0.97), 2, 300),
            group(Some("heuristic"), Some(0.6), 1, 100),
            // Below the threshold a heuristic attribution is a person's commit.
            group(Some("heuristic"), Some(0.3), 1, 50),
            group(Some("none"), Some(0.0), 4, 550),
            group(Some("manual_override"), Some(1.0), 2, 0),
        ],
        merged_prs: vec![
            PrFact {
                number: 1,
                opened_at: 0,
                first_review_at: Some(2 * H),
                merged_at: 10 * H,
                ai: true,
            },
            PrFact {
                number: 2,
                opened_at: 0,
                first_review_at: Some(4 * H),
                merged_at: 4 * H,
                ai: false,
            },
            PrFact {
                number: 3,
                opened_at: H,
                first_review_at: None,
                merged_at: 3 * H,
                ai: true,
            },
        ],
        high_risk_files: 3,
        deploys: 2,
        incidents: 4,
        ai_incidents: 1,
    };
    let v = MetricValues::compute(&facts, 150.0);
    assert_eq!(
        (
            v.commits_human,
            v.commits_ai_declared,
            v.commits_ai_heuristic
        ),
        (5, 4, 1)
    );
    assert_eq!(
        (v.lines_human, v.lines_ai_declared, v.lines_ai_heuristic),
        (600, 300, 100)
    );
    assert_eq!(v.ai_share_by_commit, Some(0.5));
    assert_eq!(v.ai_share_by_line, Some(0.4));
    assert_eq!(v.first_review_median_hours, Some(3.0));
    assert_eq!(v.merge_median_hours, Some(4.0));
    assert!((v.merge_p90_hours.unwrap() - 8.8).abs() < 1e-9);
    assert_eq!(v.verification_tax_hours, 12.0);
    assert_eq!(v.verification_tax_cost, 1_800.0);
    assert_eq!(v.prs_merged, 3);
    assert_eq!(
        (v.high_risk_files, v.deploys, v.incidents, v.ai_incidents),
        (3, 2, 4, 1)
    );

    let empty = MetricValues::compute(&RowFacts::default(), 150.0);
    assert_eq!(empty.ai_share_by_commit, None);
    assert_eq!(empty.merge_median_hours, None);
}

#[test]
fn percentiles_interpolate_between_ranks() {
    assert_eq!(percentile(&mut [], 0.5), None);
    assert_eq!(percentile(&mut [5.0], 0.9), Some(5.0));
    assert_eq!(percentile(&mut [4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
    assert!(
        (percentile(&mut (1..=10).map(f64::from).collect::<Vec<_>>(), 0.9).unwrap() - 9.1).abs()
            < 1e-9
    );
}

#[test]
fn saturation_is_waiting_over_reviewer_capacity() {
    let reviewer = |name: &str, per_day: &[f64]| ReviewerActivity {
        reviewer: name.into(),
        reviews_per_day: per_day.to_vec(),
    };
    let two = [
        reviewer("ada", &[2.0, 2.0, 3.0]),
        reviewer("bob", &[2.0, 1.0, 2.0]),
    ];
    // Capacity 2 × 2 = 4.
    assert_eq!(review_saturation(4, &two), Some(1.0));
    assert_eq!(review_saturation(3, &two), Some(0.75));
    assert_eq!(review_saturation(3, &[]), None);
}

#[test]
fn settings_default_to_utc_and_150_and_refuse_nonsense() {
    let s = MetricsSettings::default();
    assert_eq!(s.tz().unwrap(), Tz::UTC);
    assert_eq!(s.hourly_rate, 150.0);
    assert!(s.validate().is_ok());
    let bad = MetricsSettings {
        time_zone: "Mars/Olympus".into(),
        ..MetricsSettings::default()
    };
    assert!(matches!(bad.validate(), Err(SettingsError::TimeZone(_))));
    let parsed: MetricsSettings = serde_json::from_str(r#"{"time_zone":"Asia/Tokyo"}"#).unwrap();
    assert_eq!(parsed.hourly_rate, 150.0);
    // Tuesday 2024-03-05 10:00 Tokyo is working time; 20:00 is not.
    let tokyo = parsed.tz().unwrap();
    assert!(parsed.working_hours.contains(1_709_596_800_000 + H, tokyo));
    assert!(!parsed
        .working_hours
        .contains(1_709_596_800_000 + 11 * H, tokyo));
}

#[test]
fn survival_shares_cap_at_what_was_added() {
    assert_eq!(
        SurvivalCounts {
            added: 0,
            surviving: 0
        }
        .share(),
        None
    );
    assert_eq!(
        SurvivalCounts {
            added: 4,
            surviving: 3
        }
        .share(),
        Some(0.75)
    );
}
