//! The coverage the obvious way: every sample against every arc and lone point of the
//! track. The reference the indexed [`crate::coverage`] is tested against, and timed
//! beside it.

use truceline_geometry::reference::{distance_point_arc_m, distance_to_segments_m};

use crate::coverage::Coverage;
use crate::route::RouteSamples;
use crate::task::PatrolTask;
use crate::Fix;

pub fn coverage(task: &PatrolTask, samples: &RouteSamples, track: &[Fix]) -> Coverage {
    let window: Vec<&Fix> = track
        .iter()
        .filter(|f| f.t >= task.from && f.t < task.until)
        .collect();
    let gap_ns = i64::from(task.max_gap_s) * 1_000_000_000;
    // Arcs between joined neighbours, and the reports joined to neither.
    let mut pieces: Vec<([f64; 2], [f64; 2])> = Vec::new();
    for (i, f) in window.iter().enumerate() {
        let p = [f.lon, f.lat];
        let joined_before = i > 0 && f.t.0 - window[i - 1].t.0 <= gap_ns;
        let joined_after = i + 1 < window.len() && window[i + 1].t.0 - f.t.0 <= gap_ns;
        if joined_before {
            pieces.push(([window[i - 1].lon, window[i - 1].lat], p));
        }
        if !joined_before && !joined_after {
            pieces.push((p, p));
        }
    }
    let covered = samples
        .positions()
        .iter()
        .filter(|s| {
            pieces
                .iter()
                .any(|(a, b)| distance_point_arc_m(**s, *a, *b) <= task.corridor_m)
        })
        .count();
    let route = [task.route.clone()];
    let on_route: Vec<&&Fix> = window
        .iter()
        .filter(|f| distance_to_segments_m(&route, f.lon, f.lat) <= task.corridor_m)
        .collect();
    Coverage::new(
        task,
        samples,
        covered,
        window.len(),
        on_route.first().map(|f| f.t),
        on_route.last().map(|f| f.t),
    )
}
