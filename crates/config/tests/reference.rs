//! Every key the configuration accepts is in its reference, `docs/configuration.md`: the
//! refusal of an unknown key names the keys its table accepts, and each must appear there
//! as a table row (`` | `key` | ``).

use alzette_config::Config;
use std::path::Path;

/// The keys a table accepts, from the refusal of an unknown key in it.
fn accepted(table: &str) -> Vec<String> {
    let text = format!("{table}\nno_such_key_at_all = 1\n");
    let e = Config::parse(&text, Path::new("c.toml")).expect_err("an unknown key is refused");
    let message = e.to_string();
    // The refusal lists what the table takes: "it takes `a`, `b`, `c`".
    let list = message
        .split_once("it takes ")
        .unwrap_or_else(|| panic!("the refusal names the accepted keys: {message}"))
        .1;
    list.split([',', ' '])
        .filter_map(|k| k.trim().strip_prefix('`')?.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_accepted_key_is_documented() {
    let reference = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md"),
    )
    .unwrap();
    let source = "[[source]]\nid = \"a\"\nkind = \"dcat\"\nurl = \"http://x.org/\"\nschedule = \"0 3 * * *\"";
    let mut checked = 0;
    for table in [
        "[server]",
        "[catalog]",
        "[store]",
        "[harvest]",
        "[validation]",
        "[quality]",
        source,
        &source.replace("\"dcat\"", "\"csw\""),
    ] {
        let keys = accepted(table);
        assert!(keys.len() >= 2, "{table}: {keys:?}");
        for key in keys {
            assert!(
                reference.contains(&format!("| `{key}` |")),
                "`{key}` of {} is accepted but not in docs/configuration.md",
                table.lines().next().unwrap()
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked} keys");
}
