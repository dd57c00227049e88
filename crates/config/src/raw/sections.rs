//! The tables other than `[[source]]`: `[server]`, `[catalog]`, `[store]`, `[validation]`,
//! `[quality]`.

use super::*;

pub(super) fn quality(
    ctx: &Ctx<'_>,
    raw: Option<RawQuality>,
) -> Result<QualityConfig, ConfigError> {
    let base = QualityConfig::default();
    let Some(raw) = raw else {
        return Ok(base);
    };
    let d = units::duration;
    Ok(QualityConfig {
        check_links: raw.check_links.unwrap_or(base.check_links),
        link_recheck: quantity(
            ctx,
            &raw.link_recheck,
            "quality.link_recheck",
            d,
            base.link_recheck,
        )?,
        link_timeout: quantity(
            ctx,
            &raw.link_timeout,
            "quality.link_timeout",
            d,
            base.link_timeout,
        )?,
        link_concurrency: positive(
            ctx,
            &raw.link_concurrency,
            "quality.link_concurrency",
            base.link_concurrency,
        )?,
        link_host_interval: quantity(
            ctx,
            &raw.link_host_interval,
            "quality.link_host_interval",
            d,
            base.link_host_interval,
        )?,
        max_links_per_run: raw
            .max_links_per_run
            .map_or(base.max_links_per_run, |v| v.into_inner()),
    })
}

pub(super) fn validation(
    ctx: &Ctx<'_>,
    raw: Option<RawValidation>,
    sources: &[SourceConfig],
) -> Result<ValidationConfig, ConfigError> {
    let Some(raw) = raw else {
        return Ok(ValidationConfig::default());
    };
    let mut shapes = Vec::with_capacity(raw.shapes.len());
    for (i, file) in raw.shapes.iter().enumerate() {
        let key = format!("validation.shapes[{i}]");
        let url = ctx.location(file, &key)?;
        if ctx.disk
            && let Ok(path) = url.to_file_path()
            && !path.is_file()
        {
            return Err(ctx.err(
                &file.span(),
                key,
                format!("no shapes file at {}", path.display()),
            ));
        }
        shapes.push(url);
    }
    let mut background = Vec::with_capacity(raw.background.len());
    for (i, id) in raw.background.iter().enumerate() {
        match sources.iter().find(|s| &s.id == id.get_ref()) {
            Some(s) if matches!(s.kind, SourceKind::Vocabulary) => background.push(s.id.clone()),
            Some(s) => {
                return Err(ctx.err(
                    &id.span(),
                    format!("validation.background[{i}]"),
                    format!(
                        "source \"{}\" is of kind {}; background sources are of kind vocabulary",
                        s.id,
                        s.kind.name()
                    ),
                ));
            }
            None => {
                return Err(ctx.err(
                    &id.span(),
                    format!("validation.background[{i}]"),
                    format!(
                        "no source \"{}\" (name a source of kind vocabulary)",
                        id.get_ref()
                    ),
                ));
            }
        }
    }
    if shapes.is_empty() && !background.is_empty() {
        return Err(ConfigError {
            file: ctx.file.to_owned(),
            line: None,
            key: Some("validation.shapes".into()),
            message: "background vocabularies are set but no shapes: name the shapes files".into(),
        });
    }
    Ok(ValidationConfig { shapes, background })
}

pub(super) fn default_user_agent() -> String {
    format!("Alzette/{} (DCAT-AP harvester)", env!("CARGO_PKG_VERSION"))
}

