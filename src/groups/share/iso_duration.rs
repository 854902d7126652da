//! ISO-8601 durations as Java's `java.time.Duration.parse` reads them, for
//! `share.auto.offset.reset=by_duration:<duration>` (KIP-1106): `[-+]P[nD][T[nH][nM][n[.f]S]]`,
//! letters in either case, every number with an optional sign, at least one part, and after a
//! `T` at least one time part; a fraction (up to 9 digits, `.` or `,`) only on seconds. Weeks,
//! months and years are not durations. Pure and total: a bad string is `None`, never a panic.

use std::time::Duration;

/// Seconds per unit of the parts, in order: days, hours, minutes, seconds.
const UNITS: [(u8, i128); 4] = [(b'D', 86_400), (b'H', 3_600), (b'M', 60), (b'S', 1)];

/// Parses `text` as `java.time.Duration.parse` does; `None` when Java throws (bad syntax, or
/// seconds beyond a Java long).
pub fn parse_signed_nanos(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    let mut pos = 0;
    let negate = match b.first() {
        Some(b'-') => {
            pos += 1;
            true
        }
        Some(b'+') => {
            pos += 1;
            false
        }
        _ => false,
    };
    if !b.get(pos).is_some_and(|c| c.eq_ignore_ascii_case(&b'P')) {
        return None;
    }
    pos += 1;
    let mut total: i128 = 0;
    let mut parts = 0;
    let mut in_time = false;
    let mut time_parts = 0;
    // The next unit allowed: parts come in the order of UNITS, each at most once.
    let mut next_unit = 0;
    while pos < b.len() {
        if b[pos].eq_ignore_ascii_case(&b'T') {
            if in_time {
                return None;
            }
            in_time = true;
            next_unit = next_unit.max(1);
            pos += 1;
            continue;
        }
        let (whole, frac, unit_at) = number(b, pos)?;
        let unit = b.get(unit_at)?.to_ascii_uppercase();
        let idx = UNITS.iter().position(|(u, _)| *u == unit)?;
        // Days only before the T, the time units only after it.
        if idx < next_unit || (idx == 0) == in_time {
            return None;
        }
        if frac.is_some() && unit != b'S' {
            return None;
        }
        let seconds = whole.checked_mul(UNITS[idx].1)?;
        total = total.checked_add(seconds.checked_mul(1_000_000_000)?)?;
        if let Some(nanos) = frac {
            // The fraction takes the sign written on the seconds (`PT-0.5S` is negative).
            total = if b[pos] == b'-' {
                total.checked_sub(nanos)?
            } else {
                total.checked_add(nanos)?
            };
        }
        parts += 1;
        if in_time {
            time_parts += 1;
        }
        next_unit = idx + 1;
        pos = unit_at + 1;
    }
    if parts == 0 || (in_time && time_parts == 0) {
        return None;
    }
    // Java keeps seconds in a long.
    let secs = total.div_euclid(1_000_000_000);
    if secs < i128::from(i64::MIN) || secs > i128::from(i64::MAX) {
        return None;
    }
    Some(if negate { -total } else { total })
}

/// A non-negative duration as Kafka's `ShareGroupAutoOffsetResetStrategy` accepts it.
pub fn parse(text: &str) -> Option<Duration> {
    let nanos = parse_signed_nanos(text)?;
    let nanos = u128::try_from(nanos).ok()?;
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// A signed integer at `pos` with an optional fraction of up to 9 digits: (whole, fraction in
/// nanoseconds, position after it).
fn number(b: &[u8], mut pos: usize) -> Option<(i128, Option<i128>, usize)> {
    let start = pos;
    if matches!(b.get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    let digits = pos;
    while b.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    if pos == digits || pos - digits > 19 {
        return None;
    }
    let whole: i128 = std::str::from_utf8(&b[start..pos]).ok()?.parse().ok()?;
    // Java parses each number as a long.
    if whole < i128::from(i64::MIN) || whole > i128::from(i64::MAX) {
        return None;
    }
    if !matches!(b.get(pos), Some(b'.' | b',')) {
        return Some((whole, None, pos));
    }
    pos += 1;
    let frac_start = pos;
    while b.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    let len = pos - frac_start;
    if len > 9 {
        return None;
    }
    let mut nanos: i128 = 0;
    for &d in &b[frac_start..pos] {
        nanos = nanos * 10 + i128::from(d - b'0');
    }
    nanos *= 10_i128.pow(9 - len as u32);
    Some((whole, Some(nanos), pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_java_reads() {
        let secs = |t: &str| parse(t).map(|d| d.as_secs_f64());
        assert_eq!(secs("PT1H"), Some(3600.0));
        assert_eq!(secs("P2D"), Some(172_800.0));
        assert_eq!(secs("p1dt2h30m1.5s"), Some(86_400.0 + 9_001.5));
        assert_eq!(secs("PT0S"), Some(0.0));
        assert_eq!(secs("PT1H-30M"), Some(1800.0));
        assert_eq!(secs("-PT-1H"), Some(3600.0));
        assert_eq!(secs("PT0,25S"), Some(0.25));
        for bad in [
            "",
            "P",
            "PT",
            "1H",
            "PT1",
            "P1W",
            "P1M",
            "P1Y",
            "PT1D",
            "P1H",
            "PT1M1H",
            "PT1H1H",
            "PT1.5M",
            "PT1.1234567891S",
            "P1DT",
            "PT1HT1M",
            "PTS",
            "PT+S",
            " PT1H",
            "PT1H ",
            "P99999999999999999999D",
            "P9223372036854775807D",
        ] {
            assert_eq!(parse_signed_nanos(bad), None, "{bad:?} parses");
        }
        // Parsed, but negative: not a by_duration Kafka accepts.
        assert!(parse_signed_nanos("-PT1H").is_some());
        assert_eq!(parse("-PT1H"), None);
        assert_eq!(parse("PT-1S"), None);
    }
}
