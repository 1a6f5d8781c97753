//! Zones: Polygon or MultiPolygon with holes.

use crate::segments::{SegIndex, NO_LIMIT_RAD};
use crate::simple::{self, NotSimple};
use crate::stripes::Stripes;
use crate::{check_position_at, sphere, BBox, GeometryError, LonLat, Place, EARTH_RADIUS_M};

/// A validated, indexed Polygon / MultiPolygon. Build once, query from many threads.
#[derive(Debug, Clone)]
pub struct Zone {
    polygons: Vec<Vec<Vec<LonLat>>>,
    bbox: BBox,
    stripes: Stripes,
    segments: SegIndex,
    vertex_count: usize,
}

impl Zone {
    /// polygons -> rings (first = exterior, rest = holes) -> positions (closed rings).
    /// Ring orientation is not significant.
    ///
    /// Every ring must be simple (see [`crate::simple`]): one that crosses, touches or
    /// overlaps itself is refused with the edges and the point where it does. Rings are
    /// checked one at a time; a hole meeting its exterior, or two polygons overlapping, is
    /// not checked (inside stays well defined: even-odd over all rings).
    pub fn new(polygons: Vec<Vec<Vec<LonLat>>>) -> Result<Zone, GeometryError> {
        Zone::build(polygons, true)
    }

    /// Without the simplicity check, for tests of the index on arbitrary rings.
    #[cfg(test)]
    pub(crate) fn new_unchecked_simplicity(
        polygons: Vec<Vec<Vec<LonLat>>>,
    ) -> Result<Zone, GeometryError> {
        Zone::build(polygons, false)
    }

    fn build(polygons: Vec<Vec<Vec<LonLat>>>, simple: bool) -> Result<Zone, GeometryError> {
        if polygons.is_empty() {
            return Err(GeometryError::EmptyGeometry { kind: "zone" });
        }
        let vertex_count: usize = polygons.iter().flatten().map(Vec::len).sum();
        if vertex_count > crate::MAX_VERTICES {
            return Err(GeometryError::TooManyVertices {
                count: vertex_count,
                max: crate::MAX_VERTICES,
            });
        }
        for (pi, poly) in polygons.iter().enumerate() {
            if poly.is_empty() {
                return Err(GeometryError::EmptyPolygon { polygon: pi });
            }
            for (ri, ring) in poly.iter().enumerate() {
                for (k, &p) in ring.iter().enumerate() {
                    check_position_at(
                        p,
                        Place::ZonePosition {
                            polygon: pi,
                            ring: ri,
                            position: k,
                        },
                    )?;
                }
                if ring.len() < 4 {
                    return Err(GeometryError::RingTooShort {
                        polygon: pi,
                        ring: ri,
                        len: ring.len(),
                    });
                }
                let (first, last) = (ring[0], ring[ring.len() - 1]);
                if first != last {
                    return Err(GeometryError::RingNotClosed {
                        polygon: pi,
                        ring: ri,
                        first,
                        last,
                    });
                }
            }
        }
        let bbox = BBox::of_positions(polygons.iter().flatten().flatten())
            .ok_or(GeometryError::EmptyGeometry { kind: "zone" })?;
        if bbox.max_lon - bbox.min_lon > 180.0 {
            return Err(GeometryError::SpansTooMuchLongitude {
                min_lon: bbox.min_lon,
                max_lon: bbox.max_lon,
            });
        }
        if simple {
            for (pi, poly) in polygons.iter().enumerate() {
                for (ri, ring) in poly.iter().enumerate() {
                    simple::check_ring(ring).map_err(|why| match why {
                        NotSimple::TooFewDistinct(distinct) => GeometryError::RingTooFewPositions {
                            polygon: pi,
                            ring: ri,
                            distinct,
                        },
                        NotSimple::Contact(found) => GeometryError::RingSelfContact {
                            polygon: pi,
                            ring: ri,
                            edge_a: found.edge_a,
                            edge_b: found.edge_b,
                            at: found.at,
                            kind: found.kind,
                        },
                    })?;
                }
            }
        }
        let rings = || polygons.iter().flatten().map(Vec::as_slice);
        let stripes = Stripes::new(rings(), bbox);
        let segments = SegIndex::new(rings());
        Ok(Zone {
            bbox,
            stripes,
            segments,
            vertex_count,
            polygons,
        })
    }

