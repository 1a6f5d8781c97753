//! The agreement's `[notices]` table: lead times, buffers, answer deadlines and redaction
//! for deconfliction notices. Read from the same agreement.toml as the engine's agreement,
//! as strictly (unknown keys, negative or absurd values and unknown names are refused).
//!
//! ```toml
//! [notices]
//! lead_time_min = 60           # default lead time, minutes before the window opens
//! answer_within_min = 120      # the other party answers within this after the relay
//! buffer_km = 2.0              # two notices of different parties closer than this overlap
//! buffer_min = 30              # ... and windows closer than this in time
//! redact = ["forces"]          # what the other party does not see: forces | counts | description | altitude
//! [notices.lead_time_by_kind]  # per kind: movement | deployment | exercise | flight | strike
//! exercise = 1440
//! ```
//!
//! The engine's loader accepts the table and leaves it alone; the table's lines are still
//! blanked before the text is handed to the engine (line numbers stay right), so that the
//! engine never depends on what is in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use truceline_engine::{Agreement, AgreementError, AgreementSource};

pub const NOTICE_KINDS: [&str; 5] = ["movement", "deployment", "exercise", "flight", "strike"];
pub const REDACTABLE: [&str; 4] = ["forces", "counts", "description", "altitude"];
/// A week: no sensible lead time, answer window or buffer is longer.
const MAX_MINUTES: u32 = 7 * 24 * 60;
const MAX_BUFFER_KM: f64 = 500.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticePolicy {
    #[serde(default = "d_lead")]
    pub lead_time_min: u32,
    #[serde(default)]
    pub lead_time_by_kind: BTreeMap<String, u32>,
    #[serde(default = "d_answer")]
    pub answer_within_min: u32,
    #[serde(default = "d_buffer_km")]
    pub buffer_km: f64,
    #[serde(default = "d_buffer_min")]
    pub buffer_min: u32,
    #[serde(default)]
    pub redact: Vec<String>,
}

fn d_lead() -> u32 {
    60
}
fn d_answer() -> u32 {
    120
}
fn d_buffer_km() -> f64 {
    2.0
}
fn d_buffer_min() -> u32 {
    30
}

impl Default for NoticePolicy {
    fn default() -> Self {
        NoticePolicy {
            lead_time_min: d_lead(),
            lead_time_by_kind: BTreeMap::new(),
            answer_within_min: d_answer(),
            buffer_km: d_buffer_km(),
            buffer_min: d_buffer_min(),
            redact: Vec::new(),
        }
    }
}

impl NoticePolicy {
    pub fn lead_time_min(&self, kind: &str) -> u32 {
        self.lead_time_by_kind
            .get(kind)
            .copied()
            .unwrap_or(self.lead_time_min)
    }

    pub fn redacts(&self, what: &str) -> bool {
        self.redact.iter().any(|r| r == what)
    }

    fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("lead_time_min", self.lead_time_min),
            ("answer_within_min", self.answer_within_min),
            ("buffer_min", self.buffer_min),
        ] {
            if v > MAX_MINUTES {
                return Err(format!(
                    "notices.{name} = {v}: at most {MAX_MINUTES} minutes (a week)"
                ));
            }
        }
        if self.answer_within_min == 0 {
            return Err("notices.answer_within_min must be at least 1".into());
        }
        for (kind, v) in &self.lead_time_by_kind {
            if !NOTICE_KINDS.contains(&kind.as_str()) {
                return Err(format!(
                    "notices.lead_time_by_kind: unknown kind {kind:?} (one of {NOTICE_KINDS:?})"
                ));
            }
            if *v > MAX_MINUTES {
                return Err(format!(
                    "notices.lead_time_by_kind.{kind} = {v}: at most {MAX_MINUTES} minutes"
                ));
            }
        }
        if !(self.buffer_km.is_finite() && (0.0..=MAX_BUFFER_KM).contains(&self.buffer_km)) {
            return Err(format!(
                "notices.buffer_km = {}: must be from 0 to {MAX_BUFFER_KM}",
                self.buffer_km
            ));
        }
        for r in &self.redact {
            if !REDACTABLE.contains(&r.as_str()) {
                return Err(format!(
                    "notices.redact: unknown field {r:?} (one of {REDACTABLE:?})"
                ));
            }
        }
        Ok(())
    }
}

