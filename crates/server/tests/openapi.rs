//! The OpenAPI document kept in the repository names every route the API serves.

#[test]
fn every_api_route_is_in_openapi_json() {
    let doc: serde_json::Value = serde_json::from_str(truceline_server::api::OPENAPI).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    // Every resource's router, one file each in src/api/.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut source = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        source.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let routes: Vec<&str> = source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
        .collect();
    assert!(routes.len() > 30, "{routes:?}");
    for r in &routes {
        assert!(
            paths.contains_key(*r),
            "{r} is served but not in openapi.json"
        );
    }
    for p in paths.keys() {
        assert!(
            routes.contains(&p.as_str()),
            "{p} is in openapi.json but not served"
        );
    }
}
