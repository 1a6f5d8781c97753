//! What each principal sees of the force's records: part of the one disclosure policy
//! ([`crate::disclosure::Disclosure`]), kept beside the domain it decides for.
//!
//! - The force (monitors) and the mediator see every record whole.
//! - A party sees a patrol announced to it: its unit, window, corridor and observers; its
//!   route once the patrol has ended, or from the announcement when the agreement's
//!   `future_routes` is `announced`; and the report once made. Never the track: a
//!   party sees no unit of another principal.
//! - Observers see no patrol.
//! - Everyone sees the period coverage of the lines and zone edges.

use serde_json::{json, Value};
use truceline_engine::agreement::{FutureRoutes, Role};

use super::patrols::Patrol;
use crate::access::Principal;
use crate::disclosure::Disclosure;

impl Disclosure {
    /// Whether `who` sees the force's tracks and every record of the force whole.
    pub fn sees_force_tracks(who: &Principal) -> bool {
        matches!(who.role, Role::Mediator | Role::Monitor)
    }

    /// Whether `who` sees the period coverage of lines and zone edges: every principal,
    /// since it tells where the force has been (shares and stretches of the agreement's
    /// own lines), never a unit or a position of anyone's.
    pub fn sees_coverage(&self, who: &Principal) -> bool {
        matches!(
            who.role,
            Role::Mediator | Role::Monitor | Role::Party | Role::Observer
        )
    }

    /// What `who` sees of patrol `p` at `now_ms`, or `None` if it may not see it.
    pub fn patrol(&self, p: &Patrol, who: &Principal, now_ms: i64) -> Option<Value> {
        let mut v = json!({
            "id": p.id,
            "status": p.status,
            "unit": p.tasking.unit,
            "from": p.tasking.from,
            "until": p.tasking.until,
            "corridor_m": p.tasking.corridor_m,
            "max_gap_s": p.tasking.max_gap_s,
            "observers": p.tasking.observers,
            "line": p.tasking.line,
            "area": p.tasking.area,
            "announced_to": p.announced_to,
            "tasked_at": p.tasked_at,
            "report_due": p.report_due,
            "overdue_at": p.overdue_at,
            "report": p.report,
        });
        if Self::sees_force_tracks(who) {
            v["tasked_by"] = json!(p.tasked_by);
            v["purpose"] = json!(p.tasking.purpose);
            v["route"] = json!(p.tasking.route);
            v["ledger"] = json!(p.ledger);
            return Some(v);
        }
        if who.role != Role::Party || !p.announced_to.contains(&who.id) {
            return None;
        }
        let route_told = now_ms >= p.until_ms || self.future_routes() == FutureRoutes::Announced;
        if route_told {
            v["route"] = json!(p.tasking.route);
        }
        Some(v)
    }
}
