//! The talks' operations: each is checked whole against the projection, recorded in the
//! ledger, and then seen through the projection. A countersignature goes through the
//! engine thread, which takes the version first (it refuses an instant that is not after
//! the last report, or a second version while one is due) and records it among the
//! batches; a refusal records nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use truceline_engine::agreement::Role;
use truceline_engine::{Classifier, Timestamp};
use truceline_negotiation::Draft;

use super::{
    Bundle, CommentAct, DraftFiling, DraftRecord, SignAct, Target, MAX_COMMENTS, MAX_DRAFTS,
    MAX_TEXT_BYTES,
};
use crate::access::{Audience, Principal};
use crate::acts::Signing;
use crate::disclosure::ImpactScope;
use crate::live::{Amendment, Live};
use crate::mechanism::Mechanism;
use crate::refusal::{DomainResult, Refusal};

/// Most bytes of a draft's two files together: the entry that files them must stay under
/// the ledger's body limit.
pub const MAX_BUNDLE_BYTES: usize = 900 * 1024;

/// Drafts built from their files, by hash: building validates geometry, so it is done
/// once per draft and kept (a party's filing is built for the envelope it signs and again
/// when it comes signed: the second is a look-up).
#[derive(Default)]
pub struct Built(Mutex<HashMap<String, (Bundle, Arc<Draft>)>>);

impl Built {
    /// The draft of `bundle`; `sha256` is the hash it is said to have. A hash names only
    /// the files it was built from: other files under a known hash are built afresh.
    fn get(&self, bundle: &Bundle, sha256: &str) -> DomainResult<Arc<Draft>> {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((files, d)) = cache.get(sha256) {
            if files == bundle {
                return Ok(Arc::clone(d));
            }
        }
        let draft = Arc::new(
            bundle
                .build()
                .map_err(|e| Refusal::invalid(e.to_string()))?,
        );
        if cache.len() >= MAX_DRAFTS {
            cache.clear();
        }
        cache.insert(draft.sha256.clone(), (bundle.clone(), Arc::clone(&draft)));
        Ok(draft)
    }
}

fn check_text(what: &str, text: &str) -> DomainResult<()> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(Refusal::invalid(format!(
            "{what}: at most {MAX_TEXT_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The gap's areas and lines for a map: each zone's pieces (`only_a`, `only_b`, `both`)
/// as a MultiPolygon, and each changed line as drawn in each draft.
fn gap_geojson(gap: &truceline_negotiation::GapReport) -> Value {
    let mut features = Vec::new();
    for z in &gap.zones {
        for (piece, polygons) in [
            ("only_a", &z.pieces.only_a),
            ("only_b", &z.pieces.only_b),
            ("both", &z.pieces.both),
        ] {
            if polygons.is_empty() {
                continue;
            }
            let area_km2 = match piece {
                "only_a" => z.only_a_km2,
                "only_b" => z.only_b_km2,
                _ => z.both_km2,
            };
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                "properties": {"zone": z.id, "piece": piece, "area_km2": area_km2},
            }));
        }
    }
    for l in &gap.lines {
        for (draft, paths) in [("a", &l.paths[0]), ("b", &l.paths[1])] {
            if paths.is_empty() {
                continue;
            }
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": paths},
                "properties": {"line": l.id, "draft": draft, "status": l.status},
            }));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

impl Mechanism {
    fn draft_record(&self, id: &str) -> Option<DraftRecord> {
        self.projector.read(|b| b.talks.drafts.get(id).cloned())
    }

    /// A draft `who` may see, or 404 (whether it exists is not said).
    fn visible_draft(&self, who: &Principal, id: &str) -> DomainResult<DraftRecord> {
        self.projector
            .read(|b| {
                b.talks
                    .drafts
                    .get(id)
                    .filter(|d| self.disclosure.draft(d, &b.talks, who).is_some())
                    .cloned()
            })
            .ok_or_else(|| Refusal::not_found(format!("no draft {id:?} that you may see")))
    }

    fn built(&self, d: &DraftRecord) -> DomainResult<Arc<Draft>> {
        self.talks_built.get(&d.bundle, &d.sha256)
    }

