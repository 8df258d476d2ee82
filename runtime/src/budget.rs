//! The memory budget: a layer, model or batch whose working set would
//! exceed it is refused before anything is allocated for it, naming the
//! figures.
//!
//! * The budget is `DIANNAO_MEMORY_BUDGET` (bytes, or with a `K`, `M` or
//!   `G` suffix, powers of 1024) if set, else the machine's available
//!   memory (`MemAvailable` in `/proc/meminfo`), else unlimited.
//! * The estimate of simulating one layer for `batch` images
//!   ([`layer_bytes`]) is its DRAM image, every region padded to Tn lanes
//!   as [`firmware::Layout`] lays it out (the padded input with its border,
//!   the weight rows, the output), plus the host's logical tensors (input,
//!   weights, bias, output, 16-bit) twice: the data packed and the outputs
//!   read back or compared. A graph run on one DRAM image adds every
//!   layer's image ([`graph_bytes`]).

use crate::run::RunError;
use arch::AccelConfig;
use firmware::{LayerSpec, Model};

/// The environment variable that sets the budget.
pub const BUDGET_ENV: &str = "DIANNAO_MEMORY_BUDGET";

/// `n` bytes as MiB with one decimal (`12.5 MiB`).
pub fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
}

/// A memory budget and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Bytes (`u64::MAX`: unlimited).
    pub bytes: u64,
    /// Source, for messages.
    pub source: String,
}

fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (num, mul) = match v.chars().last()? {
        'K' | 'k' => (&v[..v.len() - 1], 1u64 << 10),
        'M' | 'm' => (&v[..v.len() - 1], 1 << 20),
        'G' | 'g' => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mul)
}

fn mem_available() -> Option<u64> {
    let t = std::fs::read_to_string("/proc/meminfo").ok()?;
    let l = t.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = l.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

impl Budget {
    /// The budget of this process (see the module documentation).
    pub fn from_env() -> Result<Budget, RunError> {
        if let Ok(v) = std::env::var(BUDGET_ENV) {
            return parse_size(&v)
                .map(|bytes| Budget {
                    bytes,
                    source: BUDGET_ENV.into(),
                })
                .ok_or_else(|| {
                    RunError::Config(format!(
                        "{BUDGET_ENV}={v:?}: not a size (bytes, or a number with K, M or G)"
                    ))
                });
        }
        Ok(match mem_available() {
            Some(bytes) => Budget {
                bytes,
                source: format!("MemAvailable in /proc/meminfo; {BUDGET_ENV} sets another"),
            },
            None => Budget {
                bytes: u64::MAX,
                source: "unlimited".into(),
            },
        })
    }

    /// Refuse `what` if it needs more than the budget.
    pub fn check(&self, what: impl FnOnce() -> String, need: u64) -> Result<(), RunError> {
        if need > self.bytes {
            return Err(RunError::Budget {
                what: what(),
                need,
                budget: self.bytes,
                origin: self.source.clone(),
            });
        }
        Ok(())
    }
}

/// Bytes of `layer`'s DRAM image for `batch` images on `cfg` (Tn-padded regions).
pub fn dram_image_bytes(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> u64 {
    let tn = cfg.tn.max(1) as u64;
    let pad = |n: u32| (n as u64).div_ceil(tn) * tn;
    let b = batch as u64;
    let (ni, ny, nx) = layer.input_shape();
    let (no, oy, ox) = layer.output_shape();
    let border = layer.window().map_or(0, |w| 2 * w.pad as u64);
    let input = (ny as u64 + border) * (nx as u64 + border) * pad(ni) * b * layer.operands() as u64;
    let k = layer.window().map_or(1, |w| w.ky as u64 * w.kx as u64);
    let weights = if layer.weight_len() == 0 {
        0
    } else {
        pad(no) * pad(ni) * k + pad(no) * tn
    };
    let output = oy as u64 * ox as u64 * pad(no) * b;
    (input + weights + output).saturating_mul(2)
}

/// Estimated peak bytes of simulating `layer` for `batch` images (see the
/// module documentation).
pub fn layer_bytes(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> u64 {
    let b = batch as u64;
    let host =
        (layer.input_len() * b + layer.weight_len() + layer.bias_len() + layer.output_len() * b)
            .saturating_mul(2 * 2);
    dram_image_bytes(cfg, layer, batch).saturating_add(host)
}

/// Estimated peak bytes of running `model` on data in one DRAM image
/// (`diannao run`): every layer's image, plus the largest layer's host tensors.
pub fn graph_bytes(cfg: &AccelConfig, model: &Model, batch: u32) -> u64 {
    let images: u64 = model
        .layers
        .iter()
        .map(|l| dram_image_bytes(cfg, &l.spec, batch))
        .fold(0, u64::saturating_add);
    let host = model
        .layers
        .iter()
        .map(|l| layer_bytes(cfg, &l.spec, batch) - dram_image_bytes(cfg, &l.spec, batch))
        .max()
        .unwrap_or(0);
    images.saturating_add(host)
}

/// How many of `layers` may be simulated at once within `budget` (at least
/// 1, at most `threads`): the largest `k` whose `k` largest working sets
/// ([`layer_bytes`]) fit together.
pub fn concurrent_layers<'a>(
    cfg: &AccelConfig,
    layers: impl IntoIterator<Item = &'a LayerSpec>,
    batch: u32,
    budget: &Budget,
    threads: usize,
) -> usize {
    let mut sizes: Vec<u64> = layers
        .into_iter()
        .map(|l| layer_bytes(cfg, l, batch))
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let mut sum = 0u64;
    let mut k = 0;
    for s in sizes.iter().take(threads.max(1)) {
        sum = sum.saturating_add(*s);
        if sum > budget.bytes {
            break;
        }
        k += 1;
    }
    k.max(1)
}

/// Refuse simulating `model`'s layers one by one at `batch` if its largest
/// layer exceeds `budget`.
pub fn check_layers<'a>(
    cfg: &AccelConfig,
    layers: impl IntoIterator<Item = (&'a str, &'a LayerSpec)>,
    batch: u32,
    budget: &Budget,
) -> Result<(), RunError> {
    for (name, spec) in layers {
        budget.check(
            || format!("layer `{name}` at batch {batch}"),
            layer_bytes(cfg, spec, batch),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_estimates() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("3M"), Some(3 << 20));
        assert_eq!(parse_size(" 2 G"), Some(2 << 30));
        assert_eq!(parse_size("lots"), None);
        let cfg = AccelConfig::tiny();
        let l: LayerSpec = "conv:nx=4,ny=4,k=3,pad=1,ni=3,no=5".parse().unwrap();
        // tiny: Tn = 4; input 6x6x4 per image, weights 8x4x9 + bias rows 8x4, output 4x4x8
        assert_eq!(
            dram_image_bytes(&cfg, &l, 2),
            2 * (6 * 6 * 4 * 2 + 8 * 4 * 9 + 8 * 4 + 4 * 4 * 8 * 2)
        );
        assert!(layer_bytes(&cfg, &l, 2) > dram_image_bytes(&cfg, &l, 2));
        let b = Budget {
            bytes: 1000,
            source: "test".into(),
        };
        let e = b
            .check(|| "layer `c`".into(), 4096)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("layer `c` needs an estimated 0.0 MiB") && e.contains("budget"),
            "{e}"
        );
    }
}
