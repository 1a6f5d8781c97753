//! Lines: LineString or MultiLineString.

use crate::segments::{SegIndex, NO_LIMIT_RAD};
use crate::{check_position_at, sphere, BBox, GeometryError, LonLat, Place, EARTH_RADIUS_M};

/// A validated, indexed LineString / MultiLineString.
#[derive(Debug, Clone)]
pub struct Line {
    lines: Vec<Vec<LonLat>>,
    bbox: BBox,
    segments: SegIndex,
    vertex_count: usize,
}

impl Line {
    /// One `Vec` of positions per part (a LineString is one part).
    pub fn new(lines: Vec<Vec<LonLat>>) -> Result<Line, GeometryError> {
        if lines.is_empty() {
            return Err(GeometryError::EmptyGeometry { kind: "line" });
        }
        let vertex_count: usize = lines.iter().map(Vec::len).sum();
        if vertex_count > crate::MAX_VERTICES {
            return Err(GeometryError::TooManyVertices {
                count: vertex_count,
                max: crate::MAX_VERTICES,
            });
        }
        for (li, line) in lines.iter().enumerate() {
            for (k, &p) in line.iter().enumerate() {
                check_position_at(
                    p,
                    Place::LinePosition {
                        line: li,
                        position: k,
                    },
                )?;
            }
            if line.len() < 2 {
                return Err(GeometryError::LineTooShort {
                    line: li,
                    len: line.len(),
                });
            }
        }
        let bbox = BBox::of_positions(lines.iter().flatten())
            .ok_or(GeometryError::EmptyGeometry { kind: "line" })?;
        if bbox.max_lon - bbox.min_lon > 180.0 {
            return Err(GeometryError::SpansTooMuchLongitude {
                min_lon: bbox.min_lon,
                max_lon: bbox.max_lon,
            });
        }
        let segments = SegIndex::new(lines.iter().map(Vec::as_slice));
        Ok(Line {
            bbox,
            segments,
            vertex_count,
            lines,
        })
    }

    /// Great-circle length in km, summed over segments.
    pub fn length_km(&self) -> f64 {
        self.segments.total_length_rad() * EARTH_RADIUS_M / 1000.0
    }

    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    /// Least great-circle distance in metres to its segments.
    pub fn distance_m(&self, lon: f64, lat: f64) -> f64 {
        self.segments
            .min_dist_rad(&sphere::unit(lon, lat), NO_LIMIT_RAD)
            .map_or(f64::INFINITY, |d| d * EARTH_RADIUS_M)
    }

    /// `Some(self.distance_m(lon, lat))` iff that distance is below `limit_m`.
    pub fn distance_within_m(&self, lon: f64, lat: f64, limit_m: f64) -> Option<f64> {
        if limit_m.is_nan() || limit_m <= 0.0 {
            return None;
        }
        // Most units are far from most targets: a trig-free bound settles them.
        if self.bbox.distance_lower_bound_m(lon, lat) >= limit_m {
            return None;
        }
        crate::zone::within(&self.segments, lon, lat, limit_m)
    }

    /// Positions as given.
    /// Hausdorff distance in metres to `other`: the farthest any point of either line is
    /// from the other line, great-circle. At most `tolerance_m` below the exact figure.
    pub fn hausdorff_m(&self, other: &Line, tolerance_m: f64) -> f64 {
        let tol_rad = (tolerance_m / EARTH_RADIUS_M).max(1e-12);
        let ab = crate::hausdorff::directed_rad(&self.lines, &other.segments, tol_rad);
        let ba = crate::hausdorff::directed_rad(&other.lines, &self.segments, tol_rad);
        ab.max(ba) * EARTH_RADIUS_M
    }

    pub fn vertex_count(&self) -> usize {
        self.vertex_count
    }

    /// Number of segments (positions minus parts).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The parts as given to [`Line::new`].
    pub fn lines(&self) -> &[Vec<LonLat>] {
        &self.lines
    }
}
