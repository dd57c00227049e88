//! A real CSW server: pycsw 2.6 (from PyPI; .ci/run installs it and sets ALZETTE_PYCSW to its
//! Python environment) serving the shared fixture records and 5,000 generated from them
//! (../shared/tools/gen_iso_records.py). Alzette harvests it completely, then again and
//! rewrites nothing.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// Stops the pycsw server (its gunicorn master) when the test ends, however it ends.
struct Pycsw {
    state: PathBuf,
}

impl Drop for Pycsw {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.state.join("gunicorn.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

fn requirements() -> Option<(PathBuf, PathBuf)> {
    let venv = std::env::var_os("ALZETTE_PYCSW").map(PathBuf::from);
    let Some(venv) = venv.filter(|v| v.join("bin/pycsw-admin.py").exists()) else {
        alzette_testkit::missing(
            "pycsw harvest",
            "a Python environment with pycsw named by ALZETTE_PYCSW",
            ".ci/run makes one",
        );
        return None;
    };
    let tools = alzette_testkit::shared_tools("pycsw harvest")?;
    Some((venv, tools.parent()?.to_owned()))
}

#[test]
fn a_pycsw_catalogue_is_harvested_completely_then_rewritten_never() {
    let Some((venv, shared)) = requirements() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let records = work.path().join("records");
    let generated = Command::new(venv.join("bin/python"))
        .arg(shared.join("tools/gen_iso_records.py"))
        .args(["--templates"])
        .arg(shared.join("tools/fixtures/iso19139"))
        .args(["--n", "5000", "--out"])
        .arg(&records)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    for entry in std::fs::read_dir(shared.join("tools/fixtures/iso19139")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, records.join(path.file_name().unwrap())).unwrap();
    }
    let files: Vec<String> = std::fs::read_dir(&records)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 5026);

    let port = free_port();
    let state = work.path().join("pycsw");
    let _server = Pycsw {
        state: state.clone(),
    };
    let up = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients/pycsw_serve.sh"))
        .arg(&venv)
        .arg(&records)
        .arg(&state)
        .arg(port.to_string())
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let loaded: u64 = String::from_utf8_lossy(&up.stdout).trim().parse().unwrap();
    assert_eq!(loaded, 5026, "pycsw loads every record");

    let env = Env::new(&source_table(
        "geoportal",
        "csw",
        &format!("http://127.0.0.1:{port}/csw"),
        AT_3AM,
        "page_size = 100",
    ));
    let h = env.harvest_json("geoportal", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(
        (h.run.announced, h.run.received),
        (Some(loaded), loaded),
        "{h}"
    );
    // The generator varies the text identifiers of the records it makes, not an anchored one:
    // every record made from the Dutch template names the same dataset (its gmx:Anchor), so
    // Alzette keeps one and says so for the others.
    let same_dataset = files
        .iter()
        .filter(|f| f.contains("xlink:href=\"https://www.nationaalgeoregister.nl/geonetwork/srv/metadata/f44dac86-2228-412f-8355-e56446ca9933\">b3ed10bc"))
        .count() as u64;
    assert!(same_dataset > 100, "{same_dataset}");
    let stored = loaded - (same_dataset - 1);
    assert_eq!(h.tally(), [stored, 0, 0, 0, 0], "{h}");
    assert_eq!(h.run.counts.duplicates, same_dataset - 1, "{h}");
    assert_eq!(env.store().count(Some("geoportal")) as u64, stored);

    let h = env.harvest_json("geoportal", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(h.tally(), [0, 0, stored, 0, 0], "{h}");
}
