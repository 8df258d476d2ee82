//! Run compiled layers on the cycle-accurate simulator with seeded random
//! data, and compare the results with the fixed-point CPU reference.
//!
//! # Random data
//!
//! Every layer of a run gets its own data, drawn from a ChaCha8 generator
//! seeded with `--seed` and set to stream = the layer's index in the model
//! (0 for `--layer`), so each layer's data is reproducible on its own and
//! independent of the other layers (layers are not chained: each sees fresh
//! data, which does not change the cycle count, timing being data-independent).
//! With `F` = the configuration's `frac_bits` (values are `word / 2^F`):
//!
//! * inputs: uniform integers in `[-2^F, 2^F)`, i.e. real values in `[-1, 1)`;
//! * weights: uniform integers in `[-a, a]`, `a = max(1, round(2^F * sqrt(3 / fan_in)))`,
//!   `fan_in = ni * ky * kx` (classifier: `ni`), i.e. a real standard
//!   deviation of `1/sqrt(fan_in)` (Kaiming-style);
//! * biases: uniform integers in `[-2^F / 2, 2^F / 2]` (real `[-0.5, 0.5]`).
//!
//! A pre-activation sum then has a standard deviation of about 0.6 whatever
//! the fan-in, far below the 16-bit range (±128 at F = 8), so realistic
//! layers rarely saturate; saturations are counted and always reported.

use arch::events::{Counters, Event};
use arch::AccelConfig;
use firmware::{CompiledNode, FwError, LayerError, LayerSpec, ModelError};
use rand::distributions::{Distribution, Uniform};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sim::{Dram, EnergyReport, EnergyTable, Machine, RunStats, SimError};
use std::io::Write;
use thiserror::Error;

/// Energy table used when none is named.
pub const DEFAULT_ENERGY_TABLE: &str = "horowitz45";

/// Longest run (cycles, measured by a fast run first) that `--vcd` traces
/// without an explicit larger limit: stepped mode and the trace are slow and big.
pub const VCD_MAX_CYCLES: u64 = 200_000;

