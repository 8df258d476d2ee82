//! Sliding windows: Conv, MaxPool, AveragePool and the global pools; one
//! symmetric pad from `pads` or `auto_pad`.

use super::{u32_of, Importer};
use crate::error::{NodeRef, OnnxError};
use crate::proto::NodeProto;
use crate::tensor::Attrs;
use arch::activation::Activation;
use firmware::{ConvSpec, LayerParams, LayerSpec, PoolKind, PoolSpec};

/// Pads of a window: auto_pad, pads; one symmetric value or an error.
fn window_pad(
    a: &Attrs,
    (ny, nx): (u32, u32),
    (ky, kx): (u32, u32),
    (sy, sx): (u32, u32),
) -> Result<u32, String> {
    let auto = a.string("auto_pad")?.unwrap_or_default();
    let pads = a.ints("pads")?;
    match auto.as_str() {
        "" | "NOTSET" => {
            let p = pads.unwrap_or(vec![0; 4]);
            if p.len() != 4 {
                return Err(format!("pads {p:?}: four values expected"));
            }
            if p.iter().any(|&v| v != p[0]) {
                return Err(format!(
                    "pads {p:?} differ between sides or axes (one symmetric pad is supported)"
                ));
            }
            u32_of(p[0]).ok_or_else(|| format!("pads {p:?} out of range"))
        }
        "VALID" => match pads {
            Some(p) if p.iter().any(|&v| v != 0) => Err(format!("auto_pad VALID with pads {p:?}")),
            _ => Ok(0),
        },
        "SAME_UPPER" | "SAME_LOWER" => {
            if pads.is_some() {
                return Err(format!("auto_pad {auto} together with pads"));
            }
            let mut totals = [0u64; 2];
            for (t, (n, k, s)) in totals.iter_mut().zip([(ny, ky, sy), (nx, kx, sx)]) {
                let out = (n as u64).div_ceil(s as u64);
                *t = ((out.max(1) - 1) * s as u64 + k as u64).saturating_sub(n as u64);
            }
            if totals[0] != totals[1] || totals[0] % 2 != 0 {
                return Err(format!(
                    "auto_pad {auto} needs padding {} (height) and {} (width) in total: not one symmetric pad",
                    totals[0], totals[1]
                ));
            }
            let pad = (totals[0] / 2) as u32;
            for (n, k, s) in [(ny, ky, sy), (nx, kx, sx)] {
                let same = (n as u64).div_ceil(s as u64);
                let floor = (n as u64 + 2 * pad as u64).saturating_sub(k as u64) / s as u64 + 1;
                if same != floor {
                    return Err(format!(
                        "auto_pad {auto} gives output size {same}, the symmetric pad {pad} gives {floor}"
                    ));
                }
            }
            Ok(pad)
        }
        other => Err(format!("auto_pad `{other}`")),
    }
}

/// Two spatial ints (`strides`, `kernel_shape`) as `(y, x)`.
fn pair(a: &Attrs, name: &str, default: Option<(u32, u32)>) -> Result<(u32, u32), String> {
    match a.ints(name)? {
        None => default.ok_or_else(|| format!("attribute `{name}` is required")),
        Some(v) => match v[..] {
            [y, x] if y >= 1 && x >= 1 => match (u32_of(y), u32_of(x)) {
                (Some(y), Some(x)) => Ok((y, x)),
                _ => Err(format!("{name} {v:?} out of range")),
            },
            _ => Err(format!(
                "{name} {v:?}: two positive values expected (2-D only)"
            )),
        },
    }
}

fn dilations_one(a: &Attrs) -> Result<(), String> {
    match a.ints("dilations")? {
        Some(d) if d.iter().any(|&v| v != 1) => {
            Err(format!("dilations {d:?} (only 1 is supported)"))
        }
        _ => Ok(()),
    }
}

