//! SPARQL queries are evaluated in worker processes, each with the store open read-only.
//!
//! Why a process: Oxigraph notices a cancelled query only when it reads the store, so a join it
//! computes in memory runs on (and grows) long after its timeout. A thread cannot be stopped
//! from outside; a process can. A worker is killed when its query overruns the timeout, and its
//! memory is capped (`server.query_memory_limit`: the program the worker runs caps its own
//! allocator, see the binary's `memory.rs`), so one analyst's cross join can neither outlive
//! its timeout nor take the daemon's memory with it.
//!
//! Workers are kept between queries. A read-only RocksDB opening sees the store as it was when
//! it opened, so a worker that opened before the store last changed is replaced before its next
//! query: answers are never older than the request.
//!
//! The protocol, over the worker's stdin and stdout: the worker first writes a [`Hello`] line;
//! then for each [`QueryRequest`] line it reads, it writes a [`Reply`] line, followed, for an
//! answer, by exactly `length` bytes of body.

use super::evaluate::{Answer, Failure, QueryRequest, evaluate};
use alzette_store::StoreVersion;
use oxigraph::sparql::CancellationToken;
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long past its timeout a query may take to cancel itself before its worker is killed.
const GRACE: Duration = Duration::from_millis(500);

/// The first line a worker writes.
#[derive(Debug, Serialize, Deserialize)]
enum Hello {
    Ready,
    Failed(String),
}

/// A worker's reply to one request; an `Answer` is followed by `length` bytes of body.
#[derive(Debug, Serialize, Deserialize)]
enum Reply {
    Answer { content_type: String, length: u64 },
    Failure(Failure),
}

/// How to start a worker: a program that caps its allocations at the memory limit and runs
/// [`serve_worker`] (the `alzette` binary's hidden `query-worker` subcommand).
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

impl WorkerCommand {
    /// `program query-worker --store STORE --memory-limit BYTES`.
    pub fn new(program: PathBuf, store: &Path, memory_limit: u64) -> Self {
        Self {
            program,
            args: vec![
                "query-worker".into(),
                "--store".into(),
                store.as_os_str().to_owned(),
                "--memory-limit".into(),
                memory_limit.to_string().into(),
            ],
        }
    }
}

/// The parent's side: a pool of workers, at most `max_idle` kept between queries.
pub struct QueryWorkers {
    command: WorkerCommand,
    memory_limit: u64,
    max_idle: usize,
    idle: Mutex<Vec<Worker>>,
}

