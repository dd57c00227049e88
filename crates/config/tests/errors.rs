//! Every refusal names the file, the line and the key.

use alzette_config::{Config, ConfigError, SourceKind};
use std::path::Path;
use std::time::Duration;

const HEAD: &str = r#"[server]
bind = "127.0.0.1:8080"
base_uri = "http://localhost:8080/"

[store]
path = "data/store"
"#;

fn parse(body: &str) -> Result<Config, ConfigError> {
    Config::parse(
        &format!("{HEAD}{body}"),
        Path::new("/etc/alzette/harvest-sources.toml"),
    )
}

fn refused(body: &str) -> ConfigError {
    parse(body).expect_err("the configuration should be refused")
}

#[test]
fn the_documented_example_is_accepted() {
    let c = parse(
        r#"
[[source]]
id = "sample-dcat"
kind = "dcat"
url = "examples/sample-catalog.ttl"
schedule = "0 3 * * *"
enabled = true
"#,
    )
    .unwrap();
    assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.base_uri.as_str(), "http://localhost:8080/");
    assert_eq!(c.store.path, Path::new("/etc/alzette/data/store"));
    assert_eq!(c.store.runlog, Path::new("/etc/alzette/data/runlog"));
    let s = &c.sources[0];
    assert_eq!(
        s.url.as_str(),
        "file:///etc/alzette/examples/sample-catalog.ttl"
    );
    assert_eq!(s.schedule.expression(), "0 3 * * *");
    assert!(s.enabled);
    assert_eq!(s.line, 8);
    assert!(matches!(s.kind, SourceKind::Dcat(_)));
}

#[test]
fn limits_default_then_harvest_then_source() {
    let c = parse(
        r#"
[harvest]
request_timeout = "20s"
max_shrink = 0.5
max_body_size = "1MiB"

[[source]]
id = "a"
kind = "dcat"
url = "https://data.public.lu/catalog.ttl"
schedule = "0 3 * * *"
max_shrink = 0.1
max_pages = 7
"#,
    )
    .unwrap();
    let l = &c.sources[0].limits;
    assert_eq!(l.request_timeout, Duration::from_secs(20));
    assert_eq!(l.max_body_size, 1 << 20);
    assert_eq!(l.max_shrink, 0.1);
    assert_eq!(l.max_pages, 7);
    assert_eq!(c.harvest.limits.max_shrink, 0.5);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = refused(
        r#"
[[source]]
id = "a"
kind = "dcat"
url = "https://example.org/c.ttl"
schedule = "0 3 * * *"
shedule_typo = 1
"#,
    );
    assert_eq!(e.file, Path::new("/etc/alzette/harvest-sources.toml"));
    assert_eq!(e.line, Some(13), "{e}");
    assert_eq!(e.key.as_deref(), Some("shedule_typo"));
    assert!(
        e.to_string()
            .starts_with("/etc/alzette/harvest-sources.toml:13: key `shedule_typo`"),
        "{e}"
    );
    assert!(e.message.contains("unknown key `shedule_typo`"), "{e}");
}

#[test]
fn an_unknown_key_names_its_table_and_the_key_meant() {
    let text = r#"[server]
bind = "127.0.0.1:8080"

[[source]]
id = "a"
kind = "dcat"
url = "https://e.org/"
schedule = "0 3 * * *"

[[source]]
id = "b"
kind = "dcat"
url = "https://e.org/"
shedule = "0 3 * * *"
"#;
    let e = Config::parse(text, Path::new("c.toml")).unwrap_err();
    assert_eq!(e.line, Some(14), "{e}");
    assert_eq!(
        e.message,
        "unknown key `shedule` in `source[1]`; did you mean `schedule`? (every key is in docs/configuration.md)"
    );
    let e = Config::parse("[server]\nbindd = \"x\"\n", Path::new("c.toml")).unwrap_err();
    assert!(
        e.message.contains("in `server`; did you mean `bind`?"),
        "{e}"
    );
}

