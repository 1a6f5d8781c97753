//! The feed items of a change to one of the force's records: each as every principal may
//! see it ([`crate::disclosure::Disclosure`]), one copy per distinct view.

use serde_json::{json, Value};

use super::{Operations, Table};
use crate::access::Audience;
use crate::disclosure::Disclosure;

/// The items of a change to record `key` (`"<table>/<id>"`), made by an entry at
/// `time_ms`: (item kind, audience, data).
pub fn items(
    ops: &Operations,
    d: &Disclosure,
    key: &str,
    note: &str,
    time_ms: i64,
) -> Vec<(&'static str, Audience, Value)> {
    let Some((table, id)) = Table::of_key(key) else {
        return Vec::new();
    };
    match table {
        Table::Patrol => {
            let Some(p) = ops.patrols.by_id.get(id) else {
                return Vec::new();
            };
            d.fan_out(|who| d.patrol(p, who, time_ms))
                .into_iter()
                .map(|(a, v)| ("patrol", a, json!({"note": note, "patrol": v})))
                .collect()
        }
    }
}
