//! `.npy` tensors in and out (float32, C order), through `ndarray-npy`.

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{ReadNpyError, ReadNpyExt, WriteNpyExt};
use std::path::Path;
use thiserror::Error;

/// Why a `.npy` file cannot be read or written.
#[derive(Debug, Error)]
pub enum NpyError {
    /// The file cannot be opened.
    #[error("{path}: {reason}")]
    Io {
        /// File.
        path: String,
        /// OS error.
        reason: String,
    },
    /// The file is not a float32 array.
    #[error("{path}: not a float32 array ({reason}); save it with numpy as np.float32")]
    Dtype {
        /// File.
        path: String,
        /// The reader's message.
        reason: String,
    },
    /// The file is not a valid `.npy` file.
    #[error("{path}: not a valid .npy file: {reason}")]
    Format {
        /// File.
        path: String,
        /// The reader's message.
        reason: String,
    },
    /// The array does not have the shape the model takes.
    #[error("{path}: shape {got:?} does not match the model input {want}")]
    Shape {
        /// File.
        path: String,
        /// Shape in the file.
        got: Vec<usize>,
        /// The model's input, e.g. `[N, 3, 32, 32]`.
        want: String,
    },
    /// Writing failed (no partial file is left).
    #[error("{0}")]
    Write(String),
}

/// A float32 tensor: shape and values in C order.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values.
    pub data: Vec<f32>,
}

/// Read a float32 `.npy` file.
pub fn read(path: &Path) -> Result<Tensor, NpyError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| NpyError::Io {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    parse(&bytes, &p)
}

/// Parse the bytes of a float32 `.npy` file (`path` names it in errors).
pub fn parse(bytes: &[u8], path: &str) -> Result<Tensor, NpyError> {
    let p = path.to_string();
    check_size(bytes, path, 4)?;
    let a = ArrayD::<f32>::read_npy(bytes).map_err(|e| match e {
        ReadNpyError::WrongDescriptor(_) => NpyError::Dtype {
            path: p.clone(),
            reason: e.to_string(),
        },
        ReadNpyError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            NpyError::Format {
                path: p.clone(),
                reason: "the file ends early".into(),
            }
        }
        ReadNpyError::Io(io) => NpyError::Io {
            path: p.clone(),
            reason: io.to_string(),
        },
        other => NpyError::Format {
            path: p.clone(),
            reason: other.to_string(),
        },
    })?;
    let shape = a.shape().to_vec();
    let data = a.as_standard_layout().iter().copied().collect();
    Ok(Tensor { shape, data })
}

/// Refuse a header whose shape needs more data than the file holds, before
/// anything is allocated for it (a `.npy` header is at most 64 KiB of text
/// after a 10- or 12-byte preamble; `word` is the smallest element size).
/// The longest `.npy` header accepted, bytes: NumPy's own default limit
/// (`max_header_size`, NumPy 1.24 and later). Real headers are about a
/// hundred bytes; the Python-literal parser behind ndarray-npy is
/// superlinear in a header's integers (found by fuzzing: a 49 KB header
/// took 0.37 s, and a v2 header may claim gigabytes).
pub const MAX_HEADER_BYTES: usize = 10_000;

/// The most dimensions a `.npy` shape may have: NumPy 2's `NPY_MAXDIMS`
/// (NumPy 1 allows 32). More is refused before parsing: ndarray-npy and
/// ndarray take time quadratic in the number of dimensions (found by
/// fuzzing: 1,000 dimensions of 1 took 0.1 s, 4,000 took 0.26 s).
pub const MAX_DIMS: usize = 64;

/// The most digits a shape dimension may have: 2^64 - 1 has 20.
const MAX_DIM_DIGITS: usize = 20;

/// The longest word (run of letters, digits and `_`) a header may have.
const MAX_WORD: usize = 32;

