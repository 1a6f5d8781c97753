// Small geometry helpers.
import * as mgrs from 'mgrs';

export const round6 = (x) => Math.round(x * 1e6) / 1e6;

export function ringOf(points) {
  return points.length ? [...points, points[0]] : [];
}

export function bboxOf(fc) {
  let b = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      if (!b) b = [[c[0], c[1]], [c[0], c[1]]];
      b[0][0] = Math.min(b[0][0], c[0]);
      b[0][1] = Math.min(b[0][1], c[1]);
      b[1][0] = Math.max(b[1][0], c[0]);
      b[1][1] = Math.max(b[1][1], c[1]);
    } else c.forEach(visit);
  };
  for (const f of fc.features) visit(f.geometry.coordinates);
  return b;
}

/** The mean radius of the WGS 84 ellipsoid, km. */
export const EARTH_KM = 6371.0088;

/** The great-circle length of a path of [lon, lat] points, km (haversine). */
export function pathKm(points) {
  const rad = Math.PI / 180;
  let sum = 0;
  for (let k = 1; k < points.length; k++) {
    const [lon1, lat1] = points[k - 1];
    const [lon2, lat2] = points[k];
    const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
    sum += 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)));
  }
  return sum;
}

/** The area of a polygon of [lon, lat] points (closed or not), km², as the server measures
 * zones (the geometry crate's ring_area_km2): on the sphere of radius EARTH_KM, its edges
 * straight in lon/lat as GeoJSON's are, exactly: the integral of sin(lat) d(lon) around
 * the ring, which along such an edge is d(lon) · sin(mid-latitude) · sinc(half the
 * latitude change). Orientation does not matter; fewer than three points have none. */
export function ringAreaKm2(points) {
  const ring = points.length && (points[0][0] !== points.at(-1)[0] || points[0][1] !== points.at(-1)[1]) ? [...points, points[0]] : points;
  if (ring.length < 4) return 0;
  const rad = Math.PI / 180;
  let s = 0;
  for (let k = 1; k < ring.length; k++) {
    const [lon1, lat1] = [ring[k - 1][0] * rad, ring[k - 1][1] * rad];
    const [lon2, lat2] = [ring[k][0] * rad, ring[k][1] * rad];
    const h = 0.5 * (lat2 - lat1);
    const sinc = Math.abs(h) < 1e-4 ? 1 - (h * h) / 6 : Math.sin(h) / h;
    s += (lon2 - lon1) * Math.sin(0.5 * (lat1 + lat2)) * sinc;
  }
  return Math.abs(s) * EARTH_KM * EARTH_KM;
}

/** "33.1234° N, 35.9012° E": latitude first, as people read positions out. */
export function degrees(lon, lat, digits = 4) {
  const ns = lat < 0 ? 'S' : 'N';
  const ew = lon < 0 ? 'W' : 'E';
  return `${Math.abs(lat).toFixed(digits)}° ${ns}, ${Math.abs(lon).toFixed(digits)}° ${ew}`;
}

/** "36S YB 70646 66115": MGRS to the metre (1 m), spaced as it is read out; '' where MGRS
 * has no square (the poles). */
export function mgrsOf(lon, lat, precision = 5) {
  try {
    const s = (mgrs.forward || mgrs.default.forward)([lon, lat], precision);
    const m = s.match(/^(\d{1,2}[A-Z])([A-Z]{2})(\d*)$/);
    if (!m) return s;
    const half = m[3].length / 2;
    return `${m[1]} ${m[2]} ${m[3].slice(0, half)} ${m[3].slice(half)}`;
  } catch {
    return '';
  }
}
