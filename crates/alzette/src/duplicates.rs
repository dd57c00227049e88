//! `alzette duplicates [SOURCE]`: resources several sources describe, which record is
//! published and why. Reads the store, or asks the running daemon when it holds the store.

use crate::OutputFormat;
use crate::commands::{federation_rules, find_source, from_server, print_json};
use crate::output::outln;
use alzette_config::Config;
use alzette_server::Duplicate;
use alzette_store::{RecordStore, StoreError};
use anyhow::Result;
use std::process::ExitCode;

pub async fn duplicates(
    config: &Config,
    source: Option<&str>,
    format: OutputFormat,
) -> Result<ExitCode> {
    if let Some(id) = source {
        find_source(config, id)?;
    }
    let clusters: Vec<Duplicate> =
        match RecordStore::open(&config.store.path, config.server.base_uri.as_str()) {
            Ok(store) => {
                store.set_federation_rules(federation_rules(config));
                store
                    .duplicates(source)?
                    .into_iter()
                    .map(Duplicate::from)
                    .collect()
            }
            Err(StoreError::Locked { .. }) => {
                let query = source.map_or(String::new(), |s| format!("?source={s}"));
                from_server(config, &format!("api/duplicates{query}")).await?
            }
            Err(e) => return Err(e.into()),
        };
    match format {
        OutputFormat::Json => print_json(&clusters)?,
        OutputFormat::Text => {
            if clusters.is_empty() {
                outln!("No resource is described by more than one source.")?;
            }
            for c in &clusters {
                outln!(
                    "{} — published from {} ({})",
                    c.resource.as_deref().unwrap_or("(unknown resource)"),
                    c.published_from,
                    c.reason
                )?;
                for r in &c.records {
                    outln!(
                        "  {} {:<16} {}{}",
                        if r.published {
                            "published"
                        } else {
                            "shadowed "
                        },
                        r.source,
                        r.record,
                        r.resource
                            .as_deref()
                            .filter(|res| Some(*res) != c.resource.as_deref())
                            .map(|res| format!(" (as <{res}>)"))
                            .unwrap_or_default()
                    )?;
                }
            }
            if !clusters.is_empty() {
                outln!("{} resources described by several sources.", clusters.len())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
