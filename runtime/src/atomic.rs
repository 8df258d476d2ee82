//! Atomic output files: write to a temporary file in the destination's
//! directory, flush it to disk, then rename it over the destination. A reader
//! sees either the old file or the complete new one, and on any error no
//! partial file is left behind (the temporary file is removed).
//!
//! * **Interrupts.** Temporary files being written are registered; a
//!   program's signal handler calls [`remove_in_flight`] before it exits, so
//!   an interrupt (SIGINT, SIGTERM) leaves no temporary file either (the
//!   `diannao` binary installs one).
//! * **Fault injection.** With `DIANNAO_INJECT_ENOSPC=N` in the environment,
//!   every atomic write fails with "No space left on device" after `N`
//!   bytes, as on a full disk: the test suite's way to check that a failed
//!   save keeps the previous file and reports one line.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use thiserror::Error;

/// The environment variable of the injected full disk (bytes before the error).
pub const INJECT_ENOSPC_ENV: &str = "DIANNAO_INJECT_ENOSPC";

/// Temporary files and directories being written now.
static IN_FLIGHT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
/// Held while outputs are renamed into place ([`uninterruptible`]).
static COMMIT: Mutex<()> = Mutex::new(());

/// Remove every temporary file and directory being written now (for a
/// signal handler, just before the program exits); waits for a rename into
/// place under way ([`uninterruptible`]) to finish first.
pub fn remove_in_flight() {
    let _commit = match COMMIT.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let set = match IN_FLIGHT.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    for p in set.iter() {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(p);
        } else {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Register a temporary file or directory being written ([`remove_in_flight`] removes it).
pub fn track(p: &Path) {
    in_flight(p, true)
}

/// It is renamed into place or removed: no longer in flight.
pub fn untrack(p: &Path) {
    in_flight(p, false)
}

/// Run `f` (renames into place) with [`remove_in_flight`] held off until it returns.
pub fn uninterruptible<R>(f: impl FnOnce() -> R) -> R {
    let _commit = match COMMIT.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    f()
}

fn in_flight(p: &Path, on: bool) {
    let mut set = match IN_FLIGHT.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if on {
        set.insert(p.to_path_buf());
    } else {
        set.remove(p);
    }
}

/// A writer that fails like a full disk after `left` bytes.
struct FullDisk<W> {
    inner: W,
    left: Option<u64>,
}

impl<W: Write> Write for FullDisk<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.left {
            Some(0) => Err(std::io::Error::from_raw_os_error(28)),
            Some(n) => {
                let k = (buf.len() as u64).min(n) as usize;
                let w = self.inner.write(&buf[..k])?;
                self.left = Some(n - w as u64);
                Ok(w)
            }
            None => self.inner.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn injected_space() -> Option<u64> {
    std::env::var(INJECT_ENOSPC_ENV).ok()?.trim().parse().ok()
}

/// Why an output file could not be written.
#[derive(Debug, Error)]
#[error("cannot write {}: {reason}", path.display())]
pub struct AtomicWriteError {
    /// The destination path.
    pub path: PathBuf,
    /// What went wrong (the OS error, or the producer's error).
    pub reason: String,
}

fn fail(path: &Path, reason: impl ToString) -> AtomicWriteError {
    AtomicWriteError {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Write `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    write_with(path, |w| w.write_all(bytes))
}

/// Create `path` atomically from what `produce` writes. If `produce` fails,
/// the destination is untouched and the temporary file is removed.
pub fn write_with<F>(path: &Path, produce: F) -> Result<(), AtomicWriteError>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    write_limited(path, produce, injected_space())
}

/// [`write_with`] on a disk that is full after `space` bytes (`None`: the real disk).
fn write_limited<F>(path: &Path, produce: F, space: Option<u64>) -> Result<(), AtomicWriteError>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    if path.as_os_str().is_empty() {
        return Err(fail(path, "empty path"));
    }
    if path.is_dir() {
        return Err(fail(path, "is a directory"));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    // created and registered with remove_in_flight held off, so that an
    // interrupt in between cannot miss it, and so that no file appears in
    // a temporary directory while the handler removes it
    let mut tmp = uninterruptible(|| {
        let t = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        in_flight(t.path(), true);
        Ok::<_, std::io::Error>(t)
    })
    .map_err(|e| fail(path, e))?;
    let tmp_path = tmp.path().to_path_buf();
    let r = (|| {
        {
            let disk = FullDisk {
                inner: tmp.as_file_mut(),
                left: space,
            };
            let mut buf = std::io::BufWriter::new(disk);
            produce(&mut buf).map_err(|e| fail(path, e))?;
            buf.flush().map_err(|e| fail(path, e))?;
        }
        tmp.as_file().sync_all().map_err(|e| fail(path, e))?;
        set_permissions(tmp.path(), path);
        uninterruptible(|| tmp.persist(path)).map_err(|e| fail(path, e.error))?;
        Ok(())
    })();
    in_flight(&tmp_path, false);
    r
}

/// Give the temporary file the destination's permissions if it exists, else
/// the usual 0644 (temporary files are created 0600).
#[cfg(unix)]
fn set_permissions(tmp: &Path, dest: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let perm = std::fs::metadata(dest)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
    let _ = std::fs::set_permissions(tmp, perm);
}

#[cfg(not(unix))]
fn set_permissions(_tmp: &Path, _dest: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.bin");
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(entries(d.path()), vec!["a.bin"]);
    }

    #[test]
    fn failing_producer_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.bin");
        let e = write_with(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("boom"), "{e}");
        assert!(entries(d.path()).is_empty());
    }

    #[test]
    fn failing_producer_keeps_old_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.bin");
        write(&p, b"old").unwrap();
        let _ = write_with(&p, |_| Err(std::io::Error::other("boom")));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(entries(d.path()), vec!["a.bin"]);
    }

    #[test]
    fn a_full_disk_keeps_the_old_file_and_says_so() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.bin");
        write(&p, b"old").unwrap();
        let w = FullDisk {
            inner: Vec::new(),
            left: Some(3),
        };
        let mut w = std::io::BufWriter::new(w);
        assert!(w.write_all(b"abcdef").and_then(|_| w.flush()).is_err());
        let e = write_limited(&p, |w| w.write_all(b"new contents"), Some(2)).unwrap_err();
        assert!(e.to_string().contains("No space left on device"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(entries(d.path()), vec!["a.bin"]);
    }

    #[test]
    fn missing_directory_and_directory_target_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let e = write(&d.path().join("no/such/dir/a.bin"), b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        let e = write(d.path(), b"x").unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
