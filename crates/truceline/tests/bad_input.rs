//! Bad agreement input through the real binary: refused with status 2 and a message that
//! says what and where.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("truceline-bad-input-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const AGREEMENT: &str =
    "[agreement]\nid = \"t\"\ntitle = \"T\"\nversion = 1\ngeometry = \"zones.geojson\"\n\
    [[parties]]\nid = \"A\"\nname = \"A\"\nrole = \"party\"\n";

fn check(path: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truceline"))
        .arg("check")
        .arg(path)
        .output()
        .unwrap()
}

fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn check_refuses_a_bowtie_zone_naming_the_feature_and_the_crossing() {
    let s = Scratch::new("bowtie");
    std::fs::write(s.0.join("agreement.toml"), AGREEMENT).unwrap();
    std::fs::write(
        s.0.join("zones.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"bow"},
            "geometry":{"type":"Polygon","coordinates":[[[35,33],[36,34],[36,33],[35,34],[35,33]]]}}]}"#,
    )
    .unwrap();
    let stderr = refused(&check(&s.0.join("agreement.toml")));
    assert!(stderr.contains("zones.geojson: feature \"bow\": polygon 0, ring 0: crosses itself at [35.5, 33.5], where edge 0 (positions 0 to 1) crosses edge 2 (positions 2 to 3)"), "{stderr}");
}

#[test]
fn check_reads_a_fifo_or_dev_zero_only_up_to_the_limit() {
    let stderr = refused(&check(std::path::Path::new("/dev/zero")));
    assert!(
        stderr.contains("/dev/zero: more than the 16777216 bytes allowed"),
        "{stderr}"
    );

    let s = Scratch::new("fifo");
    let fifo = s.0.join("agreement.toml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let path = fifo.clone();
    // 64 MiB offered, four times the limit; the writer stops when the reader closes.
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let block = vec![b'#'; 1 << 16];
        let mut written = 0usize;
        while written < 64 << 20 {
            match f.write(&block) {
                Ok(n) => written += n,
                Err(_) => break,
            }
        }
        written
    });
    let stderr = refused(&check(&fifo));
    assert!(
        stderr.contains("more than the 16777216 bytes allowed"),
        "{stderr}"
    );
    assert!(writer.join().unwrap() < 64 << 20);
}

#[test]
fn replay_refuses_a_bad_certification_naming_the_file_and_line_and_writes_nothing() {
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/scenarios/phase-certified"
    );
    let s = Scratch::new("certifications");
    let cases = [
        ("{\"phase\":\"withdrawal-1\",\"t\":\"2026-01-01T00:30:00Z\"}\n\n{\"phase\":\"withdrawal-1\",\"t\":\"2026-01-01T00:40:00Z\"}\n", ":3: phase \"withdrawal-1\" was already certified complete"),
        ("{\"phase\":\"withdrawal-9\",\"t\":\"2026-01-01T00:30:00Z\"}\n", ":1: phase \"withdrawal-9\" is not declared"),
        ("{\"phase\":\"withdrawal-1\",\"t\":\"yesterday\"}\n", ":1: `t` \"yesterday\""),
        ("{\"phase\":\"withdrawal-1\",\"t\":\"2026-01-01T00:30:00Z\",\"by\":\"M\"}\n", ":1: unknown field `by`"),
    ];
    for (text, expected) in cases {
        let certifications = s.0.join("certifications.jsonl");
        std::fs::write(&certifications, text).unwrap();
        let out_file = s.0.join("events.jsonl");
        let out = Command::new(env!("CARGO_BIN_EXE_truceline"))
            .arg("replay")
            .arg(format!("{scenario}/agreement.toml"))
            .arg(format!("{scenario}/tracks.jsonl"))
            .arg("--certifications")
            .arg(&certifications)
            .arg("--out")
            .arg(&out_file)
            .output()
            .unwrap();
        let stderr = refused(&out);
        assert!(
            stderr.contains(&format!("certifications.jsonl{expected}")),
            "{expected}: {stderr}"
        );
        assert!(!out_file.exists(), "no events written for a refused replay");
    }
}
