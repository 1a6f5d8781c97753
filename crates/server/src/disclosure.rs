//! The one disclosure policy: what each principal receives of an item it may see. Every
//! route goes through it: the API's reads, the feed (and so Server-Sent Events and
//! webhooks), search, and the ledger itself, whose entries for engine events are written
//! one per distinct view so that a party's export holds only what it may know.
//!
//! By default (`[disclosure]` in the agreement may widen or narrow it,
//! [`DisclosurePolicy`]):
//! - the mediator and the monitors see everything;
//! - a party sees a separation breach by its own unit with the other unit shown as "a unit
//!   of SY", with no id and no position, and the distance rounded to 100 m;
//! - a party sees another party's relayed notice as the notices policy redacts it, never
//!   the mediator's check or ledger indices;
//! - the talks: the mediator sees every draft, comment and signature; a party sees its own
//!   drafts and what the mediator shared with it, which reads as the mediator's text (the
//!   cloak of deniability), and only its own comments and signatures; a countersigned
//!   version is public, with every signature it rests on;
//! - whom an item is for at all is the item's [`Audience`].
//!
//! [`fan_out`] turns one item into one copy per distinct view, each for exactly the
//! principals that receive that view, so that nobody receives two copies of a change.

use serde_json::{json, Map, Value};
use truceline_engine::agreement::{Role, RuleKind};
use truceline_engine::Agreement;

use crate::access::{Audience, Principal};
use crate::incidents::Incident;
use crate::notices::Notice;
use crate::phases::Certification;
use crate::policy::{DisclosurePolicy, NoticePolicy, OtherUnit};
use crate::talks::{DraftRecord, Talks, Version};

/// What an impact over the recorded reports tells a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImpactScope {
    All,
    /// The breaches caused by this party's own units.
    OwnUnits(String),
    Refused,
}

/// The policy and the principals it decides for.
#[derive(Debug, Clone)]
pub struct Disclosure {
    policy: DisclosurePolicy,
    notices: NoticePolicy,
    principals: Vec<Principal>,
    /// For each separation rule (by id): its two parties, first and second.
    separation_parties: Vec<(String, [String; 2])>,
    /// Who sees a patrol's route before it has run (the agreement's `[operations]`).
    future_routes: truceline_engine::agreement::FutureRoutes,
}

