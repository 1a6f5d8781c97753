//! Geometry for truceline: zones (polygons with holes) and lines, with the point-in-zone
//! and great-circle distance semantics of the engine contract (engine.md, section 3), fast.
//!
//! Invariants the rest of the system relies on:
//! - Pure: no I/O, no clocks, no global state; [`Zone`] and [`Line`] are immutable after
//!   construction and `Send + Sync`.
//! - Validated on construction: every position is finite with lon in [-180, 180] and lat
//!   in [-90, 90]; rings are closed with at least 4 positions; lines have at least 2; a
//!   feature spans at most 180 degrees of longitude and has at most [`MAX_VERTICES`]
//!   positions; every ring of a zone is simple (it does not cross, touch or overlap
//!   itself; checked by a sweep in O(n log n)). Errors say where (polygon / ring / line /
//!   position / edge index, from 0).
//! - Inside is planar in lon/lat degrees, "covers": boundary (hole boundaries too) is
//!   inside, a hole's interior is outside. On-edge and side-of-edge decisions are exact
//!   (Shewchuk's orient2d), matching GEOS / `shapely.intersects_xy`.
//! - Distances are great-circle on a sphere of radius [`EARTH_RADIUS_M`], computed the way
//!   the reference `oracle.py` does (unit vectors, atan2), so they agree with it far below
//!   a millimetre. Indexes only prune: the indexed answer equals the brute force over the
//!   same segments ([`reference`] holds the brute force).
//! - Lower bounds ([`distance_lower_bound_m`], [`BBox::distance_lower_bound_m`]) are never
//!   above the true distance.

mod error;
mod hausdorff;
mod line;
pub mod reference;
mod segments;
mod simple;
mod sphere;
mod stripes;
mod zone;

pub use error::{Contact, GeometryError, Place};
pub use line::Line;
pub use zone::{ring_area_km2, Zone};

/// Mean Earth radius (IUGG), the sphere of the contract.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Most positions one feature may have (bounds memory and build time on hostile input).
pub const MAX_VERTICES: usize = 1_000_000;

/// `[lon, lat]` in degrees, WGS84, as in GeoJSON.
pub type LonLat = [f64; 2];

/// A box in lon/lat degrees (closed). Never crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    /// Box of the positions; `None` when there are none.
    pub fn of_positions<'a>(positions: impl IntoIterator<Item = &'a LonLat>) -> Option<BBox> {
        let mut it = positions.into_iter();
        let first = it.next()?;
        let mut b = BBox {
            min_lon: first[0],
            min_lat: first[1],
            max_lon: first[0],
            max_lat: first[1],
        };
        for p in it {
            b.min_lon = b.min_lon.min(p[0]);
            b.min_lat = b.min_lat.min(p[1]);
            b.max_lon = b.max_lon.max(p[0]);
            b.max_lat = b.max_lat.max(p[1]);
        }
        Some(b)
    }

    /// Closed containment in lon/lat; NaN is outside.
    #[inline]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.min_lon && lon <= self.max_lon && lat >= self.min_lat && lat <= self.max_lat
    }

    /// A cheap lower bound (no trigonometry) on the great-circle distance in metres from the
    /// point to any point of the box, never above the true one. For callers that prune
    /// features by their box before an exact distance.
    pub fn distance_lower_bound_m(&self, lon: f64, lat: f64) -> f64 {
        let dlat = if lat < self.min_lat {
            self.min_lat - lat
        } else if lat > self.max_lat {
            lat - self.max_lat
        } else {
            0.0
        };
        // The nearest longitude of the box (on the circle) is one of its edges.
        let dlon = if lon < self.min_lon || lon > self.max_lon {
            wrap_dlon((lon - self.min_lon).abs()).min(wrap_dlon((lon - self.max_lon).abs()))
        } else {
            0.0
        };
        let max_abs_lat = lat.abs().max(self.min_lat.abs()).max(self.max_lat.abs());
        lower_bound_m(dlat, dlon, max_abs_lat)
    }
}

/// Validate one position: finite, lon in [-180, 180], lat in [-90, 90].
pub fn check_position(p: LonLat) -> Result<(), GeometryError> {
    check_position_at(p, Place::Position)
}

pub(crate) fn check_position_at(p: LonLat, at: Place) -> Result<(), GeometryError> {
    let [lon, lat] = p;
    if !lon.is_finite() || !lat.is_finite() {
        return Err(GeometryError::NotFinite { at, lon, lat });
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(GeometryError::LongitudeOutOfRange { at, lon });
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(GeometryError::LatitudeOutOfRange { at, lat });
    }
    Ok(())
}

/// Great-circle distance in metres, as the oracle's `dist_point_point` computes it
/// (atan2(|a x b|, a . b) on unit vectors; accurate at every distance).
pub fn distance_point_point_m(a: LonLat, b: LonLat) -> f64 {
    sphere::angle(&sphere::unit(a[0], a[1]), &sphere::unit(b[0], b[1])) * EARTH_RADIUS_M
}

/// A cheap lower bound on the great-circle distance between two points (never above the
/// true one), for spatial pruning by callers: no trigonometry, a few multiplications.
///
/// Why it holds: the distance is at least the latitude difference; and by the haversine
/// formula sin(d/2) >= cos(max |lat|) sin(dlon/2), with cos x >= 1 - x^2/2 and
/// sin x >= x - x^3/6, and d/2 >= sin(d/2).
pub fn distance_lower_bound_m(a: LonLat, b: LonLat) -> f64 {
    lower_bound_m(
        (a[1] - b[1]).abs(),
        wrap_dlon((a[0] - b[0]).abs()),
        a[1].abs().max(b[1].abs()),
    )
}

/// Longitude difference folded to [0, 180] (for differences in [0, 360]).
#[inline]
fn wrap_dlon(d: f64) -> f64 {
    if d > 180.0 {
        360.0 - d
    } else {
        d
    }
}

/// Lower bound from a latitude difference, a longitude difference (degrees, <= 180) and an
/// upper bound on the absolute latitude of both points. Monotone: larger differences or a
/// smaller latitude never lower it.
#[inline]
fn lower_bound_m(dlat_deg: f64, dlon_deg: f64, max_abs_lat_deg: f64) -> f64 {
    let dphi = dlat_deg.to_radians();
    // sin x >= x - x^3/6 for x >= 0; that polynomial rises up to sqrt(2), and sin keeps
    // rising to pi/2, so clamping keeps a valid and monotone bound.
    let h = (dlon_deg.to_radians() * 0.5).min(std::f64::consts::SQRT_2);
    let sin_lb = h * (1.0 - h * h / 6.0);
    let phi = max_abs_lat_deg.to_radians();
    let cos_lb = (1.0 - phi * phi * 0.5).max(0.0);
    let rad = dphi.max(2.0 * cos_lb * sin_lb);
    // Margins far above rounding of either side.
    (rad * EARTH_RADIUS_M * (1.0 - 1e-9) - 1e-6).max(0.0)
}

#[cfg(test)]
mod tests;
