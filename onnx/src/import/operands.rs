//! Operand lookup, errors naming the node, and layer bookkeeping (uses,
//! views, fusion candidates, unique names).

use super::{Act, Importer, Val};
use crate::error::{NodeRef, OnnxError};
use crate::proto::{NodeProto, TensorProto};
use crate::tensor::{self, TensorIssue};
use arch::activation::Activation;
use firmware::model::{ModelLayer, INPUT};
use firmware::{LayerParams, LayerSpec};

impl<'a> Importer<'a> {
    pub(super) fn nref(&self, i: usize, n: &NodeProto) -> NodeRef {
        let name = if !n.name.is_empty() {
            n.name.clone()
        } else if let Some(o) = n.output.first().filter(|o| !o.is_empty()) {
            o.clone()
        } else {
            format!("#{i}")
        };
        NodeRef {
            name,
            op: n.op_type.clone(),
            index: i,
        }
    }

    pub(super) fn unsup(&self, node: &NodeRef, reason: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported {
            file: self.file.into(),
            node: node.clone(),
            reason: reason.into(),
        }
    }

    pub(super) fn mismatch(&self, node: &NodeRef, reason: impl Into<String>) -> OnnxError {
        OnnxError::Mismatch {
            file: self.file.into(),
            node: node.clone(),
            reason: reason.into(),
        }
    }

    pub(super) fn consumers(&self, t: &str) -> usize {
        self.consumers.get(t).copied().unwrap_or(0)
    }

    pub(super) fn input_name(n: &NodeProto, i: usize) -> Option<&str> {
        n.input.get(i).map(|s| s.as_str()).filter(|s| !s.is_empty())
    }

    /// Data input `i`: a run-time tensor.
    pub(super) fn act_in(&self, r: &NodeRef, n: &NodeProto, i: usize) -> Result<Act, OnnxError> {
        let name =
            Self::input_name(n, i).ok_or_else(|| self.unsup(r, format!("input {i} is missing")))?;
        match self.vals.get(name) {
            Some(Val::Act(a)) => Ok(a.clone()),
            Some(Val::Const(_)) => Err(self.unsup(
                r,
                format!("input `{name}` is a constant; a tensor computed from the graph input is expected"),
            )),
            Some(Val::Extra) => Err(OnnxError::Graph {
                file: self.file.into(),
                reason: format!(
                    "{r} reads `{name}`, a second graph input (one graph input is supported)"
                ),
            }),
            None => Err(self.unsup(
                r,
                format!("input `{name}` is neither a graph input, an initializer nor a node's output"),
            )),
        }
    }

    /// Constant input `i`, `None` when the optional input is omitted.
    pub(super) fn const_in(
        &self,
        r: &NodeRef,
        n: &NodeProto,
        i: usize,
    ) -> Result<Option<&TensorProto>, OnnxError> {
        let Some(name) = Self::input_name(n, i) else {
            return Ok(None);
        };
        match self.vals.get(name) {
            Some(Val::Const(t)) => Ok(Some(t.as_ref())),
            _ => Err(OnnxError::MissingInitializer {
                file: self.file.into(),
                node: r.clone(),
                tensor: name.into(),
            }),
        }
    }

    pub(super) fn required_const(
        &self,
        r: &NodeRef,
        n: &NodeProto,
        i: usize,
        what: &str,
    ) -> Result<&TensorProto, OnnxError> {
        self.const_in(r, n, i)?
            .ok_or_else(|| self.unsup(r, format!("the {what} (input {i}) is missing")))
    }

    pub(super) fn issue(&self, r: &NodeRef, t: &TensorProto, e: TensorIssue) -> OnnxError {
        match e {
            TensorIssue::DataType(dtype, expected) => OnnxError::DataType {
                file: self.file.into(),
                node: Some(r.clone()),
                tensor: t.name.clone(),
                dtype,
                expected,
            },
            TensorIssue::Length(m) => self.mismatch(r, m),
            TensorIssue::External(m) => self.unsup(r, m),
        }
    }

    pub(super) fn floats(&self, r: &NodeRef, t: &TensorProto) -> Result<Vec<f32>, OnnxError> {
        tensor::floats(t).map_err(|e| self.issue(r, t, e))
    }

    pub(super) fn int64s(&self, r: &NodeRef, t: &TensorProto) -> Result<Vec<i64>, OnnxError> {
        tensor::int64s(t).map_err(|e| self.issue(r, t, e))
    }

    pub(super) fn out0<'n>(&self, r: &NodeRef, n: &'n NodeProto) -> Result<&'n str, OnnxError> {
        n.output
            .first()
            .map(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.unsup(r, "the node has no output"))
    }

    /// Outputs after the first (masks, indices, running statistics) must be unused.
    pub(super) fn extra_outputs_unused(&self, r: &NodeRef, n: &NodeProto) -> Result<(), OnnxError> {
        for o in n.output.iter().skip(1).filter(|o| !o.is_empty()) {
            if self.consumers(o) > 0 {
                return Err(self.unsup(
                    r,
                    format!("output `{o}` is used (only the first output is supported)"),
                ));
            }
        }
        Ok(())
    }

    /// The node's first output is another view of `a`'s producers.
    pub(super) fn view(&mut self, a: &Act, out: &str) {
        let k = self.consumers(out);
        for s in &a.srcs {
            if let Some(u) = self.uses.get_mut(s) {
                *u = (*u + k).saturating_sub(1);
            }
        }
    }

    pub(super) fn bind(&mut self, out: &str, a: Act) {
        self.vals.insert(out.to_string(), Val::Act(a));
    }

    /// The one layer producing `a` when the current node is its only
    /// consumer and its activation is still identity.
    pub(super) fn fusable(&self, a: &Act) -> Option<usize> {
        if a.srcs.len() != 1 || a.srcs[0] == INPUT || self.uses.get(&a.srcs[0]) != Some(&1) {
            return None;
        }
        let i = self.layers.iter().position(|l| l.name == a.srcs[0])?;
        (self.layers[i].spec.act() == Activation::Identity).then_some(i)
    }

    pub(super) fn unique_name(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.names.insert(name.clone());
        name
    }

    /// Validate and append a layer made by node `r`; the tensor it outputs.
    pub(super) fn push_layer(
        &mut self,
        r: &NodeRef,
        out: &str,
        spec: LayerSpec,
        inputs: Vec<String>,
        params: Option<LayerParams>,
        flat: bool,
    ) -> Result<(), OnnxError> {
        let name = self.unique_name(&r.name);
        spec.validate().map_err(|error| OnnxError::Layer {
            file: self.file.into(),
            node: r.clone(),
            layer: name.clone(),
            error: Box::new(error),
        })?;
        if let Some(p) = params {
            self.params.insert(name.clone(), p);
        }
        self.uses.insert(name.clone(), self.consumers(out));
        self.layers.push(ModelLayer {
            name: name.clone(),
            spec,
            inputs,
        });
        self.bind(
            out,
            Act {
                srcs: vec![name],
                shape: spec.output_shape(),
                flat,
                concat: None,
            },
        );
        Ok(())
    }
}
