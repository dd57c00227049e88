//! A `[[source]]` table and the options of each kind.

use super::*;
use crate::MatchKey;

/// One `[[source]]` table, the `i`th; `seen` holds the ids (and their lines) before it.
pub(super) fn source(
    ctx: &Ctx<'_>,
    i: usize,
    spanned: &S<RawSource>,
    harvest: &HarvestDefaults,
    seen: &mut HashMap<String, usize>,
) -> Result<SourceConfig, ConfigError> {
    let line = ctx.line(&spanned.span());
    let s = spanned.get_ref();
    let prefix = format!("source[{i}].");
    let key = |k: &str| format!("{prefix}{k}");
    let id = s.id.get_ref().clone();
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ctx.err(
            &s.id.span(),
            key("id"),
            format!("\"{id}\" is not a valid source id: use lower-case letters, digits and '-'"),
        ));
    }
    if let Some(first_line) = seen.insert(id.clone(), ctx.line(&s.id.span())) {
        return Err(ctx.err(
            &s.id.span(),
            key("id"),
            format!("duplicate source id \"{id}\" (first used on line {first_line})"),
        ));
    }
    let schedule: Schedule = s
        .schedule
        .get_ref()
        .parse()
        .map_err(|e: crate::ScheduleError| {
            ctx.err(&s.schedule.span(), key("schedule"), e.to_string())
        })?;
    let url = ctx.location(&s.url, &key("url"))?;
    ctx.existing_folder(&url, &s.url.span(), &key("url"))?;
    let limits = limits_of!(ctx, s, prefix.as_str(), &harvest.limits);
    let kind = match s.kind.get_ref().as_str() {
        "dcat" => SourceKind::Dcat(dcat_options(ctx, s, &key)?),
        "csw" => SourceKind::Csw(csw_options(ctx, s, &key)?),
        "iso19139" => SourceKind::Iso19139(iso_options(ctx, s, &key)?),
        "vocabulary" => SourceKind::Vocabulary,
        other => {
            return Err(ctx.err(
                &s.kind.span(),
                key("kind"),
                format!("unknown source kind \"{other}\" (known: dcat, csw, iso19139, vocabulary)"),
            ));
        }
    };
    only_for_kind(ctx, s, &key)?;
    let on_invalid = match s
        .on_invalid
        .as_ref()
        .map(|v| (v.get_ref().as_str(), v.span()))
    {
        None | Some(("store", _)) => OnInvalid::Store,
        Some(("reject", _)) => OnInvalid::Reject,
        Some((other, span)) => {
            return Err(ctx.err(
                &span,
                key("on_invalid"),
                format!("\"{other}\" is not a policy: use \"store\" (publish with its report) or \"reject\" (keep the earlier version)"),
            ));
        }
    };
    let priority = s.priority.as_ref().map_or(0, |p| *p.get_ref());
    let match_on = match_on(ctx, s, &kind, &key)?;
    Ok(SourceConfig {
        priority,
        match_on,
        id,
        title: s.title.clone(),
        url,
        schedule,
        enabled: s.enabled.unwrap_or(true),
        limits,
        kind,
        on_invalid,
        line,
    })
}

/// `match_on`: a list replaces the kind's defaults; entries written `+key`/`-key` add to or
/// remove from them.
fn match_on(
    ctx: &Ctx<'_>,
    s: &RawSource,
    kind: &SourceKind,
    key: &dyn Fn(&str) -> String,
) -> Result<Vec<MatchKey>, ConfigError> {
    let mut defaults = MatchKey::DEFAULTS.to_vec();
    if matches!(kind, SourceKind::Csw(_) | SourceKind::Iso19139(_)) {
        defaults.push(MatchKey::IsoIdentifier);
    }
    let Some(list) = &s.match_on else {
        return Ok(defaults);
    };
    let err = |m: String| ctx.err(&list.span(), key("match_on"), m);
    let known = "iri, adms_identifier, identifier, iso_identifier, landing_page, download_urls";
    let modifiers = list
        .get_ref()
        .iter()
        .filter(|e| e.starts_with(['+', '-']))
        .count();
    if modifiers != 0 && modifiers != list.get_ref().len() {
        return Err(err(
            "write either a whole list (\"iri\", \"identifier\") or only changes to the defaults (\"+landing_page\", \"-identifier\"), not both".into(),
        ));
    }
    let mut keys = if modifiers == 0 { Vec::new() } else { defaults };
    for entry in list.get_ref() {
        let (remove, name) = match entry.split_at_checked(1) {
            Some(("-", name)) => (true, name),
            Some(("+", name)) => (false, name),
            _ => (false, entry.as_str()),
        };
        let k = MatchKey::from_name(name)
            .ok_or_else(|| err(format!("\"{name}\" is not a match key (known: {known})")))?;
        keys.retain(|x| *x != k);
        if !remove {
            keys.push(k);
        }
    }
    keys.sort_unstable();
    Ok(keys)
}