#[test]
fn bad_cron_is_refused_on_its_line() {
    let e = refused(
        r#"
[[source]]
id = "a"
kind = "dcat"
url = "https://example.org/c.ttl"
schedule = "0 3 * *"
"#,
    );
    assert_eq!(e.line, Some(12));
    assert_eq!(e.key.as_deref(), Some("source[0].schedule"));
    assert!(e.message.contains("fields"), "{e}");
}

#[test]
fn duplicate_ids_are_refused() {
    let e = refused(
        r#"
[[source]]
id = "a"
kind = "dcat"
url = "https://example.org/1.ttl"
schedule = "0 3 * * *"

[[source]]
id = "a"
kind = "dcat"
url = "https://example.org/2.ttl"
schedule = "0 3 * * *"
"#,
    );
    assert_eq!(e.line, Some(15));
    assert_eq!(e.key.as_deref(), Some("source[1].id"));
    assert!(
        e.message
            .contains("duplicate source id \"a\" (first used on line 9)"),
        "{e}"
    );
}

#[test]
fn bad_urls_are_refused() {
    for (url, why) in [
        ("ftp://example.org/c.ttl", "scheme `ftp`"),
        ("http://", "not a valid URL"),
        ("https:// spaces .org/", "not a valid URL"),
        ("", "is empty"),
    ] {
        let e = refused(&format!(
            "\n[[source]]\nid = \"a\"\nkind = \"dcat\"\nurl = \"{url}\"\nschedule = \"0 3 * * *\"\n"
        ));
        assert_eq!(e.line, Some(11), "{url}: {e}");
        assert_eq!(e.key.as_deref(), Some("source[0].url"));
        assert!(e.message.contains(why), "{url}: {e}");
    }
}

#[test]
fn bad_ids_kinds_and_values_are_refused() {
    let src = |extra: &str, id: &str, kind: &str| {
        format!(
            "\n[[source]]\nid = \"{id}\"\nkind = \"{kind}\"\nurl = \"https://e.org/\"\nschedule = \"@daily\"\n{extra}"
        )
    };
    let e = refused(&src("", "Bad_Id", "dcat"));
    assert_eq!(e.key.as_deref(), Some("source[0].id"));
    let e = refused(&src("", "a", "ckan-ish"));
    assert_eq!(e.key.as_deref(), Some("source[0].kind"));
    assert!(e.message.contains("unknown source kind"));
    let e = refused(&src("max_shrink = 1.5\n", "a", "dcat"));
    assert_eq!(e.key.as_deref(), Some("source[0].max_shrink"));
    assert_eq!(e.line, Some(13));
    let e = refused(&src("request_timeout = \"soon\"\n", "a", "dcat"));
    assert_eq!(e.key.as_deref(), Some("source[0].request_timeout"));
    let e = refused(&src("format = \"csv\"\n", "a", "dcat"));
    assert_eq!(e.key.as_deref(), Some("source[0].format"));
    let e = refused(&src("enabled = \"yes\"\n", "a", "dcat"));
    assert_eq!(e.key.as_deref(), Some("enabled"));
    assert_eq!(e.line, Some(13));
}

#[test]
fn server_values_are_checked() {
    let e = Config::parse("[server]\nbind = \"localhost\"\n", Path::new("c.toml")).unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("server.bind")));
    let e = Config::parse(
        "[server]\nbase_uri = \"http://x.org/no-slash\"\n",
        Path::new("c.toml"),
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("server.base_uri"))
    );
    let e = Config::parse("[servr]\n", Path::new("c.toml")).unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(
        e.message
            .contains("unknown key `servr` in `the top level`; did you mean `server`?"),
        "{e}"
    );

    // A query worker needs some memory just to open the store.
    let c = Config::parse(
        "[server]\nquery_memory_limit = \"1GiB\"\n",
        Path::new("c.toml"),
    );
    assert_eq!(c.unwrap().server.query_memory_limit, 1 << 30);
    let e = Config::parse(
        "[server]\nquery_memory_limit = \"64MiB\"\n",
        Path::new("c.toml"),
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("server.query_memory_limit"))
    );
    assert!(e.message.contains("at least 256MiB"), "{e}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let e = Config::load("/nonexistent/harvest-sources.toml").unwrap_err();
    assert!(
        e.to_string()
            .contains("/nonexistent/harvest-sources.toml: cannot read the configuration file"),
        "{e}"
    );
}

