//! Replays a tracks file on one thread with nothing else around the engine, for profiling
//! (e.g. under `valgrind --tool=callgrind`, whose instruction counts repeat run to run).
//!
//! `cargo run --release -p truceline-engine --example replay_one_thread -- AGREEMENT.toml TRACKS.jsonl`

use std::path::Path;
use std::sync::Arc;

use truceline_engine::{classify_chunk_into, AgreementSource, ClassifiedChunk, Engine};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, agreement, tracks] = &args[..] else {
        eprintln!("usage: replay_one_thread AGREEMENT.toml TRACKS.jsonl");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(agreement).expect("agreement readable");
    let source = AgreementSource::parse(&text, agreement).expect("agreement valid");
    let geometry_path = Path::new(agreement)
        .parent()
        .unwrap()
        .join(source.geometry_path());
    let geometry = std::fs::read_to_string(&geometry_path).expect("geometry readable");
    let agreement = Arc::new(source.build(&geometry, "geometry").expect("geometry valid"));
    let bytes = std::fs::read(tracks).expect("tracks readable");
    let mut engine = Engine::new(agreement);
    let mut events = Vec::new();
    let mut total = 0usize;
    let mut first_line = 1u64;
    // Whole-line chunks of about 1 MiB, as the replay command cuts them.
    let mut start = 0;
    let mut chunk = ClassifiedChunk::default();
    while start < bytes.len() {
        let mut end = (start + (1 << 20)).min(bytes.len());
        while end < bytes.len() && bytes[end - 1] != b'\n' {
            end += 1;
        }
        // Recycled, as the replay command recycles its chunks.
        classify_chunk_into(
            engine.classifier(),
            &bytes[start..end],
            first_line,
            &mut chunk,
        );
        first_line += chunk.line_count;
        engine
            .apply_chunk(&chunk, &mut events)
            .expect("tracks valid");
        total += events.len();
        events.clear();
        start = end;
    }
    println!("{total} events");
}
