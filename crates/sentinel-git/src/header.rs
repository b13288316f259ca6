//! The commit header `git log` prints for [`FORMAT`]: NUL-terminated fields after a record
//! separator, dates in `--date=raw` form (`1709240400 +0530`), the raw message last.

use sentinel_core::code::{Commit, GitStamp, Person};

/// The `--format` of every log Sentinel reads. `%ad`/`%cd` with `--date=raw` give the unix
/// seconds and the `+hhmm` offset of the author and the committer.
pub(crate) const FORMAT: &str =
    "tformat:%x1e%H%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B%x00";

/// The byte that starts each commit's record; no patch line starts with it.
pub(crate) const RECORD_START: u8 = 0x1e;

/// How many NUL-terminated fields a header has.
pub(crate) const FIELDS: usize = 9;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses `1709240400 +0530` into milliseconds and minutes east of UTC.
pub(crate) fn parse_raw_date(raw: &[u8]) -> Result<(i64, i32), String> {
    let raw = std::str::from_utf8(raw).map_err(|_| "a date that is not ASCII".to_string())?;
    let bad = || format!("a malformed date {raw:?}");
    let (seconds, offset) = raw.trim().split_once(' ').ok_or_else(bad)?;
    let seconds: i64 = seconds.parse().map_err(|_| bad())?;
    let (sign, digits) = match offset.as_bytes().first() {
        Some(b'+') => (1, &offset[1..]),
        Some(b'-') => (-1, &offset[1..]),
        _ => return Err(bad()),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = digits[2..].parse().map_err(|_| bad())?;
    let at_ms = seconds.checked_mul(1000).ok_or_else(bad)?;
    Ok((at_ms, sign * (hours * 60 + minutes)))
}

fn stamp(name: &[u8], email: &[u8], date: &[u8]) -> Result<GitStamp, String> {
    let (at_ms, utc_offset_minutes) = parse_raw_date(date)?;
    Ok(GitStamp {
        person: Person {
            name: text(name),
            email: text(email),
            login: None,
        },
        at_ms,
        utc_offset_minutes,
    })
}

/// Builds a commit (without files) from the bytes after [`RECORD_START`], which hold at least
/// [`FIELDS`] NUL-terminated fields.
pub(crate) fn parse_header(record: &[u8]) -> Result<Commit, String> {
    let fields: Vec<&[u8]> = record.splitn(FIELDS + 1, |&b| b == 0).collect();
    let [sha, parents, an, ae, ad, cn, ce, cd, message, _rest] = fields[..] else {
        return Err(format!("a commit header with {} fields", fields.len()));
    };
    if sha.is_empty() || !sha.iter().all(u8::is_ascii_hexdigit) {
        return Err(format!("a malformed commit id {:?}", text(sha)));
    }
    let parents = text(parents)
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let mut message = text(message);
    let kept = message.trim_end_matches('\n').len();
    message.truncate(kept);
    Ok(Commit {
        sha: text(sha).to_ascii_lowercase(),
        parents,
        author: stamp(an, ae, ad)?,
        committer: stamp(cn, ce, cd)?,
        message,
        files: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_dates_give_milliseconds_and_signed_offsets() {
        assert_eq!(
            parse_raw_date(b"1709240400 +0530"),
            Ok((1_709_240_400_000, 330))
        );
        assert_eq!(parse_raw_date(b"0 -0430"), Ok((0, -270)));
        assert_eq!(parse_raw_date(b"-5 +0000"), Ok((-5000, 0)));
        assert!(parse_raw_date(b"1709240400").is_err());
        assert!(parse_raw_date(b"1709240400 0530").is_err());
        assert!(parse_raw_date(b"x +0000").is_err());
    }

    #[test]
    fn a_header_needs_all_fields() {
        assert!(parse_header(b"abc\0\0A\0a@x\0").is_err());
        assert!(parse_header(b"xyz\0\0A\0a@x\x001 +0000\0C\0c@x\x001 +0000\0msg\0").is_err());
    }
}
