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
//!   read back or compared, plus its programs ([`program_bytes`]: held as
//!   instructions and as their words in DRAM; at batch 64 a GoogLeNet
//!   layer's programs outweigh its data). A graph run on one DRAM image
//!   adds every layer's image ([`graph_bytes`]).

use crate::run::RunError;
use arch::AccelConfig;
use firmware::{LayerSpec, Model};

/// The environment variable that sets the budget.
pub const BUDGET_ENV: &str = "DIANNAO_MEMORY_BUDGET";

/// `n` bytes with one decimal in the largest binary unit that keeps it at
/// least 1: `12.5 MiB`, `48.0 KiB`, `512 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} B")
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

/// Bytes of `layer`'s DRAM image for `batch` images on `cfg` (Tn-padded
/// regions, before alignment): [`firmware::layout::image_bytes`].
pub fn dram_image_bytes(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> u64 {
    firmware::layout::image_bytes(cfg, layer, batch)
}

/// Bytes of `layer`'s programs at `batch` while they run: each instruction
/// as an [`arch::isa::Instruction`] on the host and as its encoded words in
/// DRAM ([`firmware::program_len`] instructions, known from the tilings
/// without compiling).
pub fn program_bytes(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> u64 {
    let per =
        (std::mem::size_of::<arch::isa::Instruction>() + arch::isa::fields::INSTR_BYTES) as u64;
    firmware::program_len(cfg, layer, batch).saturating_mul(per)
}

/// Estimated peak bytes of simulating `layer` for `batch` images (see the
/// module documentation).
pub fn layer_bytes(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> u64 {
    let b = batch as u64;
    let host =
        (layer.input_len() * b + layer.weight_len() + layer.bias_len() + layer.output_len() * b)
            .saturating_mul(2 * 2);
    dram_image_bytes(cfg, layer, batch)
        .saturating_add(host)
        .saturating_add(program_bytes(cfg, layer, batch))
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

/// `f(0) .. f(n-1)` for `n` independent layers, in order, on the current
/// rayon pool, with at most `threads` running at once (from
/// [`concurrent_layers`]): the whole pool when it allows every thread, a
/// smaller pool of `threads`, or one after another when `threads` is 1.
/// The results are the same whatever the thread count, as long as `f(i)`
/// depends only on `i`.
pub fn map_layers<T, F>(n: usize, threads: usize, f: F) -> Result<Vec<T>, RunError>
where
    T: Send,
    F: Fn(usize) -> T + Sync + Send,
{
    use rayon::prelude::*;
    let par = || -> Vec<T> { (0..n).into_par_iter().map(&f).collect() };
    Ok(if threads >= rayon::current_num_threads() {
        par()
    } else if threads > 1 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| RunError::Threads(e.to_string()))?
            .install(par)
    } else {
        (0..n).map(&f).collect()
    })
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
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(48 << 10), "48.0 KiB");
        assert_eq!(human_bytes(25 << 19), "12.5 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        let cfg = AccelConfig::tiny();
        let l: LayerSpec = "conv:nx=4,ny=4,k=3,pad=1,ni=3,no=5".parse().unwrap();
        // tiny: Tn = 4; input 6x6x4 per image, weights 8x4x9 + bias rows 8x4, output 4x4x8
        assert_eq!(
            dram_image_bytes(&cfg, &l, 2),
            2 * (6 * 6 * 4 * 2 + 8 * 4 * 9 + 8 * 4 + 4 * 4 * 8 * 2)
        );
        let program = firmware::compile_node(&cfg, &l, 2).unwrap().pieces[0]
            .instructions()
            .len() as u64;
        let per = std::mem::size_of::<arch::isa::Instruction>() + arch::isa::fields::INSTR_BYTES;
        assert_eq!(program_bytes(&cfg, &l, 2), program * per as u64);
        let host = (2 * 3 * 16 + 5 * 3 * 9 + 5 + 2 * 5 * 16) * 4;
        assert_eq!(
            layer_bytes(&cfg, &l, 2),
            dram_image_bytes(&cfg, &l, 2) + host + program_bytes(&cfg, &l, 2)
        );
        let b = Budget {
            bytes: 1000,
            source: "test".into(),
        };
        let e = b
            .check(|| "layer `c`".into(), 4096)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("layer `c` needs an estimated 4.0 KiB") && e.contains("budget"),
            "{e}"
        );
    }
}
