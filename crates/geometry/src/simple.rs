//! Ring simplicity: a zone's ring must not cross, touch or overlap itself.
//!
//! A ring is simple when, after consecutive repeated positions are merged, it has at least
//! 3 distinct positions, no position occurs twice, every two edges that do not follow one
//! another are disjoint, and two edges that follow one another meet only at the position
//! they share. So a bowtie (two edges crossing), a ring touching itself at a position or
//! with a position on another edge, and a spike (an edge doubling back over the one before)
//! are all refused: each would make "inside" mean something its drafter did not draw.
//!
//! The check is the Shamos-Hoey sweep, O(n log n) whatever the ring's shape: a line sweeps
//! the positions in lexicographic (lon, then lat) order, the edges it crosses are kept in a
//! balanced tree ordered bottom to top, and an edge is tested only against its neighbours
//! in that order when it enters and against each other when an edge between them leaves.
//! If the ring meets itself anywhere, the two edges that meet first along the sweep are
//! neighbours at some event before the sweep passes that point, so they are tested; the
//! search stops at the first contact found, while the tree's order is still consistent.
//!
//! Every decision is exact: side-of-line tests use Shewchuk's adaptive `orient2d` (as the
//! point-in-zone test does), and on-segment tests compare coordinates. Sweeping in
//! lexicographic order is sweeping in x after an infinitesimal shear, which `orient2d`'s
//! sign does not see, so vertical edges need no special case. Only the reported crossing
//! point of two edges that cross properly is computed in floating point (for the message).

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Unbounded};

use robust::{orient2d, Coord};

use crate::LonLat;

/// How two edges of a ring meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    /// They cross at a point inside both.
    Cross,
    /// They meet at one point that is an end of at least one of them (a position on
    /// another edge, or a position given twice).
    Touch,
    /// They lie on one line and share more than a point.
    Overlap,
}

impl Contact {
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Contact::Cross => "crosses",
            Contact::Touch => "touches",
            Contact::Overlap => "overlaps",
        }
    }
}

/// Where a ring meets itself. Edge `k` joins positions `k` and `k + 1` of the ring as
/// given (0-based); `edge_a < edge_b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelfContact {
    pub edge_a: usize,
    pub edge_b: usize,
    pub at: LonLat,
    pub kind: Contact,
}

/// Why a ring is not simple.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NotSimple {
    /// Fewer than 3 distinct positions once consecutive repeats are merged.
    TooFewDistinct(usize),
    Contact(SelfContact),
}

/// The ring's distinct consecutive positions, each with the index of the ring's position
/// it came from, and the index of the edge that ends at each (see [`Ring::edge`]).
struct Ring {
    pts: Vec<LonLat>,
    /// `edge[i]`: index in the input of the edge from `pts[i]` to `pts[(i + 1) % n]`.
    edge: Vec<usize>,
}

impl Ring {
    /// `ring` is closed (first == last) with at least 2 positions.
    fn merge_repeats(ring: &[LonLat]) -> Ring {
        let m = ring.len();
        let mut pts: Vec<LonLat> = Vec::with_capacity(m);
        let mut orig: Vec<usize> = Vec::with_capacity(m);
        for (k, &p) in ring[..m - 1].iter().enumerate() {
            if pts.last() != Some(&p) {
                pts.push(p);
                orig.push(k);
            }
        }
        // The closing position, or the last run of repeats of the first position.
        let mut closing = m - 1;
        if pts.len() > 1 && pts.last() == pts.first() {
            pts.pop();
            closing = orig.pop().unwrap_or(closing);
        }
        let n = pts.len();
        // The edge from pts[i] to pts[i + 1] is the one that ends at pts[i + 1]'s first
        // position: the positions before it repeat pts[i].
        let edge = (0..n)
            .map(|i| if i + 1 < n { orig[i + 1] } else { closing } - 1)
            .collect();
        Ring { pts, edge }
    }
}

#[inline]
fn c(p: LonLat) -> Coord<f64> {
    Coord { x: p[0], y: p[1] }
}

#[inline]
fn orient(a: LonLat, b: LonLat, p: LonLat) -> f64 {
    orient2d(c(a), c(b), c(p))
}

