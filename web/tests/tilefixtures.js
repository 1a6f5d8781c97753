// Small map files for the basemap test, made in the test from nothing: a PNG of one colour,
// a Mapbox Vector Tile (protobuf written by hand), a PMTiles v3 archive and an MBTiles
// database (through python3's sqlite3, as no SQLite ships with node 20). Enough of each
// format for a real reader (MapLibre, the `pmtiles` package, the server) to take them.

import { deflateSync, gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';

// ---------------------------------------------------------------- PNG

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A `size`×`size` opaque PNG of one colour [r, g, b]. */
export function png([r, g, b], size = 256) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const row = Buffer.alloc(1 + size * 3);
  for (let x = 0; x < size; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// ---------------------------------------------------------------- protobuf and MVT

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const zigzag = (n) => (n << 1) ^ (n >> 31);
const field = (no, wire) => varint((no << 3) | wire);
const bytesField = (no, bytes) => [...field(no, 2), ...varint(bytes.length), ...bytes];
const text = (s) => [...Buffer.from(s, 'utf8')];

/** A command integer of the MVT geometry encoding. */
const command = (id, count) => (id & 7) | (count << 3);

/** MVT geometry of one feature in tile coordinates: a point [x, y], or a ring (polygon). */
function geometry(type, coords) {
  if (type === 'Point') return [command(1, 1), zigzag(coords[0]), zigzag(coords[1])];
  const out = [];
  let [cx, cy] = [0, 0];
  const ring = coords;
  out.push(command(1, 1), zigzag(ring[0][0] - cx), zigzag(ring[0][1] - cy));
  [cx, cy] = ring[0];
  const rest = type === 'Polygon' ? ring.slice(1, -1) : ring.slice(1);
  out.push(command(2, rest.length));
  for (const [x, y] of rest) {
    out.push(zigzag(x - cx), zigzag(y - cy));
    [cx, cy] = [x, y];
  }
  if (type === 'Polygon') out.push(command(7, 1));
  return out;
}

const GEOM_TYPES = { Point: 1, LineString: 2, Polygon: 3 };

/** A vector tile: { layerName: [{ type: 'Point'|'LineString'|'Polygon', coords, props }] },
 * coordinates in the tile's 4096 grid; string properties only. */
export function mvt(layers) {
  const out = [];
  for (const [name, features] of Object.entries(layers)) {
    const keys = [];
    const values = [];
    const layer = [...field(15, 0), ...varint(2), ...bytesField(1, text(name))];
    for (const f of features) {
      const tags = [];
      for (const [k, v] of Object.entries(f.props || {})) {
        if (!keys.includes(k)) keys.push(k);
        if (!values.includes(v)) values.push(v);
        tags.push(keys.indexOf(k), values.indexOf(v));
      }
      const g = geometry(f.type, f.coords);
      const feature = [
        ...bytesField(2, tags.flatMap((t) => varint(t))),
        ...field(3, 0), ...varint(GEOM_TYPES[f.type]),
        ...bytesField(4, g.flatMap((n) => varint(n >>> 0))),
      ];
      layer.push(...bytesField(2, feature));
    }
    for (const k of keys) layer.push(...bytesField(3, text(k)));
    for (const v of values) layer.push(...bytesField(4, bytesField(1, text(v))));
    layer.push(...field(5, 0), ...varint(4096));
    out.push(...bytesField(3, layer));
  }
  return Buffer.from(out);
}

// ---------------------------------------------------------------- tiles of a region

/** The XYZ tiles of zoom `z` that cover [west, south, east, north]. */
export function tilesOver([w, s, e, n], z) {
  const tx = (lon) => Math.floor(((lon + 180) / 360) * 2 ** z);
  const ty = (lat) => {
    const r = (lat * Math.PI) / 180;
    return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
  };
  const out = [];
  for (let x = tx(w); x <= tx(e); x++) for (let y = ty(n); y <= ty(s); y++) out.push([z, x, y]);
  return out;
}

/** Where [lon, lat] falls in tile z/x/y, in the tile's 4096 grid. */
export function inTile([lon, lat], [z, x, y]) {
  const r = (lat * Math.PI) / 180;
  const px = ((lon + 180) / 360) * 2 ** z;
  const py = ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z;
  return [Math.round((px - x) * 4096), Math.round((py - y) * 4096)];
}

// ---------------------------------------------------------------- PMTiles v3

/** The PMTiles tile id of z/x/y (the Hilbert curve order of the spec). */
export function tileId(z, x, y) {
  let acc = 0;
  for (let k = 0; k < z; k++) acc += 4 ** k;
  const n = 2 ** z;
  let d = 0;
  let [tx, ty] = [x, y];
  for (let s = n / 2; s >= 1; s /= 2) {
    const rx = (tx & s) > 0 ? 1 : 0;
    const ry = (ty & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        tx = s - 1 - tx;
        ty = s - 1 - ty;
      }
      [tx, ty] = [ty, tx];
    }
  }
  return acc + d;
}

/** A PMTiles v3 archive: `tiles` is [[z, x, y, bytes]]; tileType 1 MVT, 2 PNG; tiles are
 * stored as given (tileCompression: 2 gzip for MVT, 1 none for PNG); the directory and
 * metadata are not compressed (internal compression 1). */
export function pmtiles(tiles, { tileType, tileCompression, minZoom, maxZoom, bounds, metadata = {} }) {
  const entries = tiles.map(([z, x, y, data]) => ({ id: tileId(z, x, y), data })).sort((a, b) => a.id - b.id);
  const blobs = [];
  let offset = 0;
  for (const e of entries) {
    e.offset = offset;
    e.length = e.data.length;
    blobs.push(e.data);
    offset += e.length;
  }
  const dir = [...varint(entries.length)];
  let last = 0;
  for (const e of entries) {
    dir.push(...varint(e.id - last));
    last = e.id;
  }
  for (const _ of entries) dir.push(...varint(1)); // run lengths
  for (const e of entries) dir.push(...varint(e.length));
  for (const e of entries) dir.push(...varint(e.offset + 1)); // offsets (+1: not contiguous-coded)
  const root = Buffer.from(dir);
  const meta = Buffer.from(JSON.stringify(metadata));
  const data = Buffer.concat(blobs);
  const h = Buffer.alloc(127);
  h.write('PMTiles', 0, 'ascii');
  h[7] = 3;
  const u64 = (at, v) => h.writeBigUInt64LE(BigInt(v), at);
  const rootOff = 127;
  const metaOff = rootOff + root.length;
  const dataOff = metaOff + meta.length;
  u64(8, rootOff); u64(16, root.length);
  u64(24, metaOff); u64(32, meta.length);
  u64(40, dataOff + data.length); u64(48, 0); // no leaf directories
  u64(56, dataOff); u64(64, data.length);
  u64(72, entries.length); u64(80, entries.length); u64(88, entries.length);
  h[96] = 1; // clustered
  h[97] = 1; // internal compression: none
  h[98] = tileCompression;
  h[99] = tileType;
  h[100] = minZoom;
  h[101] = maxZoom;
  const e7 = (at, deg) => h.writeInt32LE(Math.round(deg * 1e7), at);
  e7(102, bounds[0]); e7(106, bounds[1]); e7(110, bounds[2]); e7(114, bounds[3]);
  h[118] = minZoom;
  e7(119, (bounds[0] + bounds[2]) / 2); e7(123, (bounds[1] + bounds[3]) / 2);
  return Buffer.concat([h, root, meta, data]);
}

// ---------------------------------------------------------------- MBTiles

/** Writes an MBTiles file at `path`: `metadata` as name/value rows, `tiles` [[z, x, y,
 * bytes]] in XYZ numbering (stored as TMS rows, as the spec has them). */
export function writeMbtiles(path, metadata, tiles) {
  const rows = tiles.map(([z, x, y, bytes]) => [z, x, 2 ** z - 1 - y, Buffer.from(bytes).toString('base64')]);
  const script = `
import sqlite3, sys, json, base64
doc = json.load(sys.stdin)
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
db.executemany("INSERT INTO metadata VALUES (?, ?)", list(doc["metadata"].items()))
db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, y, base64.b64decode(b)) for z, x, y, b in doc["tiles"]])
db.commit()
`;
  execFileSync('python3', ['-c', script, path], { input: JSON.stringify({ metadata, tiles: rows }) });
}

export { gzipSync };