/// Why a simulation, verification or benchmark run failed.
#[derive(Debug, Error)]
pub enum RunError {
    /// An ONNX file cannot be imported (file, node and op are in the message).
    #[error("{0}")]
    Onnx(Box<onnx_import::OnnxError>),
    /// A `.npy` tensor cannot be read or written.
    #[error(transparent)]
    Npy(#[from] crate::npy::NpyError),
    /// The run's working set exceeds the memory budget ([`crate::budget`]).
    #[error("{what} needs an estimated {} of memory, over the memory budget of {} ({origin})", crate::budget::human_bytes(*need), crate::budget::human_bytes(*budget))]
    Budget {
        /// What was refused (layer, batch).
        what: String,
        /// Estimated peak bytes.
        need: u64,
        /// Budget bytes.
        budget: u64,
        /// Where the budget comes from (`MemAvailable in /proc/meminfo`, the variable).
        origin: String,
    },
    /// A model graph cannot run on data (names the layer, or `input`).
    #[error("layer `{layer}`: {reason}")]
    Graph {
        /// Layer name (or `input`).
        layer: String,
        /// What is wrong.
        reason: String,
    },
    /// `--vcd` on a layer that is several programs.
    #[error("--vcd traces one program; this layer is {pieces} programs (a grouped convolution)")]
    VcdPieces {
        /// Programs of the layer.
        pieces: usize,
    },
    /// Two execution backends disagreed, or one could not run (`verify --backends`).
    #[error("{0}")]
    Backends(String),
    /// Driving an accelerator (`diannao board`) failed.
    #[error("board: {0}")]
    Board(String),
    /// The model could not be loaded (file, line and field are in the message).
    #[error("{0}")]
    Model(ModelError),
    /// The `--layer` description is invalid.
    #[error("invalid layer: {0}")]
    Layer(LayerError),
    /// Neither or both of a model and a layer were given.
    #[error("give exactly one of --model and --layer")]
    Workload,
    /// Batch size 0.
    #[error("batch must be at least 1")]
    ZeroBatch,
    /// The accelerator configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A layer cannot be compiled.
    #[error("{prefix}{error}", prefix = layer_prefix(layer))]
    Compile {
        /// Layer name (empty for `--layer`).
        layer: String,
        /// The code generator's error.
        error: FwError,
    },
    /// The simulator stopped with an error.
    #[error("{prefix}simulator: {error}", prefix = layer_prefix(layer))]
    Sim {
        /// Layer name (empty for `--layer`).
        layer: String,
        /// The simulator's error.
        error: SimError,
    },
    /// The energy table is unknown or invalid.
    #[error("{0}")]
    Energy(SimError),
    /// The VCD file cannot be written.
    #[error("cannot write VCD file {path}: {reason}")]
    Vcd {
        /// The path given.
        path: String,
        /// Why.
        reason: String,
    },
    /// The traced run would be too long for stepped mode.
    #[error("--vcd: the layer runs {cycles} cycles, more than the limit of {limit} for a traced (stepped) run; use a smaller layer or raise --vcd-max-cycles")]
    VcdTooLong {
        /// Cycles of the layer.
        cycles: u64,
        /// The limit.
        limit: u64,
    },
    /// `--vcd` with a model.
    #[error("--vcd traces one layer: use it with --layer, not --model")]
    VcdModel,
    /// Sim and reference disagree, or backends differ or could not run (verify).
    #[error("{failed} of {total} layers FAILED; first: {first}")]
    Mismatch {
        /// Layers that failed.
        failed: usize,
        /// Layers checked.
        total: usize,
        /// The first difference, formatted.
        first: String,
    },
    /// Writing the report failed.
    #[error("cannot write output: {0}")]
    Io(std::io::Error),
    /// A thread pool could not be built (the host baseline in bench, or the
    /// pool that keeps concurrent layers within the memory budget).
    #[error("cannot start a pool of threads: {0}")]
    Threads(String),
}

impl From<ModelError> for RunError {
    fn from(e: ModelError) -> Self {
        RunError::Model(e)
    }
}

impl From<LayerError> for RunError {
    fn from(e: LayerError) -> Self {
        RunError::Layer(e)
    }
}

impl From<std::io::Error> for RunError {
    fn from(e: std::io::Error) -> Self {
        RunError::Io(e)
    }
}

fn layer_prefix(layer: &str) -> String {
    if layer.is_empty() {
        String::new()
    } else {
        format!("layer {layer}: ")
    }
}

/// The layers to run: a built-in or file model, or one `--layer` spec.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Model name, or `layer` for a single `--layer`.
    pub name: String,
    /// True for a model (progress bars, layer names in errors).
    pub is_model: bool,
    /// (name, layer) in order.
    pub layers: Vec<(String, LayerSpec)>,
}

impl Workload {
    /// Refuse the workload at `batch` if a layer's estimated working set
    /// exceeds the process's memory budget ([`crate::budget`]), before
    /// anything is compiled or allocated.
    pub fn check_budget(&self, cfg: &AccelConfig, batch: u32) -> Result<(), RunError> {
        let budget = crate::budget::Budget::from_env()?;
        crate::budget::check_layers(
            cfg,
            self.layers.iter().map(|(n, l)| (n.as_str(), l)),
            batch,
            &budget,
        )
    }

    /// Resolve `--model M` (built-in name or file) or `--layer SPEC`.
    pub fn resolve(model: Option<&str>, layer: Option<&str>) -> Result<Self, RunError> {
        match (model, layer) {
            (Some(m), None) => {
                let m = crate::models::load_model(m)?;
                Ok(Workload {
                    name: m.name,
                    is_model: true,
                    layers: m.layers.into_iter().map(|l| (l.name, l.spec)).collect(),
                })
            }
            (None, Some(l)) => {
                let spec: LayerSpec = l.parse()?;
                Ok(Workload {
                    name: "layer".into(),
                    is_model: false,
                    layers: vec![("layer".into(), spec)],
                })
            }
            _ => Err(RunError::Workload),
        }
    }

