//! Local files: a `file:` URL read within the same size limit as a page, and the files of a
//! folder source. The URL policy has admitted the URL first (a file source reads only its
//! folder).

use super::{CacheValidators, FetchError, FetchErrorKind, Fetched, Fetcher, error, too_large};
use url::Url;

impl Fetcher {
    /// Reads a local file whole, refusing one over `max_body_size` before reading it.
    pub(super) async fn read_file(&self, url: &Url) -> Result<Fetched, FetchError> {
        let path = url
            .to_file_path()
            .map_err(|()| error(url, FetchErrorKind::Io, "not a local file path"))?;
        let meta = tokio::fs::metadata(&path).await.map_err(|e| {
            error(
                url,
                FetchErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        if meta.len() > self.limits.max_body_size {
            return Err(too_large(url, self.limits.max_body_size));
        }
        let body = tokio::fs::read(&path).await.map_err(|e| {
            error(
                url,
                FetchErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Ok(Fetched::Body {
            url: url.clone(),
            content_type: None,
            body: body.into(),
            cache_validators: CacheValidators::default(),
        })
    }
}

/// The files of a local folder (not its subfolders) whose extension is one of `extensions`
/// (any case), in name order; `None` when `url` is not a local folder.
pub(crate) fn folder_files(url: &Url, extensions: &[&str]) -> Result<Option<Vec<Url>>, String> {
    let Some(path) = url.to_file_path().ok().filter(|p| p.is_dir()) else {
        return Ok(None);
    };
    let mut files: Vec<_> = std::fs::read_dir(&path)
        .map_err(|e| format!("cannot list {}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            Url::from_file_path(&f).map_err(|()| format!("{} is not a local path", f.display()))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}
