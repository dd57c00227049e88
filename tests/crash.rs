//! Crashes: the real binary killed at random moments during a harvest of 10,000 records. After
//! each kill the store opens, every record is whole (its content hashes to the hash stored with
//! it: none half-written) and none is lost, and the next run reaches the right state.

mod support;

use alzette_store::RecordStore;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::*;

const N: usize = 10_000;
const PER_PAGE: usize = 500;

/// Checks every record of the source: its content hashes to its stored hash. Returns the
/// version (from its title) of each dataset.
fn check_records(store: &RecordStore, source: &str) -> HashMap<String, u32> {
    check_sample(store, source, usize::MAX)
}

/// [`check_records`] on every `step`-th record only (the debug build reads RocksDB slowly).
fn check_sample(store: &RecordStore, source: &str, sample: usize) -> HashMap<String, u32> {
    use oxigraph::model::{NamedOrBlankNode, Term, Triple};
    let catalog = NamedOrBlankNode::from(store.iris().source_catalog(source));
    let mut versions = HashMap::new();
    let keys = store.record_keys(source);
    let step = (keys.len() / sample.max(1)).max(1);
    let run_prefix = format!("<{}run/", store.iris().base());
    for key in keys.into_iter().step_by(step) {
        let graph = store.iris().record(source, &key);
        let record = NamedOrBlankNode::from(graph.clone());
        let quads = store.record_graph_quads(graph.as_ref()).unwrap();
        let mut stored = None;
        let mut title = None;
        let mut content = Vec::with_capacity(quads.len());
        for q in quads {
            if q.subject == record {
                if q.predicate.as_str() == "https://w3id.org/alzette/ns#contentHash" {
                    stored = Some(q.object.clone());
                }
            } else if q.subject != catalog && !q.subject.to_string().starts_with(&run_prefix) {
                // (The run that wrote the record is described beside it: provenance, not content.)
                if q.predicate.as_str() == "http://purl.org/dc/terms/title"
                    && q.subject.to_string().contains("/dataset/")
                {
                    title = Some(q.object.clone());
                }
                content.push(Triple::new(q.subject, q.predicate, q.object));
            }
        }
        let Some(Term::Literal(stored)) = stored else {
            panic!("record {graph} has no content hash")
        };
        let (_, hash) = alzette_dcat::canonicalize(content);
        assert_eq!(hash.to_string(), stored.value(), "record {graph} is whole");
        let Some(Term::Literal(title)) = title else {
            panic!("record {graph} has no title")
        };
        // "Dataset {i} v{version}"
        let (name, version) = title.value().rsplit_once(" v").unwrap();
        versions.insert(name.to_owned(), version.parse().unwrap());
    }
    versions
}

/// A small deterministic generator: the seed is printed, so a failing sequence can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn serve_version(server: &PageServer, version: u32) {
    let ids: Vec<usize> = (0..N).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        PER_PAGE,
        Syntax::Turtle,
        false,
        &|_| version,
    ));
}