    /// The name used in error messages for layer `i` (empty for `--layer`).
    pub fn err_name(&self, i: usize) -> String {
        if self.is_model {
            self.layers[i].0.clone()
        } else {
            String::new()
        }
    }
}

/// Check a batch size.
pub fn check_batch(batch: u32) -> Result<(), RunError> {
    if batch == 0 {
        Err(RunError::ZeroBatch)
    } else {
        Ok(())
    }
}

/// A built-in energy table by name ([`sim::energy::TABLE_NAMES`]), or a
/// table file (`*.toml`, the format of `sim/energy/`).
pub fn energy_table(name: &str) -> Result<EnergyTable, RunError> {
    if name.ends_with(".toml") && std::path::Path::new(name).is_file() {
        let text = std::fs::read_to_string(name).map_err(|e| {
            RunError::Energy(SimError::EnergyTable {
                name: name.into(),
                reason: e.to_string(),
            })
        })?;
        return EnergyTable::from_toml_str(&text, name).map_err(RunError::Energy);
    }
    EnergyTable::named(name).map_err(RunError::Energy)
}

/// The logical tensors of one layer run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerData {
    /// `[batch][ni][ny][nx]` (classifier `[batch][ni]`).
    pub input: Vec<i16>,
    /// `[no][ni][ky][kx]` (classifier `[no][ni]`; empty for pooling).
    pub weights: Vec<i16>,
    /// `[no]`, empty if the layer has no bias.
    pub bias: Vec<i16>,
}

/// Seeded random data for `layer` (see the module documentation for the
/// distribution); `stream` separates the layers of one run.
pub fn random_data(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    seed: u64,
    stream: u64,
) -> LayerData {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let one: i32 = 1i32 << cfg.frac_bits.min(15);
    let clamp = |v: i32| v.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
    let ui = Uniform::new(-one, one);
    let input = (0..layer.input_len() * batch as u64)
        .map(|_| clamp(ui.sample(&mut rng)))
        .collect();
    let fan_in = match layer {
        LayerSpec::Conv(c) => c.ni as u64 * c.ky as u64 * c.kx as u64,
        LayerSpec::Classifier(c) => c.ni as u64,
        LayerSpec::Pool(_) | LayerSpec::Eltwise(_) => 1,
    };
    let a = ((one as f64 * (3.0 / fan_in as f64).sqrt()).round() as i32).clamp(1, i16::MAX as i32);
    let uw = Uniform::new_inclusive(-a, a);
    let weights = (0..layer.weight_len())
        .map(|_| clamp(uw.sample(&mut rng)))
        .collect();
    let half = (one / 2).max(1);
    let ub = Uniform::new_inclusive(-half, half);
    let bias = (0..layer.bias_len())
        .map(|_| clamp(ub.sample(&mut rng)))
        .collect();
    LayerData {
        input,
        weights,
        bias,
    }
}

/// Figures of one simulated layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerFigures {
    /// Cycles from start to halt (instruction fetch included).
    pub cycles: u64,
    /// Useful multiply-accumulates of the batch (pooling: window operations).
    pub useful_macs: u64,
    /// [`utilisation`]: conv/classifier `useful_macs / (Tn * Tn * cycles)`,
    /// pooling `useful_macs / (Tn * cycles)`, 0..1.
    pub utilisation: f64,
    /// Bytes read from DRAM (data and instruction loads).
    pub dram_read_bytes: u64,
    /// Bytes written to DRAM.
    pub dram_write_bytes: u64,
    /// Energy per unit and total, pJ.
    pub energy: EnergyReport,
    /// Time at the configuration's clock, seconds.
    pub seconds: f64,
    /// Output values that saturated (conversion or NFU-3), from the simulator's counter.
    pub saturations: u64,
    /// Program length (instructions).
    pub instructions: usize,
    /// Cycles predicted by the tiler (0 where nothing was predicted).
    pub predicted_cycles: u64,
}

