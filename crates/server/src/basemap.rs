//! The console's own basemap: a mission brings its maps as one file, PMTiles (v3) or
//! MBTiles, vector or raster, and `truceline serve --basemap FILE` serves it to signed-in
//! principals, offline:
//!
//! - `GET /v1/console/basemap`: what the file is (`kind`, tile `format`, zooms, bounds,
//!   attribution, vector layers), for the console to make its map style;
//! - PMTiles: `GET /v1/console/basemap.pmtiles`, read by the console with HTTP range
//!   requests (`Range: bytes=a-b`, one range, at most [`MAX_RANGE_BYTES`]), as the format
//!   is meant to be read;
//! - MBTiles: `GET /v1/console/basemap/{z}/{x}/{y}` (XYZ numbering; the file's rows are
//!   TMS, so `y` is flipped), a gzip-compressed vector tile answered with
//!   `Content-Encoding: gzip`.
//!
//! The file is opened once and read-only, checked when the server starts (a file that is
//! neither is refused there, naming it); reads run on blocking threads.

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::access::Principal;
use crate::console::ConsoleState;
use crate::error::{ApiError, ApiResult};

/// The most bytes one range request answers: a PMTiles reader asks for a directory or
/// a tile at a time, both far smaller.
pub const MAX_RANGE_BYTES: u64 = 16 * 1024 * 1024;
/// The deepest zoom a tile may be asked for (MBTiles' own limit is the file's maxzoom).
const MAX_ZOOM: u8 = 24;

#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    #[error("{file}: {why}")]
    Unreadable { file: String, why: String },
    #[error("{file}: not a PMTiles (version 3) or MBTiles file")]
    UnknownKind { file: String },
    #[error("{file}: an MBTiles file needs the tables `tiles` and `metadata`: {why}")]
    BadMbtiles { file: String, why: String },
}

/// A basemap file, open.
pub enum Basemap {
    PmTiles {
        file: std::fs::File,
        len: u64,
        /// From the PMTiles header: tile type, zooms and bounds.
        info: Value,
    },
    MbTiles {
        db: Mutex<rusqlite::Connection>,
        info: Value,
    },
}

impl Basemap {
    pub fn open(path: &Path) -> Result<Basemap, BasemapError> {
        let name = path.display().to_string();
        let unreadable = |e: &dyn std::fmt::Display| BasemapError::Unreadable {
            file: name.clone(),
            why: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(|e| unreadable(&e))?;
        let meta = file.metadata().map_err(|e| unreadable(&e))?;
        if !meta.is_file() {
            return Err(unreadable(&"not a regular file"));
        }
        let mut head = [0u8; 127];
        let got = file.read_at(&mut head, 0).map_err(|e| unreadable(&e))?;
        if got == head.len() && &head[..7] == b"PMTiles" && head[7] == 3 {
            let info = pmtiles_info(&head);
            return Ok(Basemap::PmTiles {
                file,
                len: meta.len(),
                info,
            });
        }
        if got >= 16 && &head[..16] == b"SQLite format 3\0" {
            return open_mbtiles(path, &name);
        }
        Err(BasemapError::UnknownKind { file: name })
    }

    pub fn info(&self) -> &Value {
        match self {
            Basemap::PmTiles { info, .. } | Basemap::MbTiles { info, .. } => info,
        }
    }
}

/// The PMTiles v3 header's fields a map style needs (spec: the 127-byte header).
fn pmtiles_info(h: &[u8; 127]) -> Value {
    let i32_at = |at: usize| i32::from_le_bytes(h[at..at + 4].try_into().expect("4 bytes"));
    let degrees = |at: usize| f64::from(i32_at(at)) / 10_000_000.0;
    let format = match h[99] {
        1 => "pbf",
        2 => "png",
        3 => "jpg",
        4 => "webp",
        5 => "avif",
        _ => "unknown",
    };
    json!({
        "kind": "pmtiles",
        "url": "/v1/console/basemap.pmtiles",
        "format": format,
        "minzoom": h[100],
        "maxzoom": h[101],
        "bounds": [degrees(102), degrees(106), degrees(110), degrees(114)],
        "center": [degrees(119), degrees(123), h[118]],
    })
}

fn open_mbtiles(path: &Path, name: &str) -> Result<Basemap, BasemapError> {
    let bad = |e: &dyn std::fmt::Display| BasemapError::BadMbtiles {
        file: name.to_owned(),
        why: e.to_string(),
    };
    let db = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| bad(&e))?;
    let mut meta = serde_json::Map::new();
    {
        let mut stmt = db
            .prepare("SELECT name, value FROM metadata")
            .map_err(|e| bad(&e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| bad(&e))?;
        for row in rows.take(256) {
            let (k, v) = row.map_err(|e| bad(&e))?;
            meta.insert(k, Value::String(v));
        }
    }
    db.query_row("SELECT COUNT(*) FROM tiles LIMIT 1", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| bad(&e))?;
    let num = |k: &str| {
        meta.get(k)
            .and_then(Value::as_str)
            .and_then(|v| v.parse::<f64>().ok())
    };
    let list = |k: &str| {
        meta.get(k).and_then(Value::as_str).map(|v| {
            v.split(',')
                .filter_map(|n| n.trim().parse::<f64>().ok())
                .collect::<Vec<_>>()
        })
    };
    // Vector MBTiles describe their layers in `json` (the MBTiles 1.3 spec).
    let layers = meta
        .get("json")
        .and_then(Value::as_str)
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|j| j.get("vector_layers").cloned());
    let info = json!({
        "kind": "mbtiles",
        "url": "/v1/console/basemap/{z}/{x}/{y}",
        "format": meta.get("format").cloned().unwrap_or(Value::from("png")),
        "name": meta.get("name"),
        "attribution": meta.get("attribution"),
        "minzoom": num("minzoom"),
        "maxzoom": num("maxzoom"),
        "bounds": list("bounds"),
        "center": list("center"),
        "vector_layers": layers,
    });
    Ok(Basemap::MbTiles {
        db: Mutex::new(db),
        info,
    })
}

