//! Shapes of notices (an area, or a route with a width) against the agreement's zones and
//! lines and against each other. Boundaries are densified to about 250 m, then tested
//! point by point with the geometry crate's exact point-in-zone and great-circle
//! distances: a crossing shorter than the step between two densified points can be missed,
//! which at 250 m is well inside the buffers an agreement sets.

use serde::{Deserialize, Serialize};
use truceline_engine::agreement::{Feature, Shape};
use truceline_geometry::{Line, LonLat};

pub const MAX_VERTICES: usize = 1_000;
/// Densification step, in degrees (about 250 m of latitude).
const STEP_DEG: f64 = 0.0025;
const MAX_DENSE_POINTS: usize = 50_000;
pub const MAX_ROUTE_WIDTH_KM: f64 = 100.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Place {
    /// A closed ring of `[lon, lat]`.
    Area { ring: Vec<LonLat> },
    /// A path of `[lon, lat]` and the corridor's full width.
    Route { line: Vec<LonLat>, width_km: f64 },
}

fn check_point(p: LonLat) -> Result<(), String> {
    truceline_geometry::check_position(p).map_err(|e| e.to_string())
}

impl Place {
    pub fn validate(&self) -> Result<(), String> {
        let (pts, min) = match self {
            Place::Area { ring } => (ring, 4),
            Place::Route { line, width_km } => {
                if !(width_km.is_finite() && *width_km > 0.0 && *width_km <= MAX_ROUTE_WIDTH_KM) {
                    return Err(format!(
                        "route width_km must be above 0 and at most {MAX_ROUTE_WIDTH_KM}"
                    ));
                }
                (line, 2)
            }
        };
        if pts.len() < min {
            return Err(format!("needs at least {min} positions, has {}", pts.len()));
        }
        if pts.len() > MAX_VERTICES {
            return Err(format!("{} positions: at most {MAX_VERTICES}", pts.len()));
        }
        for p in pts {
            check_point(*p)?;
        }
        if let Place::Area { ring } = self {
            if ring.first() != ring.last() {
                return Err("area ring is not closed (first and last positions differ)".into());
            }
            // The same simplicity the agreement's zones must have: a bowtie would make
            // "inside" mean something its drafter did not draw.
            truceline_geometry::Zone::new(vec![vec![ring.clone()]])
                .map_err(|e| format!("area: {e}"))?;
        }
        let (min_lon, max_lon) = pts
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
        if max_lon - min_lon > 180.0 {
            return Err("spans more than 180 degrees of longitude".into());
        }
        Ok(())
    }

    fn half_width_m(&self) -> f64 {
        match self {
            Place::Area { .. } => 0.0,
            Place::Route { width_km, .. } => width_km * 500.0,
        }
    }

    fn path(&self) -> &[LonLat] {
        match self {
            Place::Area { ring } => ring,
            Place::Route { line, .. } => line,
        }
    }

    fn dense(&self) -> Vec<LonLat> {
        densify(self.path())
    }

    fn contains(&self, p: LonLat) -> bool {
        match self {
            Place::Area { ring } => in_ring(ring, p),
            Place::Route { .. } => false,
        }
    }

    fn boundary(&self) -> Option<Line> {
        Line::new(vec![self.path().to_vec()]).ok()
    }
}

fn densify(path: &[LonLat]) -> Vec<LonLat> {
    let mut out = Vec::new();
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        let n = (((b[0] - a[0]).abs().max((b[1] - a[1]).abs()) / STEP_DEG).ceil() as usize)
            .clamp(1, 10_000);
        for i in 0..n {
            let f = i as f64 / n as f64;
            out.push([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]);
            if out.len() >= MAX_DENSE_POINTS {
                return out;
            }
        }
    }
    if let Some(last) = path.last() {
        out.push(*last);
    }
    out
}

