//! Classifiers (Gemm, MatMul with a constant right operand) and what folds
//! into the layer before: a per-channel constant Add into its bias, a
//! BatchNormalization into its weights and bias.

use super::{u32_of, Importer};
use crate::error::{NodeRef, OnnxError};
use crate::proto::{NodeProto, TensorProto};
use crate::tensor::Attrs;
use arch::activation::Activation;
use firmware::{ClassSpec, LayerParams, LayerSpec};

/// A conv or classifier now has a bias.
fn set_bias(spec: &mut LayerSpec) {
    match spec {
        LayerSpec::Conv(c) => c.bias = true,
        LayerSpec::Classifier(c) => c.bias = true,
        _ => unreachable!("only convs and classifiers take folded biases"),
    }
}

impl Importer<'_> {
    /// Gemm: alpha = beta = 1, transA = 0.
    pub(super) fn gemm(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        if a.float("alpha", 1.0).map_err(u)? != 1.0 {
            return Err(self.unsup(r, "alpha must be 1"));
        }
        let has_c = Self::input_name(n, 2).is_some();
        if has_c && a.float("beta", 1.0).map_err(u)? != 1.0 {
            return Err(self.unsup(r, "beta must be 1"));
        }
        if a.int("transA", 0).map_err(u)? != 0 {
            return Err(self.unsup(r, "transA must be 0"));
        }
        let tb = a.int("transB", 0).map_err(u)?;
        if tb != 0 && tb != 1 {
            return Err(self.unsup(r, format!("transB = {tb}")));
        }
        self.dense(r, n, out, tb == 1, true)
    }

    /// A classifier from Gemm (`gemm`: with the optional bias C) or MatMul.
    pub(super) fn dense(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
        trans_b: bool,
        gemm: bool,
    ) -> Result<(), OnnxError> {
        let x = self.act_in(r, n, 0)?;
        if !x.flat {
            return Err(self.mismatch(
                r,
                format!(
                    "{} needs a 2-D input; the input is 4-D (flatten it first)",
                    r.op
                ),
            ));
        }
        let (c, h, w) = x.shape;
        let ni = c as u64 * h as u64 * w as u64;
        let b = self.required_const(r, n, 1, "weight")?;
        if b.dims.len() != 2 || b.dims.iter().any(|&d| d < 1) {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?}, a 2-D matrix expected",
                    b.name, b.dims
                ),
            ));
        }
        let (k, no) = if trans_b {
            (b.dims[1], b.dims[0])
        } else {
            (b.dims[0], b.dims[1])
        };
        if k as u64 != ni {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?} (K = {k}{}) but the input has {ni} values per image",
                    b.name,
                    b.dims,
                    if trans_b { ", transB = 1" } else { "" }
                ),
            ));
        }
        let (Some(ni), Some(no)) = (u32_of(k), u32_of(no)) else {
            return Err(self.mismatch(r, format!("weight dims {:?} out of range", b.dims)));
        };
        let m = self.floats(r, b)?;
        let weights = if trans_b {
            m
        } else {
            let (ni, no) = (ni as usize, no as usize);
            let mut t = vec![0.0; m.len()];
            for i in 0..ni {
                for o in 0..no {
                    t[o * ni + i] = m[i * no + o];
                }
            }
            t
        };
        let bias = if gemm {
            match self.const_in(r, n, 2)? {
                Some(t) => Some(self.bias_vec(r, t, no, 2)?),
                None => None,
            }
        } else {
            None
        };
        let spec = LayerSpec::Classifier(ClassSpec {
            ni,
            no,
            act: Activation::Identity,
            bias: bias.is_some(),
        });
        let p = LayerParams {
            weights,
            bias: bias.unwrap_or_default(),
        };
        self.push_layer(r, out, spec, x.srcs, Some(p), true)
    }

    /// A constant that broadcasts per channel onto a rank-`rank` tensor of
    /// `no` channels (axis 1), as `no` values.
    pub(super) fn bias_vec(
        &self,
        r: &NodeRef,
        t: &TensorProto,
        no: u32,
        rank: usize,
    ) -> Result<Vec<f32>, OnnxError> {
        let d = &t.dims;
        let bad = || {
            self.mismatch(
                r,
                format!(
                    "`{}` of dims {d:?} does not broadcast per channel onto {}",
                    t.name,
                    if rank == 2 {
                        format!("[N, {no}]")
                    } else {
                        format!("[N, {no}, H, W]")
                    }
                ),
            )
        };
        if d.len() > rank {
            return Err(bad());
        }
        let mut full = vec![1i64; rank - d.len()];
        full.extend_from_slice(d);
        let ch = full[1];
        if full.iter().enumerate().any(|(i, &v)| i != 1 && v != 1) || (ch != 1 && ch != no as i64) {
            return Err(bad());
        }
        let v = self.floats(r, t)?;
        Ok(if ch == 1 { vec![v[0]; no as usize] } else { v })
    }

    /// Add of the constant input `ci` onto input `xi`: folded into the bias
    /// of the conv or classifier that produces `xi`.
    pub(super) fn add_const(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
        xi: usize,
        ci: usize,
    ) -> Result<(), OnnxError> {
        let x = self.act_in(r, n, xi)?;
        let t = self.required_const(r, n, ci, "constant")?;
        let not_fusable = || {
            self.unsup(
                r,
                format!(
                    "Add of the constant `{}` is supported only as the bias of a Conv, Gemm or MatMul whose only consumer it is",
                    t.name
                ),
            )
        };
        let li = self.fusable(&x).ok_or_else(not_fusable)?;
        let (no, rank) = match self.layers[li].spec {
            LayerSpec::Conv(c) if !x.flat => (c.no, 4),
            LayerSpec::Conv(c) if x.shape.1 * x.shape.2 == 1 => (c.no, 2),
            LayerSpec::Classifier(c) => (c.no, 2),
            _ => return Err(not_fusable()),
        };
        let b = self.bias_vec(r, t, no, rank)?;
        let name = self.layers[li].name.clone();
        let p = self.params.entry(name).or_default();
        if p.bias.is_empty() {
            p.bias = vec![0.0; no as usize];
        }
        for (d, s) in p.bias.iter_mut().zip(&b) {
            *d += s;
        }
        set_bias(&mut self.layers[li].spec);
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    /// BatchNormalization: folded into the conv or classifier before it.
    pub(super) fn batch_norm(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        if a.int("training_mode", 0).map_err(u)? != 0 {
            return Err(self.unsup(r, "training_mode must be 0"));
        }
        let eps = a.float("epsilon", 1e-5).map_err(u)?;
        let x = self.act_in(r, n, 0)?;
        let li = self.fusable(&x).ok_or_else(|| {
            self.unsup(
                r,
                "BatchNormalization must directly follow a Conv or Gemm whose only consumer it is",
            )
        })?;
        let (no, per) = match self.layers[li].spec {
            LayerSpec::Conv(c) if !x.flat => {
                (c.no, (c.ni / c.groups) as usize * (c.kx * c.ky) as usize)
            }
            LayerSpec::Classifier(c) => (c.no, c.ni as usize),
            _ => return Err(self.unsup(
                r,
                "BatchNormalization must directly follow a Conv or Gemm whose only consumer it is",
            )),
        };
        let mut v = Vec::new();
        for (i, what) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
            let t = self.required_const(r, n, i, what)?;
            let f = self.floats(r, t)?;
            if f.len() != no as usize {
                return Err(self.mismatch(
                    r,
                    format!(
                        "{what} `{}` has {} values, the {} before it has {no} channels",
                        t.name,
                        f.len(),
                        self.layers[li].name
                    ),
                ));
            }
            v.push(f);
        }
        let name = self.layers[li].name.clone();
        let p = self.params.entry(name).or_default();
        if p.bias.is_empty() {
            p.bias = vec![0.0; no as usize];
        }
        // w' = w g / sqrt(var + eps), b' = (b - mean) g / sqrt(var + eps) + beta
        let [g, beta, mean, var] = &v[..] else {
            unreachable!("four operands")
        };
        for (o, (ws, b)) in p.weights.chunks_mut(per).zip(&mut p.bias).enumerate() {
            let k = g[o] / (var[o] + eps).sqrt();
            ws.iter_mut().for_each(|w| *w *= k);
            *b = (*b - mean[o]) * k + beta[o];
        }
        set_bias(&mut self.layers[li].spec);
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }
}