/// What a run (or a sum of runs) did, from which [`LayerFigures`] derive.
#[derive(Clone, Copy, Debug)]
pub struct Work<'a> {
    /// Cycles from start to halt.
    pub cycles: u64,
    /// Useful multiply-accumulates (pooling: window operations).
    pub useful_macs: u64,
    /// The event counters of the run.
    pub counters: &'a Counters,
    /// Instructions run.
    pub instructions: usize,
    /// Cycles the tiler predicted (0 where nothing was predicted, e.g. a
    /// training step, which sums many programs).
    pub predicted_cycles: u64,
}

impl LayerFigures {
    /// The figures of a finished run of a compiled layer.
    pub fn new(
        cfg: &AccelConfig,
        spec: &LayerSpec,
        compiled: &CompiledNode,
        stats: &RunStats,
        table: &EnergyTable,
    ) -> Self {
        Self::of(
            cfg,
            spec,
            &Work {
                cycles: stats.cycles,
                useful_macs: compiled.useful_macs,
                counters: &stats.counters,
                instructions: compiled.pieces.iter().map(|p| p.instructions().len()).sum(),
                predicted_cycles: compiled.pieces.iter().map(|p| p.predicted_cycles()).sum(),
            },
            sim::energy(table, &stats.counters, cfg),
        )
    }

    /// THE per-layer figures of `work` on `spec` with `energy` (the
    /// energy of its counters, or the sum of its programs' energies): every
    /// report builds its per-layer figures here.
    pub fn of(cfg: &AccelConfig, spec: &LayerSpec, work: &Work, energy: EnergyReport) -> Self {
        let c = work.counters;
        LayerFigures {
            cycles: work.cycles,
            useful_macs: work.useful_macs,
            utilisation: utilisation(cfg, spec, work.useful_macs, work.cycles),
            dram_read_bytes: c.get(Event::DramReadBytes),
            dram_write_bytes: c.get(Event::DramWriteBytes),
            energy,
            seconds: work.cycles as f64 * cfg.seconds_per_cycle(),
            saturations: c.get(Event::Saturations),
            instructions: work.instructions,
            predicted_cycles: work.predicted_cycles,
        }
    }
}

/// Peak useful operations per cycle of the NFU on a layer of this kind:
/// convolution and classifier `Tn * Tn` MACs (NFU-1's multipliers; a
/// depthwise convolution therefore reaches at most 1/Tn of it, one lane of
/// each output's adder tree); pooling `Tn` window operations (NFU-2's Tn
/// max/sum units each take one NBin element per cycle:
/// docs/microarchitecture.md, "max step"); element-wise `Tn` outputs.
pub fn peak_useful_per_cycle(cfg: &AccelConfig, spec: &LayerSpec) -> u64 {
    match spec {
        LayerSpec::Pool(_) | LayerSpec::Eltwise(_) => cfg.tn as u64,
        LayerSpec::Conv(_) | LayerSpec::Classifier(_) => cfg.peak_macs_per_cycle(),
    }
}

/// THE utilisation of one layer: `useful / (peak * cycles)`, 0..1, where
/// `useful` is the layer's useful MACs (pooling: window operations) and
/// `peak` is [`peak_useful_per_cycle`]: conv and classifier
/// `MACs / (Tn * Tn * cycles)`, pooling `window ops / (Tn * cycles)`.
/// 0 for 0 cycles. Every report (simulate, compare, sweep, bench, the
/// training cost) uses this function.
pub fn utilisation(cfg: &AccelConfig, spec: &LayerSpec, useful: u64, cycles: u64) -> f64 {
    if cycles == 0 {
        0.0
    } else {
        useful as f64 / (peak_useful_per_cycle(cfg, spec) as f64 * cycles as f64)
    }
}