fn started_runs_and_states(env: &Env) -> (usize, usize, usize) {
    let out = String::from_utf8(env.run(&["runs", "s", "--limit", "1000"]).stdout).unwrap();
    let rows: Vec<&str> = out
        .lines()
        .skip(1)
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    let count = |s: &str| rows.iter().filter(|l| l.contains(s)).count();
    (rows.len(), count(" interrupted "), count(" running "))
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_half_writes_nothing() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rng = Lcg(seed);
    let server = PageServer::start();
    let env = Env::new(&dcat_source(
        "s",
        &server.url("/catalog.ttl?page=1"),
        "max_shrink = 0.0",
    ));

    // The first harvest, killed early: what was added is whole.
    serve_version(&server, 1);
    let mut child = env.command(&["harvest", "s"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300 + rng.below(1500)));
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = check_records(&env.store(), "s");
    assert!(partial.len() <= N);
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(check_records(&env.store(), "s").len(), N);

    // Every later version changes every record; each run is killed somewhere in it.
    let started = Instant::now();
    let mut kills = 0;
    for version in 2..24u32 {
        serve_version(&server, version);
        let recorded = started_runs_and_states(&env).0;
        let mut child = env
            .command(&["harvest", "s"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300 + rng.below(4000)));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        // A kill counts when it landed inside a run: after the run was recorded (a kill while
        // the process still starts leaves no run to mark) and before it ended.
        let run_started = started_runs_and_states(&env).0 > recorded;
        kills += usize::from(run_started && !finished);
        // The store opens and rebuilds its catalogue order from the records that are there:
        // all of them. A sample of 500 is checked whole (all of them at the end).
        let store = env.store();
        assert_eq!(
            store.count(Some("s")),
            N,
            "no record lost (version {version}, seed {seed})"
        );
        let versions = check_sample(&store, "s", 500);
        assert!(versions.values().all(|v| *v <= version), "seed {seed}");
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "bounded in time"
        );
    }
    assert!(kills >= 20, "{kills} kills landed during a run");

    // The next run reaches the right state; every killed run is marked interrupted.
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    let versions = check_records(&env.store(), "s");
    assert!(
        versions.values().all(|v| *v == 23),
        "all records at the last version"
    );
    let (runs, interrupted, running) = started_runs_and_states(&env);
    assert_eq!(running, 0, "no run left open");
    assert!(
        interrupted >= kills,
        "{interrupted} interrupted of {runs} runs, {kills} kills inside a run"
    );
}

#[test]
fn sigterm_at_random_moments_stops_between_records() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rng = Lcg(seed);
    let server = PageServer::start();
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    serve_version(&server, 1);
    assert_eq!(env.harvest("s", &[]).0, 0);
    let mut stopped = 0;
    for version in 2..8u32 {
        serve_version(&server, version);
        let child = env
            .command(&["harvest", "s"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300 + rng.below(2500)));
        terminate(&child);
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.code() == Some(1) {
            assert!(
                stdout.contains("interrupted") && stdout.contains("nothing was deleted"),
                "{stdout}"
            );
            stopped += 1;
        }
        let store = env.store();
        assert_eq!(store.count(Some("s")), N, "seed {seed}");
        check_sample(&store, "s", 500);
    }
    assert!(stopped >= 3, "{stopped} runs stopped by SIGTERM");
    let (_, _, running) = started_runs_and_states(&env);
    assert_eq!(running, 0, "SIGTERM closes its run at once");
}

#[test]
fn a_full_disk_fails_the_run_clearly_and_corrupts_nothing() {
    let server = PageServer::start();
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    // The store on a small tmpfs; the run log elsewhere, so that the run's end is recorded.
    let small = env.path("small");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=12m", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        alzette_testkit::missing(
            "a_full_disk_fails_the_run_clearly_and_corrupts_nothing",
            "a small tmpfs to fill",
            "mounting one needs root",
        );
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(small.clone());
    let text = std::fs::read_to_string(&env.config).unwrap().replace(
        "path = \"data/store\"",
        "path = \"small/store\"\nrunlog = \"data/runlog\"",
    );
    std::fs::write(&env.config, text).unwrap();

    // A first harvest that fits.
    let ids: Vec<usize> = (0..300).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        100,
        Syntax::Turtle,
        false,
        &|_| 1,
    ));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    let before = {
        let store = RecordStore::open(
            &small.join("store"),
            &format!("http://127.0.0.1:{}/", env.port),
        )
        .unwrap();
        check_records(&store, "s")
    };
    assert_eq!(before.len(), 300);

    // Then far more than 12 MB.
    serve_version(&server, 2);
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 1, "{out}");
    // What failed, where, why, and what to do.
    assert!(
        out.contains("the store at ")
            && out.contains("failed while")
            && out.contains("No space left")
            && out.contains("check the disk"),
        "{out}"
    );

    // Room again: the store opens, nothing earlier is lost or broken, the next run completes.
    std::process::Command::new("mount")
        .args(["-o", "remount,size=2g"])
        .arg(&small)
        .status()
        .unwrap();
    let store = RecordStore::open(
        &small.join("store"),
        &format!("http://127.0.0.1:{}/", env.port),
    )
    .unwrap();
    let after = check_records(&store, "s");
    for (dataset, version) in &before {
        assert!(
            after
                .get(dataset)
                .is_some_and(|v| *v == *version || *v == 2),
            "{dataset} lost or broken"
        );
    }
    drop(store);
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    let store = RecordStore::open(
        &small.join("store"),
        &format!("http://127.0.0.1:{}/", env.port),
    )
    .unwrap();
    assert_eq!(store.count(Some("s")), N);
}

