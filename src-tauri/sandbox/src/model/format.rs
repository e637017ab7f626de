//! Values written and read the way the .NET services do: organisation ids,
//! timestamps, ISO-8601 durations, `TimeSpan` and MD5 hex.

use time::OffsetDateTime;

/// `0192:123`, `urn:altinn:organization:identifier-no:123` → `123` (everything after the last `:`).
pub fn strip_org(s: &str) -> String {
    s.rsplit(':').next().unwrap_or(s).to_string()
}

/// ISO-8601 timestamp with `+00:00` and microseconds, like Npgsql/System.Text.Json.
pub fn fmt_ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses an ISO-8601 duration the way `XmlConvert.ToTimeSpan` does (Y = 365 d, M = 30 d).
pub fn parse_iso_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let s = s.strip_prefix('P')?;
    if s.is_empty() {
        return None;
    }
    let (date, tpart) = match s.find('T') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut total: f64 = 0.0;
    let mut any = false;
    let mut parse_part = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        let mut idx = 0;
        for ch in part.chars() {
            if ch.is_ascii_digit() || ch == '.' {
                num.push(ch);
            } else {
                let pos = units.iter().position(|(u, _)| *u == ch)?;
                if pos < idx || num.is_empty() {
                    return None;
                }
                idx = pos + 1;
                total += num.parse::<f64>().ok()? * units[pos].1;
                num.clear();
                any = true;
            }
        }
        if !num.is_empty() {
            return None;
        }
        Some(())
    };
    parse_part(date, &[('Y', 365.0 * 86400.0), ('M', 30.0 * 86400.0), ('D', 86400.0)])?;
    if let Some(t) = tpart {
        if t.is_empty() {
            return None;
        }
        parse_part(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    if !any {
        return None;
    }
    Some(if neg { -(total as i64) } else { total as i64 })
}

/// .NET `TimeSpan.ToString()`: `d.hh:mm:ss` or `hh:mm:ss`.
pub fn fmt_timespan(secs: i64) -> String {
    let d = secs / 86400;
    let h = (secs % 86400) / 3600;
    let m = (secs % 3600) / 60;
    let s = secs % 60;
    if d > 0 {
        format!("{d}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Lower-case hex of a digest.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_iso_duration("P30D"), Some(30 * 86400));
        assert_eq!(parse_iso_duration("PT2H"), Some(7200));
        assert_eq!(parse_iso_duration("P1DT1M"), Some(86460));
        assert_eq!(parse_iso_duration("30D"), None);
        assert_eq!(parse_iso_duration("PT"), None);
        assert_eq!(fmt_timespan(30 * 86400), "30.00:00:00");
        assert_eq!(fmt_timespan(7200), "02:00:00");
    }
}
