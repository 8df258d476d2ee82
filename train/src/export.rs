//! A trained net as a firmware model graph with real-valued parameters, for
//! export (ONNX: `diannao train --export`) and for `diannao run`.

use crate::net::{Net, TLayer};
use firmware::model::{ModelLayer, INPUT};
use firmware::{LayerParams, Model, Params};

/// The layer names used in exported models: `conv1`, `pool1`, `add1`,
/// `fc1`, ... numbered per kind in order.
pub fn layer_names(net: &Net) -> Vec<String> {
    let (mut c, mut p, mut f, mut a) = (0, 0, 0, 0);
    net.layers
        .iter()
        .map(|l| match l {
            TLayer::Conv { .. } => {
                c += 1;
                format!("conv{c}")
            }
            TLayer::Pool { .. } | TLayer::GlobalAvgPool => {
                p += 1;
                format!("pool{p}")
            }
            TLayer::Fc { .. } => {
                f += 1;
                format!("fc{f}")
            }
            TLayer::Add { .. } => {
                a += 1;
                format!("add{a}")
            }
        })
        .collect()
}

/// `net` as a model graph with `params` (one entry per layer, `None` for
/// pooling and adds: [`crate::Engine::params_f32`]): a chain, each add also
/// reading its skip tensor.
pub fn network(net: &Net, params: &[Option<(Vec<f32>, Vec<f32>)>]) -> (Model, Params) {
    let names = layer_names(net);
    let specs = net.layer_specs();
    let mut layers = Vec::with_capacity(specs.len());
    let mut out = Params::new();
    // tensor j (the input of layer j) by name
    let tensor = |j: usize| {
        if j == 0 {
            INPUT.to_string()
        } else {
            names[j - 1].clone()
        }
    };
    for (i, (name, spec)) in names.iter().zip(specs).enumerate() {
        let mut inputs = vec![tensor(i)];
        inputs.extend(net.skip_source(i).map(tensor));
        layers.push(ModelLayer {
            name: name.clone(),
            spec,
            inputs,
        });
        if let Some(Some((w, b))) = params.get(i) {
            out.insert(
                name.clone(),
                LayerParams {
                    weights: w.clone(),
                    bias: b.clone(),
                },
            );
        }
    }
    let (c, h, w) = net.input;
    (
        Model {
            name: net.name.clone(),
            input: (c as u32, h as u32, w as u32),
            layers,
        },
        out,
    )
}
