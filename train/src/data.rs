//! MNIST and Fashion-MNIST in the standard IDX format (gzip-compressed
//! `*.gz` or raw); [`Source`] names the two.
//!
//! A data folder holds `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
//! `test-images-idx3-ubyte` and `test-labels-idx1-ubyte` (or the original
//! `t10k-*` names for the test set), each optionally with a `.gz` suffix.
//! Pixels become f32 in [0, 1] (byte / 255). Every error names the file and
//! the field at fault.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// IDX magic number of an unsigned-byte 3-d tensor (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// IDX magic number of an unsigned-byte 1-d tensor (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Image height and width of MNIST digits, pixels.
pub const SIDE: usize = 28;
/// Number of classes (digits 0..=9).
pub const CLASSES: usize = 10;
/// Environment variable overriding the default data folder.
pub const DATA_ENV: &str = "DIANNAO_DATA";

/// Why a data set could not be loaded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DataError {
    /// The file (raw or `.gz`) does not exist.
    #[error("{}: missing data file (expected the IDX file, raw or .gz)", path.display())]
    Missing {
        /// Path tried (without `.gz`).
        path: PathBuf,
    },
    /// A named data set's folder does not exist.
    #[error("{}: data set not found: {hint}", path.display())]
    NotInstalled {
        /// Folder tried.
        path: PathBuf,
        /// How to get it.
        hint: String,
    },
    /// The file could not be read or decompressed.
    #[error("{}: cannot read: {reason}", path.display())]
    Io {
        /// File.
        path: PathBuf,
        /// OS or gzip error.
        reason: String,
    },
    /// The magic number is not the one of this kind of file.
    #[error("{}: bad magic number 0x{got:08x} (expected 0x{expected:08x}, {kind})", path.display())]
    BadMagic {
        /// File.
        path: PathBuf,
        /// Expected magic.
        expected: u32,
        /// Magic found.
        got: u32,
        /// `images` or `labels`.
        kind: &'static str,
    },
    /// The file ends before a field is complete.
    #[error("{}: truncated {field}: needs {expected} bytes, has {got}", path.display())]
    Truncated {
        /// File.
        path: PathBuf,
        /// Which field (`header`, `pixels`, `labels`).
        field: &'static str,
        /// Bytes the field needs.
        expected: usize,
        /// Bytes present.
        got: usize,
    },
    /// Bytes after the last item.
    #[error("{}: {extra} unexpected bytes after the last {field}", path.display())]
    Trailing {
        /// File.
        path: PathBuf,
        /// `image` or `label`.
        field: &'static str,
        /// Extra bytes.
        extra: usize,
    },
    /// Images are not 28x28.
    #[error("{}: images are {rows}x{cols} pixels, expected {SIDE}x{SIDE}", path.display())]
    ImageSize {
        /// File.
        path: PathBuf,
        /// Rows in the header.
        rows: usize,
        /// Columns in the header.
        cols: usize,
    },
    /// Image and label files disagree on the count.
    #[error("{} has {images} images but {} has {labels} labels", images_path.display(), labels_path.display())]
    CountMismatch {
        /// Image file.
        images_path: PathBuf,
        /// Images in it.
        images: usize,
        /// Label file.
        labels_path: PathBuf,
        /// Labels in it.
        labels: usize,
    },
    /// A label is not a digit.
    #[error("{}: label {index} is {label}, expected 0..=9", path.display())]
    LabelRange {
        /// Label file.
        path: PathBuf,
        /// Index of the label (0-based).
        index: usize,
        /// Its value.
        label: u8,
    },
    /// The file holds no example.
    #[error("{}: no examples", path.display())]
    Empty {
        /// File.
        path: PathBuf,
    },
}

/// Images and labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Pixels `[n][rows][cols]` in [0, 1].
    pub images: Vec<f32>,
    /// Labels, 0..=9.
    pub labels: Vec<u8>,
    /// Image height, pixels.
    pub rows: usize,
    /// Image width, pixels.
    pub cols: usize,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there is no example.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per image.
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// Pixels of example `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let p = self.pixels();
        &self.images[i * p..(i + 1) * p]
    }

    /// Keep the first `n` examples (all if fewer).
    pub fn truncate(&mut self, n: usize) {
        let n = n.min(self.len());
        self.labels.truncate(n);
        self.images.truncate(n * self.pixels());
    }

    /// The digits reduced to 8x8 for the micro network: the central 24x24
    /// crop, averaged over 3x3 blocks. Needs 28x28 images.
    pub fn downsample_8x8(&self) -> Dataset {
        const OUT: usize = 8;
        const BLOCK: usize = 3;
        let off = (SIDE - OUT * BLOCK) / 2;
        let mut images = Vec::with_capacity(self.len() * OUT * OUT);
        for i in 0..self.len() {
            let im = self.image(i);
            for y in 0..OUT {
                for x in 0..OUT {
                    let mut s = 0.0f32;
                    for dy in 0..BLOCK {
                        for dx in 0..BLOCK {
                            s += im[(off + y * BLOCK + dy) * self.cols + off + x * BLOCK + dx];
                        }
                    }
                    images.push(s / (BLOCK * BLOCK) as f32);
                }
            }
        }
        Dataset {
            images,
            labels: self.labels.clone(),
            rows: OUT,
            cols: OUT,
        }
    }

    /// A 64-bit FNV-1a fingerprint of the shape, pixels and labels (hex), to
    /// refuse resuming on different data.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv::new();
        h.write(&(self.len() as u64).to_le_bytes());
        h.write(&(self.rows as u64).to_le_bytes());
        h.write(&(self.cols as u64).to_le_bytes());
        for p in &self.images {
            h.write(&p.to_bits().to_le_bytes());
        }
        h.write(&self.labels);
        format!("{:016x}", h.0)
    }
}