/// THE roofline bound of one layer's run, in cycles: the larger of its
/// compute bound, `useful / peak` ([`peak_useful_per_cycle`], rounded up:
/// the cycles the NFU needs at full rate) and its memory bound, the memory
/// port's busy cycles for the run's DRAM traffic (the `port_busy` counter:
/// every beat of every data row and instruction fetched or stored, so the
/// bound of this program's traffic, not of the least traffic any tiling
/// could have).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Roofline {
    /// Compute bound, cycles.
    pub compute_cycles: u64,
    /// Memory bound, cycles (`port_busy`).
    pub memory_cycles: u64,
    /// The larger of the two, cycles.
    pub bound_cycles: u64,
    /// `bound_cycles / cycles` (1 = on the roofline; 0 for 0 cycles).
    pub of_bound: f64,
}

/// [`Roofline`] of a run of `spec` that took `cycles` with `port_busy`
/// busy port cycles and `useful` useful operations.
pub fn roofline(
    cfg: &AccelConfig,
    spec: &LayerSpec,
    useful: u64,
    port_busy: u64,
    cycles: u64,
) -> Roofline {
    let compute_cycles = useful.div_ceil(peak_useful_per_cycle(cfg, spec));
    let bound_cycles = compute_cycles.max(port_busy);
    Roofline {
        compute_cycles,
        memory_cycles: port_busy,
        bound_cycles,
        of_bound: if cycles == 0 {
            0.0
        } else {
            bound_cycles as f64 / cycles as f64
        },
    }
}

/// THE utilisation of a sequence of layers run one after another: the
/// convolution and classifier MACs over `Tn * Tn` times all cycles
/// (pooling and element-wise layers add their cycles but no MACs). `layers` yields
/// `(layer, useful, cycles)`. 0 for 0 cycles.
pub fn total_utilisation<'a>(
    cfg: &AccelConfig,
    layers: impl IntoIterator<Item = (&'a LayerSpec, u64, u64)>,
) -> f64 {
    let (mut macs, mut cycles) = (0u64, 0u64);
    for (spec, useful, c) in layers {
        cycles += c;
        if !matches!(spec, LayerSpec::Pool(_) | LayerSpec::Eltwise(_)) {
            macs += useful;
        }
    }
    if cycles == 0 {
        0.0
    } else {
        macs as f64 / (cfg.peak_macs_per_cycle() as f64 * cycles as f64)
    }
}

/// Run `program` on a fresh machine of `cfg` over `dram` (every program of
/// every report and of the training cost model starts here, so that a
/// machine is built one way); `vcd` traces the run (stepped mode).
pub fn execute(
    cfg: &AccelConfig,
    program: &[arch::isa::Instruction],
    dram: &mut Dram,
    vcd: Option<Box<dyn Write + Send>>,
) -> Result<RunStats, SimError> {
    execute_seeded(cfg, program, dram, cfg.lfsr_seed, vcd)
}

/// [`execute`] with the run's stochastic-rounding seed `seed` (lane n's
/// LFSR starts at `Lfsr::lane_seed(seed, n)`; [`execute`] uses the
/// preset's `lfsr_seed`).
pub fn execute_seeded(
    cfg: &AccelConfig,
    program: &[arch::isa::Instruction],
    dram: &mut Dram,
    seed: u32,
    vcd: Option<Box<dyn Write + Send>>,
) -> Result<RunStats, SimError> {
    let mut m = Machine::new(cfg.clone())?;
    m.set_seed(seed);
    if vcd.is_some() {
        m.set_vcd(vcd);
    }
    m.run(program, dram)
}

/// [`execute`] of a program encoded once ([`sim::Encoded`]): the same
/// cycles, counters and DRAM, without encoding it again.
pub fn execute_encoded(
    cfg: &AccelConfig,
    program: &sim::Encoded,
    dram: &mut Dram,
) -> Result<RunStats, SimError> {
    let mut m = Machine::new(cfg.clone())?;
    m.set_seed(cfg.lfsr_seed);
    m.run_encoded(program, dram)
}

/// [`execute`] of a program the caller gives up: it is encoded into `dram`
/// and freed before the run starts, so a long program (a GoogLeNet layer at
/// batch 64 is a million instructions, 173 MB as [`arch::isa::Instruction`]s)
/// is held only as its DRAM words while it runs. Same cycles and counters
/// as [`execute`].
pub fn execute_owned(
    cfg: &AccelConfig,
    program: Vec<arch::isa::Instruction>,
    dram: &mut Dram,
) -> Result<RunStats, SimError> {
    let mut m = Machine::new(cfg.clone())?;
    let base = m.load_instructions(&program, dram)?;
    let len = program.len();
    drop(program);
    m.run_at(base, len, dram)
}

