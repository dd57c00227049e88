//! What `/catalog` serves passes the official DCAT-AP 3.0.1 base shapes with no violation
//! whenever the harvested input did (pySHACL's results on the fixtures, in
//! `../shared/fixtures/conformance/dcat-examples.md`, say which inputs did).

mod support;

use support::*;

/// The fixtures whose `base` column (DCAT-AP 3.0.1 `shapes.ttl`, violations/warnings) is `0/0`.
fn base_conformant(fixtures: &std::path::Path) -> Vec<String> {
    let table = std::fs::read_to_string(fixtures.join("conformance/dcat-examples.md")).unwrap();
    let mut header: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for line in table.lines() {
        if !line.starts_with('|') {
            if header.is_some() {
                break;
            }
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect();
        match &header {
            None => header = Some(cells),
            Some(h) => {
                let base = h.iter().position(|c| c == "base").expect("a base column");
                if cells[base] == "0/0" {
                    out.push(cells[0].trim_start_matches("dcat/").to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn the_catalogue_passes_the_dcat_ap_base_shapes_when_the_input_did() {
    let Some(fixtures) = shared_fixtures("catalogue conformance") else {
        return;
    };
    let Some(python) = python_with("pyshacl", "the conformance check") else {
        return;
    };
    let files = base_conformant(&fixtures);
    assert!(files.len() >= 5, "{files:?}");
    let mut sources = String::new();
    for (i, f) in files.iter().enumerate() {
        sources.push_str(&format!(
            "[[source]]\nid = \"s{i}\"\nkind = \"dcat\"\nurl = \"{}\"\nschedule = \"0 3 * * *\"\n\n",
            fixtures.join("dcat").join(f).display()
        ));
    }
    let env = Env::new(&sources);
    let server = env.serve();
    let ids: Vec<String> = (0..files.len()).map(|i| format!("s{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let status = server.wait_for_runs(&ids);
    let records: u64 = status
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["records"].as_u64().unwrap())
        .sum();
    assert!(records >= files.len() as u64, "{status}");

    let shapes = fixtures.join("shacl/dcat-ap-3.0.1/shapes.ttl");
    let mut pages = vec![(
        "federation".to_owned(),
        "/catalog.ttl?pageSize=1000".to_owned(),
    )];
    pages.extend(
        ids.iter()
            .map(|id| (id.to_string(), format!("/catalog/{id}.ttl?pageSize=1000"))),
    );
    for (what, path) in pages {
        let (status, _, body) = http_get(&server.url(&path), &[]).unwrap();
        assert_eq!(status, 200, "{path}");
        let file = env.path(&format!("{what}.ttl"));
        std::fs::write(&file, &body).unwrap();
        let out = std::process::Command::new(&python)
            .args(["-m", "pyshacl", "-s"])
            .arg(&shapes)
            .args(["-df", "turtle", "-sf", "turtle", "-f", "human"])
            .arg(&file)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            report.contains("Conforms: True"),
            "{what} ({path}) does not conform:\n{report}"
        );
    }
    server.stop();
}