/// FNV-1a, 64 bits.
pub(crate) struct Fnv(pub(crate) u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The training and held-out sets.
#[derive(Clone, Debug, PartialEq)]
pub struct Mnist {
    /// Training set.
    pub train: Dataset,
    /// Held-out set.
    pub test: Dataset,
}

/// Environment variable overriding the Fashion-MNIST folder.
pub const FASHION_ENV: &str = "DIANNAO_FASHION_DATA";
/// Where Debian's `dataset-fashion-mnist` package (MIT licence, Zalando
/// Research, <https://github.com/zalandoresearch/fashion-mnist>) installs the
/// four IDX files.
pub const FASHION_DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// A data set the toolkit knows by name: both are 28x28 grey images in 10
/// classes, in the same IDX files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// MNIST digits: by default the bundled subset (10,000 training, 2,000
    /// held out; `data/mnist`).
    Mnist,
    /// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 60,000 training and
    /// 10,000 test images of clothing.
    FashionMnist,
}

impl Source {
    /// Names accepted by [`Source::by_name`].
    pub const NAMES: [&'static str; 2] = ["mnist", "fashion-mnist"];

    /// The source called `name`.
    pub fn by_name(name: &str) -> Option<Source> {
        match name {
            "mnist" => Some(Source::Mnist),
            "fashion-mnist" => Some(Source::FashionMnist),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Source::Mnist => "mnist",
            Source::FashionMnist => "fashion-mnist",
        }
    }

    /// The default folder: [`default_dir`] for MNIST; `$DIANNAO_FASHION_DATA`
    /// or [`FASHION_DEBIAN_DIR`] for Fashion-MNIST.
    pub fn default_dir(self) -> PathBuf {
        match self {
            Source::Mnist => default_dir(),
            Source::FashionMnist => match std::env::var_os(FASHION_ENV) {
                Some(d) if !d.is_empty() => PathBuf::from(d),
                _ => PathBuf::from(FASHION_DEBIAN_DIR),
            },
        }
    }

    /// Load both splits from `dir` (default: [`Source::default_dir`]). A
    /// missing Fashion-MNIST folder says how to install it.
    pub fn load(self, dir: Option<&Path>) -> Result<Mnist, DataError> {
        let d = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.default_dir());
        if self == Source::FashionMnist && dir.is_none() && !d.is_dir() {
            return Err(DataError::NotInstalled {
                path: d,
                hint: "install Debian's dataset-fashion-mnist package (MIT licence), set DIANNAO_FASHION_DATA, or pass --data DIR".into(),
            });
        }
        load(&d)
    }
}

/// The default data folder: `$DIANNAO_DATA` if set, else the bundled
/// `data/mnist` of the workspace this program was built from.
pub fn default_dir() -> PathBuf {
    match std::env::var_os(DATA_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist"),
    }
}

/// The largest IDX file this program reads, bytes (decompressed): 512 MiB,
/// ten times Fashion-MNIST's training images; a larger (or a gzip bomb's)
/// content is refused before it is held in memory.
pub const MAX_IDX_BYTES: u64 = 512 << 20;

/// What the reader knows of an IDX file before its payload: its header
/// length, magic number and the payload bytes the header promises.
struct IdxKind {
    header: usize,
    magic: u32,
    payload: fn(&[u8]) -> u64,
}

const IMAGES: IdxKind = IdxKind {
    header: 16,
    magic: IMAGES_MAGIC,
    payload: |h| {
        (be32(h, 4) as u64)
            .saturating_mul(be32(h, 8) as u64)
            .saturating_mul(be32(h, 12) as u64)
    },
};

const LABELS: IdxKind = IdxKind {
    header: 8,
    magic: LABELS_MAGIC,
    payload: |h| be32(h, 4) as u64,
};