    /// A draft as `who` sees it; with its two files when `files`.
    pub fn draft_for(&self, who: &Principal, id: &str, files: bool) -> DomainResult<Value> {
        let d = self.visible_draft(who, id)?;
        let mut v = self
            .projector
            .read(|b| self.disclosure.draft(&d, &b.talks, who))
            .ok_or_else(|| Refusal::internal(format!("draft {id} is not in the projection")))?;
        if files {
            v["agreement_toml"] = json!(d.bundle.agreement_toml);
            v["geometry"] = json!(d.bundle.geometry);
        }
        Ok(v)
    }

    /// The files of a countersigned version (public, as it is).
    pub fn version_files(&self, who: &Principal, sha256: &str) -> Option<Bundle> {
        self.projector.read(|b| {
            let v = b.talks.version(sha256)?;
            let d = b.talks.drafts.get(&v.draft)?;
            self.disclosure.draft(d, &b.talks, who)?;
            Some(d.bundle.clone())
        })
    }

    /// Every draft `who` may see, without files.
    pub fn drafts_for(&self, who: &Principal) -> Vec<Value> {
        self.projector.read(|b| {
            b.talks
                .drafts
                .values()
                .filter_map(|d| self.disclosure.draft(d, &b.talks, who))
                .collect()
        })
    }

    /// The countersigned versions, oldest first, as everyone sees them.
    pub fn versions(&self) -> Vec<Value> {
        self.projector.read(|b| {
            b.talks
                .versions
                .iter()
                .map(|v| self.disclosure.version(v))
                .collect()
        })
    }

    /// Files a draft: a party's is its own signed act; the mediator's is signed by the log
    /// key. The files are validated by the engine's loader (errors name file and line).
    pub fn file_draft(
        &self,
        who: &Principal,
        mut filing: DraftFiling,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if !matches!(who.role, Role::Party | Role::Mediator) {
            return Err(Refusal::forbidden(
                "only a party or the mediator files a draft",
            ));
        }
        if filing.title.trim().is_empty() {
            return Err(Refusal::invalid("a draft has a title"));
        }
        check_text("title", &filing.title)?;
        check_text("note", &filing.note)?;
        let size = filing.agreement_toml.len() + filing.geometry.len();
        if size > MAX_BUNDLE_BYTES {
            return Err(Refusal::invalid(format!(
                "the draft's files are {size} bytes; at most {MAX_BUNDLE_BYTES}"
            )));
        }
        let draft = self.talks_built.get(&filing.bundle(), &filing.sha256)?;
        if draft.agreement.id != self.agreement.id {
            return Err(Refusal::invalid(format!(
                "{}: the draft is of agreement {:?}; this mechanism runs {:?}",
                super::AGREEMENT_FILE,
                draft.agreement.id,
                self.agreement.id
            )));
        }
        if filing.sha256.is_empty() {
            filing.sha256 = draft.sha256.clone();
        } else if filing.sha256 != draft.sha256 {
            return Err(Refusal::invalid(format!(
                "sha256 {:?}: the files hash to {}",
                filing.sha256, draft.sha256
            )));
        }
        let _one = self.one_at_a_time();
        let existing = self.projector.read(|b| {
            if b.talks.drafts.len() >= MAX_DRAFTS {
                return Err(Refusal::unavailable("the book of drafts is full"));
            }
            Ok(b.talks
                .drafts
                .values()
                .find(|d| d.author == who.id && d.sha256 == draft.sha256)
                .map(|d| d.id.clone()))
        })?;
        if let Some(id) = existing {
            return Err(Refusal::conflict(format!(
                "you filed these files already, as {id}"
            )));
        }
        let audience = if who.is_mediator() {
            Audience::default()
        } else {
            Audience::ids([who.id.clone()])
        };
        let index = self
            .recorder
            .record_act(who, signing, "draft/filed", &audience, || {
                serde_json::to_value(&filing).unwrap_or_default()
            })?;
        self.project()?;
        self.draft_for(who, &super::draft_id(index), false)
    }

