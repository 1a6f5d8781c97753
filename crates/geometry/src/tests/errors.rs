//! Each construction error, where it says it is.

use crate::{check_position, GeometryError, Line, Place, Zone, MAX_VERTICES};

#[test]
fn errors_each_variant() {
    use GeometryError::*;
    let sq = || vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
    assert!(matches!(
        check_position([f64::NAN, 0.0]),
        Err(NotFinite {
            at: Place::Position,
            ..
        })
    ));
    assert_eq!(
        check_position([181.0, 0.0]),
        Err(LongitudeOutOfRange {
            at: Place::Position,
            lon: 181.0
        })
    );
    assert_eq!(
        check_position([0.0, -90.5]),
        Err(LatitudeOutOfRange {
            at: Place::Position,
            lat: -90.5
        })
    );
    assert_eq!(check_position([-180.0, 90.0]), Ok(()));
    let e = Zone::new(vec![vec![
        sq(),
        vec![[0.2, 0.2], [f64::INFINITY, 0.3], [0.2, 0.2]],
    ]])
    .unwrap_err();
    assert!(matches!(
        e,
        NotFinite {
            at: Place::ZonePosition {
                polygon: 0,
                ring: 1,
                position: 1
            },
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "polygon 0, ring 1, position 1: coordinate [inf, 0.3] is not a finite number"
    );
    assert_eq!(
        Zone::new(vec![
            vec![sq()],
            vec![vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]]
        ])
        .unwrap_err(),
        RingTooShort {
            polygon: 1,
            ring: 0,
            len: 3
        }
    );
    let e = Zone::new(vec![vec![vec![
        [0.0, 0.0],
        [1.0, 0.0],
        [1.0, 1.0],
        [0.0, 1.0],
    ]]])
    .unwrap_err();
    assert_eq!(
        e,
        RingNotClosed {
            polygon: 0,
            ring: 0,
            first: [0.0, 0.0],
            last: [0.0, 1.0]
        }
    );
    assert!(e.to_string().contains("not closed"), "{e}");
    assert_eq!(
        Zone::new(vec![]).unwrap_err(),
        EmptyGeometry { kind: "zone" }
    );
    assert_eq!(
        Zone::new(vec![vec![sq()], vec![]]).unwrap_err(),
        EmptyPolygon { polygon: 1 }
    );
    assert_eq!(
        Zone::new(vec![vec![vec![
            [-100.0, 0.0],
            [100.0, 0.0],
            [0.0, 1.0],
            [-100.0, 0.0]
        ]]])
        .unwrap_err(),
        SpansTooMuchLongitude {
            min_lon: -100.0,
            max_lon: 100.0
        }
    );
    let big = vec![vec![[0.0, 0.0]; MAX_VERTICES + 1]];
    assert_eq!(
        Zone::new(vec![big.clone()]).unwrap_err(),
        TooManyVertices {
            count: MAX_VERTICES + 1,
            max: MAX_VERTICES
        }
    );
    assert_eq!(
        Line::new(big).unwrap_err(),
        TooManyVertices {
            count: MAX_VERTICES + 1,
            max: MAX_VERTICES
        }
    );
    assert_eq!(
        Line::new(vec![]).unwrap_err(),
        EmptyGeometry { kind: "line" }
    );
    assert_eq!(
        Line::new(vec![vec![[0.0, 0.0], [1.0, 1.0]], vec![[0.0, 0.0]]]).unwrap_err(),
        LineTooShort { line: 1, len: 1 }
    );
    assert_eq!(
        Line::new(vec![vec![[0.0, 0.0], [1.0, 95.0]]]).unwrap_err(),
        LatitudeOutOfRange {
            at: Place::LinePosition {
                line: 0,
                position: 1
            },
            lat: 95.0
        }
    );
    assert_eq!(
        Line::new(vec![vec![[-170.0, 0.0], [170.0, 0.0]]]).unwrap_err(),
        SpansTooMuchLongitude {
            min_lon: -170.0,
            max_lon: 170.0
        }
    );
}
