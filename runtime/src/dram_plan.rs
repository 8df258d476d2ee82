//! One DRAM image for a whole graph on the simulator: where every layer's
//! regions go, and which producers store their outputs straight into their
//! consumer's input.
//!
//! Layers are compiled last to first, each placed after the previous one
//! in one address space ([`firmware::Placement::base`]), so every region of
//! the run has its own addresses. A layer's input is **written in place**
//! when every one of its producers can store into it: the producer's
//! program then stores its rows through [`firmware::OutView`] into the
//! consumer's padded input tensor, each producer at its place of a channel
//! concatenation, and the host writes nothing but the padding border (once,
//! before the run). Otherwise the host reads the producers' outputs back
//! and lays the input out (a **host copy**).
//!
//! A layer's input is written in place if
//! * it is one convolution, pooling or classifier program whose input is
//!   not lane-packed (lane packing is a host-prepared copy);
//! * none of its inputs is the graph's input;
//! * each producer is a convolution, pooling or classifier layer not
//!   already storing into another consumer, whose programs all start at a
//!   chunk of Tn maps, that starts at a chunk of the joined tensor, and
//!   that fills whole chunks unless it comes last (its spare lanes meet the
//!   consumer's zero weights, or pooling lanes nobody reads);
//! * for a classifier, each producer has 1x1 outputs or is a classifier
//!   (a wider producer's pixel order is not the classifier's flattening).
//!
//! A producer stores into at most one consumer; other consumers of the
//! same tensor read it back through the producer's view.

use crate::run::RunError;
use firmware::layout::align;
use firmware::model::INPUT;
use firmware::{compile_node_placed, piece_maps, CompiledNode, LayerSpec, Model, Placement};
use serde::Serialize;

/// How a layer's input reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// Its producers' programs stored it in place.
    InPlace,
    /// The host laid it out (the graph's input, or a host copy).
    Host,
}

impl Feed {
    /// Short name for tables (`in place`, `host`).
    pub fn name(self) -> &'static str {
        match self {
            Feed::InPlace => "in place",
            Feed::Host => "host",
        }
    }
}

/// Every layer of a graph compiled into one DRAM address space.
#[derive(Clone, Debug)]
pub struct DramPlan {
    /// Compiled layers, in the model's order.
    pub nodes: Vec<CompiledNode>,
    /// How each layer's input arrives.
    pub feeds: Vec<Feed>,
    /// For each layer, the consumer (layer index) it stores into, if any.
    pub stores_into: Vec<Option<usize>>,
    /// One past the last byte of every region, bytes.
    pub dram_bytes: u64,
}

fn index_of(model: &Model, name: &str) -> Option<usize> {
    model.layers.iter().position(|l| l.name == name)
}

/// Plan `model` for `batch` images on `cfg` (see the module documentation);
/// with `in_place` false every input is a host copy.
pub fn plan(
    cfg: &arch::AccelConfig,
    model: &Model,
    batch: u32,
    in_place: bool,
) -> Result<DramPlan, RunError> {
    let n = model.layers.len();
    let tn = cfg.tn;
    let mut nodes: Vec<Option<CompiledNode>> = vec![None; n];
    let mut feeds = vec![Feed::Host; n];
    // producer -> (consumer, first chunk of the consumer's input)
    let mut claim: Vec<Option<(usize, u32)>> = vec![None; n];
    let mut next = 0u64;
    for i in (0..n).rev() {
        let l = &model.layers[i];
        let output = match claim[i] {
            None => None,
            Some((c, chunk0)) => nodes[c]
                .as_ref()
                .and_then(|cn| cn.pieces[0].input_view(chunk0)),
        };
        let node = compile_node_placed(cfg, &l.spec, batch, &Placement { base: next, output })
            .map_err(|error| match error {
                firmware::FwError::DramTooSmall { needed, size } if next > 0 => RunError::Graph {
                    layer: l.name.clone(),
                    reason: format!(
                        "the graph's DRAM image reaches {needed} bytes here (every layer has its own regions), the configuration has {size} (dram.size_bytes)"
                    ),
                },
                error => RunError::Compile {
                    layer: l.name.clone(),
                    error,
                },
            })?;
        next = align(node.dram_end());
        // can this layer's producers store into its input?
        let mut takes = in_place
            && node.pieces.len() == 1
            && node.pieces[0].input_view(0).is_some()
            && !l.inputs.is_empty();
        let mut claims = Vec::new();
        let mut m0 = 0u32;
        for (k, name) in l.inputs.iter().enumerate() {
            if !takes {
                break;
            }
            let Some(p) = (name != INPUT).then(|| index_of(model, name)).flatten() else {
                takes = false;
                break;
            };
            let ps = &model.layers[p].spec;
            let (pno, poy, pox) = ps.output_shape();
            let last = k + 1 == l.inputs.len();
            takes = claim[p].is_none()
                && !claims.iter().any(|&(q, _)| q == p)
                && !matches!(ps, LayerSpec::Eltwise(_))
                && m0 % tn == 0
                && (last || pno % tn == 0)
                && piece_maps(cfg, ps)
                    .iter()
                    .all(|(_, out)| out.start % tn == 0)
                && (!matches!(l.spec, LayerSpec::Classifier(_))
                    || matches!(ps, LayerSpec::Classifier(_))
                    || (poy == 1 && pox == 1));
            claims.push((p, m0 / tn));
            m0 += pno;
        }
        if takes {
            feeds[i] = Feed::InPlace;
            for (p, chunk0) in claims {
                claim[p] = Some((i, chunk0));
            }
        }
        nodes[i] = Some(node);
    }
    Ok(DramPlan {
        nodes: nodes
            .into_iter()
            .map(|n| n.expect("every layer compiled"))
            .collect(),
        feeds,
        stores_into: claim.iter().map(|c| c.map(|(i, _)| i)).collect(),
        dram_bytes: next,
    })
}
