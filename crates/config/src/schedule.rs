//! Cron schedules, in UTC.
//!
//! Operators write the classic 5-field crontab (`min hour dom month dow`, Sunday = 0 or 7) or the
//! 6/7-field form with seconds first (and a year last) of the `cron` crate, whose day-of-week
//! numbers run 1 (Sunday) to 7 (Saturday). A 5-field expression is translated to the 6-field form,
//! day-of-week numbers included, so that `0 3 * * 1` means Monday as it does in crontab.

use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

/// A schedule that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "\"{expression}\" has {fields} fields; a schedule has 5 (min hour day month weekday, as in crontab) or 6/7 (seconds first, year last)"
    )]
    FieldCount { expression: String, fields: usize },
    #[error("\"{expression}\" is not a valid cron expression: {reason}")]
    Invalid { expression: String, reason: String },
}

/// A parsed cron schedule.
#[derive(Clone)]
pub struct Schedule {
    expression: String,
    inner: cron::Schedule,
}

impl Schedule {
    /// The expression as the operator wrote it.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: &DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner.after(after).next()
    }
}

/// Two schedules are the same when written the same.
impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.expression)
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(expression: &str) -> Result<Self, ScheduleError> {
        let invalid = |reason: String| ScheduleError::Invalid {
            expression: expression.to_owned(),
            reason,
        };
        let trimmed = expression.trim();
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let translated = match fields.len() {
            _ if trimmed.starts_with('@') => trimmed.to_owned(),
            5 => {
                check_crontab_ranges(&fields).map_err(invalid)?;
                format!(
                    "0 {} {} {} {} {}",
                    fields[0],
                    fields[1],
                    fields[2],
                    fields[3],
                    crontab_days_of_week(fields[4]).map_err(invalid)?
                )
            }
            6 | 7 => trimmed.to_owned(),
            fields => {
                return Err(ScheduleError::FieldCount {
                    expression: expression.to_owned(),
                    fields,
                });
            }
        };
        // The cron crate's message names its own rewrite of the expression; only its reason is
        // the operator's business.
        let inner = cron::Schedule::from_str(&translated).map_err(|e| {
            let text = e.to_string();
            invalid(text.lines().last().unwrap_or(&text).trim().to_owned())
        })?;
        Ok(Self {
            expression: expression.to_owned(),
            inner,
        })
    }
}

/// The numbers of a 5-field crontab expression's minute, hour, day and month fields, against
/// crontab's own ranges (the weekday is checked as it is translated).
fn check_crontab_ranges(fields: &[&str]) -> Result<(), String> {
    let ranges = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day-of-month", 1, 31),
        ("month", 1, 12),
    ];
    for (field, (name, low, high)) in fields.iter().zip(ranges) {
        for item in field.split(',') {
            let (range, step) = item.split_once('/').unwrap_or((item, ""));
            if !step.is_empty() && step.parse::<u32>().map_or(true, |s| s == 0) {
                return Err(format!(
                    "the {name} field `{field}` has a bad step `/{step}`"
                ));
            }
            let numbers = range.split('-').filter_map(|n| n.parse::<u32>().ok());
            for n in numbers {
                if n < low || n > high {
                    return Err(format!(
                        "the {name} field `{field}` is out of range: {name}s are {low}-{high}"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Translates a crontab day-of-week field (0-7, Sunday = 0 and 7) to the `cron` crate's
/// numbering (1-7, Sunday = 1). Numeric ranges and steps are expanded to lists; names pass.
fn crontab_days_of_week(field: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("bad step in day-of-week `{item}`"))?,
            ),
            None => (item, 1),
        };
        let bounds = if range == "*" || range == "?" {
            if step == 1 {
                out.push(range.to_owned());
                continue;
            }
            Some((0, 6))
        } else if let Some((a, b)) = range.split_once('-') {
            match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) => Some((a, b)),
                _ => None,
            }
        } else {
            range.parse::<u32>().ok().map(|a| {
                // `a/step` means from a to the end of the week.
                (a, if step > 1 { 6 } else { a })
            })
        };
        match bounds {
            Some((a, b)) => {
                if a > 7 || b > 7 || a > b {
                    return Err(format!(
                        "day-of-week `{item}` is out of range (0-7, Sunday = 0 or 7)"
                    ));
                }
                let mut day = a;
                while day <= b {
                    out.push((day % 7 + 1).to_string());
                    day += step;
                }
            }
            // Names (MON-FRI, sun) mean the same in both numberings.
            None => out.push(item.to_owned()),
        }
    }
    out.dedup();
    Ok(out.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Weekday};

    fn next(expr: &str, after: DateTime<Utc>) -> DateTime<Utc> {
        expr.parse::<Schedule>()
            .unwrap()
            .next_after(&after)
            .unwrap()
    }

    #[test]
    fn five_fields_are_crontab() {
        // 2026-11-27 is a Friday.
        let friday = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let t = next("0 3 * * *", friday);
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0).unwrap());
        assert_eq!(next("0 3 * * 1", friday).weekday(), Weekday::Mon);
        assert_eq!(next("0 3 * * 0", friday).weekday(), Weekday::Sun);
        assert_eq!(next("0 3 * * 7", friday).weekday(), Weekday::Sun);
        assert_eq!(next("30 4 * * 1-5", friday).weekday(), Weekday::Mon);
        assert_eq!(next("0 0 * * MON", friday).weekday(), Weekday::Mon);
        assert_eq!(
            next("*/15 * * * *", friday),
            friday + chrono::Duration::minutes(15)
        );
    }

    #[test]
    fn six_and_seven_fields_have_seconds() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        assert_eq!(
            next("*/10 * * * * *", t0),
            t0 + chrono::Duration::seconds(10)
        );
        assert_eq!(next("0 0 6 * * * 2027", t0).year(), 2027);
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert_eq!(
            "0 3 * *".parse::<Schedule>().unwrap_err(),
            ScheduleError::FieldCount {
                expression: "0 3 * *".into(),
                fields: 4
            }
        );
        assert_eq!(
            "0 25 * * *".parse::<Schedule>().unwrap_err().to_string(),
            "\"0 25 * * *\" is not a valid cron expression: the hour field `25` is out of range: hours are 0-23"
        );
        assert!(
            "61 * * * *"
                .parse::<Schedule>()
                .unwrap_err()
                .to_string()
                .contains("minutes are 0-59")
        );
        assert!(
            "0 3 1-32 * *"
                .parse::<Schedule>()
                .unwrap_err()
                .to_string()
                .contains("day-of-months are 1-31")
        );
        assert!(
            "0 3 * * 9"
                .parse::<Schedule>()
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        assert!("every day".parse::<Schedule>().is_err());
    }

    #[test]
    fn day_of_week_translation() {
        assert_eq!(crontab_days_of_week("1-5").unwrap(), "2,3,4,5,6");
        assert_eq!(crontab_days_of_week("*/2").unwrap(), "1,3,5,7");
        assert_eq!(crontab_days_of_week("0,7").unwrap(), "1");
        assert_eq!(crontab_days_of_week("*").unwrap(), "*");
        assert_eq!(crontab_days_of_week("MON-FRI").unwrap(), "MON-FRI");
    }
}
