//! Element-wise nodes: Add (two tensors of one shape: an add layer; a
//! constant: see [`super::dense`]) and Relu, Sigmoid, Tanh (fused into the
//! layer before when possible, else an activation layer).

use super::{Act, Importer, Val};
use crate::error::{NodeRef, OnnxError};
use crate::proto::NodeProto;
use arch::activation::Activation;
use firmware::{EltwiseSpec, LayerSpec};

fn show(a: &Act) -> String {
    let (c, h, w) = a.shape;
    if a.flat {
        format!("[N, {}]", c as u64 * h as u64 * w as u64)
    } else {
        format!("[N, {c}, {h}, {w}]")
    }
}

impl Importer<'_> {
    /// Add: of two tensors an add layer, of a constant a folded bias.
    pub(super) fn add(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let names: Vec<&str> = (0..2).filter_map(|i| Self::input_name(n, i)).collect();
        if names.len() != 2 || n.input.len() != 2 {
            return Err(self.unsup(r, "Add takes two inputs"));
        }
        let is_const = |s: &str| matches!(self.vals.get(s), Some(Val::Const(_)));
        match (is_const(names[0]), is_const(names[1])) {
            (true, true) => return Err(self.unsup(r, "Add of two constants")),
            (true, false) => return self.add_const(r, n, out, 1, 0),
            (false, true) => return self.add_const(r, n, out, 0, 1),
            (false, false) => {}
        }
        let x = self.act_in(r, n, 0)?;
        let y = self.act_in(r, n, 1)?;
        for v in [&x, &y] {
            if let Some(c) = &v.concat {
                return Err(self.unsup(
                    c,
                    format!("its output feeds Add {r}, which takes one producer per operand"),
                ));
            }
        }
        if x.shape != y.shape || x.flat != y.flat {
            return Err(self.mismatch(
                r,
                format!(
                    "Add of `{}` {} and `{}` {} (two tensors of one shape are supported)",
                    names[0],
                    show(&x),
                    names[1],
                    show(&y)
                ),
            ));
        }
        let (c, h, w) = x.shape;
        let spec = LayerSpec::Eltwise(EltwiseSpec {
            c,
            h,
            w,
            inputs: 2,
            act: Activation::Identity,
        });
        let inputs = vec![x.srcs[0].clone(), y.srcs[0].clone()];
        self.push_layer(r, out, spec, inputs, None, x.flat)
    }

    /// Relu, Sigmoid, Tanh: fused into the conv, classifier or add layer
    /// before when its activation is identity and this is its only
    /// consumer, else an activation layer.
    pub(super) fn activation(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let act = match n.op_type.as_str() {
            "Relu" => Activation::Relu,
            "Sigmoid" => Activation::Sigmoid,
            _ => Activation::Tanh,
        };
        let x = self.act_in(r, n, 0)?;
        if let Some(li) = self.fusable(&x) {
            let slot = match &mut self.layers[li].spec {
                LayerSpec::Conv(c) => Some(&mut c.act),
                LayerSpec::Classifier(c) => Some(&mut c.act),
                LayerSpec::Eltwise(e) if e.inputs == 2 => Some(&mut e.act),
                _ => None,
            };
            if let Some(slot) = slot {
                *slot = act;
                self.view(&x, out);
                self.bind(out, x);
                return Ok(());
            }
        }
        let (c, h, w) = x.shape;
        let spec = LayerSpec::Eltwise(EltwiseSpec {
            c,
            h,
            w,
            inputs: 1,
            act,
        });
        self.push_layer(r, out, spec, x.srcs, None, x.flat)
    }
}
