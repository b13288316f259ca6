//! GitHub's timestamps to core time: ISO-8601 with its offset kept (a commit's local time
//! matters to the attribution rules), or Unix seconds.

use super::wire::WireTime;
use super::PayloadError;
use sentinel_core::clock::Millis;

/// An instant and the offset it was written in, minutes east of UTC.
pub(super) fn stamp(time: &WireTime, field: &str) -> Result<(Millis, i32), PayloadError> {
    let bad = || PayloadError::BadTimestamp {
        field: field.to_string(),
        value: match time {
            WireTime::UnixSeconds(seconds) => seconds.to_string(),
            WireTime::Text(text) => text.clone(),
        },
    };
    match time {
        WireTime::UnixSeconds(seconds) => {
            seconds.checked_mul(1000).map(|ms| (ms, 0)).ok_or_else(bad)
        }
        WireTime::Text(text) => {
            let parsed = chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|_| bad())?;
            Ok((
                parsed.timestamp_millis(),
                parsed.offset().local_minus_utc() / 60,
            ))
        }
    }
}

/// An instant, for fields where the offset says nothing (GitHub writes them in UTC).
pub(super) fn millis(time: &WireTime, field: &str) -> Result<Millis, PayloadError> {
    stamp(time, field).map(|(at_ms, _)| at_ms)
}

/// An optional instant: absent or `null` is `None`, text that is not a time is an error.
pub(super) fn optional_millis(
    time: Option<&WireTime>,
    field: &str,
) -> Result<Option<Millis>, PayloadError> {
    time.map(|time| millis(time, field)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_kept_in_minutes_east_of_utc() {
        let text = |s: &str| WireTime::Text(s.to_string());
        // 2015-05-05T23:40:15Z
        assert_eq!(
            stamp(&text("2015-05-05T19:40:15-04:00"), "t"),
            Ok((1_430_869_215_000, -240))
        );
        assert_eq!(
            stamp(&text("2015-05-06T05:10:15+05:30"), "t"),
            Ok((1_430_869_215_000, 330))
        );
        assert_eq!(
            stamp(&text("2015-05-05T23:40:15Z"), "t"),
            Ok((1_430_869_215_000, 0))
        );
        assert_eq!(
            stamp(&WireTime::UnixSeconds(1_430_869_215), "t"),
            Ok((1_430_869_215_000, 0))
        );
    }

    #[test]
    fn a_time_that_does_not_parse_names_its_field() {
        let err = millis(&WireTime::Text("yesterday".into()), "review.submitted_at");
        assert_eq!(
            err,
            Err(PayloadError::BadTimestamp {
                field: "review.submitted_at".into(),
                value: "yesterday".into()
            })
        );
        assert!(millis(&WireTime::UnixSeconds(i64::MAX), "t").is_err());
    }
}
