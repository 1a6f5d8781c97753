//! The agreement's operations terms (`[operations]`): what the separation force owes the
//! parties and when. The engine does not use them; they are part of the agreement (and of
//! a version's hash) because both parties signed them, and the server's operations domain
//! follows them.

use serde::Deserialize;

/// Who sees a patrol's route before the patrol has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FutureRoutes {
    /// The parties a patrol is announced to see its route from the announcement.
    Announced,
    /// Only the force and the mediator see a route before the patrol's window ends.
    ForceOnly,
}

/// The terms with their defaults (each optional in the file).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperationsTerms {
    /// The parties are told of a patrol at least this long before its window.
    pub patrol_notice_minutes: u32,
    /// A patrol report is due this long after its window ends.
    pub patrol_report_due_minutes: u32,
    /// Distinct observer nationalities a patrol must carry (0: none asked).
    pub patrol_observers: u8,
    pub future_routes: FutureRoutes,
    /// Every zone with a cap is inspected at least this often.
    pub inspection_cadence_days: u32,
    /// A requested inspection is carried out within this.
    pub inspection_request_hours: u32,
    /// How far an inspection count may differ from a declaration or the live total
    /// without opening an incident.
    pub count_tolerance: u32,
    /// The corridor of the period coverage of lines and zone edges.
    pub coverage_corridor_m: u32,
}

impl Default for OperationsTerms {
    fn default() -> Self {
        OperationsTerms {
            patrol_notice_minutes: 60,
            patrol_report_due_minutes: 120,
            patrol_observers: 0,
            future_routes: FutureRoutes::Announced,
            inspection_cadence_days: 15,
            inspection_request_hours: 48,
            count_tolerance: 0,
            coverage_corridor_m: 500,
        }
    }
}

impl OperationsTerms {
    /// The first term out of its range: (key, the range as text).
    pub fn out_of_range(&self) -> Option<(&'static str, &'static str)> {
        let checks: [(&'static str, bool, &'static str); 7] = [
            (
                "patrol_notice_minutes",
                self.patrol_notice_minutes <= 10_080,
                "0 to 10080",
            ),
            (
                "patrol_report_due_minutes",
                (1..=10_080).contains(&self.patrol_report_due_minutes),
                "1 to 10080",
            ),
            ("patrol_observers", self.patrol_observers <= 8, "0 to 8"),
            (
                "inspection_cadence_days",
                (1..=365).contains(&self.inspection_cadence_days),
                "1 to 365",
            ),
            (
                "inspection_request_hours",
                (1..=720).contains(&self.inspection_request_hours),
                "1 to 720",
            ),
            (
                "count_tolerance",
                self.count_tolerance <= 100_000,
                "0 to 100000",
            ),
            (
                "coverage_corridor_m",
                (10..=5_000).contains(&self.coverage_corridor_m),
                "10 to 5000",
            ),
        ];
        checks
            .into_iter()
            .find(|(_, ok, _)| !ok)
            .map(|(key, _, range)| (key, range))
    }
}