fn check_size(bytes: &[u8], path: &str, word: u64) -> Result<(), NpyError> {
    let bad = |reason: String| NpyError::Format {
        path: path.into(),
        reason,
    };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file (no \\x93NUMPY magic)".into()));
    }
    let (hlen, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("the file ends early".into())),
    };
    if hlen > MAX_HEADER_BYTES {
        return Err(bad(format!(
            "the header is {hlen} bytes, over {MAX_HEADER_BYTES} (NumPy's own limit)"
        )));
    }
    let header = bytes
        .get(start..start.saturating_add(hlen))
        .ok_or_else(|| bad("the file ends early".into()))?;
    let text = String::from_utf8_lossy(header);
    // A valid header is one flat Python dict with a tuple in it:
    // "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }". The
    // header parser behind ndarray-npy takes exponential time on nested
    // brackets (found by fuzzing: 12 nested `{` took over 10 s), so anything
    // nested is refused here first.
    // A valid header's words and numbers are short ('fortran_order' has 13
    // characters, a dimension at most 20 digits); the parser turns a long
    // run of digits into a big integer in time quadratic in its length
    // (found by fuzzing: 0.15 s for a 9,600-digit key), so long words are
    // refused first.
    if let Some(w) = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .find(|w| w.len() > MAX_WORD)
    {
        return Err(bad(format!(
            "the header has a word of {} characters (`{}...`), over {MAX_WORD}",
            w.len(),
            &w[..12]
        )));
    }
    let count = |c: char| text.chars().filter(|&x| x == c).count();
    if count('{') != 1 || count('}') != 1 || count('(') > 1 || count(')') > 1 || count('[') > 0 {
        return Err(bad(
            "the header is not one flat dictionary ({'descr': ..., 'fortran_order': ..., 'shape': (...)})".into(),
        ));
    }
    // the shape tuple: "'shape': (a, b, )"
    // (anything else is refused here too: the parser is slow on a long
    // unclosed tuple, found by fuzzing)
    let Some(k) = text.find("'shape'") else {
        return Err(bad("the header has no 'shape'".into()));
    };
    let rest = &text[k..];
    let (Some(o), Some(c)) = (rest.find('('), rest.find(')')) else {
        return Err(bad("the header's 'shape' is not a tuple (...)".into()));
    };
    if c < o {
        return Err(bad("the header's 'shape' is not a tuple (...)".into()));
    }
    let dims: Vec<&str> = rest[o + 1..c]
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if dims.len() > MAX_DIMS {
        return Err(bad(format!(
            "the header's shape has {} dimensions, over {MAX_DIMS} (NumPy's own limit)",
            dims.len()
        )));
    }
    let mut n: u128 = 1;
    for d in dims {
        // NumPy writes plain decimal integers (Python 2: with an `L`); the
        // parser behind ndarray-npy also evaluates expressions such as
        // `2--2`, which would bypass this size check (found by fuzzing: an
        // allocation of 227 TB), so anything else is refused
        let digits = d.strip_suffix(['L', 'l']).unwrap_or(d);
        let (true, Ok(d)) = (digits.len() <= MAX_DIM_DIGITS, digits.parse::<u64>()) else {
            return Err(bad(format!(
                "the header's shape has `{d}`, not a non-negative integer below 2^64"
            )));
        };
        n = n.saturating_mul(d as u128);
    }
    let have = (bytes.len() - (start + hlen)) as u128;
    if n.saturating_mul(word as u128) > have {
        return Err(bad(format!(
            "the header's shape holds {n} values, the file has {have} bytes of data"
        )));
    }
    Ok(())
}

/// Check a tensor read from `path` against a model input of
/// `(c, h, w)` per image: `[N, c, h, w]`, or `[N, c]` when `h = w = 1`.
/// Returns the batch `N` (at least 1).
pub fn batch_of(t: &Tensor, path: &Path, (c, h, w): (u32, u32, u32)) -> Result<u32, NpyError> {
    let (c, h, w) = (c as usize, h as usize, w as usize);
    let ok = match t.shape.as_slice() {
        [n, cc, hh, ww] => *n > 0 && (*cc, *hh, *ww) == (c, h, w),
        [n, cc] => *n > 0 && h == 1 && w == 1 && *cc == c,
        _ => false,
    };
    if !ok || t.shape[0] > u32::MAX as usize {
        return Err(NpyError::Shape {
            path: path.display().to_string(),
            got: t.shape.clone(),
            want: if h == 1 && w == 1 {
                format!("[N, {c}] or [N, {c}, 1, 1]")
            } else {
                format!("[N, {c}, {h}, {w}]")
            },
        });
    }
    Ok(t.shape[0] as u32)
}

