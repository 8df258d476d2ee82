//! # firmware: code generators and the CPU reference
//!
//! * [`layer`]: layer descriptions ([`LayerSpec`]) with validation, output
//!   sizes and MAC counts, parsed from the CLI syntax;
//! * [`layout`]: the DRAM layout of a compiled layer and packing/unpacking of
//!   logical tensors into it;
//! * [`tiler`]: the choice of tile sizes by predicted DRAM traffic and cycles;
//! * [`codegen`]: [`compile`], which turns a layer into an instruction program;
//! * [`elementwise`]: [`compile_ew`], element-wise programs over flat arrays (training);
//! * [`reference`]: a plain fixed-point CPU implementation of the same arithmetic;
//! * [`model`]: networks as TOML model files, with built-in models;
//! * [`scalesim`]: SCALE-Sim topology files (CSV), import and export.
//!
//! This crate depends only on `arch` at run time (the simulator is a test
//! dependency).

pub mod backward;
pub mod codegen;
pub mod elementwise;
pub mod layer;
pub mod layout;
pub mod model;
pub mod node;
pub mod reference;
pub mod scalesim;
pub mod tiler;

pub use codegen::{compile, compile_placed, compile_with, CompileOptions, CompiledLayer};
pub use elementwise::{compile_ew, compile_ew_at, CompiledEw, EwLayout, EwOp, EwSpec};
pub use layer::{
    ClassSpec, ConvSpec, EltwiseSpec, LayerError, LayerSpec, PoolKind, PoolSpec, Window,
};
pub use layout::{Layout, OutView, Placement, Region};
pub use model::{LayerParams, Model, ModelError, Params};
pub use node::{
    compile_node, compile_node_placed, piece_maps, program_len, CompiledNode, Piece, PieceProgram,
    TrafficSearch,
};
pub use tiler::TilePlan;

use thiserror::Error;

/// Why a layer cannot be compiled for a configuration.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FwError {
    /// The layer description is invalid.
    #[error("invalid layer: {0}")]
    Layer(#[from] LayerError),
    /// The accelerator configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Batch size zero.
    #[error("batch must be at least 1")]
    ZeroBatch,
    /// The layer's DRAM image does not fit the configured DRAM.
    #[error("layer needs {needed} bytes of DRAM, the configuration has {size}")]
    DramTooSmall {
        /// Bytes needed (input + weights + output regions).
        needed: u64,
        /// DRAM size in bytes.
        size: u64,
    },
    /// No tiling satisfies the buffer and field limits.
    #[error("no tiling fits: {0}")]
    NoTiling(String),
    /// A logical tensor passed to pack/unpack has the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    TensorLength {
        /// Which tensor.
        what: &'static str,
        /// Expected element count.
        expected: usize,
        /// Given element count.
        got: usize,
    },
    /// A feature this function does not provide.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An emitted instruction failed its own checks (a generator bug).
    #[error("internal: instruction {index} is invalid: {reason}")]
    Internal {
        /// Instruction index.
        index: usize,
        /// Why.
        reason: String,
    },
}