impl Importer<'_> {
    /// Conv: a convolution layer.
    pub(super) fn conv(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        let x = self.act_in(r, n, 0)?;
        if x.flat {
            return Err(self.mismatch(r, "Conv needs a 4-D input, the input is 2-D"));
        }
        let wt = self.required_const(r, n, 1, "weight")?;
        let (c, h, w) = x.shape;
        let dims: Vec<u32> = wt.dims.iter().filter_map(|&d| u32_of(d)).collect();
        if dims.len() != 4 || wt.dims.len() != 4 {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?}, [M, C/group, kH, kW] expected",
                    wt.name, wt.dims
                ),
            ));
        }
        let group = a.int("group", 1).map_err(u)?;
        let groups = u32_of(group)
            .filter(|&g| g >= 1)
            .ok_or_else(|| self.unsup(r, format!("group = {group}")))?;
        if dims[1] as u64 * groups as u64 != c as u64 {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?}: C/group = {} with group {groups} does not match the input's {c} channels",
                    wt.name, wt.dims, dims[1]
                ),
            ));
        }
        let (ky, kx) = (dims[2], dims[3]);
        if let Some(k) = a.ints("kernel_shape").map_err(u)? {
            if k != [ky as i64, kx as i64] {
                return Err(self.mismatch(
                    r,
                    format!(
                        "kernel_shape {k:?} does not match weight `{}` dims {:?}",
                        wt.name, wt.dims
                    ),
                ));
            }
        }
        dilations_one(&a).map_err(u)?;
        let (sy, sx) = pair(&a, "strides", Some((1, 1))).map_err(u)?;
        let pad = window_pad(&a, (h, w), (ky, kx), (sy, sx)).map_err(u)?;
        let no = dims[0];
        let weights = self.floats(r, wt)?;
        let bias = match self.const_in(r, n, 2)? {
            None => None,
            Some(b) => {
                if b.dims != [no as i64] {
                    return Err(self.mismatch(
                        r,
                        format!("bias `{}` has dims {:?}, [{no}] expected", b.name, b.dims),
                    ));
                }
                Some(self.floats(r, b)?)
            }
        };
        let spec = LayerSpec::Conv(ConvSpec {
            nx: w,
            ny: h,
            kx,
            ky,
            ni: c,
            no,
            sx,
            sy,
            pad,
            act: Activation::Identity,
            bias: bias.is_some(),
            groups,
        });
        let p = LayerParams {
            weights,
            bias: bias.unwrap_or_default(),
        };
        self.push_layer(r, out, spec, x.srcs, Some(p), false)
    }

    /// MaxPool, AveragePool: a pooling layer.
    pub(super) fn pool(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        let x = self.act_in(r, n, 0)?;
        if x.flat {
            return Err(self.mismatch(r, "a 4-D input is expected, the input is 2-D"));
        }
        let (c, h, w) = x.shape;
        let avg = n.op_type == "AveragePool";
        let (ky, kx) = pair(&a, "kernel_shape", None).map_err(u)?;
        let (sy, sx) = pair(&a, "strides", Some((1, 1))).map_err(u)?;
        dilations_one(&a).map_err(u)?;
        let pad = window_pad(&a, (h, w), (ky, kx), (sy, sx)).map_err(u)?;
        if avg && pad > 0 && a.int("count_include_pad", 0).map_err(u)? != 1 {
            return Err(self.unsup(
                r,
                "count_include_pad must be 1 when pads > 0 (the hardware divides by kx*ky)",
            ));
        }
        let spec = LayerSpec::Pool(PoolSpec {
            nx: w,
            ny: h,
            kx,
            ky,
            ni: c,
            sx,
            sy,
            pad,
            kind: if avg { PoolKind::Avg } else { PoolKind::Max },
        });
        if a.int("ceil_mode", 0).map_err(u)? != 0 {
            for (axis, nn, k, s) in [("height", h, ky, sy), ("width", w, kx, sx)] {
                let span = (nn as u64 + 2 * pad as u64).saturating_sub(k as u64);
                let floor = span / s as u64 + 1;
                let mut ceil = span.div_ceil(s as u64) + 1;
                // the last window must start inside the input or the left pad
                if (ceil - 1) * s as u64 >= nn as u64 + pad as u64 {
                    ceil -= 1;
                }
                if ceil != floor {
                    return Err(self.unsup(
                        r,
                        format!(
                            "ceil_mode = 1 gives output {axis} {ceil}, the floor size is {floor}"
                        ),
                    ));
                }
            }
        }
        self.push_layer(r, out, spec, x.srcs, None, false)
    }

    /// GlobalAveragePool, GlobalMaxPool: a pool over the whole map.
    pub(super) fn global_pool(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let x = self.act_in(r, n, 0)?;
        if x.flat {
            return Err(self.mismatch(r, "a 4-D input is expected, the input is 2-D"));
        }
        let (c, h, w) = x.shape;
        let kind = if n.op_type == "GlobalMaxPool" {
            PoolKind::Max
        } else {
            PoolKind::Avg
        };
        let spec = LayerSpec::Pool(PoolSpec::global(c, h, w, kind));
        self.push_layer(r, out, spec, x.srcs, None, false)
    }
}