/// Lexicographic order (lon, then lat) of finite positions; -0 equals 0.
#[inline]
fn lex(a: LonLat, b: LonLat) -> Ordering {
    a[0].partial_cmp(&b[0])
        .unwrap_or(Ordering::Equal)
        .then(a[1].partial_cmp(&b[1]).unwrap_or(Ordering::Equal))
}

/// Is `p`, known to be on the line through a and b, within the closed segment?
#[inline]
fn within(a: LonLat, b: LonLat, p: LonLat) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// How edges a-b and p-q meet, when neither shares a ring position with the other.
fn meet(a: LonLat, b: LonLat, p: LonLat, q: LonLat) -> Option<(Contact, LonLat)> {
    let (o1, o2) = (orient(a, b, p), orient(a, b, q));
    if o1 * o2 > 0.0 {
        return None;
    }
    let (o3, o4) = (orient(p, q, a), orient(p, q, b));
    if o3 * o4 > 0.0 {
        return None;
    }
    if o1 == 0.0 && o2 == 0.0 {
        // On one line: the ends of each that lie on the other.
        let on: Vec<LonLat> = [(a, b, p), (a, b, q), (p, q, a), (p, q, b)]
            .iter()
            .filter(|(s, t, x)| within(*s, *t, *x))
            .map(|&(_, _, x)| x)
            .collect();
        let first = *on.first()?;
        let kind = if on.iter().all(|&x| x == first) {
            Contact::Touch
        } else {
            Contact::Overlap
        };
        return Some((kind, first));
    }
    if o1 != 0.0 && o2 != 0.0 && o3 != 0.0 && o4 != 0.0 {
        // Each separates the other's ends: a proper crossing.
        let (rx, ry) = (b[0] - a[0], b[1] - a[1]);
        let (sx, sy) = (q[0] - p[0], q[1] - p[1]);
        let t = ((p[0] - a[0]) * sy - (p[1] - a[1]) * sx) / (rx * sy - ry * sx);
        let t = if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.5
        };
        return Some((Contact::Cross, [a[0] + t * rx, a[1] + t * ry]));
    }
    // An end of one on the other (the line through it, and within it).
    [(o1, a, b, p), (o2, a, b, q), (o3, p, q, a), (o4, p, q, b)]
        .iter()
        .find(|(o, s, t, x)| *o == 0.0 && within(*s, *t, *x))
        .map(|&(_, _, _, x)| (Contact::Touch, x))
}

/// How edges v-p and v-q, which share the ring position v, meet elsewhere: only when they
/// lie on one line going the same way (a spike), and then one's far end is on the other.
fn meet_adjacent(v: LonLat, p: LonLat, q: LonLat) -> Option<(Contact, LonLat)> {
    if orient(v, p, q) != 0.0 {
        return None;
    }
    if within(v, p, q) {
        Some((Contact::Overlap, q))
    } else if within(v, q, p) {
        Some((Contact::Overlap, p))
    } else {
        None
    }
}

/// An edge in the sweep's tree, ordered bottom to top where the sweep crosses it.
#[derive(Debug, Clone, Copy)]
struct Key {
    /// The lexicographically smaller end.
    l: LonLat,
    r: LonLat,
    i: u32,
}

