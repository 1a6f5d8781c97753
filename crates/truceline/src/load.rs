//! Reading an agreement from disk: the only place the engine's pure loader meets files.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use truceline_engine::{Agreement, AgreementSource};

use crate::exit::bad_input;

/// agreement.toml is a few kilobytes; anything this large is not one.
const MAX_AGREEMENT_BYTES: u64 = 16 * 1024 * 1024;
/// Zones and lines of a real arrangement are megabytes at most.
const MAX_GEOMETRY_BYTES: u64 = 512 * 1024 * 1024;

pub fn read_limited(path: &Path, limit_bytes: u64) -> anyhow::Result<String> {
    let meta =
        std::fs::metadata(path).map_err(|err| bad_input(format!("{}: {err}", path.display())))?;
    if meta.len() > limit_bytes {
        return Err(bad_input(format!(
            "{}: {} bytes, more than the {limit_bytes} allowed",
            path.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|err| bad_input(format!("{}: not UTF-8 text ({err})", path.display())))
}

/// Loads and validates an agreement and its geometry file.
pub fn agreement(path: &Path) -> anyhow::Result<Arc<Agreement>> {
    let text = read_limited(path, MAX_AGREEMENT_BYTES)?;
    let source = AgreementSource::parse(&text, &path.display().to_string())
        .map_err(|err| bad_input(err.to_string()))?;
    let geometry_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(source.geometry_path());
    let geometry = read_limited(&geometry_path, MAX_GEOMETRY_BYTES)?;
    let agreement = source
        .build(&geometry, &geometry_path.display().to_string())
        .map_err(|err| bad_input(err.to_string()))?;
    Ok(Arc::new(agreement))
}

/// Reads and validates the agreement's `[notices]` table (defaults when there is none).
pub fn notice_policy(path: &Path) -> anyhow::Result<truceline_server::policy::NoticePolicy> {
    let text = read_limited(path, MAX_AGREEMENT_BYTES)?;
    let file = path.display().to_string();
    let geometry_path = path.parent().unwrap_or(Path::new(".")).join(
        truceline_server::policy::geometry_path(&text, &file)
            .map_err(|err| bad_input(err.to_string()))?,
    );
    let geometry = read_limited(&geometry_path, MAX_GEOMETRY_BYTES)?;
    let (_, policy) = truceline_server::policy::load(
        &text,
        &file,
        &geometry,
        &geometry_path.display().to_string(),
    )
    .map_err(|err| bad_input(err.to_string()))?;
    Ok(policy)
}
