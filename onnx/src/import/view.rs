//! Nodes that make no layer: Concat (a list of producers), Flatten and a
//! flattening Reshape, Dropout and Identity, the final Softmax, Constant.

use super::{Act, Importer, Val};
use crate::error::{NodeRef, OnnxError};
use crate::proto::{NodeProto, TensorProto};
use crate::tensor::{self, Attrs};
use firmware::model::INPUT;
use std::borrow::Cow;

impl<'a> Importer<'a> {
    /// Concat on the channel axis: the producers side by side.
    pub(super) fn concat(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let a = Attrs(n);
        if !n.attribute.iter().any(|x| x.name == "axis") {
            return Err(self.unsup(r, "attribute `axis` is required"));
        }
        let axis = a.int("axis", 1).map_err(|m| self.unsup(r, m))?;
        if n.input.is_empty() {
            return Err(self.unsup(r, "Concat of nothing"));
        }
        let mut parts = Vec::new();
        for i in 0..n.input.len() {
            parts.push(self.act_in(r, n, i)?);
        }
        let flat = parts[0].flat;
        if parts.iter().any(|p| p.flat != flat) {
            return Err(self.mismatch(r, "Concat of 2-D and 4-D tensors"));
        }
        let ok = if flat {
            axis == 1 || axis == -1
        } else {
            axis == 1 || axis == -3
        };
        if !ok {
            return Err(self.unsup(r, format!("Concat axis {axis} (only the channel axis 1)")));
        }
        let (_, h, w) = parts[0].shape;
        if let Some(p) = parts.iter().find(|p| (p.shape.1, p.shape.2) != (h, w)) {
            return Err(self.mismatch(
                r,
                format!(
                    "Concat of maps {h}x{w} and {}x{} (heights and widths must agree)",
                    p.shape.1, p.shape.2
                ),
            ));
        }
        let c: u64 = parts.iter().map(|p| p.shape.0 as u64).sum();
        let c = u32::try_from(c).map_err(|_| self.mismatch(r, format!("{c} channels")))?;
        for p in &parts {
            self.view(p, out);
        }
        let srcs = parts.into_iter().flat_map(|p| p.srcs).collect();
        self.bind(
            out,
            Act {
                srcs,
                shape: (c, h, w),
                flat,
                concat: Some(r.clone()),
            },
        );
        Ok(())
    }

    /// Flatten (axis 1): the same tensor, 2-D.
    pub(super) fn flatten(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let mut x = self.act_in(r, n, 0)?;
        let axis = Attrs(n).int("axis", 1).map_err(|m| self.unsup(r, m))?;
        let ok = if x.flat {
            axis == 1 || axis == -1
        } else {
            axis == 1 || axis == -3
        };
        if !ok {
            return Err(self.unsup(r, format!("Flatten axis {axis} (only 1: [N, C*H*W])")));
        }
        x.flat = true;
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    /// Dropout (inference: the identity; training_mode must be false).
    pub(super) fn dropout(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let x = self.act_in(r, n, 0)?;
        if Self::input_name(n, 2).is_some() {
            let t = self.required_const(r, n, 2, "training_mode")?;
            let on = t.raw_data.iter().any(|&b| b != 0) || t.int32_data.iter().any(|&b| b != 0);
            if on {
                return Err(self.unsup(r, "training_mode must be false"));
            }
        }
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    /// Identity: another name for a tensor or a constant.
    pub(super) fn identity(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let name = Self::input_name(n, 0).unwrap_or_default();
        if let Some(Val::Const(t)) = self.vals.get(name) {
            let t = t.clone();
            self.vals.insert(out.to_string(), Val::Const(t));
            return Ok(());
        }
        let x = self.act_in(r, n, 0)?;
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    /// Reshape `[N, C, H, W]` to `[N, C*H*W]`.
    pub(super) fn reshape(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let mut x = self.act_in(r, n, 0)?;
        let t = self.required_const(r, n, 1, "shape")?;
        let s = self.int64s(r, t)?;
        let allowzero = a.int("allowzero", 0).map_err(|m| self.unsup(r, m))? != 0;
        let (c, h, w) = x.shape;
        let total = c as i64 * h as i64 * w as i64;
        let batch_ok =
            |v: i64| (v == 0 && !allowzero) || v == -1 || Some(v) == self.batch.map(i64::from);
        let ok = match s[..] {
            [-1, f] => f == total,
            [b, f] => batch_ok(b) && (f == total || f == -1),
            _ => false,
        };
        if !ok {
            return Err(self.unsup(
                r,
                format!(
                    "Reshape to {s:?}: only a flatten of [N, {c}, {h}, {w}] to [N, {total}] is supported"
                ),
            ));
        }
        x.flat = true;
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    /// Softmax as the final node: [`crate::Imported::softmax`].
    pub(super) fn softmax(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
    ) -> Result<(), OnnxError> {
        let a = Attrs(n);
        if out != self.output {
            return Err(self.unsup(
                r,
                "Softmax is supported only as the final node (its output must be the graph output)",
            ));
        }
        let x = self.act_in(r, n, 0)?;
        if x.srcs.len() != 1 || x.srcs[0] == INPUT {
            return Err(self.unsup(r, "Softmax must follow a layer"));
        }
        let axis = a
            .int("axis", if self.opset >= 13 { -1 } else { 1 })
            .map_err(|m| self.unsup(r, m))?;
        let whole = if x.flat {
            axis == 1 || axis == -1
        } else if self.opset >= 13 {
            x.shape.1 * x.shape.2 == 1 && (axis == 1 || axis == -3)
        } else {
            axis == 1 || axis == -3
        };
        if !whole {
            return Err(self.unsup(
                r,
                format!("Softmax axis {axis} is not over all of an image's outputs"),
            ));
        }
        self.softmax = true;
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    /// Constant: a tensor for the nodes that read it.
    pub(super) fn constant(
        &self,
        r: &NodeRef,
        n: &'a NodeProto,
        out: &str,
    ) -> Result<Cow<'a, TensorProto>, OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        if n.attribute.len() != 1 {
            return Err(self.unsup(r, "a Constant has exactly one value attribute"));
        }
        if let Some(t) = a.tensor("value").map_err(u)? {
            return Ok(Cow::Borrowed(t));
        }
        if let Some(v) = a.floats("value_floats").map_err(u)? {
            return Ok(Cow::Owned(tensor::float_tensor(out, &[v.len() as i64], &v)));
        }
        if n.attribute[0].name == "value_float" {
            let v = a.float("value_float", 0.0).map_err(u)?;
            return Ok(Cow::Owned(tensor::float_tensor(out, &[], &[v])));
        }
        let ints = match a.ints("value_ints").map_err(u)? {
            Some(v) => (vec![v.len() as i64], v),
            None => (vec![], vec![a.int("value_int", 0).map_err(u)?]),
        };
        Ok(Cow::Owned(TensorProto {
            name: out.into(),
            dims: ints.0,
            data_type: crate::proto::DataType::Int64 as i32,
            int64_data: ints.1,
            ..Default::default()
        }))
    }
}