/// What a party learns of the other side's unit in a separation breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherUnit {
    /// "a unit of SY": neither its id nor its position (the default).
    #[default]
    Hidden,
    /// Its id, not its position.
    Id,
    /// Its id and its position.
    Position,
}

/// The agreement's `[disclosure]` table: how much a party learns of the other side's
/// forces from an item about both (a separation breach, an incident opened for one).
///
/// ```toml
/// [disclosure]
/// separation_other_unit = "hidden"   # hidden | id | position
/// separation_distance_step_m = 100   # distances shown to a party, rounded to this (0: exact)
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosurePolicy {
    #[serde(default)]
    pub separation_other_unit: OtherUnit,
    #[serde(default = "d_step")]
    pub separation_distance_step_m: u32,
}

fn d_step() -> u32 {
    100
}

impl Default for DisclosurePolicy {
    fn default() -> Self {
        DisclosurePolicy {
            separation_other_unit: OtherUnit::Hidden,
            separation_distance_step_m: d_step(),
        }
    }
}

/// Most a distance may be rounded to: anything coarser says nothing.
const MAX_STEP_M: u32 = 100_000;

impl DisclosurePolicy {
    fn validate(&self) -> Result<(), String> {
        if self.separation_distance_step_m > MAX_STEP_M {
            return Err(format!(
                "disclosure.separation_distance_step_m = {}: at most {MAX_STEP_M}",
                self.separation_distance_step_m
            ));
        }
        Ok(())
    }
}

/// The agreement's `[incidents]` table: how the engine's breaches become incidents.
///
/// ```toml
/// [incidents]
/// join_within_h = 24   # a breach of one rule by the same unit, pair or cap within this
///                      # of the last one joins that open incident instead of opening one
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentPolicy {
    #[serde(default = "d_join")]
    pub join_within_h: u32,
}

fn d_join() -> u32 {
    24
}

impl Default for IncidentPolicy {
    fn default() -> Self {
        IncidentPolicy {
            join_within_h: d_join(),
        }
    }
}

impl IncidentPolicy {
    pub fn join_within_ms(&self) -> i64 {
        i64::from(self.join_within_h) * 3_600_000
    }

    fn validate(&self) -> Result<(), String> {
        if self.join_within_h > 24 * 31 {
            return Err(format!(
                "incidents.join_within_h = {}: at most {} (31 days)",
                self.join_within_h,
                24 * 31
            ));
        }
        Ok(())
    }
}

/// Everything of the agreement that is the server's, not the engine's.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerPolicy {
    pub notices: NoticePolicy,
    pub disclosure: DisclosurePolicy,
    pub incidents: IncidentPolicy,
}

#[derive(Deserialize)]
struct Outer {
    notices: Option<NoticePolicy>,
    disclosure: Option<DisclosurePolicy>,
    incidents: Option<IncidentPolicy>,
}

/// The server's tables, which the engine's loader does not know.
const SERVER_TABLES: [&str; 3] = ["notices", "disclosure", "incidents"];

/// The lines of the server's tables (`[notices]`, `[notices.*]`, `[disclosure]`,
/// `[incidents]`) replaced by empty lines.
/// agreement.toml without the server's own tables ([notices], [disclosure],
/// [incidents]): what the engine reads, and what a version's hash covers.
pub fn without_server_tables(text: &str) -> String {
    without_notices(text)
}

