//! Unit and property tests of the public API against `reference`.

// One file per area: containment (point in zone), distance (distances and their lower
// bounds), measures (area, box, counts), errors (each construction error), simplicity (the
// ring simplicity sweep); fixtures holds the zones and strategies they share.

mod containment;
mod distance;
mod errors;
mod fixtures;
mod measures;
mod simplicity;

use crate::{Line, Zone};

#[test]
fn send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Zone>();
    is::<Line>();
}
