//! Certifying a phase complete: checked here, taken by the engine thread (which refuses
//! what the engine refuses, recording nothing), recorded among the batches, and seen
//! through the projection.

use serde_json::{json, Value};
use truceline_engine::Timestamp;

use super::{CertificationRequest, MAX_EVIDENCE, MAX_REASONS_BYTES};
use crate::access::{Audience, Principal};
use crate::live::{Certify, EngineActFailure, Live};
use crate::mechanism::Mechanism;
use crate::refusal::{DomainResult, Refusal};

pub use crate::live::CERTIFIED_KIND;

impl Mechanism {
    /// The mediator certifies `phase` complete at `req.at`: the rules waiting on it open
    /// their stated delay after that instant.
    pub fn certify_phase(
        &self,
        who: &Principal,
        phase: &str,
        req: CertificationRequest,
        live: &Live,
    ) -> DomainResult<Value> {
        if !who.is_mediator() {
            return Err(Refusal::forbidden(
                "only the mediator certifies a phase complete",
            ));
        }
        let at = Timestamp::parse(&req.at)
            .map_err(|e| Refusal::invalid(format!("at {:?}: {e}", req.at)))?;
        if req.reasons.trim().is_empty() {
            return Err(Refusal::invalid("reasons: say why the phase is complete"));
        }
        if req.reasons.len() > MAX_REASONS_BYTES {
            return Err(Refusal::invalid(format!(
                "reasons: at most {MAX_REASONS_BYTES} bytes"
            )));
        }
        if req.evidence.len() > MAX_EVIDENCE {
            return Err(Refusal::invalid(format!(
                "evidence: at most {MAX_EVIDENCE} pieces"
            )));
        }
        for sha in &req.evidence {
            if sha.len() != 64 || !sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(Refusal::invalid(format!(
                    "evidence {sha:?}: 64 lowercase hex digits (the SHA-256 PUT /v1/evidence answered)"
                )));
            }
        }
        let _one = self.one_at_a_time();
        let everyone = self.recorder.ledger_ids(&Audience {
            public: true,
            ..Audience::default()
        });
        let pending = live
            .certify_blocking(Certify {
                phase: phase.to_owned(),
                at,
                audience: everyone,
                body: json!({
                    "phase": phase,
                    "at": at.to_string(),
                    "reasons": req.reasons,
                    "evidence": req.evidence,
                }),
            })
            .map_err(|e| match e {
                EngineActFailure::Stopped(why) => Refusal::unavailable(why),
                EngineActFailure::Phase(truceline_engine::PhaseError::UnknownPhase { .. }) => {
                    Refusal::not_found(e.to_string())
                }
                refused => Refusal::conflict(refused.to_string()),
            })?;
        let index = pending
            .wait()
            .map_err(|e| Refusal::unavailable(format!("the ledger refused the entry: {e}")))?
            .index;
        self.project()?;
        self.projector.read(|b| {
            b.certified
                .iter()
                .find(|c| c.entry == index)
                .map(|c| self.disclosure.certification(c))
                .ok_or_else(|| Refusal::internal("the certification is not in the projection"))
        })
    }

    /// Every certification, oldest first: public.
    pub fn certifications(&self) -> Vec<Value> {
        self.projector.read(|b| {
            b.certified
                .iter()
                .map(|c| self.disclosure.certification(c))
                .collect()
        })
    }

    /// Whether a piece of evidence is cited by a certification (public, as they are).
    pub fn certification_cites(&self, sha256: &str) -> bool {
        self.projector.read(|b| {
            b.certified
                .iter()
                .any(|c| c.evidence.iter().any(|e| e == sha256))
        })
    }
}
