//! The layer specifications of the backward programs, shared by the training
//! engine (`train::accel`) and the training-step cost model
//! (`train::cost`): what the accelerator runs for a weight gradient
//! and for an input gradient.

use crate::{ClassSpec, ConvSpec, LayerSpec, PoolKind, PoolSpec};
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

/// Input gradient of convolution `c`: a stride-1 convolution over dZ
/// dilated by the stride, padded by k-1-pad, with the flipped kernels
/// `W'[c][o][ky][kx] = W[o][c][k-1-ky][k-1-kx]`. The dilated map is
/// `(O-1)*s + 1 + r` pixels, where `r = (N + 2 pad - k) mod s` are the
/// zero rows (columns) the host appends after the last dilated one, so that
/// the result is the input's own `N` (input pixels no window reads get
/// their zero gradient from them): `N + 2 pad + 1 - k` in all.
/// Fails (with the reason) when one pad cannot express it.
pub fn conv_input_grad(c: &ConvSpec) -> Result<LayerSpec, String> {
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
    let dilated = |n: u32, k: u32| (n as u64 + 2 * c.pad as u64 + 1).checked_sub(k as u64);
    let (Some(nx), Some(ny)) = (dilated(c.nx, c.kx), dilated(c.ny, c.ky)) else {
        return Err(format!(
            "input gradient: the kernel {}x{} exceeds the padded input {}x{}",
            c.kx,
            c.ky,
            c.nx as u64 + 2 * c.pad as u64,
            c.ny as u64 + 2 * c.pad as u64
        ));
    };
    let spec = LayerSpec::Conv(ConvSpec {
        nx: nx as u32,
        ny: ny as u32,
        kx: c.kx,
        ky: c.ky,
        ni: c.no,
        no: c.ni,
        sx: 1,
        sy: 1,
        pad: pad as u32,
        act: Activation::Identity,
        bias: false,
        // group g of dX reads group g of dZ only
        groups: c.groups,
    });
    spec.validate().map_err(|e| {
        format!("input gradient convolution (dilated dZ, pad {pad}, flipped kernels): {e}")
    })?;
    Ok(spec)
}

/// Input gradient of average pooling `p` (no padding): an average pooling
/// with the same window, stride 1, over dP dilated by the stride and
/// framed by `k - 1` zeros before (and after, up to the input's size):
/// `N + k - 1` pixels, so that each input pixel receives the sum of the
/// gradients of the windows that read it divided by the window's area
/// (the same `round(2^15 / (kx*ky))` scale the forward pass uses). The
/// host writes the framed map; the result is the input's own `N`.
pub fn avg_pool_input_grad(p: &PoolSpec) -> Result<LayerSpec, String> {
    if p.kind != PoolKind::Avg || p.pad != 0 {
        return Err(format!(
            "the input gradient of a {:?} pool with padding {} is not an average pooling",
            p.kind, p.pad
        ));
    }
    let spec = LayerSpec::Pool(PoolSpec {
        nx: p.nx + p.kx - 1,
        ny: p.ny + p.ky - 1,
        sx: 1,
        sy: 1,
        ..*p
    });
    spec.validate()
        .map_err(|e| format!("input gradient pooling (dilated dP, framed by k-1): {e}"))?;
    Ok(spec)
}
