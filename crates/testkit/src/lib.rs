//! Test support shared by the workspace's crates (a dev-dependency only): where the shared
//! fixtures and tools are, and what a test does when something it needs is missing.
//!
//! On a user's clone a test that lacks `../shared` or a peer (a Python package, pycsw,
//! Chromium) prints a notice and passes without checking anything. In CI that would hide a
//! test that never ran, so `.ci/run` sets `ALZETTE_REQUIRE_FIXTURES=1`, under which every such
//! skip fails the test instead, naming what is missing.
//!
//! ```
//! // In a test: `let Some(fixtures) = alzette_testkit::shared_fixtures("my test") else { return };`
//! let found = alzette_testkit::shared_dir();
//! assert!(found.is_none_or(|d| d.join("fixtures").is_dir()));
//! ```

use std::path::{Path, PathBuf};

/// The variable under which a missing fixture or peer fails the test instead of skipping it.
pub const REQUIRE: &str = "ALZETTE_REQUIRE_FIXTURES";

/// Whether a missing fixture or peer fails the test (`ALZETTE_REQUIRE_FIXTURES=1`).
pub fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Reports that `test` cannot run because `what` is missing (with `hint`, how to get it):
/// panics when [`required`], else prints a notice (the caller then returns).
#[track_caller]
pub fn missing(test: &str, what: &str, hint: &str) {
    let text = format!("{test}: {what} is missing ({hint})");
    if required() {
        panic!("{text}; {REQUIRE} is set, so this is a failure, not a skip");
    }
    eprintln!("NOTICE: {text}; skipped");
}

/// The shared folder: `$ALZETTE_SHARED`, or `../shared` next to the repository.
pub fn shared_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ALZETTE_SHARED").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|c| c.join("fixtures").is_dir())
        .map(|c| c.canonicalize().unwrap_or(c))
}

/// `shared/fixtures`, or `None` after [`missing`] says so.
#[track_caller]
pub fn shared_fixtures(test: &str) -> Option<PathBuf> {
    shared_sub(test, "fixtures")
}

/// `shared/tools`, or `None` after [`missing`] says so.
#[track_caller]
pub fn shared_tools(test: &str) -> Option<PathBuf> {
    shared_sub(test, "tools")
}

#[track_caller]
fn shared_sub(test: &str, sub: &str) -> Option<PathBuf> {
    let found = shared_dir().map(|d| d.join(sub)).filter(|d| d.is_dir());
    if found.is_none() {
        missing(
            test,
            &format!("../shared/{sub}"),
            "set ALZETTE_SHARED to the shared folder",
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_is_a_failure_when_required() {
        // The variable is read at each call; the test sets it for a child process only, so as
        // not to race the other tests of this process.
        if std::env::var_os("ALZETTE_TESTKIT_CHILD").is_some() {
            missing("child", "a peer", "install it");
            return;
        }
        let run = |require: &str| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "tests::a_skip_is_a_failure_when_required",
                    "--nocapture",
                ])
                .env("ALZETTE_TESTKIT_CHILD", "1")
                .env(REQUIRE, require)
                .output()
                .unwrap()
        };
        let skipped = run("0");
        assert!(skipped.status.success());
        assert!(
            String::from_utf8_lossy(&skipped.stderr)
                .contains("NOTICE: child: a peer is missing (install it); skipped")
        );
        let failed = run("1");
        assert!(!failed.status.success(), "a required skip fails");
        assert!(
            String::from_utf8_lossy(&failed.stderr)
                .contains("ALZETTE_REQUIRE_FIXTURES is set, so this is a failure")
        );
    }
}