    /// Covers, planar in lon/lat degrees: the boundary (hole boundaries included) is
    /// inside, a hole's interior is outside. NaN is outside.
    #[inline]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.stripes.covers(lon, lat)
    }

    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    /// Area on the sphere in km^2, holes subtracted, of the shape `contains` means (edges
    /// straight in lon/lat).
    pub fn area_km2(&self) -> f64 {
        let r2 = EARTH_RADIUS_M * EARTH_RADIUS_M;
        let m2: f64 = self
            .polygons
            .iter()
            .map(|poly| {
                let ext = ring_area_rad2(&poly[0]);
                let holes: f64 = poly[1..].iter().map(|h| ring_area_rad2(h)).sum();
                (ext - holes).max(0.0) * r2
            })
            .sum();
        m2 / 1e6
    }

    /// 0 when the zone contains the point, else the least great-circle distance in metres
    /// to the segments of all its rings.
    pub fn distance_m(&self, lon: f64, lat: f64) -> f64 {
        if self.contains(lon, lat) {
            return 0.0;
        }
        self.segments
            .min_dist_rad(&sphere::unit(lon, lat), NO_LIMIT_RAD)
            .map_or(f64::INFINITY, |d| d * EARTH_RADIUS_M)
    }

    /// `Some(self.distance_m(lon, lat))` iff that distance is below `limit_m`; skips the
    /// parts of the zone that cannot come that close.
    pub fn distance_within_m(&self, lon: f64, lat: f64, limit_m: f64) -> Option<f64> {
        if limit_m.is_nan() || limit_m <= 0.0 {
            return None;
        }
        // Most units are far from most targets: a trig-free bound settles them.
        if self.bbox.distance_lower_bound_m(lon, lat) >= limit_m {
            return None;
        }
        if self.contains(lon, lat) {
            return Some(0.0);
        }
        within(&self.segments, lon, lat, limit_m)
    }

    /// Positions as given, closing positions included.
    pub fn vertex_count(&self) -> usize {
        self.vertex_count
    }

    /// The polygons as given to [`Zone::new`].
    pub fn polygons(&self) -> &[Vec<Vec<LonLat>>] {
        &self.polygons
    }
}

/// Shared by zones and lines: search with the limit (slightly widened so that rounding of
/// the metre/radian conversion cannot drop a hit), then decide in metres.
pub(crate) fn within(segs: &SegIndex, lon: f64, lat: f64, limit_m: f64) -> Option<f64> {
    let limit_rad = (limit_m / EARTH_RADIUS_M) * (1.0 + 1e-12) + 1e-15;
    let d = segs.min_dist_rad(&sphere::unit(lon, lat), limit_rad)? * EARTH_RADIUS_M;
    (d < limit_m).then_some(d)
}

/// Area of a closed ring on the contract's sphere in km^2, by the same formula as
/// [`Zone::area_km2`] (orientation not significant). For the gap report's pieces, so that
/// they and the zones are measured alike.
pub fn ring_area_km2(ring: &[LonLat]) -> f64 {
    ring_area_rad2(ring) * EARTH_RADIUS_M * EARTH_RADIUS_M / 1e6
}

/// Area of a closed ring in steradians, its edges straight in lon/lat (RFC 7946, the
/// engine's meaning of "inside"), exactly: by Green's theorem the area is the integral of
/// sin(lat) d(lon) around the ring, and along an edge where latitude is linear in
/// longitude that integral is d(lon) * sin(mid-latitude) * sinc(half the latitude change).
/// (Chamberlain and Duquette's trapezoid rule, as turf uses, is this with sinc taken as 1;
/// exact, a zone cut in pieces measures the same as the whole, to rounding.)
fn ring_area_rad2(ring: &[LonLat]) -> f64 {
    if ring.len() < 4 {
        return 0.0;
    }
    let mut s = 0.0;
    for w in ring.windows(2) {
        let (lon1, lat1) = (w[0][0].to_radians(), w[0][1].to_radians());
        let (lon2, lat2) = (w[1][0].to_radians(), w[1][1].to_radians());
        let h = 0.5 * (lat2 - lat1);
        let sinc = if h.abs() < 1e-4 {
            1.0 - h * h / 6.0
        } else {
            h.sin() / h
        };
        s += (lon2 - lon1) * (0.5 * (lat1 + lat2)).sin() * sinc;
    }
    s.abs()
}