/// Garble the run log's files (as a disk fault or an interrupted copy would). What was
/// harvested is all there; `serve`, `harvest` and `runs` go on with a fresh log and say where
/// the damaged one went; with `damaged_runlog = "refuse"` they stop and say what to do.
#[test]
fn a_damaged_run_log_is_set_aside_and_nothing_stored_is_lost() {
    let server = PageServer::start();
    server.serve_turtle(&[1, 2, 3], 3, &|_| 1);
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    let garble = || {
        let runlog = env.path("data/runlog");
        for entry in std::fs::read_dir(&runlog).unwrap().flatten() {
            if entry.path().is_file() {
                let len = std::fs::metadata(entry.path()).unwrap().len() as usize;
                std::fs::write(entry.path(), vec![0xA5; len.max(64)]).unwrap();
            }
        }
    };
    garble();

    // Refused, if the operator prefers: the message says what to do.
    let text = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &env.config,
        text.replace("[store]\n", "[store]\ndamaged_runlog = \"refuse\"\n"),
    )
    .unwrap();
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("mv ") && out.contains("damaged_runlog = \"set-aside\""),
        "{out}"
    );

    // Set aside, by default: every command goes on.
    std::fs::write(&env.config, &text).unwrap();
    let out = env.run(&["runs"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("moved to") && stderr.contains("runlog.damaged-"),
        "{stderr}"
    );
    let aside: Vec<_> = std::fs::read_dir(env.path("data"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("runlog.damaged-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the damaged log is kept for inspection");
    assert_eq!(env.store().count(Some("s")), 3, "nothing stored is lost");
    garble();
    let daemon = env.serve();
    let (_, _, body) = http_get(&daemon.url("/health"), &[]).unwrap();
    assert!(String::from_utf8_lossy(&body).contains("\"records\":3"));
    daemon.stop();
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(h.run.counts.unchanged, 3, "{h}");
}

/// Run IRIs name PROV activities in the store: a new run log (the old one deleted) goes on
/// from the store's highest run, so `{base}run/{source}/{id}` never names two runs.
#[test]
fn run_iris_stay_unique_when_the_run_log_is_lost() {
    let server = PageServer::start();
    server.serve_turtle(&[1, 2], 2, &|_| 1);
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    for version in 1..=2 {
        server.serve_turtle(&[1, 2], 2, &|_| version);
        assert_eq!(env.harvest_json("s", &[]).code, 0);
    }
    std::fs::remove_dir_all(env.path("data/runlog")).unwrap();
    server.serve_turtle(&[1, 2], 2, &|i| if i == 1 { 3 } else { 2 });
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(h.run.id, 3, "the new log goes on from the store's run 2");
    let started = select_rows(
        &env.store(),
        "SELECT ?run (COUNT(DISTINCT ?t) AS ?n) WHERE { ?run <http://www.w3.org/ns/prov#startedAtTime> ?t } GROUP BY ?run",
    );
    assert!(!started.is_empty());
    for row in &started {
        assert_eq!(row[1], "1", "one start time per run IRI: {started:?}");
    }
}