impl Disclosure {
    pub fn new(agreement: &Agreement, policy: DisclosurePolicy, notices: NoticePolicy) -> Self {
        let principals = agreement
            .parties
            .iter()
            .map(|p| Principal {
                id: p.id.clone(),
                role: p.role,
            })
            .collect();
        let separation_parties = agreement
            .rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::Separation { parties, .. } => Some((
                    r.id.clone(),
                    parties.map(|p| agreement.parties[usize::from(p)].id.clone()),
                )),
                _ => None,
            })
            .collect();
        Disclosure {
            policy,
            notices,
            principals,
            separation_parties,
            future_routes: agreement.operations().future_routes,
        }
    }

    pub fn future_routes(&self) -> truceline_engine::agreement::FutureRoutes {
        self.future_routes
    }

    pub fn policy(&self) -> &DisclosurePolicy {
        &self.policy
    }

    /// Whether `who` may see the positions of `party`'s units (the console's map): the
    /// mediator and monitors every unit, a party its own, an observer none.
    pub fn sees_units_of(who: &Principal, party: &str) -> bool {
        match who.role {
            Role::Mediator | Role::Monitor => true,
            Role::Party => who.id == party,
            Role::Observer => false,
        }
    }

    fn sees_all(who: &Principal) -> bool {
        matches!(who.role, Role::Mediator | Role::Monitor)
    }

    fn separation_sides(&self, rule: &str) -> Option<&[String; 2]> {
        self.separation_parties
            .iter()
            .find(|(id, _)| id == rule)
            .map(|(_, p)| p)
    }

    fn round_km(&self, km: f64) -> f64 {
        let step = f64::from(self.policy.separation_distance_step_m);
        if step == 0.0 {
            return km;
        }
        // In metres, then back: 1.96 km at 100 m is 2.0 km, never 1.9600000000000002.
        ((km * 1000.0 / step).round() * step).round() / 1000.0
    }

    /// What `who` sees of an engine event whose full form is `full` (the event's fields,
    /// `lon`/`lat` of `unit`, `other_lon`/`other_lat` of `other`), for an item whose
    /// audience already allows `who`.
    pub fn event(&self, full: &Value, who: &Principal) -> Option<Value> {
        if Self::sees_all(who) {
            return Some(full.clone());
        }
        if who.role != Role::Party {
            return None;
        }
        let rule = full.get("rule").and_then(Value::as_str).unwrap_or("");
        let Some(sides) = self.separation_sides(rule) else {
            return Some(full.clone());
        };
        let own_side = sides.iter().position(|p| *p == who.id)?;
        Some(self.separation_copy(full, own_side, &sides[1 - own_side]))
    }

    /// What anyone signed in (an observer, a party it is not about) may read of an
    /// open breach in the public summary: which rule, what kind, where; no unit, no
    /// position.
    pub fn public_event(&self, full: &Value) -> Value {
        let mut out = Map::new();
        for key in [
            "rule", "kind", "zone", "target", "party", "category", "value", "limit", "limit_km",
        ] {
            if let Some(v) = full.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
        Value::Object(out)
    }

    /// A separation event as the party on `own_side` (0: `unit`'s, 1: `other`'s) sees it:
    /// its own unit as `unit`, the other as the policy allows.
    fn separation_copy(&self, full: &Value, own_side: usize, other_party: &str) -> Value {
        let get = |k: &str| full.get(k).cloned().unwrap_or(Value::Null);
        let (own, own_lon, own_lat, other, other_lon, other_lat) = if own_side == 0 {
            (
                get("unit"),
                get("lon"),
                get("lat"),
                get("other"),
                get("other_lon"),
                get("other_lat"),
            )
        } else {
            (
                get("other"),
                get("other_lon"),
                get("other_lat"),
                get("unit"),
                get("lon"),
                get("lat"),
            )
        };
        let mut out = Map::new();
        for key in ["t", "rule", "kind", "limit_km", "reason"] {
            if let Some(v) = full.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
        out.insert("unit".into(), own);
        if !own_lon.is_null() {
            out.insert("lon".into(), own_lon);
            out.insert("lat".into(), own_lat);
        }
        out.insert("other_party".into(), other_party.into());
        out.insert(
            "other_label".into(),
            format!("a unit of {other_party}").into(),
        );
        match self.policy.separation_other_unit {
            OtherUnit::Hidden => {}
            OtherUnit::Id => {
                out.insert("other".into(), other);
            }
            OtherUnit::Position => {
                out.insert("other".into(), other);
                if !other_lon.is_null() {
                    out.insert("other_lon".into(), other_lon);
                    out.insert("other_lat".into(), other_lat);
                }
            }
        }
        if let Some(km) = full.get("distance_km").and_then(Value::as_f64) {
            out.insert("distance_km".into(), json!(self.round_km(km)));
        }
        Value::Object(out)
    }

    /// What `who` sees of a notice, if anything.
    pub fn notice(&self, n: &Notice, who: &Principal) -> Option<Value> {
        if who.is_mediator() || who.id == n.party {
            return serde_json::to_value(n).ok();
        }
        let relay = n.relay.as_ref()?;
        if !relay.to.contains(&who.id) {
            return None;
        }
        Some(self.notice_relayed(n))
    }

    /// A notice as those it was relayed to see it.
    pub fn notice_relayed(&self, n: &Notice) -> Value {
        let mut v = serde_json::to_value(n).unwrap_or_default();
        let Some(o) = v.as_object_mut() else {
            return v;
        };
        o.remove("check");
        o.remove("ledger");
        let policy = &self.notices;
        if policy.redacts("forces") {
            o.remove("forces");
        } else if policy.redacts("counts") {
            if let Some(Value::Array(forces)) = o.get_mut("forces") {
                forces.iter_mut().for_each(|f| {
                    f.as_object_mut().map(|f| f.remove("count"));
                });
            }
        }
        if policy.redacts("description") {
            o.remove("description");
        }
        if policy.redacts("altitude") {
            o.remove("altitude");
        }
        v
    }

    /// What `who` sees of an incident, if anything.
    pub fn incident(&self, i: &Incident, who: &Principal) -> Option<Value> {
        if !i.audience().allows(who) {
            return None;
        }
        let full = serde_json::to_value(i).ok()?;
        if Self::sees_all(who) || who.role != Role::Party {
            return Some(full);
        }
        let Some(link) = &i.engine else {
            return Some(full);
        };
        let Some(sides) = self.separation_sides(&link.rule) else {
            return Some(full);
        };
        let Some(own_side) = sides.iter().position(|p| *p == who.id) else {
            return Some(full);
        };
        let other_party = &sides[1 - own_side];
        let mut v = full;
        let o = v.as_object_mut()?;
        let own_place = if own_side == 0 {
            o.get("place").cloned()
        } else {
            link.other_place
                .map(|[lon, lat]| json!({"lon": lon, "lat": lat, "precision_m": 0.0}))
        };
        match own_place {
            Some(p) => o.insert("place".into(), p),
            None => o.remove("place"),
        };
        let own_unit = if own_side == 0 {
            link.unit.clone()
        } else {
            link.other.clone()
        };
        let keep_other = self.policy.separation_other_unit != OtherUnit::Hidden;
        let other_unit = if own_side == 0 {
            link.other.clone()
        } else {
            link.unit.clone()
        };
        o.insert(
            "description".into(),
            format!(
                "{} and a unit of {other_party} closer than the separation of rule {}",
                own_unit.as_deref().unwrap_or("a unit"),
                link.rule
            )
            .into(),
        );
        if let Some(Value::Object(e)) = o.get_mut("engine") {
            e.insert("unit".into(), own_unit.into());
            e.insert("unit_party".into(), who.id.clone().into());
            e.insert("other_party".into(), other_party.clone().into());
            e.insert(
                "other_label".into(),
                format!("a unit of {other_party}").into(),
            );
            if keep_other {
                e.insert("other".into(), other_unit.into());
            } else {
                e.remove("other");
            }
            if self.policy.separation_other_unit != OtherUnit::Position {
                e.remove("other_place");
            }
        }
        Some(v)
    }

    /// One copy of an item per distinct view, each with the audience of exactly the
    /// principals that receive it: the mediator's (the full view) first. `view` says what
    /// a principal sees, or `None`.
    pub fn fan_out(&self, view: impl Fn(&Principal) -> Option<Value>) -> Vec<(Audience, Value)> {
        let mut groups: Vec<(Vec<String>, bool, Value)> = Vec::new();
        for who in &self.principals {
            let Some(v) = view(who) else { continue };
            match groups.iter_mut().find(|(_, _, g)| *g == v) {
                Some((ids, mediator, _)) => {
                    ids.push(who.id.clone());
                    *mediator |= who.is_mediator();
                }
                None => groups.push((vec![who.id.clone()], who.is_mediator(), v)),
            }
        }
        groups.sort_by_key(|(_, mediator, _)| !*mediator);
        groups
            .into_iter()
            .map(|(ids, mediator, v)| {
                let audience = if mediator {
                    // The mediator reads every item with `only` unset; its id is implied.
                    Audience::ids(ids.into_iter().filter(|id| !self.is_mediator(id)))
                } else {
                    Audience::only(ids)
                };
                (audience, v)
            })
            .collect()
    }

    /// What `who` sees of a draft, without its files, or `None` if it may not see it.
    pub fn draft(&self, d: &DraftRecord, talks: &Talks, who: &Principal) -> Option<Value> {
        let version = talks.version(&d.sha256);
        let own = who.id == d.author;
        let all = who.is_mediator();
        if !(all || own || d.shared_with.contains(&who.id) || version.is_some()) {
            return None;
        }
        let mediator = self
            .principals
            .iter()
            .find(|p| p.is_mediator())
            .map_or("", |p| p.id.as_str());
        let signatures: Vec<&str> = talks
            .signatures
            .iter()
            .filter(|s| s.sha256 == d.sha256)
            .filter(|s| all || version.is_some() || s.party == who.id)
            .map(|s| s.party.as_str())
            .collect();
        let comments: Vec<&crate::talks::Comment> = d
            .comments
            .iter()
            .filter(|c| all || c.by == who.id)
            .collect();
        let mut v = json!({
            "id": d.id,
            // A text the mediator shares reads as the mediator's: nobody learns whose
            // proposal it was.
            "author": if all || own { d.author.as_str() } else { mediator },
            "title": d.title,
            "note": if all || own { d.note.as_str() } else { "" },
            "sha256": d.sha256,
            "filed_at": d.filed_at,
            "signed_by": signatures,
            "comments": comments,
            "version": version.map(|v| json!({"in_force_at": v.in_force_at, "countersigned_at": v.countersigned_at, "entry": v.entry})),
        });
        if all {
            v["shared_with"] = json!(d.shared_with);
            v["ledger"] = json!(d.ledger);
        }
        Some(v)
    }

    /// Whose breaches `who` is told of in an impact over the recorded reports: a party
    /// only those its own units' reports caused (the rest would say where the other side's
    /// forces were); the mediator and monitors all; an observer none.
    pub fn impact_scope(&self, who: &Principal) -> ImpactScope {
        match who.role {
            Role::Mediator | Role::Monitor => ImpactScope::All,
            Role::Party => ImpactScope::OwnUnits(who.id.clone()),
            Role::Observer => ImpactScope::Refused,
        }
    }

    /// A phase's certification, as everyone sees it (all of it: it is public).
    pub fn certification(&self, c: &Certification) -> Value {
        json!(c)
    }

    /// A countersigned version, as everyone sees it.
    pub fn version(&self, v: &Version) -> Value {
        json!({
            "sha256": v.sha256,
            "draft": v.draft,
            "title": v.title,
            "in_force_at": v.in_force_at,
            "countersigned_at": v.countersigned_at,
            "signatures": v.signatures.iter().map(|s| json!({"party": s.party, "at": s.at, "entry": s.entry})).collect::<Vec<_>>(),
            "entry": v.entry,
        })
    }

    fn is_mediator(&self, id: &str) -> bool {
        self.principals
            .iter()
            .any(|p| p.id == id && p.is_mediator())
    }
}