fn dcat_options(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<DcatOptions, ConfigError> {
    let format = match &s.format {
        None => None,
        Some(f) => Some(match f.get_ref().as_str() {
            "turtle" | "ttl" => RdfSyntax::Turtle,
            "ntriples" | "nt" => RdfSyntax::NTriples,
            "rdfxml" | "rdf" | "xml" => RdfSyntax::RdfXml,
            "jsonld" | "json-ld" => RdfSyntax::JsonLd,
            other => {
                return Err(ctx.err(
                    &f.span(),
                    key("format"),
                    format!("unknown RDF syntax \"{other}\" (turtle, ntriples, rdfxml, jsonld)"),
                ));
            }
        }),
    };
    let mut jsonld_contexts = BTreeMap::new();
    if let Some(map) = &s.jsonld_contexts {
        for (iri, location) in map.get_ref() {
            Url::parse(iri).map_err(|e| {
                ctx.err(
                    &map.span(),
                    key("jsonld_contexts"),
                    format!("\"{iri}\" is not a valid context IRI: {e}"),
                )
            })?;
            let loc = ctx.location(
                &Spanned::new(map.span(), location.clone()),
                &key("jsonld_contexts"),
            )?;
            jsonld_contexts.insert(iri.clone(), loc);
        }
    }
    let mut page_url_rewrite = Vec::new();
    if let Some(map) = &s.page_url_rewrite {
        for (from, to) in map.get_ref() {
            for u in [from, to] {
                Url::parse(u).map_err(|e| {
                    ctx.err(
                        &map.span(),
                        key("page_url_rewrite"),
                        format!("\"{u}\" is not a valid URL prefix: {e}"),
                    )
                })?;
            }
            page_url_rewrite.push((from.clone(), to.clone()));
        }
        // Longest prefix first, so that the most specific rewrite wins.
        page_url_rewrite.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    }
    let mut page_origins = Vec::new();
    if let Some(list) = &s.page_origins {
        for o in list.get_ref() {
            let url = Url::parse(o).map_err(|e| {
                ctx.err(
                    &list.span(),
                    key("page_origins"),
                    format!("\"{o}\" is not a valid origin: {e}"),
                )
            })?;
            page_origins.push(url.origin().ascii_serialization());
        }
    }
    Ok(DcatOptions {
        format,
        jsonld_contexts,
        page_url_rewrite,
        page_origins,
    })
}

/// Refuses options that the source's kind does not have (a `page_size` on a DCAT source would
/// otherwise be silently ignored).
fn only_for_kind(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    let kind = s.kind.get_ref().as_str();
    let spans = [
        ("page_size", s.page_size.as_ref().map(S::span), &["csw"][..]),
        ("constraint", s.constraint.as_ref().map(S::span), &["csw"]),
        ("sort_by", s.sort_by.as_ref().map(S::span), &["csw"]),
        ("method", s.method.as_ref().map(S::span), &["csw"]),
        (
            "profile",
            s.profile.as_ref().map(S::span),
            &["csw", "iso19139"],
        ),
        ("urls", s.urls.as_ref().map(S::span), &["iso19139"]),
        ("incremental", s.incremental.as_ref().map(S::span), &["csw"]),
        ("full_every", s.full_every.as_ref().map(S::span), &["csw"]),
        ("format", s.format.as_ref().map(S::span), &["dcat"]),
        (
            "jsonld_contexts",
            s.jsonld_contexts.as_ref().map(S::span),
            &["dcat"],
        ),
        (
            "page_url_rewrite",
            s.page_url_rewrite.as_ref().map(S::span),
            &["dcat"],
        ),
        (
            "page_origins",
            s.page_origins.as_ref().map(S::span),
            &["dcat"],
        ),
        (
            "priority",
            s.priority.as_ref().map(S::span),
            &["dcat", "csw", "iso19139"],
        ),
        (
            "match_on",
            s.match_on.as_ref().map(S::span),
            &["dcat", "csw", "iso19139"],
        ),
    ];
    for (name, span, kinds) in spans {
        if let Some(span) = span
            && !kinds.contains(&kind)
        {
            return Err(ctx.err(
                &span,
                key(name),
                format!(
                    "applies to kind = \"{}\" only, not \"{kind}\"",
                    kinds.join("\" or \"")
                ),
            ));
        }
    }
    Ok(())
}

fn iso_profile(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<IsoProfile, ConfigError> {
    match s.profile.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
        None | Some(("extended", _)) => Ok(IsoProfile::Extended),
        Some(("core", _)) => Ok(IsoProfile::Core),
        Some((other, span)) => Err(ctx.err(
            &span,
            key("profile"),
            format!("\"{other}\" is not a GeoDCAT-AP profile: use \"core\" or \"extended\""),
        )),
    }
}

fn csw_options(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<CswOptions, ConfigError> {
    let base = CswOptions::default();
    let page_size = match &s.page_size {
        None => base.page_size,
        Some(v) if (1..=10_000).contains(v.get_ref()) => *v.get_ref(),
        Some(v) => {
            return Err(ctx.err(
                &v.span(),
                key("page_size"),
                "must be between 1 and 10000 records",
            ));
        }
    };
    let constraint = s.constraint.as_ref().and_then(|c| {
        let text = c.get_ref().trim();
        (!text.is_empty()).then(|| {
            if text.starts_with('<') {
                CswConstraint::Filter(text.to_owned())
            } else {
                CswConstraint::Cql(text.to_owned())
            }
        })
    });
    let sort_by = match &s.sort_by {
        None => base.sort_by,
        Some(v) if v.get_ref().trim().is_empty() => None,
        Some(v) => Some(v.get_ref().trim().to_owned()),
    };
    let method = match s.method.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
        None | Some(("auto", _)) => CswMethod::Auto,
        Some(("post", _)) => CswMethod::Post,
        Some(("get", _)) => CswMethod::Get,
        Some((other, span)) => {
            return Err(ctx.err(
                &span,
                key("method"),
                format!("\"{other}\" is not a method: use \"auto\", \"post\" or \"get\""),
            ));
        }
    };
    let incremental = s
        .incremental
        .as_ref()
        .map_or(base.incremental, |v| *v.get_ref());
    if let (true, Some(CswConstraint::Filter(_)), Some(c)) =
        (incremental, &constraint, &s.constraint)
    {
        return Err(ctx.err(
            &c.span(),
            key("constraint"),
            "an incremental source's constraint must be CQL text (Alzette adds the modification date to it)",
        ));
    }
    Ok(CswOptions {
        page_size,
        constraint,
        sort_by,
        method,
        profile: iso_profile(ctx, s, key)?,
        incremental,
        full_every: quantity(
            ctx,
            &s.full_every,
            &key("full_every"),
            units::duration,
            base.full_every,
        )?,
    })
}

fn iso_options(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<IsoOptions, ConfigError> {
    let mut urls = Vec::new();
    if let Some(list) = &s.urls {
        for u in list.get_ref() {
            let url = ctx.location(&Spanned::new(list.span(), u.clone()), &key("urls"))?;
            ctx.existing_folder(&url, &list.span(), &key("urls"))?;
            urls.push(url);
        }
    }
    Ok(IsoOptions {
        urls,
        profile: iso_profile(ctx, s, key)?,
    })
}
