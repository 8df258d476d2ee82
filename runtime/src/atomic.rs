//! Atomic output files: write to a temporary file in the destination's
//! directory, flush it to disk, then rename it over the destination. A reader
//! sees either the old file or the complete new one, and on any error no
//! partial file is left behind (the temporary file is removed).

use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

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
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail(path, e))?;
    {
        let mut buf = std::io::BufWriter::new(tmp.as_file_mut());
        produce(&mut buf).map_err(|e| fail(path, e))?;
        buf.flush().map_err(|e| fail(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| fail(path, e))?;
    set_permissions(tmp.path(), path);
    tmp.persist(path).map_err(|e| fail(path, e.error))?;
    Ok(())
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
    fn missing_directory_and_directory_target_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let e = write(&d.path().join("no/such/dir/a.bin"), b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        let e = write(d.path(), b"x").unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