#[test]
fn the_catalogue_description_and_its_refusals() {
    let c = parse("\n[catalog]\ntitle = \"Luxembourg\"\npublisher_name = \"SIGI\"\npublisher_uri = \"https://example.lu/org/sigi\"\n").unwrap();
    assert_eq!(c.catalog.title, "Luxembourg");
    assert_eq!(c.catalog.publisher_name, "SIGI");
    assert_eq!(
        c.catalog.publisher_uri.unwrap().as_str(),
        "https://example.lu/org/sigi"
    );
    let defaults = parse("").unwrap().catalog;
    assert_eq!(defaults.title, "Alzette federation catalogue");
    assert!(defaults.publisher_uri.is_none());

    let e = refused("\n[catalog]\npublisher_uri = \"urn:x:y\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(9), Some("catalog.publisher_uri"))
    );
    let e = refused("\n[catalog]\ntitle = \"  \"\n");
    assert_eq!(e.key.as_deref(), Some("catalog.title"));
    let e = refused("\n[catalog]\nowner = \"x\"\n");
    assert!(e.to_string().contains("owner"), "{e}");

    // The admin token: long enough, and never shown.
    let text = HEAD.replace("[server]\n", "[server]\nadmin_token = \"short\"\n");
    let e = Config::parse(&text, Path::new("a.toml")).unwrap_err();
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("server.admin_token"))
    );
    let text = HEAD.replace(
        "[server]\n",
        "[server]\nadmin_token = \"0123456789abcdef-secret\"\n",
    );
    let c = Config::parse(&text, Path::new("a.toml")).unwrap();
    assert_eq!(
        c.server.admin_token.as_ref().unwrap().expose(),
        "0123456789abcdef-secret"
    );
    assert!(
        !format!("{c:?}").contains("secret"),
        "the token is not in debug output"
    );
}

#[test]
fn loading_checks_the_folders_the_file_names_and_refuses_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("harvest-sources.toml");
    let source = |url: &str| {
        format!(
            "{HEAD}\n[[source]]\nid = \"s\"\nkind = \"dcat\"\nurl = \"{url}\"\nschedule = \"@daily\"\n"
        )
    };

    // A folder that is not there: refused on the url's line, naming the folder.
    std::fs::write(&file, source("exports/catalog.ttl")).unwrap();
    let e = Config::load(&file).unwrap_err();
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(11), Some("source[0].url"))
    );
    let missing = dir.path().join("exports");
    assert!(
        e.message
            .contains(&format!("the folder {} does not exist", missing.display())),
        "{e}"
    );
    // `parse` reads text only; the same text passes it.
    assert!(Config::parse(&source("exports/catalog.ttl"), &file).is_ok());

    // The folder exists: a file still to come in it is accepted, as a folder source is.
    std::fs::create_dir(&missing).unwrap();
    assert!(Config::load(&file).is_ok());
    std::fs::write(&file, source("exports/")).unwrap();
    assert!(Config::load(&file).is_ok());

    // An empty file, or one of comments only.
    for text in ["", "\n  \n", "# nothing yet\n"] {
        std::fs::write(&file, text).unwrap();
        let e = Config::load(&file).unwrap_err();
        assert!(e.message.contains("sets nothing"), "{e}");
        assert!(e.message.contains("[[source]]"), "{e}");
    }
}
