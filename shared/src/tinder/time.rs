//! A tiny ISO 8601 reader (no date crate: the shared crate stays serde-only so it
//! compiles for wasm32 without extra dependencies).

/// Milliseconds in one day.
const DAY_MS: f64 = 86_400_000.0;

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The UTC calendar date of a time in ms since the Unix epoch; `None` for non-finite or
/// absurd times (beyond ±1,000,000 years).
pub fn civil_from_ms(ms: f64) -> Option<Date> {
    if !ms.is_finite() || ms.abs() > 3.2e19 {
        return None;
    }
    let z = (ms / DAY_MS).floor() as i64 + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).ok()?;
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).ok()?;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(Date { year, month, day })
}

fn digits(s: &str, n: usize) -> Option<u32> {
    let part = s.get(..n)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// Reads the date part `YYYY-MM-DD` at the start of an ISO 8601 text (anything after it
/// is ignored). Checks month and day ranges, leap years included.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim_start();
    let year = i64::from(digits(s, 4)?);
    if s.as_bytes().get(4) != Some(&b'-') || s.as_bytes().get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(s.get(5..)?, 2)?;
    let day = digits(s.get(8..)?, 2)?;
    if s.as_bytes().get(10).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(Date { year, month, day })
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z`, `±HH:MM`, `±HHMM` or no
/// zone (read as UTC) into ms since the Unix epoch. `None` for anything else.
pub fn parse_iso8601_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let date = parse_date(s)?;
    let day_ms = days_from_civil(date.year, date.month, date.day) as f64 * DAY_MS;
    let rest = s.get(10..)?;
    if rest.is_empty() {
        return Some(day_ms);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let hh = digits(rest, 2)?;
    if rest.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let mm = digits(rest.get(3..)?, 2)?;
    let mut rest = rest.get(5..)?;
    let mut secs = 0.0_f64;
    if let Some(r) = rest.strip_prefix(':') {
        let ss = digits(r, 2)?;
        secs = f64::from(ss);
        rest = r.get(2..)?;
        if let Some(r) = rest.strip_prefix(['.', ',']) {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            let frac: f64 = format!("0.{}", r.get(..n.min(9))?).parse().ok()?;
            secs += frac;
            rest = r.get(n..)?;
        }
    }
    if hh > 23 || mm > 59 || secs >= 61.0 {
        return None;
    }
    let offset_min: i64 = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let tz = rest.get(1..)?;
            let (h, m) = match tz.len() {
                5 if tz.as_bytes().get(2) == Some(&b':') => {
                    (digits(tz, 2)?, digits(tz.get(3..)?, 2)?)
                }
                4 => (digits(tz, 2)?, digits(tz.get(2..)?, 2)?),
                2 => (digits(tz, 2)?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            sign * i64::from(h * 60 + m)
        }
    };
    let secs_of_day = f64::from(hh) * 3600.0 + f64::from(mm) * 60.0 + secs;
    Some(day_ms + secs_of_day * 1000.0 - offset_min as f64 * 60_000.0)
}

/// Whole years between a birth date and the UTC date of `now_ms` (calendar rule: the
/// birthday counts from its day on; 29 February birthdays count from 1 March in common
/// years). `None` when either date is unusable or the result is outside 0..=130.
pub fn age_years(birth_date: &str, now_ms: f64) -> Option<u32> {
    let birth = parse_date(birth_date)?;
    let now = civil_from_ms(now_ms)?;
    let mut years = now.year - birth.year;
    if (now.month, now.day) < (birth.month, birth.day) {
        years -= 1;
    }
    if !(0..=130).contains(&years) {
        return None;
    }
    u32::try_from(years).ok()
}
