//! Output helpers shared by the reports: an output
//! directory written completely or not at all, CSV and Markdown tables, and
//! log-scale SVG bar charts (plotters).
//!
//! [`OutDir::prepare`] creates a hidden temporary directory next to the
//! destination *before any work starts* (so an unwritable destination fails
//! at once); files are written into it atomically, and [`OutDir::commit`]
//! renames it into place (an existing destination directory is first moved
//! aside, then removed). If the program stops before `commit`, the temporary
//! directory is removed and the destination is untouched.

use runtime::atomic;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an output could not be produced.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The output directory cannot be used.
    #[error("output directory {}: {reason}", path.display())]
    OutDir {
        /// The destination.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] atomic::AtomicWriteError),
    /// A plot could not be drawn.
    #[error("plot {name}: {reason}")]
    Plot {
        /// File name.
        name: String,
        /// Why.
        reason: String,
    },
    /// JSON serialisation failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// An output directory being filled (see the module documentation).
#[derive(Debug)]
pub struct OutDir {
    dest: PathBuf,
    tmp: Option<tempfile::TempDir>,
}

impl OutDir {
    /// Check the destination and create the temporary directory beside it.
    pub fn prepare(dest: &Path) -> Result<Self, ReportError> {
        let err = |reason: String| ReportError::OutDir {
            path: dest.to_path_buf(),
            reason,
        };
        if dest.as_os_str().is_empty() {
            return Err(err("empty path".into()));
        }
        if dest.exists() && !dest.is_dir() {
            return Err(err("exists and is not a directory".into()));
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(err(format!(
                "parent directory {} does not exist",
                parent.display()
            )));
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        // created and tracked with the interrupt handler's removal held
        // off: an interrupt in between would otherwise leave it behind
        let tmp = atomic::uninterruptible(|| {
            let t = tempfile::Builder::new()
                .prefix(&format!(".{name}."))
                .suffix(".tmp")
                .tempdir_in(&parent)?;
            atomic::track(t.path());
            Ok::<_, std::io::Error>(t)
        })
        .map_err(|e| {
            err(format!(
                "cannot create a directory in {}: {e}",
                parent.display()
            ))
        })?;
        Ok(OutDir {
            dest: dest.to_path_buf(),
            tmp: Some(tmp),
        })
    }

    /// The final path of file `name`.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    fn tmp_path(&self) -> &Path {
        self.tmp.as_ref().expect("not committed").path()
    }

    /// Write file `name` (atomically) into the temporary directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        // errors name the file's final place, not the temporary directory
        atomic::write(&self.tmp_path().join(name), bytes).map_err(|e| {
            ReportError::from(atomic::AtomicWriteError {
                path: self.dest.join(name),
                reason: e.reason,
            })
        })
    }

    /// Rename the temporary directory into place (not interrupted half way:
    /// [`atomic::uninterruptible`]).
    pub fn commit(mut self) -> Result<PathBuf, ReportError> {
        let tmp = self.tmp.take().expect("not committed");
        let tracked = tmp.path().to_path_buf();
        let r = atomic::uninterruptible(|| self.commit_dir(tmp));
        atomic::untrack(&tracked);
        r
    }

    fn commit_dir(&self, tmp: tempfile::TempDir) -> Result<PathBuf, ReportError> {
        let err = |reason: String| ReportError::OutDir {
            path: self.dest.clone(),
            reason,
        };
        let tmp_path = tmp.keep();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&tmp_path, std::fs::Permissions::from_mode(0o755));
        }
        let old = if self.dest.exists() {
            let aside = tmp_path.with_extension("old");
            std::fs::rename(&self.dest, &aside).map_err(|e| {
                let _ = std::fs::remove_dir_all(&tmp_path);
                err(format!("cannot move the old directory aside: {e}"))
            })?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&tmp_path, &self.dest) {
            if let Some(a) = &old {
                let _ = std::fs::rename(a, &self.dest);
            }
            let _ = std::fs::remove_dir_all(&tmp_path);
            return Err(err(format!("cannot rename into place: {e}")));
        }
        if let Some(a) = old {
            let _ = std::fs::remove_dir_all(a);
        }
        Ok(self.dest.clone())
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        // not committed: the temporary directory goes with `tmp`
        if let Some(t) = &self.tmp {
            atomic::untrack(t.path());
        }
    }
}

