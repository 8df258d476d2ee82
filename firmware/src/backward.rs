//! The layer specifications of the backward programs, shared by the training
//! engine (`train::accel`) and the training-step cost model
//! (`train::cost`): what the accelerator runs for a weight gradient
//! and for an input gradient.

use crate::{ClassSpec, ConvSpec, LayerSpec};
use arch::activation::Activation;

/// Weight (and bias) gradient as one classifier program: reduction over `p`
/// (batch, or batch x output positions), `no` outputs; its "synapses" are
/// dZ^T and its batch is the im2col rows plus a row of ones (the bias).
pub fn weight_grad(p: u32, no: u32) -> LayerSpec {
    LayerSpec::Classifier(ClassSpec {
        ni: p,
        no,
        act: Activation::Identity,
        bias: false,
    })
}

/// Input gradient of a classifier with `ni` inputs and `no` outputs: a
/// classifier over the transposed synapses W^T.
pub fn classifier_input_grad(ni: u32, no: u32) -> LayerSpec {
    LayerSpec::Classifier(ClassSpec {
        ni: no,
        no: ni,
        act: Activation::Identity,
        bias: false,
    })
}

/// Input gradient of convolution `c` whose output is `oh` x `ow`: a stride-1
/// convolution over dZ dilated by the stride, padded by k-1-pad, with the
/// flipped kernels `W'[c][o][ky][kx] = W[o][c][k-1-ky][k-1-kx]`.
/// Fails (with the reason) when one pad cannot express it.
pub fn conv_input_grad(c: &ConvSpec, oh: u32, ow: u32) -> Result<LayerSpec, String> {
    if c.kx != c.ky {
        return Err(format!(
            "input gradient needs padding kx-1-pad = {} and ky-1-pad = {} on one layer, but a convolution has one pad (non-square kernel {}x{})",
            c.kx as i64 - 1 - c.pad as i64,
            c.ky as i64 - 1 - c.pad as i64,
            c.kx,
            c.ky
        ));
    }
    let pad = c.kx as i64 - 1 - c.pad as i64;
    if pad < 0 {
        return Err(format!(
            "input gradient needs padding k-1-pad = {pad} < 0 (k = {}, pad = {})",
            c.kx, c.pad
        ));
    }
    let spec = LayerSpec::Conv(ConvSpec {
        nx: (ow - 1) * c.sx + 1,
        ny: (oh - 1) * c.sy + 1,
        kx: c.kx,
        ky: c.ky,
        ni: c.no,
        no: c.ni,
        sx: 1,
        sy: 1,
        pad: pad as u32,
        act: Activation::Identity,
        bias: false,
        groups: 1,
    });
    spec.validate().map_err(|e| {
        format!("input gradient convolution (dilated dZ, pad {pad}, flipped kernels): {e}")
    })?;
    Ok(spec)
}