impl QueryWorkers {
    pub fn new(command: WorkerCommand, memory_limit: u64, max_idle: usize) -> Self {
        Self {
            command,
            memory_limit,
            max_idle,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Evaluates `request` in a worker that sees the store at least as new as `version`.
    /// Past `request.timeout` (and a short grace) the worker is killed and the client told so.
    pub async fn evaluate(
        &self,
        request: &QueryRequest,
        version: StoreVersion,
    ) -> Result<Answer, Failure> {
        match self.evaluate_once(request, version).await {
            // A read-only opening can miss a file the daemon compacted away after it opened
            // (docs/architecture.md): a fresh opening sees the files as they are now.
            Err(failure) if failure.storage => {
                tracing::debug!(message = %failure.message, "retrying a query on a fresh worker");
                self.retire_all();
                self.evaluate_once(request, version).await
            }
            other => other,
        }
    }

    async fn evaluate_once(
        &self,
        request: &QueryRequest,
        version: StoreVersion,
    ) -> Result<Answer, Failure> {
        let mut slot = self.take(version);
        let outcome = tokio::time::timeout(request.timeout + GRACE, async {
            let worker = match &mut slot {
                Some(worker) => worker,
                None => slot.insert(Worker::start(&self.command, version).await?),
            };
            worker.call(request).await
        })
        .await;
        match outcome {
            Ok(Ok(result)) => {
                if let Some(worker) = slot
                    && !result.as_ref().is_err_and(|f| f.storage)
                {
                    self.give_back(worker);
                }
                result
            }
            Ok(Err(WorkerError::Start(message))) => Err(Failure::new(
                503,
                format!("cannot start a query worker: {message}"),
            )),
            Ok(Err(WorkerError::Broken(e))) => {
                let worker = slot.expect("a worker was started");
                Err(worker.post_mortem(e, self.memory_limit).await)
            }
            Err(_) => {
                if let Some(worker) = slot {
                    worker.kill().await;
                }
                tracing::warn!(
                    query = %request.query,
                    "a SPARQL query overran its timeout; its worker was killed"
                );
                Err(Failure::timeout(request.timeout))
            }
        }
    }

    /// Stops the idle workers that no longer see the store as it is (they also hold files the
    /// store has since replaced).
    pub fn retire_stale(&self, version: StoreVersion) {
        let stale: Vec<Worker> = {
            let mut idle = self.idle.lock().expect("worker pool lock");
            let (fresh, stale) = idle.drain(..).partition(|w| w.opened_at == version);
            *idle = fresh;
            stale
        };
        drop(stale); // kill_on_drop
    }

    fn retire_all(&self) {
        let all = std::mem::take(&mut *self.idle.lock().expect("worker pool lock"));
        drop(all); // kill_on_drop
    }

    fn take(&self, version: StoreVersion) -> Option<Worker> {
        self.retire_stale(version);
        self.idle.lock().expect("worker pool lock").pop()
    }

    fn give_back(&self, worker: Worker) {
        let mut idle = self.idle.lock().expect("worker pool lock");
        if idle.len() < self.max_idle {
            idle.push(worker);
        }
    }
}

enum WorkerError {
    /// The worker could not open the store (or could not be started at all).
    Start(String),
    /// The worker stopped answering: it died.
    Broken(std::io::Error),
}

impl From<std::io::Error> for WorkerError {
    fn from(e: std::io::Error) -> Self {
        Self::Broken(e)
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The last lines the worker wrote on stderr (copied to the daemon's): why it died.
    last_words: Arc<Mutex<VecDeque<String>>>,
    /// The task copying them; it ends when the worker's stderr closes.
    copier: tokio::task::JoinHandle<()>,
    /// The store's state when the worker opened it.
    opened_at: StoreVersion,
}

impl Worker {
    async fn start(command: &WorkerCommand, version: StoreVersion) -> Result<Self, WorkerError> {
        // A read-only opening can race with the daemon replacing a log file; once more then.
        match Self::try_start(command, version).await {
            Err(WorkerError::Start(first)) => {
                tracing::debug!(%first, "a query worker could not start; trying again");
                Self::try_start(command, version).await
            }
            other => other,
        }
    }

    async fn try_start(
        command: &WorkerCommand,
        version: StoreVersion,
    ) -> Result<Self, WorkerError> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| WorkerError::Start(format!("{}: {e}", command.program.display())))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(WorkerError::Start("no pipes to the worker".into()));
        };
        let (last_words, copier) = keep_last_words(stderr);
        let mut worker = Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            last_words: Arc::clone(&last_words),
            copier,
            opened_at: version,
        };
        match worker.read_line::<Hello>().await {
            Ok(Hello::Ready) => Ok(worker),
            Ok(Hello::Failed(message)) => Err(WorkerError::Start(message)),
            Err(e) => Err(WorkerError::Start(format!(
                "the worker stopped before it was ready ({e})"
            ))),
        }
    }

    async fn call(
        &mut self,
        request: &QueryRequest,
    ) -> Result<Result<Answer, Failure>, WorkerError> {
        let mut line = serde_json::to_vec(request).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await?;
        match self.read_line::<Reply>().await? {
            Reply::Failure(failure) => Ok(Err(failure)),
            Reply::Answer {
                content_type,
                length,
            } => {
                let length = usize::try_from(length).map_err(std::io::Error::other)?;
                let mut body = vec![0; length];
                self.stdout.read_exact(&mut body).await?;
                Ok(Ok(Answer { content_type, body }))
            }
        }
    }