    /// The mediator shares a draft with parties: it reads to them as the mediator's text.
    /// The entry carries the files, so that each recipient's export holds what it was shown.
    pub fn share_draft(&self, who: &Principal, id: &str, with: &[String]) -> DomainResult<Value> {
        if !who.is_mediator() {
            return Err(Refusal::forbidden("only the mediator shares a draft"));
        }
        let _one = self.one_at_a_time();
        let d = self
            .draft_record(id)
            .ok_or_else(|| Refusal::not_found(format!("no draft {id:?}")))?;
        if with.is_empty() {
            return Err(Refusal::invalid("with: name at least one party"));
        }
        for party in with {
            if self.projector.context().role(party) != Some(Role::Party) {
                return Err(Refusal::invalid(format!(
                    "with: {party:?} is not a party of the agreement"
                )));
            }
        }
        let mut with: Vec<String> = with.to_vec();
        with.sort();
        with.dedup();
        self.recorder.record(
            "draft/shared",
            &Audience::ids(with.clone()),
            json!({
                "draft": d.id,
                "with": with,
                "title": d.title,
                "sha256": d.sha256,
                "agreement_toml": d.bundle.agreement_toml,
                "geometry": d.bundle.geometry,
            }),
        )?;
        self.project()?;
        self.draft_for(who, id, false)
    }

    /// A party's comment on one part of a draft it may see.
    pub fn comment_draft(
        &self,
        who: &Principal,
        c: CommentAct,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if who.role != Role::Party {
            return Err(Refusal::forbidden("only a party comments on a draft"));
        }
        check_text("reason", &c.reason)?;
        let _one = self.one_at_a_time();
        let d = self.visible_draft(who, &c.draft)?;
        let target = Target::parse(&c.on).ok_or_else(|| {
            Refusal::invalid(format!(
                "on {:?}: draft, or feature:ID, rule:ID, party:ID, category:ID, phase:ID",
                c.on
            ))
        })?;
        if !target.exists_in(&*self.built(&d)?) {
            return Err(Refusal::invalid(format!(
                "on {:?}: draft {} has no such part",
                c.on, d.id
            )));
        }
        if d.comments.len() >= MAX_COMMENTS {
            return Err(Refusal::unavailable(format!(
                "draft {} has {MAX_COMMENTS} comments already",
                d.id
            )));
        }
        let id = d.id.clone();
        self.recorder.record_act(
            who,
            signing,
            "draft/commented",
            &Audience::ids([who.id.clone()]),
            || serde_json::to_value(&c).unwrap_or_default(),
        )?;
        self.project()?;
        self.draft_for(who, &id, false)
    }

    /// A party signs a draft's hash: its consent to that version entering into force.
    pub fn sign_version(
        &self,
        who: &Principal,
        id: &str,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if who.role != Role::Party {
            return Err(Refusal::forbidden("only a party signs a version"));
        }
        let _one = self.one_at_a_time();
        let d = self.visible_draft(who, id)?;
        let (signed, countersigned) = self.projector.read(|b| {
            (
                b.talks.signed_by(&d.sha256, &who.id).is_some(),
                b.talks.version(&d.sha256).is_some(),
            )
        });
        if countersigned {
            return Err(Refusal::conflict(format!(
                "version {} is countersigned already",
                d.sha256
            )));
        }
        if signed {
            return Err(Refusal::conflict(format!(
                "{} has signed version {} already",
                who.id, d.sha256
            )));
        }
        let act = SignAct {
            draft: d.id.clone(),
            sha256: d.sha256.clone(),
        };
        self.recorder.record_act(
            who,
            signing,
            "version/signed",
            &Audience::ids([who.id.clone()]),
            || serde_json::to_value(&act).unwrap_or_default(),
        )?;
        self.project()?;
        self.draft_for(who, id, false)
    }

