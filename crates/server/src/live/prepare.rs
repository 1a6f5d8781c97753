//! A batch read and classified on the caller's thread, before the engine thread sees it:
//! every line parsed with one report reader, the spatial half of classification done, the
//! body kept for the ledger, which records it with the batch.

use std::ops::Range;

use bytes::Bytes;
use truceline_engine::agreement::{CategoryIndex, PartyIndex, Role};
use truceline_engine::{Hit, ReportRef, Timestamp};

use crate::access::Principal;
use crate::error::ApiError;

use super::versions::Schedule;
use super::MAX_BATCH_REPORTS;

#[derive(Debug, Clone)]
pub(super) struct Prepared1 {
    pub(super) line: u64,
    pub(super) t: Timestamp,
    unit: Range<u32>,
    party: PartyIndex,
    category: CategoryIndex,
    count: u64,
    lon: f64,
    lat: f64,
    hits: Range<u32>,
}

/// A batch read and classified, not yet applied.
#[derive(Debug, Default)]
pub struct Prepared {
    pub(super) reports: Vec<Prepared1>,
    names: String,
    hits: Vec<Hit>,
    /// The body as posted: the ledger keeps it with the batch's entry, so that the
    /// engine's state can be rebuilt from the ledger after a restart.
    pub(super) body: Bytes,
    pub(super) submitter: String,
    /// The schedule of versions it was classified under ([`Schedule::generation`]).
    pub(super) generation: u64,
}

impl Prepared {
    pub fn len(&self) -> usize {
        self.reports.len()
    }
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }
    fn unit(&self, r: &Prepared1) -> &str {
        &self.names[r.unit.start as usize..r.unit.end as usize]
    }
    pub(super) fn report<'a>(&'a self, r: &Prepared1) -> ReportRef<'a> {
        ReportRef {
            t: r.t,
            unit: self.unit(r),
            party: r.party,
            category: r.category,
            count: r.count,
            lon: r.lon,
            lat: r.lat,
            hits: &self.hits[r.hits.start as usize..r.hits.end as usize],
        }
    }
    /// The reports in body order.
    pub fn reports(&self) -> impl Iterator<Item = ReportRef<'_>> {
        self.reports.iter().map(|r| self.report(r))
    }
}

/// Reads and classifies JSON Lines (one object is a batch of one), refusing the whole batch
/// at its first bad line, and reports the submitter may not make.
pub fn prepare(schedule: &Schedule, body: Bytes, who: &Principal) -> Result<Prepared, ApiError> {
    let bytes: &[u8] = &body;
    if who.role == Role::Observer {
        return Err(ApiError::forbidden(
            "observers do not submit position reports",
        ));
    }
    let mut out = Prepared {
        submitter: who.id.clone(),
        generation: schedule.generation,
        ..Prepared::default()
    };
    // One reader for the whole body: lines written alike are read by the layout the
    // first of them taught it.
    let mut reader = truceline_engine::ReportReader::default();
    let mut at = 0;
    let mut line_no = 0u64;
    while at < bytes.len() {
        line_no += 1;
        let (taken, read) = reader.read_line(&bytes[at..]);
        at += taken;
        let Some(read) = read else { continue };
        if out.reports.len() == MAX_BATCH_REPORTS {
            return Err(ApiError::too_large(format!(
                "more than {MAX_BATCH_REPORTS} reports in one batch; split it"
            )));
        }
        let bad = |m: String| {
            ApiError::unprocessable(format!(
                "line {line_no}: {m}; nothing in this batch was applied"
            ))
        };
        let report = read.map_err(bad)?;
        if who.role == Role::Party && report.party != who.id {
            return Err(ApiError::forbidden(format!(
                "line {line_no}: {} may report only its own units, not {:?}'s",
                who.id, report.party
            )));
        }
        let hits_start = out.hits.len() as u32;
        let (party, category) = schedule
            .classifier_for(report.t)
            .classify(&report, &mut out.hits)
            .map_err(|e| bad(e.to_string()))?;
        let unit_start = out.names.len() as u32;
        out.names.push_str(&report.unit);
        out.reports.push(Prepared1 {
            line: line_no,
            t: report.t,
            unit: unit_start..out.names.len() as u32,
            party,
            category,
            count: report.count,
            lon: report.lon,
            lat: report.lat,
            hits: hits_start..out.hits.len() as u32,
        });
    }
    if out.reports.is_empty() {
        return Err(ApiError::unprocessable("no reports in the body"));
    }
    out.body = body;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn classifier() -> truceline_engine::Classifier {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/golan-illustrative"
        );
        let text = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
        let zones = std::fs::read_to_string(format!("{dir}/zones.geojson")).unwrap();
        let (agreement, _) =
            crate::policy::load(&text, "agreement.toml", &zones, "zones.geojson").unwrap();
        truceline_engine::Classifier::new(Arc::new(agreement))
    }

    fn example_lines(n: usize) -> Vec<String> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/golan-illustrative"
        );
        std::fs::read_to_string(format!("{dir}/tracks.jsonl"))
            .unwrap()
            .lines()
            .take(n)
            .map(str::to_owned)
            .collect()
    }

    fn mediator() -> Principal {
        Principal {
            id: "UNDOF".into(),
            role: Role::Mediator,
        }
    }

    /// A body read with one reader (lines laid out alike share a layout) reads as each line
    /// read on its own, whatever the line breaks, and a bad line is named by its number
    /// counting blank lines.
    #[test]
    fn a_body_reads_as_its_lines_and_a_bad_line_is_named() {
        let classifier = Arc::new(classifier());
        let schedule = Schedule::single(Arc::clone(&classifier), String::new());
        let lines = example_lines(40);
        let mut body = String::new();
        let mut line_of = Vec::new();
        let mut line_no = 0;
        for (i, l) in lines.iter().enumerate() {
            body.push_str(l);
            body.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
            line_no += 1;
            line_of.push(line_no);
            if i % 7 == 0 {
                body.push_str("  \n");
                line_no += 1;
            }
        }
        let prepared = prepare(&schedule, Bytes::from(body), &mediator()).unwrap();
        assert_eq!(prepared.len(), lines.len());
        for (got, line) in prepared.reports().zip(&lines) {
            let want = truceline_engine::parse_report(line.as_bytes()).unwrap();
            assert_eq!(
                (got.t, got.unit, got.count, got.lon, got.lat),
                (want.t, &*want.unit, want.count, want.lon, want.lat)
            );
            let mut hits = Vec::new();
            let (party, category) = classifier.classify(&want, &mut hits).unwrap();
            assert_eq!(
                (got.party, got.category, got.hits),
                (party, category, &hits[..])
            );
        }
        let numbers: Vec<u64> = prepared.reports.iter().map(|r| r.line).collect();
        assert_eq!(numbers, line_of);

        // A bad line after lines laid out alike (the layout's path), then one unlike them.
        for bad in [
            lines[0].replace("\"lat\":", "\"lat\":9"),
            lines[0]
                .replace(',', ", ")
                .replace("\"count\":", "\"count\":-"),
        ] {
            let body = format!("{}\n\n{}\n{bad}\n{}\n", lines[1], lines[2], lines[3]);
            let e = prepare(&schedule, Bytes::from(body), &mediator()).unwrap_err();
            assert!(e.to_string().contains("line 4:"), "{bad}: {e}");
        }
    }
}