/// Read class labels: a 1-D `.npy` array of int64 (or of float32 holding
/// whole numbers), e.g. what `diannao train --export-test` writes.
pub fn read_labels(path: &Path) -> Result<Vec<usize>, NpyError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| NpyError::Io {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    parse_labels(&bytes, &p)
}

/// Parse the bytes of a labels `.npy` file (see [`read_labels`]).
pub fn parse_labels(bytes: &[u8], path: &str) -> Result<Vec<usize>, NpyError> {
    let p = path.to_string();
    check_size(bytes, path, 4)?;
    let bad = |reason: String| NpyError::Format {
        path: p.clone(),
        reason,
    };
    let vals: Vec<f64> = match ArrayD::<i64>::read_npy(bytes) {
        Ok(a) => a.iter().map(|&v| v as f64).collect(),
        Err(ReadNpyError::WrongDescriptor(_)) => match ArrayD::<f32>::read_npy(bytes) {
            Ok(a) => a.iter().map(|&v| v as f64).collect(),
            Err(e) => {
                return Err(NpyError::Dtype {
                    path: p.clone(),
                    reason: format!("labels must be int64 or float32: {e}"),
                })
            }
        },
        Err(e) => return Err(bad(e.to_string())),
    };
    vals.iter()
        .enumerate()
        .map(|(i, &v)| {
            if v >= 0.0 && v.fract() == 0.0 && v < u32::MAX as f64 {
                Ok(v as usize)
            } else {
                Err(bad(format!("label {i} is {v}, not a class index")))
            }
        })
        .collect()
}

/// Write class labels as a 1-D int64 `.npy` file atomically.
pub fn write_labels(path: &Path, labels: &[i64]) -> Result<(), NpyError> {
    let a = ndarray::Array1::from(labels.to_vec());
    let mut bytes = Vec::new();
    a.write_npy(&mut bytes)
        .map_err(|e| NpyError::Write(format!("{}: {e}", path.display())))?;
    crate::atomic::write(path, &bytes).map_err(|e| NpyError::Write(e.to_string()))
}