/// A simulated layer: its figures, raw statistics and outputs.
#[derive(Clone, Debug)]
pub struct LayerRun {
    /// Derived figures.
    pub figures: LayerFigures,
    /// The simulator's statistics (cycles and every counter).
    pub stats: RunStats,
    /// Outputs `[batch][no][oy][ox]` (classifier `[batch][no]`).
    pub output: Vec<i16>,
}

/// Compile `layer` for `cfg` into its programs ([`firmware::compile_node`]:
/// default options, truncating rounding, chosen tiles).
pub fn compile(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    name: &str,
) -> Result<CompiledNode, RunError> {
    firmware::compile_node(cfg, layer, batch).map_err(|source| RunError::Compile {
        layer: name.into(),
        error: source,
    })
}

/// A DRAM of the configuration's size holding piece `piece`'s image of the
/// layer's tensors.
pub fn load_dram(
    cfg: &AccelConfig,
    compiled: &CompiledNode,
    piece: usize,
    data: &LayerData,
    name: &str,
) -> Result<Dram, RunError> {
    let cerr = |source| RunError::Compile {
        layer: name.into(),
        error: source,
    };
    let serr = |source| RunError::Sim {
        layer: name.into(),
        error: source,
    };
    let mut dram = Dram::new(cfg.dram.size_bytes);
    let chunks = compiled.pieces[piece]
        .pack(
            &compiled.spec,
            compiled.batch,
            &data.input,
            &data.weights,
            &data.bias,
        )
        .map_err(cerr)?;
    for (a, bytes) in chunks {
        dram.write(a, &bytes).map_err(serr)?;
    }
    Ok(dram)
}

/// Read piece `piece`'s outputs back from DRAM into the layer's output
/// tensor `out` (`[batch][no][oy][ox]`).
pub fn read_output(
    compiled: &CompiledNode,
    piece: usize,
    dram: &Dram,
    name: &str,
    out: &mut [i16],
) -> Result<(), RunError> {
    let mut err = None;
    compiled.pieces[piece].unpack_into(
        &compiled.spec,
        compiled.batch,
        |a, buf| {
            if let Err(e) = dram.read(a, buf) {
                err.get_or_insert(e);
            }
        },
        out,
    );
    match err {
        Some(source) => Err(RunError::Sim {
            layer: name.into(),
            error: source,
        }),
        None => Ok(()),
    }
}

/// Run a compiled layer's programs one after another, each on a fresh
/// machine with its DRAM image of `data`; cycles and counters add up.
/// `vcd` traces the run (stepped mode; a layer of one program only).
/// `name` labels errors (empty for a single layer).
pub fn run_compiled(
    cfg: &AccelConfig,
    spec: &LayerSpec,
    compiled: &CompiledNode,
    data: &LayerData,
    table: &EnergyTable,
    mut vcd: Option<Box<dyn Write + Send>>,
    name: &str,
) -> Result<LayerRun, RunError> {
    if vcd.is_some() && compiled.pieces.len() > 1 {
        return Err(RunError::VcdPieces {
            pieces: compiled.pieces.len(),
        });
    }
    let serr = |source| RunError::Sim {
        layer: name.into(),
        error: source,
    };
    let mut output = vec![0i16; (spec.output_len() * compiled.batch as u64) as usize];
    let mut stats = RunStats::default();
    for (i, p) in compiled.pieces.iter().enumerate() {
        let mut dram = load_dram(cfg, compiled, i, data, name)?;
        let st = execute(cfg, p.instructions(), &mut dram, vcd.take()).map_err(serr)?;
        read_output(compiled, i, &dram, name, &mut output)?;
        stats.add(&st);
    }
    Ok(LayerRun {
        figures: LayerFigures::new(cfg, spec, compiled, &stats, table),
        stats,
        output,
    })
}

