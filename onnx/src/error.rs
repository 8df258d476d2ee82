//! Why an ONNX model cannot be read or written. Every message is one line
//! that starts with the file (or, for [`crate::write`], the model) name.

use firmware::LayerError;
use std::fmt;
use thiserror::Error;

/// The node an error is about: its name (or first output when unnamed),
/// operator type and index in the file's node list (0-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRef {
    /// Node name, or its first output when the node has no name.
    pub name: String,
    /// Operator type, e.g. `Conv`.
    pub op: String,
    /// Index in the graph's node list as stored in the file.
    pub index: usize,
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "node `{}` ({} at index {})",
            self.name, self.op, self.index
        )
    }
}

/// Why an ONNX file cannot be imported, or a model cannot be exported.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum OnnxError {
    /// The file cannot be read or written.
    #[error("{file}: {reason}")]
    Io {
        /// Path.
        file: String,
        /// OS error.
        reason: String,
    },
    /// Truncated or corrupt protobuf, or a message without a graph.
    #[error("{file}: not a valid ONNX model: {reason}")]
    Corrupt {
        /// File name.
        file: String,
        /// What the decoder says.
        reason: String,
    },
    /// An operator set other than the default domain's 11 to 18.
    #[error("{file}: unsupported opset `{domain}` version {version} (the default domain, opsets 11 to 18, is supported)")]
    Opset {
        /// File name.
        file: String,
        /// Domain (`""` is the default domain).
        domain: String,
        /// Version.
        version: i64,
    },
    /// Graph inputs or outputs that do not fit (count, rank, type), a cycle,
    /// or a graph output that is no layer's output.
    #[error("{file}: {reason}")]
    Graph {
        /// File name.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A channel, height or width of the graph input is symbolic or missing.
    #[error("{file}: dynamic spatial shape: dimension {dim} ({axis}) of input `{input}` is {what}; only the batch dimension may be symbolic")]
    DynamicShape {
        /// File name.
        file: String,
        /// Graph input name.
        input: String,
        /// 0-based dimension index.
        dim: usize,
        /// `C`, `H`, `W` or `F`.
        axis: &'static str,
        /// E.g. "symbolic (`h`)" or "missing".
        what: String,
    },
    /// An operator outside the supported set.
    #[error("{file}: {node}: unsupported operator `{op}`", op = node.op)]
    UnsupportedOp {
        /// File name.
        file: String,
        /// The node.
        node: NodeRef,
    },
    /// A supported operator used in an unsupported way.
    #[error("{file}: {node}: unsupported: {reason}")]
    Unsupported {
        /// File name.
        file: String,
        /// The node.
        node: NodeRef,
        /// What is not supported.
        reason: String,
    },
    /// A weight (or other constant operand) that is neither an initializer
    /// nor the output of a `Constant` node.
    #[error("{file}: {node}: missing initializer: `{tensor}` is neither an initializer nor a Constant node's output")]
    MissingInitializer {
        /// File name.
        file: String,
        /// The node reading it.
        node: NodeRef,
        /// The tensor name.
        tensor: String,
    },
    /// Operand shapes that do not agree.
    #[error("{file}: {node}: mismatched shapes: {reason}")]
    Mismatch {
        /// File name.
        file: String,
        /// The node.
        node: NodeRef,
        /// Which shapes.
        reason: String,
    },
    /// The layer a node becomes is invalid ([`firmware::LayerSpec::validate`]),
    /// e.g. too large for 32-bit DRAM addresses.
    #[error("{file}: {node}: invalid layer `{layer}`: {error}")]
    Layer {
        /// File name.
        file: String,
        /// The node.
        node: NodeRef,
        /// The layer name.
        layer: String,
        /// The validation error (names the field).
        error: Box<LayerError>,
    },
    /// A tensor of an element type other than FLOAT (or INT64 for shapes).
    #[error("{file}: {place}unsupported data type {name} of `{tensor}` (expected {expected})",
        place = node.as_ref().map(|n| format!("{n}: ")).unwrap_or_default(),
        name = crate::proto::data_type_name(*dtype))]
    DataType {
        /// File name.
        file: String,
        /// The node using it, if any.
        node: Option<NodeRef>,
        /// Tensor name.
        tensor: String,
        /// Element type code ([`crate::proto::DataType`]), e.g. 11 for `DOUBLE`.
        dtype: i32,
        /// The type that is supported there: `FLOAT`, or `INT64` for shapes.
        expected: &'static str,
    },
    /// A model that cannot be written as ONNX.
    #[error("{model}: cannot export: {reason}")]
    Export {
        /// Model name.
        model: String,
        /// Why.
        reason: String,
    },
}
