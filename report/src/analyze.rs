//! `diannao analyze`: the memory a model needs for training, as the seed
//! paper's Tables 2 and 3 (measured there with Caffe).
//!
//! What is counted (all as Caffe stores it, 4-byte f32):
//! * **parameters**: every layer's weights and biases (`LayerSpec::weight_len`
//!   + `LayerSpec::bias_len`), once (independent of batch). The 16-bit
//!   fixed-point size the accelerator stores is given beside it.
//! * **inter-layer data** at batch B: B x 4 bytes x (network input values +
//!   2 x the output values of every layer). Caffe keeps a `data` and a `diff`
//!   (gradient) blob for every layer output; the input gets no gradient.
//!   In-place layers (ReLU, dropout) add no blob. Layers the model files do
//!   not contain (LRN, concatenation copies, softmax/loss, GoogLeNet's
//!   auxiliary classifiers, dropout masks) are not counted; see
//!   docs/results.md for how this moves the numbers from the paper's.
//!
//! MB here means 2^20 bytes (MiB).

use firmware::Model;
use serde::Serialize;

/// Bytes per f32 value (Caffe's storage).
pub const F32_BYTES: u64 = 4;

/// Bytes per MiB.
pub const MIB: f64 = (1u64 << 20) as f64;

/// One layer's contribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerMemory {
    /// Layer name.
    pub name: String,
    /// Weights + biases (values).
    pub params: u64,
    /// Output values per image.
    pub outputs_per_image: u64,
}

/// The analysis of one model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// Model name.
    pub model: String,
    /// Parameter values (weights + biases).
    pub params: u64,
    /// Parameter bytes in f32.
    pub param_bytes_f32: u64,
    /// Parameter bytes in the accelerator's 16-bit words.
    pub param_bytes_fx16: u64,
    /// Network input values per image.
    pub input_per_image: u64,
    /// Sum of layer output values per image.
    pub outputs_per_image: u64,
    /// Inter-layer bytes per image: 4 x (input + 2 x outputs).
    pub interlayer_bytes_per_image: u64,
    /// Output values per image of layers with a non-identity activation
    /// (what a separate, not in-place, activation blob would add).
    pub activated_outputs_per_image: u64,
    /// Per batch: (batch, inter-layer bytes, forward-only bytes = 4 x (input + outputs) x batch).
    pub batches: Vec<BatchMemory>,
    /// Per layer.
    pub layers: Vec<LayerMemory>,
}

/// Inter-layer data at one batch size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchMemory {
    /// Images.
    pub batch: u64,
    /// data + diff of every layer output, plus the input, bytes.
    pub interlayer_bytes: u64,
    /// Forward only (data blobs, no diff), bytes.
    pub forward_bytes: u64,
    /// As `interlayer_bytes` with every activation stored as its own data + diff blob (not in place), bytes.
    pub separate_act_bytes: u64,
}

/// Analyse `model` at each batch size.
pub fn analyze(model: &Model, batches: &[u64]) -> Analysis {
    let layers: Vec<LayerMemory> = model
        .layers
        .iter()
        .map(|l| LayerMemory {
            name: l.name.clone(),
            params: l.spec.weight_len() + l.spec.bias_len(),
            outputs_per_image: l.spec.output_len(),
        })
        .collect();
    let params: u64 = layers.iter().map(|l| l.params).sum();
    let (c, h, w) = model.input;
    let input = c as u64 * h as u64 * w as u64;
    let outputs: u64 = layers.iter().map(|l| l.outputs_per_image).sum();
    let per_image = F32_BYTES * (input + 2 * outputs);
    let activated: u64 = model
        .layers
        .iter()
        .filter(|l| activation(&l.spec) != arch::activation::Activation::Identity)
        .map(|l| l.spec.output_len())
        .sum();
    Analysis {
        model: model.name.clone(),
        params,
        param_bytes_f32: params * F32_BYTES,
        param_bytes_fx16: model
            .layers
            .iter()
            .map(|l: &firmware::model::ModelLayer| l.spec.param_bytes())
            .sum(),
        input_per_image: input,
        outputs_per_image: outputs,
        interlayer_bytes_per_image: per_image,
        activated_outputs_per_image: activated,
        batches: batches
            .iter()
            .map(|&b| BatchMemory {
                batch: b,
                interlayer_bytes: b * per_image,
                forward_bytes: b * F32_BYTES * (input + outputs),
                separate_act_bytes: b * (per_image + F32_BYTES * 2 * activated),
            })
            .collect(),
        layers,
    }
}

fn activation(s: &firmware::LayerSpec) -> arch::activation::Activation {
    s.act()
}

/// Markdown tables: parameters (Table 2 style) and inter-layer data per batch (Table 3 style).
pub fn markdown(all: &[Analysis]) -> String {
    let mib = |b: u64| format!("{:.1}", b as f64 / MIB);
    let mut s = String::from("Parameters (weights + biases) and inter-layer data; MB = 2^20 bytes; f32 as Caffe stores them.\n\n");
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|a| {
            vec![
                a.model.clone(),
                a.params.to_string(),
                mib(a.param_bytes_f32),
                mib(a.param_bytes_fx16),
                mib(a.interlayer_bytes_per_image),
            ]
        })
        .collect();
    s.push_str(&crate::markdown_table(
        &[
            "model",
            "parameters",
            "params MB (f32)",
            "params MB (16-bit)",
            "inter-layer MB per image",
        ],
        &rows,
    ));
    if let Some(first) = all.first() {
        let mut head: Vec<String> = vec!["model".into()];
        head.extend(first.batches.iter().map(|b| format!("batch {}", b.batch)));
        let heads: Vec<&str> = head.iter().map(String::as_str).collect();
        s.push_str(
            "\nInter-layer data, MB (data + diff of every layer output, plus the input):\n\n",
        );
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|a| {
                std::iter::once(a.model.clone())
                    .chain(a.batches.iter().map(|b| mib(b.interlayer_bytes)))
                    .collect()
            })
            .collect();
        s.push_str(&crate::markdown_table(&heads, &rows));
        s.push_str("\nThe same with every activation (ReLU, sigmoid) as its own data + diff blob instead of in place, MB:\n\n");
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|a| {
                std::iter::once(a.model.clone())
                    .chain(a.batches.iter().map(|b| mib(b.separate_act_bytes)))
                    .collect()
            })
            .collect();
        s.push_str(&crate::markdown_table(&heads, &rows));
        s.push_str("\nForward only (data blobs, no gradients), MB:\n\n");
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|a| {
                std::iter::once(a.model.clone())
                    .chain(a.batches.iter().map(|b| mib(b.forward_bytes)))
                    .collect()
            })
            .collect();
        s.push_str(&crate::markdown_table(&heads, &rows));
    }
    s
}
