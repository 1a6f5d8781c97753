//! Area, bounding box and vertex count of a zone.

use super::fixtures::square_with_hole;
use crate::Zone;

#[test]
fn area_and_bbox() {
    let z = Zone::new(square_with_hole()).unwrap();
    let b = z.bbox();
    assert_eq!(
        (b.min_lon, b.min_lat, b.max_lon, b.max_lat),
        (35.0, 33.0, 36.0, 34.0)
    );
    // 1x1 degree at 33.5N is about 111.2 * 92.7 km^2; the hole is 1/16 of that.
    let a = z.area_km2();
    let expect = 111.195 * 111.195 * 33.5f64.to_radians().cos() * (1.0 - 1.0 / 16.0);
    assert!((a - expect).abs() / expect < 0.01, "{a} vs {expect}");
    assert_eq!(z.vertex_count(), 10);
}
