//! Reading an agreement from disk: the only place the engine's pure loader meets files.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use truceline_engine::{Agreement, AgreementSource};

use crate::exit::bad_input;

/// agreement.toml is a few kilobytes; anything this large is not one.
pub(crate) const MAX_AGREEMENT_BYTES: u64 = 16 * 1024 * 1024;
/// Zones and lines of a real arrangement are megabytes at most.
pub(crate) const MAX_GEOMETRY_BYTES: u64 = 512 * 1024 * 1024;

/// Reads a text file of at most `limit_bytes`. The limit is enforced on what is read, not
/// on what the file says its size is: a FIFO, a character device (`/dev/zero`) or a file
/// still growing reports a size of 0 or less than it holds, so at most `limit_bytes + 1`
/// bytes are ever read (`take`), and one byte over the limit refuses the file. A regular
/// file that already says it is too large is refused before reading.
pub fn read_limited(path: &Path, limit_bytes: u64) -> anyhow::Result<String> {
    let file =
        std::fs::File::open(path).map_err(|err| bad_input(format!("{}: {err}", path.display())))?;
    let meta = file
        .metadata()
        .map_err(|err| bad_input(format!("{}: {err}", path.display())))?;
    if meta.is_file() && meta.len() > limit_bytes {
        return Err(bad_input(format!(
            "{}: {} bytes, more than the {limit_bytes} allowed",
            path.display(),
            meta.len()
        )));
    }
    if meta.is_dir() {
        return Err(bad_input(format!("{}: is a directory", path.display())));
    }
    let mut bytes = Vec::new();
    file.take(limit_bytes + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > limit_bytes {
        return Err(bad_input(format!(
            "{}: more than the {limit_bytes} bytes allowed (read up to the limit: not a regular file, or one still growing)",
            path.display()
        )));
    }
    String::from_utf8(bytes)
        .map_err(|err| bad_input(format!("{}: not UTF-8 text ({err})", path.display())))
}

/// Loads and validates an agreement and its geometry file.
pub fn agreement(path: &Path) -> anyhow::Result<Arc<Agreement>> {
    let text = read_limited(path, MAX_AGREEMENT_BYTES)?;
    let source = AgreementSource::parse(&text, &path.display().to_string())
        .map_err(|err| bad_input(err.to_string()))?;
    let geometry_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(source.geometry_path());
    let geometry = read_limited(&geometry_path, MAX_GEOMETRY_BYTES)?;
    let agreement = source
        .build(&geometry, &geometry_path.display().to_string())
        .map_err(|err| bad_input(err.to_string()))?;
    Ok(Arc::new(agreement))
}

/// Reads and validates the agreement's `[notices]` table (defaults when there is none).
pub fn notice_policy(path: &Path) -> anyhow::Result<truceline_server::policy::NoticePolicy> {
    let text = read_limited(path, MAX_AGREEMENT_BYTES)?;
    let file = path.display().to_string();
    let geometry_path = path.parent().unwrap_or(Path::new(".")).join(
        truceline_server::policy::geometry_path(&text, &file)
            .map_err(|err| bad_input(err.to_string()))?,
    );
    let geometry = read_limited(&geometry_path, MAX_GEOMETRY_BYTES)?;
    let (_, policy) = truceline_server::policy::load(
        &text,
        &file,
        &geometry,
        &geometry_path.display().to_string(),
    )
    .map_err(|err| bad_input(err.to_string()))?;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("truceline-load-{name}-{}", std::process::id()));
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

    /// A FIFO in `dir`, and a thread writing `bytes` bytes into it (until the reader
    /// closes its end: the write then fails, which the thread ignores).
    fn fifo_fed(dir: &Path, bytes: usize) -> (PathBuf, std::thread::JoinHandle<usize>) {
        let path = dir.join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&writer_path)
                .unwrap();
            let block = vec![b'x'; 4096];
            let mut written = 0;
            while written < bytes {
                let n = block.len().min(bytes - written);
                match f.write(&block[..n]) {
                    Ok(n) => written += n,
                    Err(_) => break,
                }
            }
            written
        });
        (path, writer)
    }

    fn message(err: anyhow::Error) -> String {
        assert!(
            err.chain()
                .any(|c| c.downcast_ref::<crate::exit::BadInput>().is_some()),
            "{err:#}"
        );
        format!("{err:#}")
    }

    #[test]
    fn a_fifo_is_read_only_up_to_the_limit() {
        let s = Scratch::new("fifo-over");
        let limit = 64 * 1024;
        // Ten times the limit is offered; the reader stops one byte past it.
        let (path, writer) = fifo_fed(&s.0, 10 * limit as usize);
        let err = read_limited(&path, limit).unwrap_err();
        let text = message(err);
        assert!(text.contains("more than the 65536 bytes allowed"), "{text}");
        let written = writer.join().unwrap();
        assert!(
            written < 10 * limit as usize,
            "the writer was cut off, wrote {written}"
        );
    }

    #[test]
    fn a_fifo_within_the_limit_is_read_whole() {
        let s = Scratch::new("fifo-under");
        let (path, writer) = fifo_fed(&s.0, 1000);
        assert_eq!(read_limited(&path, 1000).unwrap(), "x".repeat(1000));
        assert_eq!(writer.join().unwrap(), 1000);
    }

    #[test]
    fn dev_zero_is_refused_after_the_limit() {
        let text = message(read_limited(Path::new("/dev/zero"), 4096).unwrap_err());
        assert!(
            text.contains("/dev/zero: more than the 4096 bytes allowed"),
            "{text}"
        );
    }

    #[test]
    fn a_regular_file_over_the_limit_is_refused_by_its_size() {
        let s = Scratch::new("regular");
        let path = s.0.join("big.toml");
        std::fs::write(&path, vec![b'#'; 5000]).unwrap();
        let text = message(read_limited(&path, 4096).unwrap_err());
        assert!(
            text.contains("5000 bytes, more than the 4096 allowed"),
            "{text}"
        );
        std::fs::write(&path, "# fine\n").unwrap();
        assert_eq!(read_limited(&path, 4096).unwrap(), "# fine\n");
    }
}