    async fn read_line<T: serde::de::DeserializeOwned>(&mut self) -> std::io::Result<T> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        serde_json::from_str(&line).map_err(std::io::Error::other)
    }

    async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Why a worker stopped answering, for the client: what the worker said last (a failed
    /// allocation past the cap, a stack overflow), else the signal that ended it.
    async fn post_mortem(mut self, e: std::io::Error, memory_limit: u64) -> Failure {
        let _ = self.child.start_kill();
        let status = self.child.wait().await;
        // Once the process is gone its stderr closes: the copier has read the last words.
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut self.copier).await;
        let said = self
            .last_words
            .lock()
            .map(|w| w.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        tracing::warn!(?status, error = %e, last_words = %said, "a SPARQL query worker died");
        use std::os::unix::process::ExitStatusExt;
        let signal = status.ok().and_then(|s| s.signal());
        if said.contains("memory allocation of") {
            Failure::new(
                500,
                format!(
                    "the query needed more memory than the {} MiB a query may use (limit server.query_memory_limit); narrow it down or add a LIMIT",
                    memory_limit / (1024 * 1024)
                ),
            )
        } else if said.contains("overflowed its stack") {
            Failure::new(
                500,
                "the query is nested too deeply for the evaluator (its stack overflowed); write it with fewer nested groups",
            )
        } else {
            Failure::new(
                500,
                format!(
                    "the process evaluating the query stopped ({}); see the daemon's log",
                    signal.map_or_else(|| e.to_string(), |s| format!("signal {s}"))
                ),
            )
        }
    }
}

/// Copies a worker's stderr to the daemon's, keeping its last lines.
fn keep_last_words(
    stderr: tokio::process::ChildStderr,
) -> (Arc<Mutex<VecDeque<String>>>, tokio::task::JoinHandle<()>) {
    let words: Arc<Mutex<VecDeque<String>>> = Arc::default();
    let kept = Arc::clone(&words);
    let copier = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("{line}");
            if let Ok(mut kept) = kept.lock() {
                if kept.len() == 16 {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        }
    });
    (words, copier)
}

/// The worker's side: opens the store at `store` read-only and answers requests from stdin on
/// stdout until stdin closes. The caller has capped the allocator.
pub fn serve_worker(store: &Path) -> std::io::Result<()> {
    die_with_parent();
    widen_pipe();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let store = match open_read_only(store) {
        Ok(store) => store,
        Err(e) => {
            let hello = Hello::Failed(format!("cannot open {} read-only: {e}", store.display()));
            return write_line(&mut out, &hello);
        }
    };
    write_line(&mut out, &Hello::Ready)?;
    for line in std::io::stdin().lock().lines() {
        let request: QueryRequest = serde_json::from_str(&line?).map_err(std::io::Error::other)?;
        let token = CancellationToken::new();
        let done = cancel_after(request.timeout, token.clone());
        let result = evaluate(&store, &request, token);
        drop(done);
        match result {
            Ok(answer) => {
                let reply = Reply::Answer {
                    content_type: answer.content_type,
                    length: answer.body.len() as u64,
                };
                write_line(&mut out, &reply)?;
                out.write_all(&answer.body)?;
            }
            Err(failure) => write_line(&mut out, &Reply::Failure(failure))?,
        }
        out.flush()?;
    }
    Ok(())
}

/// Opens the store read-only. The daemon compacts while harvesting: a file listed in the
/// manifest the worker read may be gone by the time it opens it (RocksDB then reports
/// corruption). A fresh look at the manifest finds the files that replaced it, so the opening
/// is tried again a few times before the failure is reported.
fn open_read_only(path: &Path) -> Result<Store, oxigraph::store::StorageError> {
    const ATTEMPTS: u32 = 5;
    let mut attempt = 1;
    loop {
        match Store::open_read_only(path) {
            Ok(store) => return Ok(store),
            Err(e) if attempt < ATTEMPTS => {
                tracing::debug!(
                    attempt,
                    "opening the store read-only failed ({e}); trying again"
                );
                std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Cancels `token` after `timeout` unless the returned sender is dropped first.
fn cancel_after(timeout: Duration, token: CancellationToken) -> std::sync::mpsc::Sender<()> {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
            token.cancel();
        }
    });
    done
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Answers pass through the pipe to the daemon: a 1 MiB pipe (instead of 64 KiB) takes most in
/// one write, with fewer switches between the two processes.
fn widen_pipe() {
    #[cfg(target_os = "linux")]
    // SAFETY: F_SETPIPE_SZ on our own stdout; on anything but a pipe it fails, harmlessly.
    unsafe {
        libc::fcntl(libc::STDOUT_FILENO, libc::F_SETPIPE_SZ, 1 << 20);
    }
}

/// A worker must not outlive the daemon (even one killed with SIGKILL).
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and changes only this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}