/// The fixed-point reference's outputs and saturation count for `data`,
/// with the rounding [`compile`] uses.
pub fn reference(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    data: &LayerData,
    name: &str,
) -> Result<firmware::reference::RefOutput, RunError> {
    let round = firmware::CompileOptions::default().round;
    firmware::reference::forward(
        layer,
        batch,
        &data.input,
        &data.weights,
        &data.bias,
        cfg.frac_bits,
        round,
    )
    .map_err(|source| RunError::Compile {
        layer: name.into(),
        error: source,
    })
}

/// The first element where two output tensors differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// Image in the batch.
    pub batch: u32,
    /// Output map.
    pub map: u32,
    /// Output row (0 for a classifier).
    pub y: u32,
    /// Output column (0 for a classifier).
    pub x: u32,
    /// Reference value.
    pub expected: i16,
    /// Simulator value.
    pub got: i16,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "batch {} map {} y {} x {}: expected {} got {}",
            self.batch, self.map, self.y, self.x, self.expected, self.got
        )
    }
}

/// Compare `got` with `expected` (both `[batch][no][oy][ox]` of `layer`);
/// the first differing element, or `None` if they are equal. Tensors of
/// different lengths differ at the first index past the shorter one (value 0 there).
pub fn first_mismatch(layer: &LayerSpec, expected: &[i16], got: &[i16]) -> Option<Mismatch> {
    let n = expected.len().max(got.len());
    let i = (0..n).find(|&i| expected.get(i) != got.get(i))?;
    let (no, oy, ox) = layer.output_shape();
    let (no, oy, ox) = (no as usize, oy as usize, ox as usize);
    let per = (no * oy * ox).max(1);
    Some(Mismatch {
        batch: (i / per) as u32,
        map: (i % per / (oy * ox).max(1)) as u32,
        y: (i % (oy * ox).max(1) / ox.max(1)) as u32,
        x: (i % ox.max(1)) as u32,
        expected: expected.get(i).copied().unwrap_or(0),
        got: got.get(i).copied().unwrap_or(0),
    })
}

/// Sum of counters (for totals).
pub fn sum_counters<'a>(it: impl IntoIterator<Item = &'a Counters>) -> Counters {
    let mut t = Counters::new();
    for c in it {
        t.merge(c);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_indexes_batch_map_y_x() {
        let l: LayerSpec = "conv:nx=4,ny=3,k=1,ni=1,no=2".parse().unwrap();
        // output [b][2][3][4]
        let a = vec![0i16; 2 * 2 * 3 * 4];
        let mut b = a.clone();
        assert_eq!(first_mismatch(&l, &a, &b), None);
        let i = 24 + 12 + 2 * 4 + 1; // batch 1, map 1, y 2, x 1
        b[i] = 7;
        assert_eq!(
            first_mismatch(&l, &a, &b),
            Some(Mismatch {
                batch: 1,
                map: 1,
                y: 2,
                x: 1,
                expected: 0,
                got: 7
            })
        );
        assert_eq!(first_mismatch(&l, &a, &a[..10]).unwrap().x, 2);
    }

    #[test]
    fn data_is_seeded_and_small() {
        let cfg = AccelConfig::tiny();
        let l: LayerSpec = "conv:nx=8,ny=8,k=3,ni=4,no=5".parse().unwrap();
        let d = random_data(&cfg, &l, 2, 7, 0);
        assert_eq!(d, random_data(&cfg, &l, 2, 7, 0));
        assert_ne!(d, random_data(&cfg, &l, 2, 7, 1));
        assert_eq!(d.input.len(), 2 * 4 * 8 * 8);
        assert_eq!(d.bias.len(), 5);
        assert!(d.input.iter().all(|&v| (-256..256).contains(&v)));
        // a = round(256 * sqrt(3/36)) = 74
        assert!(d.weights.iter().all(|&v| (-74..=74).contains(&v)));
        assert!(d.weights.iter().any(|&v| v.abs() > 50));
    }
}
