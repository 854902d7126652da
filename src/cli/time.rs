//! The times `group reset-offsets` takes: ISO 8601 date-times (`--to-datetime`) and durations
//! (`--by-duration`, Java's `Duration.parse` syntax `PnDTnHnMnS`).
//!
//! Invariants: parsing is total (a bad string is an error naming the expected form, never a
//! panic or an overflow); a date-time without a zone is taken as UTC (Kafka's tool uses the
//! JVM's local zone, which is UTC on most servers and CI machines).

/// A time string that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid {what} {input:?}: expected {expected}")]
pub struct TimeError {
    what: &'static str,
    input: String,
    expected: &'static str,
}

const DATETIME: &str = "YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM|-HH:MM]";
const DURATION: &str = "an ISO 8601 duration such as PT30M, P1DT2H or PT0.5S";

/// Milliseconds since the epoch of `s` (`2024-05-01T12:00:00`, `...:00.250Z`,
/// `...:00+02:00`, or a bare date for its midnight).
pub fn parse_datetime(s: &str) -> Result<i64, TimeError> {
    let err = || TimeError {
        what: "date-time",
        input: s.to_string(),
        expected: DATETIME,
    };
    let (date, rest) = match s.split_once(['T', ' ']) {
        Some((d, r)) => (d, r),
        None => (s, ""),
    };
    let mut d = date.split('-');
    let (year, month, day) = match (d.next(), d.next(), d.next(), d.next()) {
        (Some(y), Some(m), Some(dd), None) if y.len() == 4 && m.len() == 2 && dd.len() == 2 => (
            num(y).ok_or_else(err)?,
            num(m).ok_or_else(err)?,
            num(dd).ok_or_else(err)?,
        ),
        _ => return Err(err()),
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(err());
    }
    // Split off the zone: Z, +HH:MM, -HH:MM (or +HHMM).
    let (time, offset_ms) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else if let Some(at) = rest.rfind(['+', '-']) {
        let zone = &rest[at + 1..];
        let sign = if rest.as_bytes()[at] == b'-' { -1 } else { 1 };
        let (h, m) = match zone.split_once(':') {
            Some((h, m)) => (h, m),
            None if zone.len() == 4 => zone.split_at(2),
            None => (zone, "00"),
        };
        let (h, m) = (num(h).ok_or_else(err)?, num(m).ok_or_else(err)?);
        if h > 18 || m > 59 {
            return Err(err());
        }
        (&rest[..at], sign * (h * 3_600_000 + m * 60_000))
    } else {
        (rest, 0)
    };
    let mut ms_of_day = 0;
    if !time.is_empty() {
        let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
        let mut parts = hms.split(':');
        let h = parts.next().and_then(num).ok_or_else(err)?;
        let m = parts.next().and_then(num).ok_or_else(err)?;
        let sec = match parts.next() {
            Some(x) => num(x).ok_or_else(err)?,
            None => 0,
        };
        if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
            return Err(err());
        }
        let millis = if frac.is_empty() {
            0
        } else if frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit()) {
            let padded = format!("{frac:0<3}");
            num(&padded[..3]).ok_or_else(err)?
        } else {
            return Err(err());
        };
        ms_of_day = h * 3_600_000 + m * 60_000 + sec * 1000 + millis;
    }
    Ok(days_from_civil(year, month, day) * 86_400_000 + ms_of_day - offset_ms)
}

/// Milliseconds of an ISO 8601 duration `[-]PnDTnHnMn[.fff]S` (as Java's `Duration.parse`).
pub fn parse_duration(s: &str) -> Result<i64, TimeError> {
    let err = || TimeError {
        what: "duration",
        input: s.to_string(),
        expected: DURATION,
    };
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => (-1, b),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let body = body
        .strip_prefix('P')
        .or_else(|| body.strip_prefix('p'))
        .ok_or_else(err)?;
    let (days, time) = match body.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    if !days.is_empty() {
        let n = days
            .strip_suffix(['D', 'd'])
            .and_then(signed)
            .ok_or_else(err)?;
        total = n.checked_mul(86_400_000).ok_or_else(err)?;
        any = true;
    }
    if let Some(mut t) = time {
        if t.is_empty() {
            return Err(err());
        }
        for (unit, ms) in [('H', 3_600_000i64), ('M', 60_000)] {
            if let Some(at) = t.find([unit, unit.to_ascii_lowercase()]) {
                let n = signed(&t[..at]).ok_or_else(err)?;
                total = n
                    .checked_mul(ms)
                    .and_then(|v| total.checked_add(v))
                    .ok_or_else(err)?;
                t = &t[at + 1..];
                any = true;
            }
        }
        if !t.is_empty() {
            let secs = t.strip_suffix(['S', 's']).ok_or_else(err)?;
            let (whole, frac) = secs.split_once(['.', ',']).unwrap_or((secs, ""));
            let negative = whole.starts_with('-');
            let mut ms = signed(whole)
                .and_then(|n| n.checked_mul(1000))
                .ok_or_else(err)?;
            if !frac.is_empty() {
                if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                let f = num(&format!("{frac:0<3}")[..3]).ok_or_else(err)?;
                ms += if negative { -f } else { f };
            }
            total = total.checked_add(ms).ok_or_else(err)?;
            any = true;
        }
    }
    if !any {
        return Err(err());
    }
    Ok(sign * total)
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 12 {
        return None;
    }
    s.parse().ok()
}

fn signed(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(n) => num(n).map(|n| -n),
        None => num(s.strip_prefix('+').unwrap_or(s)),
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_parse_to_epoch_millis() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00"), Ok(0));
        assert_eq!(parse_datetime("1970-01-01"), Ok(0));
        assert_eq!(
            parse_datetime("2024-02-29T12:34:56.789Z"),
            Ok(1_709_210_096_789)
        );
        assert_eq!(
            parse_datetime("2024-02-29T14:34:56.789+02:00"),
            Ok(1_709_210_096_789)
        );
        assert_eq!(
            parse_datetime("2024-02-29T10:04:56.789-0230"),
            Ok(1_709_210_096_789)
        );
        assert_eq!(parse_datetime("2000-03-01T00:00"), Ok(951_868_800_000));
        for bad in [
            "",
            "2024",
            "2023-02-29",
            "2024-13-01",
            "2024-01-01T25:00",
            "2024-01-01Tx",
            "24-01-01",
            "2024-01-01T00:00:00.1234567890",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_parse_like_java() {
        assert_eq!(parse_duration("PT30M"), Ok(1_800_000));
        assert_eq!(parse_duration("P1DT2H"), Ok(93_600_000));
        assert_eq!(parse_duration("PT0.5S"), Ok(500));
        assert_eq!(parse_duration("P2D"), Ok(172_800_000));
        assert_eq!(parse_duration("PT1H1M1.001S"), Ok(3_661_001));
        assert_eq!(parse_duration("-PT1S"), Ok(-1000));
        for bad in ["", "P", "PT", "30M", "PT1X", "P1H", "PT9999999999999H"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