/// Read a whole file, gunzipping it if its name ends in `.gz`.
fn read_maybe_gz(path: &Path, kind: &IdxKind) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    maybe_gunzip(raw, path, kind)
}

/// `raw` as is, or gunzipped if `path` ends in `.gz`; at most
/// [`MAX_IDX_BYTES`]. The header is decompressed first: a file whose magic
/// number is not `kind`'s is handed on after it (the parser names the
/// error), and one whose header promises more than the limit is refused
/// then, so neither is decompressed further.
fn maybe_gunzip(raw: Vec<u8>, path: &Path, kind: &IdxKind) -> Result<Vec<u8>, DataError> {
    let too_big = || DataError::Io {
        path: path.to_path_buf(),
        reason: format!("larger than {MAX_IDX_BYTES} bytes (train::data::MAX_IDX_BYTES)"),
    };
    if !path.extension().is_some_and(|e| e == "gz") {
        if raw.len() as u64 > MAX_IDX_BYTES {
            return Err(too_big());
        }
        return Ok(raw);
    }
    let bad_gz = |e: std::io::Error| DataError::Io {
        path: path.to_path_buf(),
        reason: format!("not a valid gzip file ({e})"),
    };
    let mut out = Vec::new();
    let mut dec = GzDecoder::new(&raw[..]).take(MAX_IDX_BYTES + 1);
    (&mut dec)
        .take(kind.header as u64)
        .read_to_end(&mut out)
        .map_err(bad_gz)?;
    if out.len() < kind.header || be32(&out, 0) != kind.magic {
        return Ok(out);
    }
    if (kind.payload)(&out).saturating_add(kind.header as u64) > MAX_IDX_BYTES {
        return Err(too_big());
    }
    dec.read_to_end(&mut out).map_err(bad_gz)?;
    if out.len() as u64 > MAX_IDX_BYTES {
        return Err(too_big());
    }
    Ok(out)
}

/// The existing file among `dir/name.gz`, `dir/name` for each candidate name.
fn find(dir: &Path, names: &[&str]) -> Result<PathBuf, DataError> {
    for n in names {
        for cand in [dir.join(format!("{n}.gz")), dir.join(n)] {
            if cand.is_file() {
                return Ok(cand);
            }
        }
    }
    Err(DataError::Missing {
        path: dir.join(names[0]),
    })
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn header(
    path: &Path,
    b: &[u8],
    len: usize,
    magic: u32,
    kind: &'static str,
) -> Result<(), DataError> {
    if b.len() < 4 {
        return Err(DataError::Truncated {
            path: path.into(),
            field: "header",
            expected: len,
            got: b.len(),
        });
    }
    let got = be32(b, 0);
    if got != magic {
        return Err(DataError::BadMagic {
            path: path.into(),
            expected: magic,
            got,
            kind,
        });
    }
    if b.len() < len {
        return Err(DataError::Truncated {
            path: path.into(),
            field: "header",
            expected: len,
            got: b.len(),
        });
    }
    Ok(())
}

/// Read an IDX image file: `(pixels as bytes, count)`; images must be 28x28.
pub fn read_images(path: &Path) -> Result<(Vec<u8>, usize), DataError> {
    images_of(read_maybe_gz(path, &IMAGES)?, path)
}

/// [`read_images`] on the bytes of a file (gunzipped if `path` ends in `.gz`).
pub fn parse_images(raw: Vec<u8>, path: &Path) -> Result<(Vec<u8>, usize), DataError> {
    images_of(maybe_gunzip(raw, path, &IMAGES)?, path)
}

fn images_of(b: Vec<u8>, path: &Path) -> Result<(Vec<u8>, usize), DataError> {
    header(path, &b, IMAGES.header, IMAGES_MAGIC, "images")?;
    let n = be32(&b, 4) as usize;
    let (rows, cols) = (be32(&b, 8) as usize, be32(&b, 12) as usize);
    if rows != SIDE || cols != SIDE {
        return Err(DataError::ImageSize {
            path: path.into(),
            rows,
            cols,
        });
    }
    let need = n * SIDE * SIDE;
    let have = b.len() - IMAGES.header;
    if have < need {
        return Err(DataError::Truncated {
            path: path.into(),
            field: "pixels",
            expected: need,
            got: have,
        });
    }
    if have > need {
        return Err(DataError::Trailing {
            path: path.into(),
            field: "image",
            extra: have - need,
        });
    }
    if n == 0 {
        return Err(DataError::Empty { path: path.into() });
    }
    Ok((b[IMAGES.header..].to_vec(), n))
}

/// Read an IDX label file; every label must be 0..=9.
pub fn read_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    labels_of(read_maybe_gz(path, &LABELS)?, path)
}

