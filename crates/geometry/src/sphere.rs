//! Unit-vector arithmetic on the sphere, written to follow `oracle.py` operation by operation
//! so that distances agree with the reference evaluator far below a millimetre.

pub(crate) type V3 = [f64; 3];

/// Unit vector of a [lon, lat] position in degrees (oracle `unit_vec`).
#[inline]
pub(crate) fn unit(lon: f64, lat: f64) -> V3 {
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    let cl = la.cos();
    [cl * lo.cos(), cl * lo.sin(), la.sin()]
}

#[inline]
pub(crate) fn cross(u: &V3, v: &V3) -> V3 {
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

#[inline]
pub(crate) fn dot(u: &V3, v: &V3) -> f64 {
    u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
}

#[inline]
pub(crate) fn norm(u: &V3) -> f64 {
    dot(u, u).sqrt()
}

/// Normalise `u`; `None` when it is too short to have a direction.
#[inline]
pub(crate) fn normalized(u: &V3) -> Option<V3> {
    let n = norm(u);
    (n > 1e-300).then(|| [u[0] / n, u[1] / n, u[2] / n])
}

/// Angle between two unit vectors in radians (oracle `angle`): atan2 of |u x v| and u.v is
/// accurate at all angles, unlike acos near 0 and pi.
#[inline]
pub(crate) fn angle(u: &V3, v: &V3) -> f64 {
    norm(&cross(u, v)).atan2(dot(u, v))
}

/// Below this norm of a x b, a segment is treated as a single point (oracle threshold).
pub(crate) const DEGENERATE_NORM: f64 = 1e-15;

/// Oracle `dist_point_arc`, in radians, computing everything from the three unit vectors.
pub(crate) fn dist_point_arc_rad(p: &V3, a: &V3, b: &V3) -> f64 {
    let n = cross(a, b);
    let nn = norm(&n);
    if nn < DEGENERATE_NORM {
        return angle(p, a);
    }
    let n = [n[0] / nn, n[1] / nn, n[2] / nn];
    let pn = dot(p, &n);
    let f = [p[0] - pn * n[0], p[1] - pn * n[1], p[2] - pn * n[2]];
    let fnorm = norm(&f);
    if fnorm > DEGENERATE_NORM {
        let f = [f[0] / fnorm, f[1] / fnorm, f[2] / fnorm];
        if dot(&cross(a, &f), &n) >= 0.0 && dot(&cross(&f, b), &n) >= 0.0 {
            return pn.abs().atan2(fnorm);
        }
    }
    angle(p, a).min(angle(p, b))
}