/// One CSV field (quoted when needed).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV text from a header and rows.
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = header
        .iter()
        .map(|h| csv_field(h))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for r in rows {
        s.push_str(&r.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        s.push('\n');
    }
    s
}

/// A Markdown table.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n", header.join(" | "));
    s.push_str(&format!(
        "|{}\n",
        header
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
            .collect::<String>()
    ));
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

/// A number with 4 significant digits (reports; CSV and JSON keep full precision).
pub fn sig(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&mag) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - mag).max(0) as usize;
    format!("{x:.decimals$}")
}

/// A log-scale bar chart as SVG text: one bar per label; values must be
/// positive and finite (others are left out).
pub fn log_bar_chart(
    title: &str,
    y_label: &str,
    labels: &[String],
    values: &[f64],
) -> Result<String, ReportError> {
    use plotters::prelude::*;
    let perr = |e: String| ReportError::Plot {
        name: title.to_string(),
        reason: e,
    };
    let ok = |v: &f64| v.is_finite() && *v > 0.0;
    let vals: Vec<f64> = values.iter().copied().filter(ok).collect();
    let (lo, hi) = vals
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let (lo, hi) = if vals.is_empty() {
        (0.1, 10.0)
    } else {
        (
            10f64.powf(lo.log10().floor()),
            10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
        )
    };
    let n = labels.len().max(1);
    let width = (160 + 48 * n as u32).max(640);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(100)
            .y_label_area_size(80)
            .build_cartesian_2d((0..n).into_segmented(), (lo..hi).log_scale())
            .map_err(|e| perr(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .x_label_style(
                ("sans-serif", 12)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .y_labels(12)
            .y_label_formatter(&|v| sig(*v))
            .y_desc(y_label)
            .draw()
            .map_err(|e| perr(e.to_string()))?;
        let bars = values
            .iter()
            .enumerate()
            .filter(|(_, v)| ok(v))
            .map(|(i, y)| {
                let mut r = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), lo),
                        (SegmentValue::Exact(i + 1), *y),
                    ],
                    BLUE.mix(0.7).filled(),
                );
                r.set_margin(0, 0, 6, 6);
                r
            });
        chart.draw_series(bars).map_err(|e| perr(e.to_string()))?;
        root.present().map_err(|e| perr(e.to_string()))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_dir_is_all_or_nothing() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("out");
        {
            let o = OutDir::prepare(&dest).unwrap();
            o.write("a.txt", b"1").unwrap();
            // dropped without commit
        }
        assert!(!dest.exists());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
        let o = OutDir::prepare(&dest).unwrap();
        o.write("a.txt", b"1").unwrap();
        o.commit().unwrap();
        let o = OutDir::prepare(&dest).unwrap();
        o.write("b.txt", b"2").unwrap();
        o.commit().unwrap();
        assert!(!dest.join("a.txt").exists() && dest.join("b.txt").exists());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        assert!(OutDir::prepare(&d.path().join("no/such")).is_err());
        std::fs::write(d.path().join("file"), "x").unwrap();
        assert!(OutDir::prepare(&d.path().join("file")).is_err());
    }

    #[test]
    fn chart_and_tables() {
        let s = log_bar_chart(
            "t",
            "x",
            &["a".into(), "b".into(), "c".into()],
            &[1.0, 300.0, f64::NAN],
        )
        .unwrap();
        assert!(s.starts_with("<svg") || s.contains("<svg"));
        assert_eq!(
            csv(&["a", "b"], &[vec!["1".into(), "x,y".into()]]),
            "a,b\n1,\"x,y\"\n"
        );
        assert_eq!(sig(1234.5678), "1235");
        assert_eq!(sig(0.012345), "0.01235");
    }
}
