//! Test vectors named NVDLA-style (`unit_shape_operation_type`) and built
//! from the code generators, so every backend replays the same layer.

use crate::Vector;
use arch::isa::fields::Word;
use arch::AccelConfig;
use firmware::{LayerSpec, PoolKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The NVDLA-style name of a layer vector, e.g. `conv_8x8x4_k3s1p1_o8_relu_i16`.
pub fn layer_name(spec: &LayerSpec, batch: u32) -> String {
    let b = if batch > 1 { format!("_b{batch}") } else { String::new() };
    match spec {
        LayerSpec::Conv(c) => format!(
            "conv_{}x{}x{}_k{}x{}s{}x{}p{}_o{}_{}{}_i16",
            c.nx, c.ny, c.ni, c.kx, c.ky, c.sx, c.sy, c.pad, c.no, c.act.mnemonic(), b
        ),
        LayerSpec::Pool(p) => format!(
            "pool_{}x{}x{}_k{}x{}s{}x{}p{}_{}{}_i16",
            p.nx,
            p.ny,
            p.ni,
            p.kx,
            p.ky,
            p.sx,
            p.sy,
            p.pad,
            if p.kind == PoolKind::Max { "max" } else { "avg" },
            b
        ),
        LayerSpec::Classifier(c) => format!("class_{}x{}_{}{}_i16", c.ni, c.no, c.act.mnemonic(), b),
    }
}

/// Seeded random data words in `[-amp, amp]`.
pub fn random_words(n: usize, amp: i16, rng: &mut ChaCha8Rng) -> Vec<i16> {
    (0..n).map(|_| rng.gen_range(-amp..=amp)).collect()
}

/// A vector that runs one compiled layer on random data. The compared
/// window covers the layer's output region.
pub fn layer_vector(cfg: &AccelConfig, spec: &LayerSpec, batch: u32, seed: u64) -> Result<Vector, String> {
    let c = firmware::compile(cfg, spec, batch).map_err(|e| e.to_string())?;
    if c.program.len() > cfg.imem_depth as usize {
        return Err(format!("{} instructions exceed the {}-entry imem (use a smaller layer)", c.program.len(), cfg.imem_depth));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let input = random_words((spec.input_len() * batch as u64) as usize, 255, &mut rng);
    let weights = random_words(spec.weight_len() as usize, 64, &mut rng);
    let bias = random_words(spec.bias_len() as usize, 255, &mut rng);
    let mut image = c.layout.pack_input(&input).map_err(|e| e.to_string())?;
    image.extend(c.layout.pack_params(&weights, &bias).map_err(|e| e.to_string())?);
    let program: Vec<Word> = c.program.iter().map(|i| i.encode().map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
    Ok(Vector {
        name: layer_name(spec, batch),
        cfg: cfg.clone(),
        program,
        image,
        window: (c.layout.output.addr, c.layout.output.bytes),
    })
}
