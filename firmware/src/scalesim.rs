//! SCALE-Sim topology files: import ([`parse`]) and export ([`write`]).
//!
//! SCALE-Sim (Samajdar et al.; versions 2 and 3) describes a workload as a
//! CSV file with the header
//!
//! ```text
//! Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
//! ```
//!
//! and one row per layer, each ending with a comma. Every row is a
//! convolution of its own IFMAP: there is no padding column (the IFMAP
//! includes any padding), one stride for both axes, no activation, no bias
//! and no connection between rows. A fully connected layer is written as a
//! 1x1 IFMAP with a 1x1 filter, `Channels` inputs and `Num Filter` outputs.
//!
//! **Depthwise layers.** A layer whose name contains `DP` is depthwise:
//! SCALE-Sim's loader (`topology_utils.py`, `load_arrays_conv`) replaces such
//! a row by `Channels` layers of one channel and `Num Filter` filters each.
//! So `Num Filter` is the depth multiplier, not the total: the row
//! `dw_DP, 114, 114, 3, 3, 32, 1, 1,` is a 3x3 depthwise convolution of 32
//! maps into 32 maps (here `groups = 32`, `no = 32`), and a multiplier `m`
//! gives `no = 32 m`.
//!
//! Import: every row becomes a detached convolution (empty
//! [`ModelLayer::inputs`], like a TOML layer with `input = [c, h, w]`) with
//! pad 0, identity activation and no bias; the model is named after the file
//! and its input is the first row's IFMAP. Blank lines, spaces around
//! fields, any case in the header and a missing trailing comma are
//! accepted. Errors are [`ModelError::At`] naming the file, the line and the
//! column.
//!
//! Export: one row per convolution and classifier, in model order. A
//! convolution's IFMAP is its padded input (`nx + 2 pad`), so that its output
//! size is the same without padding; pooling, element-wise (add, act) and
//! global average pooling layers have no SCALE-Sim equivalent and are left
//! out ([`Topology::skipped`]). Grouped convolutions other than depthwise
//! (`1 < groups < ni`) and different horizontal and vertical strides cannot
//! be written.

use crate::layer::{ConvSpec, LayerError, LayerSpec};
use crate::model::{Model, ModelError, ModelLayer};
use arch::activation::Activation;
use std::fmt::Write as _;
use thiserror::Error;

/// The columns of a SCALE-Sim topology file, in order.
pub const COLUMNS: [&str; 8] = [
    "Layer name",
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
];

/// The marker of a depthwise layer in a layer name (case-sensitive, as in SCALE-Sim).
pub const DEPTHWISE_MARK: &str = "DP";

/// Fields of a CSV line, trimmed, without the empty field after a trailing comma.
fn fields(line: &str) -> Vec<&str> {
    let mut v: Vec<&str> = line.split(',').map(str::trim).collect();
    if v.len() > 1 && v.last() == Some(&"") {
        v.pop();
    }
    v
}

/// Lower case with runs of whitespace collapsed to one space.
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// The SCALE-Sim column that sets a [`LayerSpec`] field of a convolution.
fn column_of(field: &str) -> &'static str {
    match field {
        "nx" => COLUMNS[2],
        "ny" => COLUMNS[1],
        "kx" => COLUMNS[4],
        "ky" => COLUMNS[3],
        "ni" | "groups" => COLUMNS[5],
        "no" => COLUMNS[6],
        "sx" | "sy" => COLUMNS[7],
        _ => COLUMNS[0],
    }
}

fn layer_error_column(e: &LayerError) -> &'static str {
    match e {
        LayerError::Zero { field }
        | LayerError::KernelTooLarge { field, .. }
        | LayerError::TooLarge { field, .. } => column_of(field),
        LayerError::Groups { .. } => COLUMNS[5],
        LayerError::Missing(f) => column_of(f),
        LayerError::BadValue { field, .. } | LayerError::UnknownField { key: field, .. } => {
            column_of(field)
        }
        LayerError::PadTooLarge { .. } | LayerError::Syntax(_) => COLUMNS[0],
    }
}

/// The model name of a topology file: its file name without the extension.
fn model_name(file: &str) -> String {
    let p = std::path::Path::new(file);
    match p.file_stem().and_then(|s| s.to_str()) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "scalesim".to_string(),
    }
}

