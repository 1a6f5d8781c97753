//! A route sampled as spec/operations.md says: at its start, then every 100 m of
//! great-circle length along it, and at its end.

use truceline_geometry::{distance_point_point_m, EARTH_RADIUS_M};

/// Great-circle length between two samples.
pub const SAMPLE_SPACING_M: f64 = 100.0;

#[derive(Debug, Clone)]
pub struct RouteSamples {
    positions: Vec<[f64; 2]>,
    route_km: f64,
}

impl RouteSamples {
    pub fn new(route: &[[f64; 2]]) -> RouteSamples {
        let mut positions = Vec::new();
        let mut length_m = 0.0;
        if let Some(first) = route.first() {
            positions.push(*first);
        }
        // How far along the current segment the next sample lies.
        let mut next_at_m = SAMPLE_SPACING_M;
        for w in route.windows(2) {
            let (a, b) = (w[0], w[1]);
            let seg_m = distance_point_point_m(a, b);
            let mut into = next_at_m;
            while into < seg_m {
                positions.push(along_arc(a, b, into / seg_m));
                into += SAMPLE_SPACING_M;
            }
            next_at_m = into - seg_m;
            length_m += seg_m;
        }
        if route.len() >= 2 {
            let last = route[route.len() - 1];
            // The end is a sample of its own unless a spacing sample fell on it.
            if positions.last() != Some(&last) {
                positions.push(last);
            }
        }
        RouteSamples {
            positions,
            route_km: length_m / 1000.0,
        }
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    pub fn route_km(&self) -> f64 {
        self.route_km
    }

    pub fn positions(&self) -> &[[f64; 2]] {
        &self.positions
    }
}

fn unit(p: [f64; 2]) -> [f64; 3] {
    let (lon, lat) = (p[0].to_radians(), p[1].to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The point a share `f` of the way along the great-circle arc from `a` to `b` (slerp).
pub(crate) fn along_arc(a: [f64; 2], b: [f64; 2], f: f64) -> [f64; 2] {
    let (u, v) = (unit(a), unit(b));
    let angle = distance_point_point_m(a, b) / EARTH_RADIUS_M;
    if angle < 1e-12 {
        return a;
    }
    let s = angle.sin();
    let (ka, kb) = (((1.0 - f) * angle).sin() / s, (f * angle).sin() / s);
    let p = [
        ka * u[0] + kb * v[0],
        ka * u[1] + kb * v[1],
        ka * u[2] + kb * v[2],
    ];
    let lat = p[2].atan2((p[0] * p[0] + p[1] * p[1]).sqrt());
    let lon = p[1].atan2(p[0]);
    [lon.to_degrees(), lat.to_degrees()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_of_250_m_has_samples_at_0_100_200_and_its_end() {
        // 250 m north along a meridian.
        let d_lat = 250.0 / EARTH_RADIUS_M * 180.0 / std::f64::consts::PI;
        let s = RouteSamples::new(&[[35.0, 33.0], [35.0, 33.0 + d_lat]]);
        assert_eq!(s.len(), 4);
        let d = distance_point_point_m(s.positions()[0], s.positions()[2]);
        assert!((d - 200.0).abs() < 1e-6, "{d}");
        assert!((s.route_km() - 0.25).abs() < 1e-9);
    }

    #[test]
    fn spacing_carries_over_vertices() {
        let d_lat = 60.0 / EARTH_RADIUS_M * 180.0 / std::f64::consts::PI;
        let s = RouteSamples::new(&[
            [35.0, 33.0],
            [35.0, 33.0 + d_lat],
            [35.0, 33.0 + 2.0 * d_lat],
        ]);
        // 120 m: samples at 0, 100 and the end.
        assert_eq!(s.len(), 3);
        let d = distance_point_point_m(s.positions()[0], s.positions()[1]);
        assert!((d - 100.0).abs() < 1e-6, "{d}");
    }
}
