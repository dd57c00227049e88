//! OAI-PMH 2.0 requests, with no I/O: which verb with which arguments, datestamps, and the
//! resumption tokens Alzette hands out. The server answers them (`alzette-server`'s `/oai`).
//!
//! ```
//! use alzette_oai::{Request, parse_request};
//! let args = vec![
//!     ("verb".to_owned(), "ListRecords".to_owned()),
//!     ("metadataPrefix".to_owned(), "dcat_ap".to_owned()),
//!     ("from".to_owned(), "2026-01-01".to_owned()),
//! ];
//! let Request::List { records: true, list } = parse_request(&args).unwrap() else { panic!() };
//! assert_eq!(list.prefix, "dcat_ap");
//! assert!(parse_request(&[("verb".into(), "Nope".into())]).unwrap_err().code == "badVerb");
//! ```

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// An OAI-PMH error: its code (`badVerb`, `badArgument`, ...) and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaiError {
    pub code: &'static str,
    pub message: String,
}

impl OaiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Whether the response may echo the request's arguments (not for `badVerb` and
    /// `badArgument`, as the protocol says).
    pub fn echoes_arguments(&self) -> bool {
        !matches!(self.code, "badVerb" | "badArgument")
    }
}

/// A request, its arguments checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Identify,
    ListMetadataFormats {
        identifier: Option<String>,
    },
    ListSets {
        resumption_token: Option<String>,
    },
    /// `ListRecords` (`records`) or `ListIdentifiers`.
    List {
        records: bool,
        list: ListArgs,
    },
    GetRecord {
        identifier: String,
        prefix: String,
    },
}

/// What a list asks for, from its arguments or its resumption token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListArgs {
    pub prefix: String,
    pub set: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Where a resumed list goes on from.
    pub after: Option<Cursor>,
}

/// The last item a list part sent: its datestamp (microseconds), set and key (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub modified: i64,
    pub set: String,
    pub key: String,
}

const VERBS: &[&str] = &[
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "ListIdentifiers",
    "ListRecords",
    "GetRecord",
];

/// Checks a request's arguments (from the query string or the form) against its verb.
pub fn parse_request(args: &[(String, String)]) -> Result<Request, OaiError> {
    let verbs: Vec<&str> = args
        .iter()
        .filter(|(k, _)| k == "verb")
        .map(|(_, v)| v.as_str())
        .collect();
    let verb = match verbs.as_slice() {
        [v] => VERBS
            .iter()
            .find(|known| *known == v)
            .copied()
            .ok_or_else(|| OaiError::new("badVerb", format!("\"{v}\" is not an OAI-PMH verb")))?,
        [] => return Err(OaiError::new("badVerb", "no verb given")),
        _ => return Err(OaiError::new("badVerb", "the verb is given more than once")),
    };
    let (required, optional, exclusive): (&[&str], &[&str], Option<&str>) = match verb {
        "Identify" => (&[], &[], None),
        "ListMetadataFormats" => (&[], &["identifier"], None),
        "ListSets" => (&[], &[], Some("resumptionToken")),
        "GetRecord" => (&["identifier", "metadataPrefix"], &[], None),
        _ => (
            &["metadataPrefix"],
            &["from", "until", "set"],
            Some("resumptionToken"),
        ),
    };
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in args.iter().filter(|(k, _)| k != "verb") {
        let allowed = required.contains(&k.as_str())
            || optional.contains(&k.as_str())
            || exclusive == Some(k.as_str());
        if !allowed {
            return Err(OaiError::new(
                "badArgument",
                format!("{verb} takes no argument \"{k}\""),
            ));
        }
        if seen.contains(&k.as_str()) {
            return Err(OaiError::new(
                "badArgument",
                format!("\"{k}\" is given more than once"),
            ));
        }
        seen.push(k);
    }
    let resumed = exclusive.is_some_and(|x| seen.contains(&x));
    if resumed && seen.len() > 1 {
        return Err(OaiError::new(
            "badArgument",
            "resumptionToken is an exclusive argument",
        ));
    }
    if !resumed && let Some(missing) = required.iter().find(|r| !seen.contains(r)) {
        return Err(OaiError::new(
            "badArgument",
            format!("{verb} needs the argument \"{missing}\""),
        ));
    }
    let get = |name: &str| arg(args, name).map(str::to_owned);
    Ok(match verb {
        "Identify" => Request::Identify,
        "ListMetadataFormats" => Request::ListMetadataFormats {
            identifier: get("identifier"),
        },
        "ListSets" => Request::ListSets {
            resumption_token: get("resumptionToken"),
        },
        "GetRecord" => Request::GetRecord {
            identifier: get("identifier").unwrap_or_default(),
            prefix: get("metadataPrefix").unwrap_or_default(),
        },
        list => Request::List {
            records: list == "ListRecords",
            list: ListArgs::from_args(args)?,
        },
    })
}