/// Read a SCALE-Sim topology (CSV text); `file` names the source in errors
/// and, without its extension, names the model.
pub fn parse(text: &str, file: &str) -> Result<Model, ModelError> {
    let at = |line: usize, col: Option<&str>, msg: String| ModelError::At {
        file: file.to_string(),
        line,
        field: col.map(str::to_string),
        msg,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((hline, header)) = lines.next() else {
        return Err(at(
            1,
            None,
            format!(
                "empty topology: expected the header `{},`",
                COLUMNS.join(", ")
            ),
        ));
    };
    let h = fields(header);
    if h.len() != COLUMNS.len() {
        return Err(at(
            hline,
            None,
            format!(
                "the header has {} columns, expected {}: `{},`",
                h.len(),
                COLUMNS.len(),
                COLUMNS.join(", ")
            ),
        ));
    }
    if let Some((got, want)) = h
        .iter()
        .zip(COLUMNS)
        .find(|(got, want)| normalise(got) != normalise(want))
    {
        return Err(at(
            hline,
            Some(want),
            format!("header column `{got}`, expected `{want}`"),
        ));
    }
    let mut layers: Vec<ModelLayer> = Vec::new();
    let mut first_line: Vec<(String, usize)> = Vec::new();
    for (line, row) in lines {
        let f = fields(row);
        if f.len() != COLUMNS.len() {
            let col = COLUMNS.get(f.len()).copied();
            return Err(at(
                line,
                col,
                format!(
                    "{} columns, expected {} ({}){}",
                    f.len(),
                    COLUMNS.len(),
                    COLUMNS.join(", "),
                    if f.len() < COLUMNS.len() {
                        "; this column is missing"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let name = f[0];
        if name.is_empty() {
            return Err(at(line, Some(COLUMNS[0]), "is empty".into()));
        }
        if let Some((_, l)) = first_line.iter().find(|(n, _)| n == name) {
            return Err(at(
                line,
                Some(COLUMNS[0]),
                format!("layer `{name}` defined twice (first on line {l})"),
            ));
        }
        let mut v = [0u32; 7];
        for (i, s) in f[1..].iter().enumerate() {
            let col = COLUMNS[i + 1];
            let n: u32 = s
                .parse()
                .map_err(|_| at(line, Some(col), format!("`{s}` is not an integer")))?;
            if n == 0 {
                return Err(at(line, Some(col), "must be at least 1".into()));
            }
            v[i] = n;
        }
        let [ih, iw, fh, fw, ch, nf, s] = v;
        for (col, k, n, what) in [
            (COLUMNS[3], fh, ih, "height"),
            (COLUMNS[4], fw, iw, "width"),
        ] {
            if k > n {
                return Err(at(
                    line,
                    Some(col),
                    format!("filter {what} {k} is larger than the IFMAP {what} {n}"),
                ));
            }
        }
        let depthwise = name.contains(DEPTHWISE_MARK);
        let (groups, no) = if depthwise {
            // SCALE-Sim: `Channels` layers of one channel and `Num Filter` filters each
            let no = ch.checked_mul(nf).ok_or_else(|| {
                at(
                    line,
                    Some(COLUMNS[6]),
                    format!("depthwise: {ch} channels x {nf} filters per channel overflow"),
                )
            })?;
            (ch, no)
        } else {
            (1, nf)
        };
        let spec = LayerSpec::Conv(ConvSpec {
            nx: iw,
            ny: ih,
            kx: fw,
            ky: fh,
            ni: ch,
            no,
            sx: s,
            sy: s,
            pad: 0,
            act: Activation::Identity,
            bias: false,
            groups,
        });
        spec.validate().map_err(|e| {
            at(
                line,
                Some(layer_error_column(&e)),
                format!("layer `{name}`: {e}"),
            )
        })?;
        first_line.push((name.to_string(), line));
        layers.push(ModelLayer {
            name: name.to_string(),
            spec,
            inputs: Vec::new(),
        });
    }
    let Some(first) = layers.first() else {
        return Err(at(
            hline,
            None,
            "the topology has no layers (only a header)".into(),
        ));
    };
    let input = first.spec.input_shape();
    Ok(Model {
        name: model_name(file),
        input,
        layers,
    })
}

/// A SCALE-Sim topology written from a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    /// The CSV text (header and one row per convolution or classifier).
    pub csv: String,
    /// Layers left out, in model order: pooling, add, act and gap layers,
    /// which SCALE-Sim cannot describe.
    pub skipped: Vec<String>,
}

/// Why a model cannot be written as a SCALE-Sim topology.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// A layer that SCALE-Sim cannot describe (the message says why).
    #[error("layer `{layer}`: {msg}")]
    Layer {
        /// Layer name.
        layer: String,
        /// What is wrong.
        msg: String,
    },
    /// No convolution or classifier layer: the topology would be empty.
    #[error("model `{model}` has no convolution or classifier layer: a SCALE-Sim topology holds only those")]
    Empty {
        /// Model name.
        model: String,
    },
}

fn check_name(name: &str) -> Result<(), WriteError> {
    let bad = |msg: &str| {
        Err(WriteError::Layer {
            layer: name.to_string(),
            msg: msg.to_string(),
        })
    };
    if name.trim().is_empty() {
        return bad("an empty name cannot be a SCALE-Sim layer name");
    }
    if name.contains([',', '\n', '\r']) {
        return bad("a SCALE-Sim layer name cannot hold a comma or a line break");
    }
    if name.trim() != name {
        return bad("a SCALE-Sim layer name cannot begin or end with spaces (they are trimmed)");
    }
    Ok(())
}

/// Write `model` as a SCALE-Sim topology (see the module documentation).
pub fn write(model: &Model) -> Result<Topology, WriteError> {
    let mut csv = COLUMNS.join(", ");
    csv.push_str(",\n");
    let mut skipped = Vec::new();
    let mut rows = 0usize;
    for l in &model.layers {
        let err = |msg: String| WriteError::Layer {
            layer: l.name.clone(),
            msg,
        };
        let marked = l.name.contains(DEPTHWISE_MARK);
        let (name, ih, iw, fh, fw, ch, nf, s) = match &l.spec {
            LayerSpec::Conv(c) => {
                check_name(&l.name)?;
                if c.sx != c.sy {
                    return Err(err(format!(
                        "strides sx = {} and sy = {} differ: SCALE-Sim has one stride for both axes",
                        c.sx, c.sy
                    )));
                }
                let depthwise = c.groups == c.ni;
                if marked && !depthwise {
                    return Err(err(format!(
                        "the name contains `{DEPTHWISE_MARK}`, which SCALE-Sim reads as a depthwise layer, but the convolution is not depthwise (groups = {}, ni = {}); rename the layer",
                        c.groups, c.ni
                    )));
                }
                if c.groups != 1 && !depthwise {
                    return Err(err(format!(
                        "a grouped convolution (groups = {}, ni = {}) has no SCALE-Sim equivalent: only dense (groups = 1) and depthwise (groups = ni) convolutions",
                        c.groups, c.ni
                    )));
                }
                let name = if c.groups > 1 && !marked {
                    format!("{}_{DEPTHWISE_MARK}", l.name)
                } else {
                    l.name.clone()
                };
                // a depthwise row's Num Filter is the filters per channel
                let nf = if depthwise { c.no / c.ni } else { c.no };
                let padded = |n: u32| n as u64 + 2 * c.pad as u64;
                (name, padded(c.ny), padded(c.nx), c.ky, c.kx, c.ni, nf, c.sx)
            }
            LayerSpec::Classifier(c) => {
                check_name(&l.name)?;
                if marked {
                    return Err(err(format!(
                        "the name contains `{DEPTHWISE_MARK}`, which SCALE-Sim reads as a depthwise layer, but it is a classifier; rename the layer"
                    )));
                }
                (l.name.clone(), 1, 1, 1, 1, c.ni, c.no, 1)
            }
            LayerSpec::Pool(_) | LayerSpec::Eltwise(_) => {
                skipped.push(l.name.clone());
                continue;
            }
        };
        let _ = writeln!(csv, "{name}, {ih}, {iw}, {fh}, {fw}, {ch}, {nf}, {s},");
        rows += 1;
    }
    if rows == 0 {
        return Err(WriteError::Empty {
            model: model.name.clone(),
        });
    }
    Ok(Topology { csv, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A topology in SCALE-Sim's own style (the form of its
    /// `topologies/conv_nets/*.csv`; the numbers are ours).
    const SMALL: &str = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 66, 66, 3, 3, 3, 16, 2,
Conv2_DP, 34, 34, 3, 3, 16, 1, 1,
Conv3, 32, 32, 1, 1, 16, 32, 1,
Conv4_DP, 32, 32, 5, 5, 32, 2, 1,
Conv5, 28, 28, 3, 5, 64, 24, 3,
FC, 1, 1, 1, 1, 2048, 10, 1,
";

    fn conv(m: &Model, name: &str) -> ConvSpec {
        match m.layer(name).unwrap().spec {
            LayerSpec::Conv(c) => c,
            s => panic!("{name}: {s:?}"),
        }
    }

    #[test]
    fn parse_reads_every_column() {
        let m = parse(SMALL, "dir/small.csv").unwrap();
        assert_eq!(m.name, "small");
        assert_eq!(m.input, (3, 66, 66));
        assert_eq!(m.layers.len(), 6);
        assert!(m.layers.iter().all(|l| l.inputs.is_empty()));
        let c1 = conv(&m, "Conv1");
        assert_eq!((c1.ny, c1.nx, c1.ky, c1.kx), (66, 66, 3, 3));
        assert_eq!((c1.ni, c1.no, c1.sx, c1.sy, c1.pad), (3, 16, 2, 2, 0));
        assert_eq!(
            (c1.groups, c1.bias, c1.act),
            (1, false, Activation::Identity)
        );
        assert_eq!(m.layers[0].spec.output_shape(), (16, 32, 32));
        // depthwise, multiplier 1 and 2
        let d = conv(&m, "Conv2_DP");
        assert_eq!((d.ni, d.no, d.groups), (16, 16, 16));
        assert_eq!(m.layers[1].spec.output_shape(), (16, 32, 32));
        let d = conv(&m, "Conv4_DP");
        assert_eq!((d.ni, d.no, d.groups), (32, 64, 32));
        // SCALE-Sim's MACs: Channels x (1 channel, Num Filter filters) layers
        assert_eq!(m.layers[3].spec.macs(), 32 * (28 * 28) * 5 * 5 * 2);
        let c5 = conv(&m, "Conv5");
        assert_eq!((c5.ky, c5.kx, c5.sy), (3, 5, 3));
        assert_eq!(m.layers[4].spec.output_shape(), (24, 9, 8));
        assert_eq!(m.layers[5].spec.output_shape(), (10, 1, 1));
        assert_eq!(m.layers[5].spec.macs(), 2048 * 10);
    }

    #[test]
    fn write_of_parse_is_the_same_text() {
        let m = parse(SMALL, "small.csv").unwrap();
        let t = write(&m).unwrap();
        assert_eq!(t.csv, SMALL);
        assert!(t.skipped.is_empty());
    }

    #[test]
    fn tolerated_variations() {
        let loose = "\n\nlayer name,ifmap height ,IFMAP  Width, Filter Height, Filter Width, Channels, Num Filter, Strides\n\n  Conv1 ,66,66,3,3,3,16,2\r\n\n\tConv2_DP, 34, 34, 3, 3, 16, 1, 1 ,\n   \n";
        let m = parse(loose, "x.csv").unwrap();
        assert_eq!(m.layers.len(), 2);
        assert_eq!(m.layers[0].name, "Conv1");
        assert_eq!(conv(&m, "Conv2_DP").groups, 16);
        let canonical = write(&m).unwrap().csv;
        assert_eq!(parse(&canonical, "x.csv").unwrap(), m);
    }

    fn err(text: &str) -> String {
        parse(text, "t.csv").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let h = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
        let e = err("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Filters, Strides,\nC, 8, 8, 3, 3, 1, 1, 1,\n");
        assert!(e.starts_with("t.csv:1: field `Num Filter`:"), "{e}");
        let e = err("Layer name, IFMAP Height, IFMAP Width\n");
        assert!(e.starts_with("t.csv:1: ") && e.contains("3 columns"), "{e}");
        let e = err(&format!("{h}\nC, 8, 8, 3, 3, 1, 1,\n"));
        assert!(e.starts_with("t.csv:3: field `Strides`:"), "{e}");
        let e = err(&format!("{h}C, 8, 8, 3, 3, 1, 1, 1, 1,\n"));
        assert!(e.starts_with("t.csv:2: ") && e.contains("9 columns"), "{e}");
        let e = err(&format!("{h}C, 8, 8, 3, x3, 1, 1, 1,\n"));
        assert!(
            e.starts_with("t.csv:2: field `Filter Width`:") && e.contains("`x3`"),
            "{e}"
        );
        let e = err(&format!("{h}C, 8, 8, 3, -3, 1, 1, 1,\n"));
        assert!(e.starts_with("t.csv:2: field `Filter Width`:"), "{e}");
        let e = err(&format!("{h}C, 8, 8, 3, 3, 0, 1, 1,\n"));
        assert!(
            e.starts_with("t.csv:2: field `Channels`: must be at least 1"),
            "{e}"
        );
        let e = err(&format!(
            "{h}A, 8, 8, 3, 3, 1, 1, 1,\nC, 8, 8, 9, 3, 1, 1, 1,\n"
        ));
        assert!(e.starts_with("t.csv:3: field `Filter Height`:"), "{e}");
        let e = err(&format!("{h}C, 8, 7, 3, 8, 1, 1, 1,\n"));
        assert!(e.starts_with("t.csv:2: field `Filter Width`:"), "{e}");
        let e = err(&format!(
            "{h}C, 8, 8, 3, 3, 1, 1, 1,\nC, 8, 8, 3, 3, 1, 1, 1,\n"
        ));
        assert!(
            e.starts_with("t.csv:3: field `Layer name`:") && e.contains("line 2"),
            "{e}"
        );
        let e = err(&format!("{h} , 8, 8, 3, 3, 1, 1, 1,\n"));
        assert!(e.starts_with("t.csv:2: field `Layer name`:"), "{e}");
        let e = err(h);
        assert!(e.starts_with("t.csv:1: ") && e.contains("no layers"), "{e}");
        let e = err("\n \n");
        assert!(e.starts_with("t.csv:1: ") && e.contains("empty"), "{e}");
        // too large for 32-bit DRAM addresses: a LayerSpec error, mapped to its column
        let e = err(&format!("{h}C, 65536, 65536, 3, 3, 4, 1, 1,\n"));
        assert!(e.starts_with("t.csv:2: field `IFMAP Width`:"), "{e}");
    }

    #[test]
    fn load_dispatches_csv_paths() {
        let dir = std::env::temp_dir().join(format!("scalesim-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("Small.CSV");
        std::fs::write(&p, SMALL).unwrap();
        let m = Model::load(p.to_str().unwrap()).unwrap();
        assert_eq!(m.name, "Small");
        assert_eq!(m.layers.len(), 6);
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "Layer name\n").unwrap();
        let e = Model::load(bad.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:1:", bad.display())), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What the import of `m`'s export must give: every convolution with
    /// its padding folded into the input, no activation and no bias, every
    /// classifier as a 1x1 convolution of a 1x1 input, by name (without the
    /// `_DP` that the export adds).
    fn expected(m: &Model) -> Vec<(String, LayerSpec)> {
        m.layers
            .iter()
            .filter_map(|l| {
                let c = match l.spec {
                    LayerSpec::Conv(c) => ConvSpec {
                        nx: c.nx + 2 * c.pad,
                        ny: c.ny + 2 * c.pad,
                        pad: 0,
                        act: Activation::Identity,
                        bias: false,
                        ..c
                    },
                    LayerSpec::Classifier(c) => ConvSpec {
                        nx: 1,
                        ny: 1,
                        kx: 1,
                        ky: 1,
                        ni: c.ni,
                        no: c.no,
                        sx: 1,
                        sy: 1,
                        pad: 0,
                        act: Activation::Identity,
                        bias: false,
                        groups: 1,
                    },
                    _ => return None,
                };
                Some((l.name.clone(), LayerSpec::Conv(c)))
            })
            .collect()
    }

    fn imported(m: &Model) -> Vec<(String, LayerSpec)> {
        m.layers
            .iter()
            .map(|l| {
                let n = l.name.strip_suffix("_DP").unwrap_or(&l.name);
                (n.to_string(), l.spec)
            })
            .collect()
    }

    #[test]
    fn parse_of_write_keeps_every_convolution() {
        for (name, skipped) in [
            ("alexnet", vec!["pool1", "pool2", "pool5"]),
            ("mobilenet_v1", vec!["gap"]),
            ("googlenet", vec![]),
            ("resnet18", vec![]),
            ("lenet5", vec!["pool1", "pool2"]),
        ] {
            let m = Model::load(name).unwrap();
            let t = write(&m).unwrap();
            if !skipped.is_empty() {
                assert_eq!(t.skipped, skipped, "{name}");
            }
            let back = parse(&t.csv, &format!("{name}.csv")).unwrap();
            assert_eq!(imported(&back), expected(&m), "{name}");
            // every convolution keeps its output shape and MACs, every classifier its MACs
            let kept: Vec<&ModelLayer> = m
                .layers
                .iter()
                .filter(|l| matches!(l.spec, LayerSpec::Conv(_) | LayerSpec::Classifier(_)))
                .collect();
            assert_eq!(kept.len(), back.layers.len(), "{name}");
            assert_eq!(
                kept.len() + t.skipped.len(),
                m.layers.len(),
                "{name}: every layer written or skipped"
            );
            for (a, b) in kept.iter().zip(&back.layers) {
                assert_eq!(a.spec.macs(), b.spec.macs(), "{name} {}", a.name);
                if let LayerSpec::Conv(_) = a.spec {
                    assert_eq!(a.spec.output_shape(), b.spec.output_shape(), "{}", a.name);
                }
            }
            // and writing it again gives the same text
            assert_eq!(write(&back).unwrap().csv, t.csv, "{name}");
        }
    }

    #[test]
    fn resnet_and_mobilenet_skip_lists() {
        let r = write(&Model::load("resnet18").unwrap()).unwrap();
        assert_eq!(r.skipped[0], "pool1");
        assert_eq!(r.skipped.last().unwrap(), "gap");
        assert_eq!(r.skipped.len(), 1 + 8 + 1, "pool1, 8 adds, gap");
        let m = write(&Model::load("mobilenet_v1").unwrap()).unwrap();
        assert_eq!(m.skipped, ["gap"]);
        assert!(
            m.csv.contains("\ndw1_DP, 114, 114, 3, 3, 32, 1, 1,\n"),
            "{}",
            m.csv
        );
        assert!(
            m.csv.contains("\nfc, 1, 1, 1, 1, 1024, 1000, 1,\n"),
            "{}",
            m.csv
        );
    }

    #[test]
    fn write_errors_name_the_layer() {
        let t = "name = \"g\"\ninput = [8, 8, 8]\n[[layer]]\nname = \"grp\"\ntype = \"conv\"\nk = 3\ngroups = 2\nno = 8\n";
        let m = Model::parse(t, "g.toml").unwrap();
        let e = write(&m).unwrap_err().to_string();
        assert!(e.starts_with("layer `grp`: a grouped convolution"), "{e}");
        let m = Model::parse(&t.replace("groups = 2\n", "sx = 2\n"), "g.toml").unwrap();
        let e = write(&m).unwrap_err().to_string();
        assert!(e.starts_with("layer `grp`: strides"), "{e}");
        let m = Model::parse(
            &t.replace("groups = 2\n", "").replace("grp", "xDPx"),
            "g.toml",
        )
        .unwrap();
        let e = write(&m).unwrap_err().to_string();
        assert!(e.starts_with("layer `xDPx`: the name contains `DP`"), "{e}");
        let m = Model::parse(
            &t.replace("groups = 2\n", "").replace("grp", "a,b"),
            "g.toml",
        )
        .unwrap();
        let e = write(&m).unwrap_err().to_string();
        assert!(e.contains("comma"), "{e}");
        let t =
            "name = \"p\"\ninput = [8, 8, 8]\n[[layer]]\nname = \"p1\"\ntype = \"pool\"\nk = 2\n";
        let e = write(&Model::parse(t, "p.toml").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no convolution or classifier"), "{e}");
    }

    #[test]
    fn builtin_mobilenet_matches_the_test_topology() {
        let text = include_str!("../tests/data/mobilenet_scalesim.csv");
        let file = parse(text, "mobilenet_scalesim.csv").unwrap();
        let ours = Model::load("mobilenet_v1").unwrap();
        let exported = write(&ours).unwrap();
        let back = parse(&exported.csv, "mobilenet_v1.csv").unwrap();
        let specs = |m: &Model| m.layers.iter().map(|l| l.spec).collect::<Vec<_>>();
        assert_eq!(specs(&back), specs(&file));
        // one name scheme differs (the file's are SCALE-Sim style), the
        // depthwise marks are in the same rows
        let marks = |m: &Model| {
            m.layers
                .iter()
                .map(|l| l.name.contains("DP"))
                .collect::<Vec<_>>()
        };
        assert_eq!(marks(&back), marks(&file));
        assert_eq!(file.macs(), back.macs());
    }
}