pub fn router(state: Arc<ConsoleState>) -> Router {
    Router::new()
        .route("/v1/console/basemap", get(info))
        .route("/v1/console/basemap.pmtiles", get(pmtiles))
        .route("/v1/console/basemap/{z}/{x}/{y}", get(tile))
        .with_state(state)
}

fn basemap(s: &ConsoleState) -> ApiResult<Arc<Basemap>> {
    s.basemap
        .get()
        .cloned()
        .ok_or_else(|| ApiError::not_found("no basemap: start the server with --basemap FILE"))
}

async fn info(State(s): State<Arc<ConsoleState>>, _who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(basemap(&s)?.info().clone()))
}

/// `bytes=a-b` or `bytes=a-` (one range) within a file of `len` bytes: the first and
/// last byte.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (first, last) = if a.is_empty() {
        // The last `b` bytes.
        let n: u64 = b.parse().ok()?;
        (len.checked_sub(n.min(len))?, len.checked_sub(1)?)
    } else {
        let first: u64 = a.parse().ok()?;
        let last = if b.is_empty() {
            len.checked_sub(1)?
        } else {
            b.parse::<u64>().ok()?.min(len.checked_sub(1)?)
        };
        (first, last)
    };
    (first <= last && last < len).then_some((first, last))
}

async fn pmtiles(
    State(s): State<Arc<ConsoleState>>,
    _who: Principal,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let map = basemap(&s)?;
    let Basemap::PmTiles { len, .. } = &*map else {
        return Err(ApiError::not_found(
            "the basemap is MBTiles: read /v1/console/basemap/{z}/{x}/{y}",
        ));
    };
    let len = *len;
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::unprocessable(
            "read the basemap with range requests (Range: bytes=FIRST-LAST)",
        ));
    };
    let Some((first, last)) = parse_range(range, len) else {
        return Ok((
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{len}"))],
        )
            .into_response());
    };
    let last = last.min(first + MAX_RANGE_BYTES - 1);
    let bytes = tokio::task::spawn_blocking(move || {
        let Basemap::PmTiles { file, .. } = &*map else {
            unreachable!("matched above")
        };
        let mut buf = vec![0u8; (last - first + 1) as usize];
        file.read_exact_at(&mut buf, first).map(|()| buf)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::internal(format!("reading the basemap: {e}")))?;
    Ok((
        StatusCode::PARTIAL_CONTENT,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_RANGE, format!("bytes {first}-{last}/{len}")),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

async fn tile(
    State(s): State<Arc<ConsoleState>>,
    _who: Principal,
    UrlPath((z, x, y)): UrlPath<(u8, u32, String)>,
) -> ApiResult<Response> {
    let map = basemap(&s)?;
    let y: u32 = y
        .split('.')
        .next()
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| ApiError::unprocessable("y: a whole number"))?;
    if z > MAX_ZOOM || u64::from(x) >= 1u64 << z || u64::from(y) >= 1u64 << z {
        return Err(ApiError::not_found(format!("no tile {z}/{x}/{y}")));
    }
    let Basemap::MbTiles { info, .. } = &*map else {
        return Err(ApiError::not_found(
            "the basemap is PMTiles: read /v1/console/basemap.pmtiles",
        ));
    };
    let format = info["format"].as_str().unwrap_or("png").to_owned();
    let tms_y = (1u32 << z) - 1 - y;
    let found = tokio::task::spawn_blocking(move || {
        let Basemap::MbTiles { db, .. } = &*map else {
            unreachable!("matched above")
        };
        let db = db.lock().unwrap_or_else(|e| e.into_inner());
        db.query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            rusqlite::params![z, x, tms_y],
            |r| r.get::<_, Vec<u8>>(0),
        )
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let bytes = match found {
        Ok(b) => b,
        Err(rusqlite::Error::QueryReturnedNoRows) => {
            return Err(ApiError::not_found(format!("no tile {z}/{x}/{y}")))
        }
        Err(e) => return Err(ApiError::internal(format!("reading the basemap: {e}"))),
    };
    let content_type = match format.as_str() {
        "pbf" | "mvt" => "application/x-protobuf",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "image/png",
    };
    let gzipped = bytes.starts_with(&[0x1f, 0x8b]);
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response();
    if gzipped {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("gzip"),
        );
    }
    Ok(response)
}
