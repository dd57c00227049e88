//! TOML and shape errors as an operator reads them: on their line, with the key meant.

use super::Ctx;
use crate::ConfigError;

/// A TOML or shape error, placed on its line, with the key that line sets when there is one.
pub(super) fn toml_error(ctx: &Ctx<'_>, e: &toml::de::Error) -> ConfigError {
    let span = e.span();
    let line = span.as_ref().map(|s| ctx.line(s));
    let key = line.and_then(|l| {
        let text = ctx.text.lines().nth(l - 1)?;
        let (k, _) = text.split_once('=')?;
        let k = k.trim().trim_matches('"');
        (!k.is_empty() && !k.starts_with('[')).then(|| k.to_owned())
    });
    let mut message = e.message().trim().to_owned();
    if let Some(unknown) = unknown_field(&message, line.map(|l| table_at(ctx.text, l))) {
        message = unknown;
    }
    ConfigError {
        file: ctx.file.to_owned(),
        line,
        key,
        message,
    }
}

/// serde's "unknown field `shedule`, expected one of `id`, `kind`, …" as an operator reads it:
/// the table it is in, and the key meant when one is near enough.
fn unknown_field(message: &str, table: Option<String>) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let place = table.map_or_else(String::new, |t| format!(" in `{t}`"));
    let nearest = expected
        .iter()
        .map(|k| (edit_distance(field, k), *k))
        .filter(|(d, k)| *d <= (k.len().max(field.len()) / 3).max(1))
        .min();
    Some(match nearest {
        Some((_, key)) => format!(
            "unknown key `{field}`{place}; did you mean `{key}`? (every key is in docs/configuration.md)"
        ),
        None => format!(
            "unknown key `{field}`{place}; it takes {} (docs/configuration.md)",
            expected
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// The table line `line` (1-based) is in, as `server`, `harvest` or `source[2]`.
fn table_at(text: &str, line: usize) -> String {
    let mut table = String::new();
    let mut sources = 0;
    for l in text.lines().take(line.saturating_sub(1)) {
        let l = l.trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|l| l.split_once("]]")) {
            let name = name.0.trim();
            if name == "source" {
                sources += 1;
                table = format!("source[{}]", sources - 1);
            } else {
                table = name.to_owned();
            }
        } else if let Some(name) = l.strip_prefix('[').and_then(|l| l.split_once(']')) {
            table = name.0.trim().to_owned();
        }
    }
    if table.is_empty() {
        "the top level".into()
    } else {
        table
    }
}

/// Levenshtein distance, for the key an operator meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}