impl Ord for Key {
    /// Meaningful for two edges the sweep crosses at once that have not met before the
    /// sweep: the one that starts later is compared with the other's line at its start
    /// (or, starting on it, at its end); edges on one line (which meet) by index.
    fn cmp(&self, other: &Key) -> Ordering {
        if self.i == other.i {
            return Ordering::Equal;
        }
        let self_first = lex(self.l, other.l) != Ordering::Greater;
        let (s, t) = if self_first {
            (self, other)
        } else {
            (other, self)
        };
        let mut o = orient(s.l, s.r, t.l);
        if o == 0.0 {
            o = orient(s.l, s.r, t.r);
        }
        // Where t is relative to s (left of s's direction is above: s.r is right of s.l).
        let t_vs_s = if o > 0.0 {
            Ordering::Greater
        } else if o < 0.0 {
            Ordering::Less
        } else {
            return self.i.cmp(&other.i);
        };
        if self_first {
            t_vs_s.reverse()
        } else {
            t_vs_s
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key {}

struct Sweep<'r> {
    ring: &'r Ring,
}

impl Sweep<'_> {
    fn n(&self) -> usize {
        self.ring.pts.len()
    }

    fn key(&self, i: usize) -> Key {
        let (a, b) = self.ends(i);
        let (l, r) = if lex(a, b) == Ordering::Greater {
            (b, a)
        } else {
            (a, b)
        };
        Key { l, r, i: i as u32 }
    }

    fn ends(&self, i: usize) -> (LonLat, LonLat) {
        (self.ring.pts[i], self.ring.pts[(i + 1) % self.n()])
    }

    /// How edges i and j (of the merged ring) meet where they must not, if they do.
    fn test(&self, i: usize, j: usize) -> Option<SelfContact> {
        let n = self.n();
        let (a, b) = self.ends(i);
        let (p, q) = self.ends(j);
        let found = if (i + 1) % n == j {
            meet_adjacent(b, a, q)
        } else if (j + 1) % n == i {
            meet_adjacent(a, b, p)
        } else {
            meet(a, b, p, q)
        };
        found.map(|(kind, at)| self.contact(i, j, kind, at))
    }

    fn contact(&self, i: usize, j: usize, kind: Contact, at: LonLat) -> SelfContact {
        let (x, y) = (self.ring.edge[i], self.ring.edge[j]);
        SelfContact {
            edge_a: x.min(y),
            edge_b: x.max(y),
            at,
            kind,
        }
    }

    fn run(&self) -> Option<SelfContact> {
        let n = self.n();
        // A position given twice (not one after the other): the ring touches itself there.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by(|&a, &b| lex(self.ring.pts[a as usize], self.ring.pts[b as usize]));
        for w in order.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if lex(self.ring.pts[a], self.ring.pts[b]) == Ordering::Equal {
                return Some(self.contact(a, b, Contact::Touch, self.ring.pts[a]));
            }
        }
        // Events: each edge starts at its smaller end and ends at its larger; at one
        // position, edges that end there leave before those that start there enter.
        let mut events: Vec<(u32, bool)> = Vec::with_capacity(2 * n);
        for i in 0..n as u32 {
            events.push((i, false));
            events.push((i, true));
        }
        let at = |&(i, is_end): &(u32, bool)| {
            let k = self.key(i as usize);
            if is_end {
                k.r
            } else {
                k.l
            }
        };
        events.sort_unstable_by(|x, y| lex(at(x), at(y)).then(y.1.cmp(&x.1)));
        let mut tree: BTreeSet<Key> = BTreeSet::new();
        for ev in &events {
            let key = self.key(ev.0 as usize);
            if ev.1 {
                let below = tree.range(..key).next_back().copied();
                let above = tree.range((Excluded(key), Unbounded)).next().copied();
                if !tree.remove(&key) {
                    // Not reachable while the order is consistent (see the module's
                    // doc); should it be, keep the tree whole rather than guess.
                    tree.retain(|k| k.i != key.i);
                }
                if let (Some(x), Some(y)) = (below, above) {
                    if let Some(found) = self.test(x.i as usize, y.i as usize) {
                        return Some(found);
                    }
                }
            } else {
                tree.insert(key);
                let below = tree.range(..key).next_back().copied();
                let above = tree.range((Excluded(key), Unbounded)).next().copied();
                for other in [below, above].into_iter().flatten() {
                    if let Some(found) = self.test(key.i as usize, other.i as usize) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }
}

/// Checks that a closed ring (first == last, at least 2 positions, all finite) is simple;
/// the first place found where it is not otherwise.
pub(crate) fn check_ring(ring: &[LonLat]) -> Result<(), NotSimple> {
    let merged = Ring::merge_repeats(ring);
    if merged.pts.len() < 3 {
        return Err(NotSimple::TooFewDistinct(merged.pts.len()));
    }
    match (Sweep { ring: &merged }).run() {
        Some(found) => Err(NotSimple::Contact(found)),
        None => Ok(()),
    }
}