/// Even-odd point in a ring, boundary counted inside.
fn in_ring(ring: &[LonLat], p: LonLat) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if truceline_geometry::reference::on_segment(a, b, p) {
            return true;
        }
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn feature_vertices(feature: &Feature) -> Vec<LonLat> {
    match &feature.shape {
        Shape::Zone(z) => z.polygons().iter().flatten().flatten().copied().collect(),
        Shape::Line(l) => l.lines().iter().flatten().copied().collect(),
    }
}

/// Distance in metres from a notice's place (with its width) to a zone or line; 0 when they
/// touch.
pub fn distance_to_feature_m(place: &Place, feature: &Feature) -> f64 {
    let dense = place.dense();
    let mut best = f64::MAX;
    for p in &dense {
        let d = match &feature.shape {
            Shape::Zone(z) => z.distance_m(p[0], p[1]),
            Shape::Line(l) => l.distance_m(p[0], p[1]),
        };
        best = best.min(d);
        if best == 0.0 {
            return 0.0;
        }
    }
    if feature_vertices(feature)
        .into_iter()
        .any(|v| place.contains(v))
    {
        return 0.0;
    }
    (best - place.half_width_m()).max(0.0)
}

/// Distance in metres between two notices' places (widths included); 0 when they touch.
pub fn distance_between_m(a: &Place, b: &Place) -> f64 {
    let (da, db) = (a.dense(), b.dense());
    if da.iter().any(|p| b.contains(*p)) || db.iter().any(|p| a.contains(*p)) {
        return 0.0;
    }
    let mut best = f64::MAX;
    if let Some(lb) = b.boundary() {
        for p in &da {
            best = best.min(lb.distance_m(p[0], p[1]));
        }
    }
    if let Some(la) = a.boundary() {
        for p in &db {
            best = best.min(la.distance_m(p[0], p[1]));
        }
    }
    (best - a.half_width_m() - b.half_width_m()).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, s: f64) -> Place {
        Place::Area {
            ring: vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]],
        }
    }

    #[test]
    fn areas_touch_overlap_and_stand_apart() {
        assert_eq!(
            distance_between_m(&square(35.0, 33.0, 0.1), &square(35.05, 33.05, 0.1)),
            0.0
        );
        assert_eq!(
            distance_between_m(&square(35.0, 33.0, 0.2), &square(35.05, 33.05, 0.01)),
            0.0
        );
        let apart = distance_between_m(&square(35.0, 33.0, 0.1), &square(35.2, 33.0, 0.1));
        assert!((apart - 9_330.0).abs() < 200.0, "{apart}");
        let route = Place::Route {
            line: vec![[35.15, 32.9], [35.15, 33.2]],
            width_km: 4.0,
        };
        let d = distance_between_m(&square(35.0, 33.0, 0.1), &route);
        assert!((d - (4_665.0 - 2_000.0)).abs() < 200.0, "{d}");
    }

    #[test]
    fn refuses_open_rings_and_bad_widths() {
        assert!(Place::Area {
            ring: vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
        }
        .validate()
        .is_err());
        assert!(Place::Route {
            line: vec![[0.0, 0.0], [1.0, 0.0]],
            width_km: 0.0
        }
        .validate()
        .is_err());
        assert!(Place::Route {
            line: vec![[0.0, 0.0], [f64::NAN, 0.0]],
            width_km: 1.0
        }
        .validate()
        .is_err());
        assert!(square(35.0, 33.0, 0.1).validate().is_ok());
    }

    #[test]
    fn refuses_a_bowtie_naming_where_its_edges_cross() {
        let bowtie = Place::Area {
            ring: vec![
                [35.0, 33.0],
                [35.1, 33.1],
                [35.1, 33.0],
                [35.0, 33.1],
                [35.0, 33.0],
            ],
        };
        let e = bowtie.validate().unwrap_err();
        assert!(e.contains("cross") && e.contains("35.05"), "{e}");
    }
}
