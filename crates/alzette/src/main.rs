//! `alzette`: the command line over the library crates.

mod admin;
mod commands;
mod convert;
mod duplicates;
mod memory;
mod output;
mod progress;
mod quality;
mod tables;
mod validate;

use alzette_harvest::RunOptions;
use clap::{Parser, Subcommand, ValueEnum};

// Parsing and canonicalising pages allocate many small strings: mimalloc is markedly faster at it
// than glibc's malloc, and holds less memory (docs/performance.md). It replaces malloc for the
// whole process (feature `override`), RocksDB included: Oxigraph frees RocksDB's error messages
// with the Rust allocator, which must then be the C one too.
#[global_allocator]
static GLOBAL: memory::CappedMiMalloc = memory::CappedMiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

/// DCAT-AP harvester and federation daemon.
#[derive(Parser)]
#[command(name = "alzette", version, about)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "ALZETTE_CONFIG",
        default_value = "harvest-sources.toml"
    )]
    config: PathBuf,
    /// Log lines as text or as JSON objects.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// How `sources` and `runs` print.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Publish the catalogue and the SPARQL endpoint, and harvest every enabled source on its schedule.
    Serve,
    /// Harvest one source now.
    Harvest {
        /// The source id.
        source: String,
        /// Print what would be added, updated and deleted; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Delete the records the source no longer has even beyond its max_shrink share.
        #[arg(long)]
        allow_shrink: bool,
        /// A summary for people, or the run (and a dry run's plan) as JSON for scripts:
        /// `{"run": {...}, "plan": {...}}`.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Check the configuration and exit.
    CheckConfig,
    /// List the sources with their last run.
    Sources {
        /// A table for people, or JSON for scripts (the same objects as `/api/sources`).
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// List the resources several sources describe: their records, which one is published and
    /// why (priority, first seen, source id).
    Duplicates {
        /// Only the resources this source has a record of.
        source: Option<String>,
        /// A table for people, or JSON for scripts (the same objects as `/api/duplicates`).
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// List recent runs, of one source or all.
    Runs {
        source: Option<String>,
        /// How many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Also list each run's record errors.
        #[arg(long)]
        errors: bool,
        /// A table for people, or JSON for scripts (the same objects as `/api/runs`, errors
        /// and warnings included).
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// The quality scores (data.europa.eu's MQA) the harvests stored: averages per source and
    /// for the catalogue, and each dataset's biggest missing points, lowest scores first.
    Quality {
        /// Only this source.
        source: Option<String>,
        /// How many datasets to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Validate RDF files against SHACL shapes and print the report (exit code 1 when the
    /// data does not conform). Syntax from the file name (.ttl, .rdf, .jsonld, .nt) or content.
    Validate {
        /// The data files, read as one graph.
        #[arg(required = true)]
        data: Vec<PathBuf>,
        /// A shapes file (repeat for several; they are read as one shapes graph).
        #[arg(long, short)]
        shapes: Vec<PathBuf>,
        /// A vocabulary file read together with the data (repeat for several); its own
        /// nodes are not validated.
        #[arg(long, short)]
        background: Vec<PathBuf>,
        #[arg(long, short, value_enum, default_value_t = validate::ReportFormat::Text)]
        format: validate::ReportFormat,
    },
    /// Print what Alzette makes of ISO 19139 records, CSW responses (many records each) or
    /// DCAT files, as RDF: for working out why a source harvests as it does. Exit code 2 when
    /// a file cannot be read.
    Convert {
        /// The files, printed as one graph.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = convert::Input::Auto)]
        from: convert::Input,
        #[arg(long, value_enum, default_value_t = convert::Output::Turtle)]
        to: convert::Output,
        /// GeoDCAT-AP profile of the ISO mapping: core or extended.
        #[arg(long, default_value = "extended")]
        profile: alzette_iso19139::Profile,
    },
    /// Internal: evaluate SPARQL queries for `serve`, reading requests on stdin.
    #[command(hide = true)]
    QueryWorker {
        /// The store, opened read-only.
        #[arg(long)]
        store: PathBuf,
        /// Bytes the query's evaluation may hold at once (`memory.rs`).
        #[arg(long)]
        memory_limit: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    // A query worker gets everything on its command line: it reads no configuration.
    if let Command::QueryWorker {
        store,
        memory_limit,
    } = &cli.command
    {
        memory::cap(*memory_limit);
        return match alzette_server::serve_worker(store) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: query worker: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Validation of files needs no configuration either.
    if let Command::Validate {
        data,
        shapes,
        background,
        format,
    } = &cli.command
    {
        return validate::validate(data, shapes, background, *format).unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        });
    }
    if let Command::Convert {
        files,
        from,
        to,
        profile,
    } = &cli.command
    {
        return convert::convert(files, *from, *to, *profile).unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        });
    }
    let config = match alzette_config::Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => commands::serve(config).await,
            Command::Harvest {
                source,
                dry_run,
                allow_shrink,
                format,
            } => {
                let options = RunOptions {
                    dry_run,
                    allow_shrink,
                };
                commands::harvest(config, &source, options, format).await
            }
            Command::CheckConfig => commands::check_config(&config),
            Command::Quality { source, limit } => {
                quality::quality(&config, source.as_deref(), limit)
            }
            Command::Sources { format } => commands::sources(&config, format).await,
            Command::Duplicates { source, format } => {
                duplicates::duplicates(&config, source.as_deref(), format).await
            }
            Command::Runs {
                source,
                limit,
                errors,
                format,
            } => commands::runs(&config, source.as_deref(), limit, errors, format).await,
            Command::QueryWorker { .. } | Command::Validate { .. } | Command::Convert { .. } => {
                unreachable!("handled before the configuration")
            }
        }
    });
    // A harvest's blocking write may still hold a thread; do not wait for it for ever.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ALZETTE_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