pub(super) fn server(ctx: &Ctx<'_>, raw: Option<RawServer>) -> Result<ServerConfig, ConfigError> {
    let raw = raw.unwrap_or(RawServer {
        bind: None,
        base_uri: None,
        query_timeout: None,
        max_concurrent_queries: None,
        max_queued_queries: None,
        oai_page_size: None,
        max_query_result_size: None,
        query_memory_limit: None,
        max_request_body_size: None,
        catalog_page_size: None,
        catalog_max_page_size: None,
        admin_token: None,
        header_read_timeout: None,
        request_body_timeout: None,
        max_connections: None,
        max_query_nesting: None,
    });
    let bind = match &raw.bind {
        None => "127.0.0.1:8080".parse().expect("a valid default address"),
        Some(b) => b.get_ref().parse().map_err(|e| {
            ctx.err(
                &b.span(),
                "server.bind",
                format!(
                    "\"{}\" is not an address with a port, like 127.0.0.1:8080 ({e})",
                    b.get_ref()
                ),
            )
        })?,
    };
    let base_uri = match &raw.base_uri {
        None => Url::parse(&format!("http://{bind}/")).expect("a valid URL"),
        Some(b) => {
            let url = Url::parse(b.get_ref()).map_err(|e| {
                ctx.err(
                    &b.span(),
                    "server.base_uri",
                    format!("\"{}\" is not a valid URL: {e}", b.get_ref()),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https")
                || url.query().is_some()
                || url.fragment().is_some()
            {
                return Err(ctx.err(
                    &b.span(),
                    "server.base_uri",
                    "must be an http(s) URL without query or fragment",
                ));
            }
            if !url.path().ends_with('/') {
                return Err(ctx.err(
                    &b.span(),
                    "server.base_uri",
                    format!(
                        "\"{}\" must end with '/' (IRIs are minted below it)",
                        b.get_ref()
                    ),
                ));
            }
            url
        }
    };
    let page_size = positive(ctx, &raw.catalog_page_size, "server.catalog_page_size", 100)?;
    let max_page_size = positive(
        ctx,
        &raw.catalog_max_page_size,
        "server.catalog_max_page_size",
        1000,
    )?;
    if page_size > max_page_size {
        let span = raw
            .catalog_page_size
            .as_ref()
            .map(|s| s.span())
            .unwrap_or(0..0);
        return Err(ctx.err(
            &span,
            "server.catalog_page_size",
            format!("{page_size} is larger than catalog_max_page_size ({max_page_size})"),
        ));
    }
    let admin_token = match &raw.admin_token {
        Some(t) if t.get_ref().trim().len() < 16 => {
            return Err(ctx.err(
                &t.span(),
                "server.admin_token",
                "shorter than 16 characters; use a long random string (e.g. `openssl rand -hex 32`)",
            ));
        }
        t => t.as_ref().map(|t| crate::Secret::new(t.get_ref().trim())),
    };
    Ok(ServerConfig {
        bind,
        base_uri,
        admin_token,
        query_timeout: quantity(
            ctx,
            &raw.query_timeout,
            "server.query_timeout",
            units::duration,
            std::time::Duration::from_secs(30),
        )?,
        // A query keeps a core busy: more at once than cores only adds switching between worker
        // processes (docs/performance.md measured 0.8x the throughput at 4 on 2 cores).
        max_concurrent_queries: positive(
            ctx,
            &raw.max_concurrent_queries,
            "server.max_concurrent_queries",
            std::thread::available_parallelism().map_or(2, usize::from),
        )?,
        max_queued_queries: raw.max_queued_queries.as_ref().map_or(64, |v| *v.get_ref()),
        oai_page_size: positive(ctx, &raw.oai_page_size, "server.oai_page_size", 100)?,
        max_query_result_size: quantity(
            ctx,
            &raw.max_query_result_size,
            "server.max_query_result_size",
            units::size,
            512 * 1024 * 1024,
        )?,
        query_memory_limit: at_least(
            ctx,
            &raw.query_memory_limit,
            "server.query_memory_limit",
            quantity(
                ctx,
                &raw.query_memory_limit,
                "server.query_memory_limit",
                units::size,
                2 * 1024 * 1024 * 1024,
            )?,
            (
                256 * 1024 * 1024,
                "256MiB: less would refuse ordinary queries",
            ),
        )?,
        max_request_body_size: quantity(
            ctx,
            &raw.max_request_body_size,
            "server.max_request_body_size",
            units::size,
            1024 * 1024,
        )?,
        catalog_page_size: page_size,
        catalog_max_page_size: max_page_size,
        header_read_timeout: quantity(
            ctx,
            &raw.header_read_timeout,
            "server.header_read_timeout",
            units::duration,
            std::time::Duration::from_secs(10),
        )?,
        request_body_timeout: quantity(
            ctx,
            &raw.request_body_timeout,
            "server.request_body_timeout",
            units::duration,
            std::time::Duration::from_secs(30),
        )?,
        max_connections: positive(ctx, &raw.max_connections, "server.max_connections", 512)?,
        max_query_nesting: positive(ctx, &raw.max_query_nesting, "server.max_query_nesting", 128)?,
    })
}

pub(super) fn catalog(
    ctx: &Ctx<'_>,
    raw: Option<RawCatalog>,
    server: &ServerConfig,
) -> Result<CatalogConfig, ConfigError> {
    let raw = raw.unwrap_or(RawCatalog {
        title: None,
        description: None,
        publisher_name: None,
        publisher_uri: None,
        admin_email: None,
    });
    let text = |v: &Option<S<String>>, key: &str, default: &str| -> Result<String, ConfigError> {
        match v {
            None => Ok(default.to_owned()),
            Some(t) if t.get_ref().trim().is_empty() => {
                Err(ctx.err(&t.span(), key, "must not be empty"))
            }
            Some(t) => Ok(t.get_ref().trim().to_owned()),
        }
    };
    let publisher_uri = match &raw.publisher_uri {
        None => None,
        Some(u) => match Url::parse(u.get_ref()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
            _ => {
                return Err(ctx.err(
                    &u.span(),
                    "catalog.publisher_uri",
                    format!("\"{}\" is not an http(s) URL", u.get_ref()),
                ));
            }
        },
    };
    Ok(CatalogConfig {
        title: text(&raw.title, "catalog.title", "Alzette federation catalogue")?,
        description: text(
            &raw.description,
            "catalog.description",
            "Datasets harvested by Alzette from the sources listed as parts of this catalogue.",
        )?,
        publisher_name: text(
            &raw.publisher_name,
            "catalog.publisher_name",
            "Operator of this Alzette catalogue",
        )?,
        publisher_uri,
        admin_email: match &raw.admin_email {
            Some(e) if !e.get_ref().contains('@') || e.get_ref().trim().contains(' ') => {
                return Err(ctx.err(
                    &e.span(),
                    "catalog.admin_email",
                    format!("\"{}\" is not an e-mail address", e.get_ref()),
                ));
            }
            Some(e) => e.get_ref().trim().to_owned(),
            None => format!(
                "webmaster@{}",
                server.base_uri.host_str().unwrap_or("localhost")
            ),
        },
    })
}

pub(super) fn store(ctx: &Ctx<'_>, raw: Option<RawStore>) -> Result<StoreConfig, ConfigError> {
    let path = raw
        .as_ref()
        .and_then(|r| r.path.as_ref())
        .map_or_else(|| ctx.path("data/store"), |p| ctx.path(p.get_ref()));
    let runlog = raw.as_ref().and_then(|r| r.runlog.as_ref()).map_or_else(
        || {
            path.parent()
                .map_or_else(|| ctx.path("runlog"), |p| p.join("runlog"))
        },
        |p| ctx.path(p.get_ref()),
    );
    let tombstone_retention = match raw.as_ref().and_then(|r| r.tombstone_retention.as_ref()) {
        None => None,
        Some(_) => Some(quantity(
            ctx,
            &raw.as_ref().and_then(|r| r.tombstone_retention.clone()),
            "store.tombstone_retention",
            units::duration,
            std::time::Duration::ZERO,
        )?),
    };
    let damaged_runlog = match raw.as_ref().and_then(|r| r.damaged_runlog.as_ref()) {
        None => crate::DamagedRunlog::SetAside,
        Some(v) => match v.get_ref().as_str() {
            "set-aside" => crate::DamagedRunlog::SetAside,
            "refuse" => crate::DamagedRunlog::Refuse,
            other => {
                return Err(ctx.err(
                    &v.span(),
                    "store.damaged_runlog",
                    format!("\"{other}\" is not \"set-aside\" or \"refuse\""),
                ));
            }
        },
    };
    Ok(StoreConfig {
        path,
        runlog,
        tombstone_retention,
        damaged_runlog,
    })
}
