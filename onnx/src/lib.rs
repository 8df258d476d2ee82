//! # onnx-import: ONNX model files to and from firmware models
//!
//! [`load`] / [`parse`] read an `.onnx` file (opsets 11 to 18 of the
//! default domain) into a [`firmware::Model`] with its real-valued
//! [`firmware::Params`]; [`write()`] / [`save`] write a model back (opset 13).
//! The protobuf messages are hand-written for `prost` ([`proto`]), so no
//! `protoc` is needed.
//!
//! ## What is imported
//!
//! One graph input `[N, C, H, W]` or `[N, F]` (`F` becomes `(F, 1, 1)`;
//! only `N` may be symbolic) and one graph output. Nodes:
//!
//! * `Conv` (2-D, `group` incl. depthwise, dilations 1, one symmetric pad;
//!   `auto_pad` NOTSET, VALID, or SAME_* when that is symmetric),
//!   `MaxPool`, `AveragePool` (`count_include_pad = 1` when padded; a
//!   `ceil_mode` that gives the floor size), `GlobalAveragePool`,
//!   `GlobalMaxPool`: a conv or pool layer;
//! * `Gemm` (alpha = beta = 1, transA = 0), `MatMul` with a constant
//!   right operand: a classifier (weights `[no][ni]`);
//! * `Relu`, `Sigmoid`, `Tanh`: fused into the producing conv, classifier or
//!   add layer when its activation is identity and this is its only
//!   consumer, else an `act` layer;
//! * `Add` of two tensors of one shape: an `add` layer; `Add` of a
//!   per-channel constant onto a conv or classifier output: folded into
//!   its bias; `BatchNormalization` after a conv or classifier: folded into
//!   its weights and bias;
//! * `Concat` on the channel axis: no layer, the consumers read several
//!   producers; `Flatten` (axis 1) and a flattening `Reshape`: removed;
//!   `Dropout`, `Identity`: removed; `Constant`: a constant operand;
//! * `Softmax` as the final node: sets [`Imported::softmax`].
//!
//! Anything else is an [`OnnxError`] that names the file and the node
//! (its name, or first output when unnamed, its op type and its index).
//! Nodes the graph output does not depend on are not imported; they are
//! listed in [`Imported::ignored`] for the caller to report. A `Reshape`
//! needs a constant shape: the `Shape`/`Gather`/`Concat` chains some
//! exporters emit for a dynamic batch are unsupported operators.

#![warn(missing_docs)]

mod error;
mod export;
mod graph;
mod import;
pub mod proto;
mod tensor;

pub use error::{NodeRef, OnnxError};
pub use export::OPSET;

use firmware::{Model, Params};
use std::io::Write;
use std::path::Path;

/// A model read from an ONNX file.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The layers in execution order; the last one produces the graph
    /// output. Named after the graph (or the file when the graph has no name).
    pub model: Model,
    /// Weights and biases of the conv and classifier layers, by layer name.
    pub params: Params,
    /// Whether the graph ends in a Softmax (to be applied on the host).
    pub softmax: bool,
    /// The ONNX name of the graph input.
    pub input_name: String,
    /// The ONNX name of the graph output.
    pub output_name: String,
    /// The batch size, if the file fixes it (`None` when symbolic).
    pub batch: Option<u32>,
    /// Nodes the graph output does not depend on, not imported:
    /// `name (Op at index i)` (callers report them: nothing is dropped silently).
    pub ignored: Vec<String>,
}

/// Read and import an ONNX file.
pub fn load(path: &Path) -> Result<Imported, OnnxError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| OnnxError::Io {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    parse(&bytes, &file)
}

/// Import an ONNX model from its bytes; `file` names the source in errors.
pub fn parse(bytes: &[u8], file: &str) -> Result<Imported, OnnxError> {
    import::import(bytes, file)
}

/// Serialize a model and its parameters as an ONNX model (opset 13): graph
/// input `input` of shape `[N, C, H, W]` (`N` symbolic), graph output
/// `output`; one node per layer named after it, a separate activation node
/// after a conv, classifier or add layer, `Flatten` before a classifier that
/// reads a 4-D tensor, `Concat` for several producers, a final `Softmax`
/// when `softmax` is set.
///
/// [`parse`] of the result gives back the same model and parameters, except
/// that an `act` layer whose producer could absorb it (a conv, classifier or
/// add with identity activation and no other consumer) comes back fused
/// into that producer, and layers that do not lead to the last layer are
/// dropped (import keeps only what the graph output depends on). Errors: a detached layer, an activation without an
/// ONNX operator (the derivatives), an identity `act` layer, missing or
/// wrongly sized parameters, a conv or pool reading a classifier's output.
pub fn write(model: &Model, params: &Params, softmax: bool) -> Result<Vec<u8>, OnnxError> {
    export::write(model, params, softmax)
}

/// [`write()`] to a file: the bytes go to a temporary file in the same
/// directory, which is then renamed, so no half-written file is left.
pub fn save(path: &Path, model: &Model, params: &Params, softmax: bool) -> Result<(), OnnxError> {
    let bytes = write(model, params, softmax)?;
    let io = |e: std::io::Error| OnnxError::Io {
        file: path.display().to_string(),
        reason: e.to_string(),
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.onnx".into());
    let tmp = dir.join(format!(".{base}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}