fn arg<'a>(args: &'a [(String, String)], name: &str) -> Option<&'a str> {
    args.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl ListArgs {
    fn from_args(args: &[(String, String)]) -> Result<Self, OaiError> {
        if let Some(token) = arg(args, "resumptionToken") {
            return Self::from_token(token);
        }
        let from = arg(args, "from")
            .map(|v| parse_datestamp(v, false))
            .transpose()?;
        let until = arg(args, "until")
            .map(|v| parse_datestamp(v, true))
            .transpose()?;
        if let (Some(f), Some(u)) = (arg(args, "from"), arg(args, "until"))
            && f.len() != u.len()
        {
            return Err(OaiError::new(
                "badArgument",
                "from and until must have the same granularity",
            ));
        }
        if let (Some(f), Some(u)) = (from, until)
            && f > u
        {
            return Err(OaiError::new("badArgument", "from is after until"));
        }
        Ok(Self {
            prefix: arg(args, "metadataPrefix").unwrap_or_default().to_owned(),
            set: arg(args, "set").map(str::to_owned),
            from,
            until,
            after: None,
        })
    }

    /// The token that resumes this list after `last`: `v1`, prefix, set, from, until
    /// (microseconds, or empty) and the cursor, separated by `~`. Stateless: it survives
    /// restarts, and names the last item, not a position.
    pub fn token(&self, last: &Cursor) -> String {
        let time = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.timestamp_micros().to_string())
                .unwrap_or_default()
        };
        format!(
            "v1~{}~{}~{}~{}~{}~{}~{}",
            self.prefix,
            self.set.as_deref().unwrap_or(""),
            time(self.from),
            time(self.until),
            last.modified,
            last.set,
            last.key
        )
    }

    /// Reads a token made by [`ListArgs::token`].
    pub fn from_token(token: &str) -> Result<Self, OaiError> {
        let bad = || {
            OaiError::new(
                "badResumptionToken",
                format!("\"{token}\" is not a resumption token of this repository"),
            )
        };
        let parts: Vec<&str> = token.split('~').collect();
        let [version, prefix, set, from, until, modified, cursor_set, key] = parts.as_slice()
        else {
            return Err(bad());
        };
        if *version != "v1" || key.is_empty() || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let time = |v: &str| -> Result<Option<DateTime<Utc>>, OaiError> {
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .map(Some)
                .ok_or_else(bad)
        };
        Ok(Self {
            prefix: (*prefix).to_owned(),
            set: (!set.is_empty()).then(|| (*set).to_owned()),
            from: time(from)?,
            until: time(until)?,
            after: Some(Cursor {
                modified: modified.parse().map_err(|_| bad())?,
                set: (*cursor_set).to_owned(),
                key: (*key).to_owned(),
            }),
        })
    }
}

/// A datestamp as OAI-PMH writes them (`YYYY-MM-DDThh:mm:ssZ`).
pub fn datestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ`; an `until` covers its whole day or second.
pub fn parse_datestamp(v: &str, until: bool) -> Result<DateTime<Utc>, OaiError> {
    let bad = || {
        OaiError::new(
            "badArgument",
            format!("\"{v}\" is not a datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)"),
        )
    };
    let (start, span) = if v.len() == 10 {
        let day = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad())?;
        (
            day.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc(),
            chrono::Duration::days(1),
        )
    } else if v.len() == 20 && v.ends_with('Z') {
        (
            DateTime::parse_from_rfc3339(v)
                .map_err(|_| bad())?
                .with_timezone(&Utc),
            chrono::Duration::seconds(1),
        )
    } else {
        return Err(bad());
    };
    if !until {
        return Ok(start);
    }
    start
        .checked_add_signed(span - chrono::Duration::microseconds(1))
        .ok_or_else(bad)
}

/// Text for XML content or attribute values; characters XML 1.0 cannot carry are left out
/// rather than make the document invalid.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tokens_round_trip() {
        let Request::List { list, .. } = parse_request(&args(&[
            ("verb", "ListIdentifiers"),
            ("metadataPrefix", "oai_dc"),
            ("set", "alpha"),
            ("from", "2026-01-01"),
        ]))
        .unwrap() else {
            panic!("a list")
        };
        let cursor = Cursor {
            modified: 1_790_000_000_000_000,
            set: "alpha".into(),
            key: "00ff".into(),
        };
        let token = list.token(&cursor);
        let back = ListArgs::from_token(&token).unwrap();
        assert_eq!(back.after.as_ref(), Some(&cursor));
        assert_eq!(
            (back.prefix.as_str(), back.set.as_deref(), back.from),
            ("oai_dc", Some("alpha"), list.from)
        );
        for bad in [
            "",
            "v1",
            "v2~a~~~~1~s~00",
            "v1~a~~x~~1~s~00",
            "v1~a~~~~1~s~zz",
        ] {
            assert_eq!(
                ListArgs::from_token(bad).unwrap_err().code,
                "badResumptionToken",
                "{bad}"
            );
        }
    }

    #[test]
    fn datestamps_and_their_granularity() {
        let day_end = parse_datestamp("2026-02-03", true).unwrap();
        assert_eq!(datestamp(day_end), "2026-02-03T23:59:59Z");
        assert_eq!(
            datestamp(parse_datestamp("2026-02-03T10:11:12Z", false).unwrap()),
            "2026-02-03T10:11:12Z"
        );
        for bad in [
            "2026-02-30",
            "2026-02-03T10:11:12+01:00",
            "yesterday",
            "+262143-12-31",
        ] {
            assert!(parse_datestamp(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
