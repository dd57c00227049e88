//! XML Schema literals: whether a lexical form fits its datatype, and how two values compare.

use oxrdf::LiteralRef;
use oxsdatatypes::{
    Boolean, Date, DateTime, DayTimeDuration, Decimal, Double, Duration, Float, GDay, GMonth,
    GMonthDay, GYear, GYearMonth, Time, YearMonthDuration,
};
use std::cmp::Ordering;
use std::str::FromStr;

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// Whether `literal`'s lexical form is valid for its XML Schema datatype, as `sh:datatype`
/// requires. Datatypes the engine does not know are taken as they are.
///
/// ```
/// use alzette_shacl::is_well_formed;
/// use oxrdf::{Literal, NamedNodeRef};
/// let date = NamedNodeRef::new("http://www.w3.org/2001/XMLSchema#date").unwrap();
/// assert!(is_well_formed(Literal::new_typed_literal("2019-05-15", date).as_ref()));
/// assert!(!is_well_formed(Literal::new_typed_literal("2019-05-15T09:00:00", date).as_ref()));
/// ```
pub fn is_well_formed(literal: LiteralRef<'_>) -> bool {
    let Some(local) = literal.datatype().as_str().strip_prefix(XSD) else {
        return true;
    };
    let value = literal.value();
    let within = |min: i128, max: i128| {
        is_big_integer(value)
            && value
                .parse::<i128>()
                .is_ok_and(|v| (min..=max).contains(&v))
    };
    let sign = integer_sign(value);
    match local {
        "string" | "normalizedString" | "token" | "language" | "Name" | "NCName" | "anyURI" => true,
        "boolean" => Boolean::from_str(value).is_ok(),
        "decimal" => Decimal::from_str(value).is_ok() || is_big_decimal(value),
        "integer" => sign.is_some(),
        "long" => within(i64::MIN.into(), i64::MAX.into()),
        "int" => within(i32::MIN.into(), i32::MAX.into()),
        "short" => within(i16::MIN.into(), i16::MAX.into()),
        "byte" => within(i8::MIN.into(), i8::MAX.into()),
        "unsignedLong" => within(0, u64::MAX.into()),
        "unsignedInt" => within(0, u32::MAX.into()),
        "unsignedShort" => within(0, u16::MAX.into()),
        "unsignedByte" => within(0, u8::MAX.into()),
        "nonNegativeInteger" => sign.is_some_and(|s| s >= 0),
        "positiveInteger" => sign.is_some_and(|s| s > 0),
        "nonPositiveInteger" => sign.is_some_and(|s| s <= 0),
        "negativeInteger" => sign.is_some_and(|s| s < 0),
        "double" => Double::from_str(value).is_ok(),
        "float" => Float::from_str(value).is_ok(),
        "dateTime" => DateTime::from_str(value).is_ok(),
        "dateTimeStamp" => DateTime::from_str(value).is_ok_and(|d| d.timezone_offset().is_some()),
        "date" => Date::from_str(value).is_ok(),
        "time" => Time::from_str(value).is_ok(),
        "gYear" => GYear::from_str(value).is_ok(),
        "gYearMonth" => GYearMonth::from_str(value).is_ok(),
        "gMonth" => GMonth::from_str(value).is_ok(),
        "gDay" => GDay::from_str(value).is_ok(),
        "gMonthDay" => GMonthDay::from_str(value).is_ok(),
        "duration" => Duration::from_str(value).is_ok(),
        "yearMonthDuration" => YearMonthDuration::from_str(value).is_ok(),
        "dayTimeDuration" => DayTimeDuration::from_str(value).is_ok(),
        _ => true,
    }
}

/// An integer of any size: an optional sign and at least one digit.
fn is_big_integer(value: &str) -> bool {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The sign (-1, 0, 1) of an integer of any size; `None` when `value` is not an integer.
fn integer_sign(value: &str) -> Option<i8> {
    if !is_big_integer(value) {
        return None;
    }
    Some(if value.bytes().all(|b| matches!(b, b'0' | b'+' | b'-')) {
        0
    } else if value.starts_with('-') {
        -1
    } else {
        1
    })
}

/// A decimal too long for oxsdatatypes' fixed precision is still a decimal.
fn is_big_decimal(value: &str) -> bool {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    (!int.is_empty() || !frac.is_empty())
        && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
}

enum Value {
    Decimal(Decimal),
    Double(f64),
    DateTime(DateTime),
    Date(Date),
    Time(Time),
    String(String),
}

fn value(literal: LiteralRef<'_>) -> Option<Value> {
    if !is_well_formed(literal) {
        return None;
    }
    let lexical = literal.value();
    let local = literal.datatype().as_str().strip_prefix(XSD)?;
    Some(match local {
        "decimal" | "integer" | "long" | "int" | "short" | "byte" | "unsignedLong"
        | "unsignedInt" | "unsignedShort" | "unsignedByte" | "nonNegativeInteger"
        | "positiveInteger" | "nonPositiveInteger" | "negativeInteger" => {
            match Decimal::from_str(lexical) {
                Ok(d) => Value::Decimal(d),
                Err(_) => Value::Double(lexical.parse().ok()?),
            }
        }
        "double" => Value::Double(f64::from(Double::from_str(lexical).ok()?)),
        "float" => Value::Double(f64::from(f32::from(Float::from_str(lexical).ok()?))),
        "dateTime" | "dateTimeStamp" => Value::DateTime(DateTime::from_str(lexical).ok()?),
        "date" => Value::Date(Date::from_str(lexical).ok()?),
        "time" => Value::Time(Time::from_str(lexical).ok()?),
        "string" if literal.language().is_none() => Value::String(lexical.to_owned()),
        _ => return None,
    })
}

/// How two literals compare as SPARQL's `<` would; `None` when they are not comparable
/// (different kinds of value, an ill-formed literal, a datatype without an order).
pub(crate) fn compare(a: LiteralRef<'_>, b: LiteralRef<'_>) -> Option<Ordering> {
    match (value(a)?, value(b)?) {
        (Value::Decimal(x), Value::Decimal(y)) => x.partial_cmp(&y),
        (Value::Decimal(x), Value::Double(y)) => f64::from(Double::from(x)).partial_cmp(&y),
        (Value::Double(x), Value::Decimal(y)) => x.partial_cmp(&f64::from(Double::from(y))),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(&y),
        (Value::DateTime(x), Value::DateTime(y)) => x.partial_cmp(&y),
        (Value::Date(x), Value::Date(y)) => x.partial_cmp(&y),
        (Value::Time(x), Value::Time(y)) => x.partial_cmp(&y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}
