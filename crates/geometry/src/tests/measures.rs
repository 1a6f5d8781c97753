//! Area, bounding box and vertex count of a zone.

use super::fixtures::square_with_hole;
use crate::{LonLat, Zone, EARTH_RADIUS_M};

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
    // Exactly, a lon/lat rectangle covers R^2 * d(lon) * (sin lat1 - sin lat0); a sloping
    // edge is integrated exactly too, so cutting a triangle in two changes nothing.
    let r2 = EARTH_RADIUS_M * EARTH_RADIUS_M / 1e6;
    let exact = r2 * 1f64.to_radians() * (34f64.to_radians().sin() - 33f64.to_radians().sin());
    let hole =
        r2 * 0.25f64.to_radians() * (33.5f64.to_radians().sin() - 33.25f64.to_radians().sin());
    assert!((a - (exact - hole)).abs() < 1e-6, "{a} vs {}", exact - hole);
    let tri = |ring: Vec<LonLat>| crate::ring_area_km2(&ring);
    let whole = tri(vec![[35.0, 33.0], [36.0, 33.0], [35.0, 34.0], [35.0, 33.0]]);
    let left = tri(vec![
        [35.0, 33.0],
        [35.5, 33.0],
        [35.5, 33.5],
        [35.0, 34.0],
        [35.0, 33.0],
    ]);
    let right = tri(vec![[35.5, 33.0], [36.0, 33.0], [35.5, 33.5], [35.5, 33.0]]);
    assert!(
        (whole - left - right).abs() < 1e-6,
        "{whole} vs {left} + {right}"
    );
}
