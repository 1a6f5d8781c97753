//! The mission's own basemap, served to signed-in principals on a loopback port: an
//! MBTiles file by z/x/y (rows flipped from TMS), a PMTiles file by range requests, a file
//! that is neither refused when opening, and no basemap a clear 404.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use truceline_server::basemap::{Basemap, BasemapError};

async fn get(
    url: &str,
    token: Option<&str>,
    range: Option<&str>,
) -> (u16, hyper::HeaderMap, Vec<u8>) {
    let mut req = hyper::Request::builder().method("GET").uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let resp = http()
        .request(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn mbtiles(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("golan.mbtiles");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         INSERT INTO metadata VALUES ('name', 'Golan'), ('format', 'pbf'), ('minzoom', '0'),
             ('maxzoom', '14'), ('bounds', '35.5,32.5,36.5,33.5'),
             ('json', '{\"vector_layers\":[{\"id\":\"roads\",\"fields\":{}}]}');",
    )
    .unwrap();
    // Tile z=1, x=1, XYZ y=0 is TMS row 1; its bytes gzip-compressed (magic 1f 8b).
    db.execute(
        "INSERT INTO tiles VALUES (1, 1, 1, ?1)",
        [vec![0x1fu8, 0x8b, 8, 0, 1, 2, 3]],
    )
    .unwrap();
    path
}

fn pmtiles(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let mut bytes = vec![0u8; 4096];
    bytes[..7].copy_from_slice(b"PMTiles");
    bytes[7] = 3;
    bytes[99] = 1; // MVT
    bytes[100] = 0;
    bytes[101] = 12;
    for (at, degrees) in [(102, 35.5), (106, 32.5), (110, 36.5), (114, 33.5)] {
        let e7 = (degrees * 10_000_000.0) as i32;
        bytes[at..at + 4].copy_from_slice(&e7.to_le_bytes());
    }
    for (i, b) in bytes.iter_mut().enumerate().skip(127) {
        *b = (i % 251) as u8;
    }
    let path = dir.join("golan.pmtiles");
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mbtiles_basemap_is_served_by_xyz_tile() {
    let server = start("").await;
    let dir = tempfile::tempdir().unwrap();
    let map = Basemap::open(&mbtiles(dir.path())).unwrap();
    let _ = server.state.console.basemap.set(Arc::new(map));
    let sy = server.login("SY").await;
    let (s, info) = sy.get("/v1/console/basemap").await;
    assert_eq!(s, 200, "{info}");
    assert_eq!(info["kind"], "mbtiles");
    assert_eq!(info["format"], "pbf");
    assert_eq!(info["vector_layers"][0]["id"], "roads");
    assert_eq!(info["bounds"], serde_json::json!([35.5, 32.5, 36.5, 33.5]));

    let url = format!("{}/v1/console/basemap/1/1/0", server.base);
    let (s, headers, body) = get(&url, Some(&sy.token), None).await;
    assert_eq!(s, 200);
    assert_eq!(headers["content-type"], "application/x-protobuf");
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(body, [0x1f, 0x8b, 8, 0, 1, 2, 3]);
    // The same column one row down is another tile, which the file does not have.
    let (s, _, _) = get(
        &format!("{}/v1/console/basemap/1/1/1", server.base),
        Some(&sy.token),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _, _) = get(
        &format!("{}/v1/console/basemap/1/2/0", server.base),
        Some(&sy.token),
        None,
    )
    .await;
    assert_eq!(s, 404, "x outside the zoom's grid");
    let (s, _, _) = get(&url, None, None).await;
    assert_eq!(s, 401, "signed-in principals only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pmtiles_basemap_is_read_by_ranges() {
    let server = start("").await;
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = pmtiles(dir.path());
    let _ = server
        .state
        .console
        .basemap
        .set(Arc::new(Basemap::open(&path).unwrap()));
    let il = server.login("IL").await;
    let (_, info) = il.get("/v1/console/basemap").await;
    assert_eq!(info["kind"], "pmtiles");
    assert_eq!(info["format"], "pbf");
    assert_eq!(info["maxzoom"], 12);
    assert_eq!(info["bounds"], serde_json::json!([35.5, 32.5, 36.5, 33.5]));

    let url = format!("{}/v1/console/basemap.pmtiles", server.base);
    let (s, headers, body) = get(&url, Some(&il.token), Some("bytes=0-126")).await;
    assert_eq!(s, 206);
    assert_eq!(headers["content-range"], "bytes 0-126/4096");
    assert_eq!(body, bytes[..127]);
    let (s, headers, body) = get(&url, Some(&il.token), Some("bytes=4000-")).await;
    assert_eq!((s, &body[..]), (206, &bytes[4000..]));
    assert_eq!(headers["content-range"], "bytes 4000-4095/4096");
    let (s, _, body) = get(&url, Some(&il.token), Some("bytes=-10")).await;
    assert_eq!((s, &body[..]), (206, &bytes[4086..]));
    for bad in [
        "bytes=5000-6000",
        "bytes=10-5",
        "bytes=0-1,5-6",
        "lines=1-2",
    ] {
        let (s, headers, _) = get(&url, Some(&il.token), Some(bad)).await;
        assert_eq!(s, 416, "{bad}");
        assert_eq!(headers["content-range"], "bytes */4096");
    }
    let (s, _, body) = get(&url, Some(&il.token), None).await;
    assert_eq!(
        s,
        422,
        "without a range: {}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_basemap_is_a_clear_404_and_a_wrong_file_is_refused_by_name() {
    let server = start("").await;
    let sy = server.login("SY").await;
    let (s, p) = sy.get("/v1/console/basemap").await;
    assert_eq!(s, 404);
    assert!(p["detail"].as_str().unwrap().contains("--basemap"), "{p}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.png");
    std::fs::write(&path, b"\x89PNG not a basemap").unwrap();
    match Basemap::open(&path) {
        Err(e @ BasemapError::UnknownKind { .. }) => {
            assert!(e.to_string().contains("map.png"), "{e}")
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a PNG opened as a basemap"),
    }
    assert!(Basemap::open(dir.path()).is_err(), "a directory is refused");
}