/// [`read_labels`] on the bytes of a file (gunzipped if `path` ends in `.gz`).
pub fn parse_labels(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>, DataError> {
    labels_of(maybe_gunzip(raw, path, &LABELS)?, path)
}

fn labels_of(b: Vec<u8>, path: &Path) -> Result<Vec<u8>, DataError> {
    header(path, &b, LABELS.header, LABELS_MAGIC, "labels")?;
    let n = be32(&b, 4) as usize;
    let have = b.len() - LABELS.header;
    if have < n {
        return Err(DataError::Truncated {
            path: path.into(),
            field: "labels",
            expected: n,
            got: have,
        });
    }
    if have > n {
        return Err(DataError::Trailing {
            path: path.into(),
            field: "label",
            extra: have - n,
        });
    }
    if n == 0 {
        return Err(DataError::Empty { path: path.into() });
    }
    let labels = b[8..].to_vec();
    if let Some((index, &label)) = labels
        .iter()
        .enumerate()
        .find(|(_, &l)| l as usize >= CLASSES)
    {
        return Err(DataError::LabelRange {
            path: path.into(),
            index,
            label,
        });
    }
    Ok(labels)
}

/// Load one split (`train` or `test`) from `dir`.
pub fn load_split(dir: &Path, split: &str) -> Result<Dataset, DataError> {
    let alt = if split == "test" { "t10k" } else { split };
    let ip = find(
        dir,
        &[
            &format!("{split}-images-idx3-ubyte"),
            &format!("{alt}-images-idx3-ubyte"),
        ],
    )?;
    let lp = find(
        dir,
        &[
            &format!("{split}-labels-idx1-ubyte"),
            &format!("{alt}-labels-idx1-ubyte"),
        ],
    )?;
    let (px, n) = read_images(&ip)?;
    let labels = read_labels(&lp)?;
    if labels.len() != n {
        return Err(DataError::CountMismatch {
            images_path: ip,
            images: n,
            labels_path: lp,
            labels: labels.len(),
        });
    }
    Ok(Dataset {
        images: px.iter().map(|&p| p as f32 / 255.0).collect(),
        labels,
        rows: SIDE,
        cols: SIDE,
    })
}

/// Load the training and held-out sets from `dir`.
pub fn load(dir: &Path) -> Result<Mnist, DataError> {
    Ok(Mnist {
        train: load_split(dir, "train")?,
        test: load_split(dir, "test")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(b: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn images_header(n: u32) -> Vec<u8> {
        [IMAGES_MAGIC, n, SIDE as u32, SIDE as u32]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect()
    }

    #[test]
    fn gz_header_is_checked_before_the_payload_is_decompressed() {
        let p = Path::new("x-images.gz");
        // a valid file reads back whole
        let mut ok = images_header(2);
        ok.extend((0..2 * 784).map(|i| i as u8));
        assert_eq!(parse_images(gz(&ok), p).unwrap().1, 2);
        // the wrong magic: refused by name, though the stream is cut short
        // after the header (decompressing further would fail)
        let mut b = gz(&ok);
        let n = b.len();
        b.truncate(n * 2 / 3);
        let e = parse_labels(b.clone(), p).unwrap_err().to_string();
        assert!(e.contains("bad magic number 0x00000803"), "{e}");
        let e = parse_images(b, p).unwrap_err().to_string();
        assert!(e.contains("not a valid gzip file"), "{e}");
        // a header promising more than MAX_IDX_BYTES: refused from the header
        let mut big = images_header(1_000_000);
        big.extend([0u8; 784]);
        let e = parse_images(gz(&big), p).unwrap_err().to_string();
        assert!(e.contains("larger than 536870912 bytes"), "{e}");
        // the raw reader still names the count mismatch
        let e = parse_images(big, Path::new("x-images"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated pixels"), "{e}");
        // dimensions whose product overflows 64 bits are refused as too big
        let mut huge = images_header(u32::MAX);
        huge[8..16].copy_from_slice(&[0xff; 8]);
        let e = parse_images(gz(&huge), p).unwrap_err().to_string();
        assert!(e.contains("larger than"), "{e}");
    }

    #[test]
    fn downsample_averages_blocks() {
        let mut images = vec![0.0; SIDE * SIDE];
        // Block (0, 0) of the crop covers rows/cols 2..5.
        for y in 2..5 {
            for x in 2..5 {
                images[y * SIDE + x] = 0.9;
            }
        }
        images[27 * SIDE + 27] = 1.0; // outside the crop
        let d = Dataset {
            images,
            labels: vec![3],
            rows: SIDE,
            cols: SIDE,
        };
        let s = d.downsample_8x8();
        assert_eq!((s.rows, s.cols, s.len()), (8, 8, 1));
        assert!((s.images[0] - 0.9).abs() < 1e-6);
        assert!(s.images[1..].iter().all(|&v| v == 0.0));
    }
}