fn without_notices(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let head = line.trim_start();
        if head.starts_with('[') {
            let name = head.trim_start_matches('[').trim_start();
            inside = !head.starts_with("[[")
                && SERVER_TABLES.iter().any(|t| {
                    name.strip_prefix(t).is_some_and(|rest| {
                        let rest = rest.trim_start();
                        rest.starts_with(']') || rest.starts_with('.')
                    })
                });
        }
        if inside {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Loads an agreement and its notice policy from agreement.toml's text and the geometry's.
pub fn load(
    text: &str,
    file: &str,
    geometry: &str,
    geometry_file: &str,
) -> Result<(Agreement, NoticePolicy), AgreementError> {
    load_all(text, file, geometry, geometry_file).map(|(a, p)| (a, p.notices))
}

/// Loads an agreement and every table of the server's ([`ServerPolicy`]).
pub fn load_all(
    text: &str,
    file: &str,
    geometry: &str,
    geometry_file: &str,
) -> Result<(Agreement, ServerPolicy), AgreementError> {
    let err = |message: String| AgreementError {
        file: file.to_string(),
        line: None,
        message,
    };
    let outer: toml::Table =
        toml::from_str(text).map_err(|e| err(format!("not a valid agreement: {}", e.message())))?;
    let mut policy = ServerPolicy::default();
    if SERVER_TABLES.iter().any(|t| outer.contains_key(*t)) {
        let mut own = toml::Table::new();
        for t in SERVER_TABLES {
            if let Some(v) = outer.get(t) {
                own.insert(t.to_owned(), v.clone());
            }
        }
        let o: Outer = toml::from_str(&toml::to_string(&own).unwrap_or_default()).map_err(|e| {
            err(format!(
                "[notices], [disclosure] or [incidents]: {}",
                e.message()
            ))
        })?;
        policy.notices = o.notices.unwrap_or_default();
        policy.disclosure = o.disclosure.unwrap_or_default();
        policy.incidents = o.incidents.unwrap_or_default();
    }
    policy.notices.validate().map_err(err)?;
    policy.disclosure.validate().map_err(err)?;
    policy.incidents.validate().map_err(err)?;
    let source = AgreementSource::parse(&without_notices(text), file)?;
    let agreement = source.build(geometry, geometry_file)?;
    Ok((agreement, policy))
}

/// Reads the geometry path from agreement.toml's text (to find the second file).
pub fn geometry_path(text: &str, file: &str) -> Result<String, AgreementError> {
    Ok(AgreementSource::parse(&without_notices(text), file)?
        .geometry_path()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_only_the_notices_tables() {
        let text = "[agreement]\nid = \"x\"\n[notices]\nbuffer_km = 3\n[notices.lead_time_by_kind]\nflight = 5\n[[rules]]\nid = \"r\"\n";
        let out = without_notices(text);
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(!out.contains("buffer_km") && !out.contains("flight") && out.contains("[[rules]]"));
        let text = "[disclosure]\nseparation_other_unit = \"id\"\n[incidents]\njoin_within_h = 2\n[notices_extra]\nx = 1\n";
        let out = without_notices(text);
        assert!(!out.contains("separation_other_unit") && !out.contains("join_within_h"));
        assert!(
            out.contains("[notices_extra]"),
            "only the server's own tables are blanked"
        );
    }

    #[test]
    fn refuses_unknown_keys_and_values() {
        for (bad, needle) in [
            ("[notices]\nbufer_km = 1\n", "unknown field"),
            (
                "[notices]\nredact = [\"secrets\"]\n",
                "unknown field \"secrets\"",
            ),
            ("[notices]\nbuffer_km = -1.0\n", "buffer_km"),
            ("[notices.lead_time_by_kind]\nparade = 5\n", "unknown kind"),
            ("[notices]\nanswer_within_min = 0\n", "at least 1"),
            (
                "[disclosure]\nseparation_other_unit = \"all\"\n",
                "unknown variant",
            ),
            (
                "[disclosure]\nseparation_distance_step_m = 1000000\n",
                "at most",
            ),
            ("[disclosure]\nrounding = 1\n", "unknown field"),
            ("[incidents]\njoin_within_h = 100000\n", "at most"),
        ] {
            let e = load(bad, "a.toml", "", "z").unwrap_err();
            assert!(e.message.contains(needle), "{bad}: {e}");
        }
    }
}
