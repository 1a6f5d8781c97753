//! Reading and writing the ledger's files with limits and context.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use truceline_ledger::keys::{Keyring, SignerKey, VerifierKey};

use crate::exit::bad_input;

/// Largest key, keyring, checkpoint or proof file read.
pub const MAX_SMALL_FILE_BYTES: u64 = 1024 * 1024;
/// Largest body file read (raw JSON, before canonicalisation).
pub const MAX_BODY_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Environment variable naming the keyring when `--party-keys` is absent.
pub const KEYRING_ENV: &str = "TRUCELINE_KEYRING";

/// Reads a file (or standard input for "-") of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let n = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut buf)
            .context("reading standard input")?
    } else {
        let f = fs::File::open(path).map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
        f.take(limit + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?
    };
    if n as u64 > limit {
        return Err(bad_input(format!(
            "{}: larger than {limit} bytes",
            path.display()
        )));
    }
    Ok(buf)
}

pub fn read_text(path: &Path, limit: u64) -> anyhow::Result<String> {
    String::from_utf8(read_limited(path, limit)?)
        .map_err(|_| bad_input(format!("{}: not UTF-8", path.display())))
}

pub fn read_signer(path: &Path) -> anyhow::Result<SignerKey> {
    let text = read_text(path, MAX_SMALL_FILE_BYTES)?;
    SignerKey::parse(&text).map_err(|e| bad_input(format!("{}: {e}", path.display())))
}

/// A vkey given inline or as a file holding one.
pub fn read_verifier(arg: &str) -> anyhow::Result<VerifierKey> {
    if let Ok(key) = VerifierKey::parse(arg) {
        return Ok(key);
    }
    let path = Path::new(arg);
    let text = read_text(path, MAX_SMALL_FILE_BYTES)?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    VerifierKey::parse(line).map_err(|e| bad_input(format!("{}: {e}", path.display())))
}

/// A keyring file, or a directory whose `*.pub` files each hold one vkey.
pub fn read_keyring(path: &Path) -> anyhow::Result<Keyring> {
    let text = if path.is_dir() {
        let mut names: Vec<PathBuf> = fs::read_dir(path)
            .with_context(|| format!("listing {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pub"))
            .collect();
        names.sort();
        let mut text = String::new();
        for p in names {
            text.push_str(&read_text(&p, MAX_SMALL_FILE_BYTES)?);
            text.push('\n');
        }
        text
    } else {
        read_text(path, MAX_SMALL_FILE_BYTES)?
    };
    Keyring::parse(&text).map_err(|e| bad_input(format!("{}: {e}", path.display())))
}

/// The keyring from `--party-keys`, else from `$TRUCELINE_KEYRING`.
pub fn keyring_arg(arg: Option<&Path>) -> anyhow::Result<Keyring> {
    match arg {
        Some(p) => read_keyring(p),
        None => match std::env::var_os(KEYRING_ENV) {
            Some(p) => read_keyring(Path::new(&p)),
            None => Err(bad_input(format!(
                "no keyring: pass --party-keys PATH or set {KEYRING_ENV}"
            ))),
        },
    }
}

/// A file name for a key name: '/' and other separators become '_'.
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes a new file with the given mode; refuses to overwrite.
pub fn write_new(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            bad_input(format!(
                "{}: already exists; not overwriting",
                path.display()
            ))
        } else {
            anyhow::Error::new(e).context(format!("creating {}", path.display()))
        }
    })?;
    f.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))?;
    f.sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    Ok(())
}

/// Seconds and milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
