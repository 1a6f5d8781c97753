//! Errors raised when geometry is built from untrusted coordinates.

use std::fmt;

pub use crate::simple::Contact;

/// Where in the input a problem was found. Indices count from 0, in input order; in a zone,
/// ring 0 of each polygon is its exterior and rings 1.. are its holes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A lone position (see [`crate::check_position`]).
    Position,
    /// A position of a zone ring.
    ZonePosition {
        polygon: usize,
        ring: usize,
        position: usize,
    },
    /// A position of a line part.
    LinePosition { line: usize, position: usize },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Place::Position => write!(f, "position"),
            Place::ZonePosition {
                polygon,
                ring,
                position,
            } => write!(f, "polygon {polygon}, ring {ring}, position {position}"),
            Place::LinePosition { line, position } => {
                write!(f, "line {line}, position {position}")
            }
        }
    }
}

/// Why a geometry (or a position) was rejected. Messages name the polygon, ring, line and
/// position index (from 0) so that a person can find the problem in the source file.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum GeometryError {
    #[error("{at}: coordinate [{lon}, {lat}] is not a finite number")]
    NotFinite { at: Place, lon: f64, lat: f64 },
    #[error("{at}: longitude {lon} is outside [-180, 180]")]
    LongitudeOutOfRange { at: Place, lon: f64 },
    #[error("{at}: latitude {lat} is outside [-90, 90]")]
    LatitudeOutOfRange { at: Place, lat: f64 },
    #[error("polygon {polygon}, ring {ring}: has {len} positions, a closed ring needs at least 4")]
    RingTooShort {
        polygon: usize,
        ring: usize,
        len: usize,
    },
    #[error(
        "polygon {polygon}, ring {ring}: not closed, first position [{}, {}] differs from last [{}, {}]",
        first[0], first[1], last[0], last[1]
    )]
    RingNotClosed {
        polygon: usize,
        ring: usize,
        first: [f64; 2],
        last: [f64; 2],
    },
    #[error("line {line}: has {len} positions, a line needs at least 2")]
    LineTooShort { line: usize, len: usize },
    #[error("polygon {polygon}: has no rings (an exterior ring is required)")]
    EmptyPolygon { polygon: usize },
    #[error("empty geometry: a {kind} needs at least one part")]
    EmptyGeometry { kind: &'static str },
    #[error(
        "spans {span} degrees of longitude ({min_lon} to {max_lon}), more than 180 (antimeridian crossings are not supported)",
        span = max_lon - min_lon
    )]
    SpansTooMuchLongitude { min_lon: f64, max_lon: f64 },
    #[error("polygon {polygon}, ring {ring}: has {distinct} distinct positions, a ring needs at least 3")]
    RingTooFewPositions {
        polygon: usize,
        ring: usize,
        distinct: usize,
    },
    /// The ring is not simple. Edge `k` joins positions `k` and `k + 1`.
    #[error(
        "polygon {polygon}, ring {ring}: {} itself at [{}, {}], where edge {edge_a} (positions {edge_a} to {}) {} edge {edge_b} (positions {edge_b} to {}); a ring must not cross, touch or overlap itself",
        kind.verb(), at[0], at[1], edge_a + 1, kind.verb(), edge_b + 1
    )]
    RingSelfContact {
        polygon: usize,
        ring: usize,
        edge_a: usize,
        edge_b: usize,
        at: [f64; 2],
        kind: Contact,
    },
    #[error("too many vertices: {count} positions, the limit is {max} per feature")]
    TooManyVertices { count: usize, max: usize },
}