/// Write a float32 `.npy` file atomically (temporary file, then rename).
pub fn write(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), NpyError> {
    let a = ArrayD::from_shape_vec(IxDyn(shape), data.to_vec())
        .map_err(|e| NpyError::Write(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    a.write_npy(&mut bytes)
        .map_err(|e| NpyError::Write(format!("{}: {e}", path.display())))?;
    crate::atomic::write(path, &bytes).map_err(|e| NpyError::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1 `.npy` file of header `h` (no data).
    fn v1(h: &str) -> Vec<u8> {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        b
    }

    /// Found by AFL: nested brackets in the header made ndarray-npy's header
    /// parser take exponential time (12 `{` took over 10 s); they are
    /// refused before it runs (fuzz/regressions/npy*/ keep the inputs).
    #[test]
    fn nested_header_is_refused_at_once() {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let h = format!(
            "{}'descr': '<i8', 'fortran_order': False, 'shape': (1,), }}",
            "{".repeat(40)
        );
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        b.extend(1i64.to_le_bytes());
        let e = parse_labels(&b, "n.npy").unwrap_err().to_string();
        assert!(e.contains("not one flat dictionary"), "{e}");
        let e = parse(&b, "n.npy").unwrap_err().to_string();
        assert!(e.contains("not one flat dictionary"), "{e}");
    }

    /// Found by AFL: a shape dimension written as an expression (`2--2`)
    /// bypassed the size check, and ndarray-npy asked for 227 TB.
    #[test]
    fn expression_in_shape_is_refused() {
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,\t2--2, 71111111111111)}";
        let b = v1(&h);
        let e = parse(&b, "s.npy").unwrap_err().to_string();
        assert!(e.contains("`2--2`, not a non-negative integer"), "{e}");
    }

    /// Found by AFL: thousands of dimensions took time quadratic in their
    /// number (0.1 s for 1,000); more than NumPy's 64 are refused first.
    #[test]
    fn too_many_dimensions_are_refused() {
        let shape = |n: usize| {
            let h = format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}0,), }}",
                "1,".repeat(n - 1)
            ) + "\n";
            v1(&h)
        };
        // also when the tuple is not closed (the parser is as slow on it)
        let mut open = shape(1000);
        let at = open.iter().rposition(|&b| b == b')').unwrap();
        open[at] = b' ';
        let e = parse(&open, "d.npy").unwrap_err().to_string();
        assert!(e.contains("'shape' is not a tuple"), "{e}");
        let e = parse(&shape(MAX_DIMS + 1), "d.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("65 dimensions, over 64"), "{e}");
        let e = parse_labels(&shape(1000), "d.npy").unwrap_err().to_string();
        assert!(e.contains("1000 dimensions, over 64"), "{e}");
        // NumPy's limit itself is read (an empty tensor of 64 dimensions)
        let t = parse(&shape(MAX_DIMS), "d.npy").unwrap();
        assert_eq!(t.shape.len(), MAX_DIMS);
        assert!(t.data.is_empty());
        // a dimension of more digits than 2^64 - 1 has
        let h = format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}1,), }}",
            "0".repeat(30)
        );
        let b = v1(&h);
        let e = parse(&b, "z.npy").unwrap_err().to_string();
        assert!(e.contains("below 2^64"), "{e}");
        // a long number anywhere in the header (found by AFL as a dict key)
        let h = format!(
            "{{{}: 1, 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }}\n",
            "5".repeat(9000)
        );
        let mut b = v1(&h);
        b.extend(1f32.to_le_bytes());
        for e in [
            parse(&b, "w.npy").unwrap_err(),
            parse_labels(&b, "w.npy").unwrap_err(),
        ] {
            assert!(
                e.to_string()
                    .contains("a word of 9000 characters (`555555555555...`), over 32"),
                "{e}"
            );
        }
    }

    /// Found by AFL: a long header of digits took time superlinear in its
    /// length; headers over NumPy's 10,000-byte limit are refused first.
    #[test]
    fn long_header_is_refused() {
        let h = format!("{{'shape': (0X7{}1,), }}", "5".repeat(MAX_HEADER_BYTES));
        let mut b = b"\x93NUMPY\x02\x00".to_vec();
        b.extend((h.len() as u32).to_le_bytes());
        b.extend(h.as_bytes());
        for e in [
            parse(&b, "l.npy").unwrap_err().to_string(),
            parse_labels(&b, "l.npy").unwrap_err().to_string(),
        ] {
            assert!(e.contains("over 10000 (NumPy's own limit)"), "{e}");
        }
    }

    #[test]
    fn round_trip_and_errors() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.npy");
        write(&p, &[2, 3, 1, 1], &[1., 2., 3., 4., 5., 6.]).unwrap();
        let t = read(&p).unwrap();
        assert_eq!(t.shape, vec![2, 3, 1, 1]);
        assert_eq!(t.data[5], 6.0);
        assert_eq!(batch_of(&t, &p, (3, 1, 1)).unwrap(), 2);
        let e = batch_of(&t, &p, (3, 2, 2)).unwrap_err().to_string();
        assert!(e.contains("x.npy") && e.contains("[N, 3, 2, 2]"), "{e}");
        // an int64 array
        let a = ArrayD::<i64>::zeros(IxDyn(&[2, 2]));
        let mut b = Vec::new();
        a.write_npy(&mut b).unwrap();
        std::fs::write(&p, &b).unwrap();
        let e = read(&p).unwrap_err();
        assert!(matches!(e, NpyError::Dtype { .. }), "{e}");
        std::fs::write(&p, b"not numpy").unwrap();
        assert!(matches!(read(&p).unwrap_err(), NpyError::Format { .. }));
    }
}
