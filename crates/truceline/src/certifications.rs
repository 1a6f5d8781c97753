//! `replay --certifications FILE`: the mediator's certifications that phases are complete,
//! as input to an offline replay (docs/agreement-format.md, phases).
//!
//! One JSON object a line, `{"phase": "<phase id>", "t": "<RFC 3339 UTC>"}`; blank lines
//! are skipped. Each is applied to the engine before the first report, which is the same
//! as applying it when it was made: a certification only ever schedules a rule's start at
//! or after its own instant.

use std::path::Path;

use serde::Deserialize;
use truceline_engine::{Engine, Timestamp};

use crate::exit::bad_input;

/// A certifications file is a handful of lines; anything larger is not one.
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Certification {
    phase: String,
    t: String,
}

/// Reads `path` and certifies each phase in `engine`, in file order. Errors name the file
/// and line, and leave nothing half-applied that a replay would then run on.
pub fn apply(path: &Path, engine: &mut Engine) -> anyhow::Result<()> {
    let name = path.display();
    let size = std::fs::metadata(path)
        .map_err(|err| bad_input(format!("{name}: {err}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(bad_input(format!(
            "{name}: {size} bytes; a certifications file is at most {MAX_FILE_BYTES}"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|err| bad_input(format!("{name}: {err}")))?;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cert: Certification = serde_json::from_str(line)
            .map_err(|err| bad_input(format!("{name}:{line_no}: {err}")))?;
        let at = Timestamp::parse(&cert.t)
            .map_err(|err| bad_input(format!("{name}:{line_no}: `t` {:?}: {err}", cert.t)))?;
        engine
            .certify_phase(&cert.phase, at)
            .map_err(|err| bad_input(format!("{name}:{line_no}: {err}")))?;
    }
    Ok(())
}
