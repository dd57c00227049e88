//! Durations (`"30s"`, `"6h"`, or a number of seconds) and sizes (`"512MiB"`, or a number of
//! bytes) as written in the configuration.

use serde::Deserialize;
use std::time::Duration;

/// A duration or size as written: a bare number or a number with a unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    Number(u64),
    Text(String),
}

pub(crate) fn duration(q: &Quantity) -> Result<Duration, String> {
    let text = match q {
        Quantity::Number(secs) => return Ok(Duration::from_secs(*secs)),
        Quantity::Text(t) => t.trim(),
    };
    let (number, unit) = split_number(text)?;
    let millis_per_unit: f64 = match unit {
        "ms" => 1.0,
        "s" | "" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in \"{text}\" (use ms, s, m, h or d, e.g. \"30s\")"
            ));
        }
    };
    Ok(Duration::from_millis(
        (number * millis_per_unit).round() as u64
    ))
}

pub(crate) fn size(q: &Quantity) -> Result<u64, String> {
    let text = match q {
        Quantity::Number(bytes) => return Ok(*bytes),
        Quantity::Text(t) => t.trim(),
    };
    let (number, unit) = split_number(text)?;
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "unknown size unit `{unit}` in \"{text}\" (use B, KB, MB, GB, KiB, MiB or GiB, e.g. \"256MiB\")"
            ));
        }
    };
    Ok((number * factor).round() as u64)
}

fn split_number(text: &str) -> Result<(f64, &str), String> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(end);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number with a unit"))?;
    Ok((number, unit.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |t: &str| duration(&Quantity::Text(t.into()));
        assert_eq!(d("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(d("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(d("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(d("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(duration(&Quantity::Number(7)), Ok(Duration::from_secs(7)));
        assert!(
            d("10 parsecs")
                .unwrap_err()
                .contains("unknown duration unit")
        );
        assert!(d("soon").is_err());
    }

    #[test]
    fn sizes() {
        let s = |t: &str| size(&Quantity::Text(t.into()));
        assert_eq!(s("512MiB"), Ok(512 * 1024 * 1024));
        assert_eq!(s("10 MB"), Ok(10_000_000));
        assert_eq!(s("1GiB"), Ok(1 << 30));
        assert_eq!(size(&Quantity::Number(42)), Ok(42));
        assert!(s("12 furlongs").is_err());
    }
}