    /// The mediator countersigns a version every party signed: from `in_force_at` the
    /// live engine runs it. The entry is public and carries the version's files.
    pub fn countersign_version(
        &self,
        who: &Principal,
        id: &str,
        in_force_at: &str,
        live: &Live,
    ) -> DomainResult<Value> {
        if !who.is_mediator() {
            return Err(Refusal::forbidden(
                "only the mediator countersigns a version",
            ));
        }
        let at = Timestamp::parse(in_force_at)
            .map_err(|e| Refusal::invalid(format!("in_force_at {in_force_at:?}: {e}")))?;
        let _one = self.one_at_a_time();
        let d = self
            .draft_record(id)
            .ok_or_else(|| Refusal::not_found(format!("no draft {id:?}")))?;
        let draft = self.built(&d)?;
        let (signatures, missing, countersigned) = self.projector.read(|b| {
            let mut signatures = Vec::new();
            let mut missing = Vec::new();
            for p in draft
                .agreement
                .parties
                .iter()
                .filter(|p| p.role == Role::Party)
            {
                match b.talks.signed_by(&d.sha256, &p.id) {
                    Some(s) => signatures.push(s.entry),
                    None => missing.push(p.id.clone()),
                }
            }
            (signatures, missing, b.talks.version(&d.sha256).is_some())
        });
        if countersigned {
            return Err(Refusal::conflict(format!(
                "version {} is countersigned already",
                d.sha256
            )));
        }
        if !missing.is_empty() {
            return Err(Refusal::conflict(format!(
                "version {} is not signed by {}: every party signs before the mediator countersigns",
                d.sha256,
                missing.join(", ")
            )));
        }
        let everyone = self.recorder.ledger_ids(&Audience {
            public: true,
            ..Audience::default()
        });
        let pending = live
            .amend_blocking(Amendment {
                classifier: Arc::new(Classifier::new(Arc::clone(&draft.agreement))),
                at,
                sha256: d.sha256.clone(),
                audience: everyone,
                body: json!({
                    "draft": d.id,
                    "sha256": d.sha256,
                    "in_force_at": at.to_string(),
                    "signatures": signatures,
                    "title": d.title,
                    "agreement_toml": d.bundle.agreement_toml,
                    "geometry": d.bundle.geometry,
                }),
            })
            .map_err(|e| match e {
                crate::live::EngineActFailure::Stopped(why) => Refusal::unavailable(why),
                refused => Refusal::conflict(refused.to_string()),
            })?;
        pending
            .wait()
            .map_err(|e| Refusal::unavailable(format!("the ledger refused the entry: {e}")))?;
        self.project()?;
        self.draft_for(who, id, false)
    }

    /// The gap report between two drafts `who` may see (spec/negotiation.md).
    pub fn draft_gap(&self, who: &Principal, a: &str, b: &str) -> DomainResult<Value> {
        let (a, b) = (self.visible_draft(who, a)?, self.visible_draft(who, b)?);
        let (da, db) = (self.built(&a)?, self.built(&b)?);
        let gap = truceline_negotiation::diff(&da, &db);
        let mut report =
            serde_json::to_value(&gap).map_err(|e| Refusal::internal(e.to_string()))?;
        report["drafts"] = json!({"a": a.id, "b": b.id});
        report["geojson"] = gap_geojson(&gap);
        Ok(report)
    }

    /// The impact between two drafts `who` may see over the recorded reports of `period`,
    /// as the disclosure policy lets `who` be told of it. One runs at a time: each replays
    /// every recorded report twice.
    pub fn draft_impact(
        &self,
        who: &Principal,
        a: &str,
        b: &str,
        period: super::impact::Period,
    ) -> DomainResult<Value> {
        let only_party = match self.disclosure.impact_scope(who) {
            ImpactScope::Refused => {
                return Err(Refusal::forbidden(
                    "observers are not told what the forces did",
                ))
            }
            ImpactScope::All => None,
            ImpactScope::OwnUnits(party) => Some(party),
        };
        let (ra, rb) = (self.visible_draft(who, a)?, self.visible_draft(who, b)?);
        let (da, db) = (self.built(&ra)?, self.built(&rb)?);
        let _running = Running::start(&self.impact_running).ok_or_else(|| {
            Refusal::unavailable("another impact is being computed; ask again when it is done")
        })?;
        let report = super::impact::over_ledger(
            self.recorder.ledger(),
            &da.agreement,
            &db.agreement,
            period,
            only_party.as_deref(),
        )
        .map_err(Refusal::internal)?;
        let mut v = serde_json::to_value(report).map_err(|e| Refusal::internal(e.to_string()))?;
        v["drafts"] = json!({"a": ra.id, "b": rb.id});
        if let Some(party) = only_party {
            v["only_party"] = json!(party);
        }
        Ok(v)
    }
}

/// Holds a flag for as long as one operation runs, and lets it go however the operation
/// ends.
struct Running<'a>(&'a AtomicBool);

impl<'a> Running<'a> {
    fn start(flag: &'a AtomicBool) -> Option<Running<'a>> {
        (!flag.swap(true, Ordering::AcqRel)).then_some(Running(flag))
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
