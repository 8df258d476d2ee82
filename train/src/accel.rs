//! The accelerator engine: every multiply-add of training (forward,
//! backward, SGD-with-momentum update) runs as an instruction program on the
//! cycle-accurate simulator, or on the emitted Verilog under Verilator.
//!
//! The host only moves 16-bit words between programs: it packs and unpacks
//! tensors, transposes synapses, flips kernels, upsamples pooled maps and
//! builds im2col matrices (copies, no arithmetic). See docs/training.md.
//!
//! Fixed point: data words with `frac_bits` = F fraction bits; products exact,
//! accumulators 32-bit. The loss gradient enters scaled by S = 2^`grad_scale_log2`;
//! the velocity is kept scaled (`V_s = S V`), so the update is
//! `V_s <- mu V_s - lr dW_s; W <- W + V_s / S`, both with stochastic rounding.

use super::engine::{AccelTotals, Engine, EngineError, EngineState, Hyper, StepInfo, Tensor};
use super::net::Net;
use super::schedule::{self, ProgramSpec, Role, TrainProgram, UpdateWords};
use arch::activation::Activation;
use arch::events::{Counters, Event};
use arch::fixed::{from_f64, Rounding};
use arch::isa::Instruction;
use arch::AccelConfig;
use firmware::{
    compile_ew, compile_with, CompileOptions, CompiledEw, CompiledLayer, ConvSpec, EwSpec,
    LayerSpec, PoolKind, PoolSpec,
};
use sim::{Dram, Encoded, EnergyTable, Machine};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Where the programs run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccelBackend {
    /// The cycle-accurate simulator, one machine for the whole run (its
    /// buffers persist from program to program; its LFSRs start every
    /// program from that program's seed, [`program_seed`]).
    Sim,
    /// The simulator, a machine from reset for every program, as the RTL
    /// backend runs them (the same results as [`AccelBackend::Sim`]: no
    /// program reads a buffer row it did not write).
    SimReset,
    /// The emitted Verilog under Verilator, from reset for every program.
    Verilator,
}

impl AccelBackend {
    /// Engine name.
    pub fn name(self) -> &'static str {
        match self {
            AccelBackend::Sim => "sim",
            AccelBackend::SimReset => "sim-reset",
            AccelBackend::Verilator => "rtl",
        }
    }
}

/// The stochastic-rounding seed of program `k` (counted from 0 over the
/// whole run, checkpoints included) of a run whose seed is `run_seed`: the
/// k-th output of SplitMix64 seeded with `run_seed`, high 32 bits. Every
/// backend starts program k's LFSRs at `Lfsr::lane_seed(program_seed(..),
/// n)` (docs/microarchitecture.md, NFU-3), so the rounding bits differ from
/// program to program and the same run gives the same bits on each.
pub fn program_seed(run_seed: u64, k: u64) -> u32 {
    let mut z = run_seed.wrapping_add(k.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 32) as u32
}

/// How to build an [`AccelEngine`].
#[derive(Clone, Debug)]
pub struct AccelOptions {
    /// Machine configuration (preset, with the training data format).
    pub cfg: AccelConfig,
    /// Where programs run.
    pub backend: AccelBackend,
    /// log2 of the loss-gradient scale S (at most `frac_bits`).
    pub grad_scale_log2: u32,
    /// Seed of the initial weights and of the programs' stochastic
    /// rounding ([`program_seed`]).
    pub seed: u64,
    /// Energy table for the accelerator's energy.
    pub energy: EnergyTable,
}

/// Parameters of one layer in the data format: weights, bias and their
/// (scaled) velocities, logical order.
#[derive(Clone, Debug, PartialEq)]
struct Params {
    w: Vec<i16>,
    b: Vec<i16>,
    vw: Vec<i16>,
    vb: Vec<i16>,
}

/// The accelerator engine.
pub struct AccelEngine {
    net: Net,
    opts: AccelOptions,
    machine: Machine,
    params: Vec<Option<Params>>,
    /// Compiled layer programs, each with its encoding (encoded once: a
    /// run writes the cached bytes into DRAM instead of encoding again).
    layers: HashMap<(LayerSpec, u32, Rounding), Arc<(CompiledLayer, Encoded)>>,
    /// Compiled element-wise programs, with their encodings.
    ews: HashMap<String, Arc<(CompiledEw, Encoded)>>,
    /// Forward tensors of the last batch: input, then every layer's output.
    acts: Vec<Vec<i16>>,
    /// Pre-activations Z of the last batch's sigmoid and tanh layers (their
    /// derivative tables read Z), `None` for other layers.
    pre: Vec<Option<Vec<i16>>>,
    batch: usize,
    totals: AccelTotals,
    step_sat: u64,
    step_values: u64,
    /// A worker of [`Engine::forward_batches`]: the counters of its
    /// programs, in order, for the engine that spawned it to add up.
    log: Option<Vec<Counters>>,
    /// During a backward pass: the counters of the programs run so far,
    /// each with its program number, added up in that order when the pass
    /// ends (weight gradients finish out of order: [`AccelEngine::grad_pair`]).
    deferred: Option<Vec<(u64, Counters)>>,
}

/// Where a weight-gradient program started by [`AccelEngine::grad_pair`]
/// leaves its output and, when it ran on another thread, its program
/// number and counters.
type GradSlot = std::sync::Mutex<Option<Result<(Vec<i16>, Option<(u64, Counters)>), EngineError>>>;

fn run_err(step: &str, backend: AccelBackend, e: impl std::fmt::Display) -> EngineError {
    EngineError::Run {
        step: step.into(),
        backend: backend.name().into(),
        message: e.to_string(),
    }
}

/// Unpack a program's output from `dram` with `unpack`, reporting the first
/// DRAM read error against `step`.
fn read_back(
    dram: &Dram,
    step: &str,
    backend: AccelBackend,
    unpack: impl FnOnce(&mut dyn FnMut(u64, &mut [u8])) -> Vec<i16>,
) -> Result<Vec<i16>, EngineError> {
    let mut err = None;
    let out = unpack(&mut |a, buf| {
        if let Err(e) = dram.read(a, buf) {
            err.get_or_insert(e);
        }
    });
    match err {
        Some(e) => Err(run_err(step, backend, e)),
        None => Ok(out),
    }
}

/// One program run: what [`run_job`] needs.
struct Job<'a> {
    step: &'a str,
    program: &'a [Instruction],
    encoded: &'a Encoded,
    writes: Vec<(u64, Vec<u8>)>,
    extent: u64,
    seed: u32,
}

/// Run `job.program` on a DRAM holding `job.writes` with LFSR seed
/// `job.seed`, on `machine` (the engine's persistent simulator) or, when
/// `None` or on another backend, a machine from reset; returns the DRAM
/// after the run and the run's counters. `extent` bounds the bytes the
/// program touches (it sizes the Verilator DRAM model).
fn run_job(
    opts: &AccelOptions,
    machine: Option<&mut Machine>,
    job: Job<'_>,
) -> Result<(Dram, Counters), EngineError> {
    let Job {
        step,
        program,
        encoded,
        writes,
        extent,
        seed,
    } = job;
    let be = opts.backend;
    let cfg = &opts.cfg;
    let mut dram = Dram::new(cfg.dram.size_bytes);
    for (a, bytes) in &writes {
        dram.write(*a, bytes).map_err(|e| run_err(step, be, e))?;
    }
    let counters: Counters = match (be, machine) {
        (AccelBackend::Sim, Some(m)) => {
            m.set_seed(seed);
            m.run_encoded(encoded, &mut dram)
                .map_err(|e| run_err(step, be, e))?
                .counters
        }
        (AccelBackend::Sim | AccelBackend::SimReset, _) => {
            let mut m = Machine::new(cfg.clone()).map_err(|e| run_err(step, be, e))?;
            m.set_seed(seed);
            m.run_encoded(encoded, &mut dram)
                .map_err(|e| run_err(step, be, e))?
                .counters
        }
        (AccelBackend::Verilator, _) => {
            use backends::{Backend, Status, Vector, VerilatorBackend};
            let words = program
                .iter()
                .map(|i| i.encode())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| run_err(step, be, e))?;
            let v = Vector {
                name: step.to_string(),
                cfg: cfg.clone(),
                program: words,
                prog_base: None,
                seed,
                image: writes,
                window: (0, extent),
            };
            let out = VerilatorBackend::default()
                .run(&v)
                .map_err(|e| run_err(step, be, e))?;
            if out.status != Status::Done {
                return Err(run_err(step, be, format!("halted with {:?}", out.status)));
            }
            dram = Dram::new(cfg.dram.size_bytes);
            for (a, page) in out.dram.pages() {
                dram.write(a, page).map_err(|e| run_err(step, be, e))?;
            }
            // the fetched program is in the image: drop it, as `Machine::run` does
            dram.zero(
                v.program_base(),
                v.program.len() * arch::isa::fields::INSTR_BYTES,
            )
            .map_err(|e| run_err(step, be, e))?;
            // the hardware's own event counters (hdl/src/counters.rs):
            // energy and saturations as the simulator reports them
            let c = out.counters.ok_or_else(|| {
                run_err(step, be, "the Verilator backend returned no event counters")
            })?;
            if c.get(Event::Cycles) != out.cycles {
                return Err(run_err(
                    step,
                    be,
                    format!(
                        "cycle counter {} differs from the cycles to halt {}",
                        c.get(Event::Cycles),
                        out.cycles
                    ),
                ));
            }
            c
        }
    };
    Ok((dram, counters))
}

fn comp_err(step: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Compile {
        step: step.into(),
        message: e.to_string(),
    }
}

impl AccelEngine {
    /// An engine for `net` with weights drawn from `opts.seed` (He-uniform,
    /// the same f32 values as the CPU engine, rounded to the data format).
    pub fn new(net: Net, opts: AccelOptions) -> Result<Self, EngineError> {
        net.validate().map_err(EngineError::State)?;
        opts.cfg
            .validate()
            .map_err(|e| EngineError::State(format!("configuration: {e}")))?;
        if opts.grad_scale_log2 > opts.cfg.frac_bits {
            return Err(EngineError::State(format!(
                "grad scale 2^{} exceeds 2^frac_bits = 2^{}",
                opts.grad_scale_log2, opts.cfg.frac_bits
            )));
        }
        let f = opts.cfg.frac_bits;
        let q = |v: &[f32]| v.iter().map(|x| from_f64(*x as f64, f)).collect::<Vec<_>>();
        let params = net
            .init(opts.seed)
            .into_iter()
            .enumerate()
            .map(|(i, (w, b))| {
                net.param_lens(i).map(|_| Params {
                    vw: vec![0; w.len()],
                    vb: vec![0; b.len()],
                    w: q(&w),
                    b: q(&b),
                })
            })
            .collect();
        let machine =
            Machine::new(opts.cfg.clone()).map_err(|e| EngineError::State(e.to_string()))?;
        Ok(AccelEngine {
            net,
            opts,
            machine,
            params,
            layers: HashMap::new(),
            ews: HashMap::new(),
            acts: Vec::new(),
            pre: Vec::new(),
            batch: 0,
            totals: AccelTotals::default(),
            step_sat: 0,
            step_values: 0,
            log: None,
            deferred: None,
        })
    }

    /// The machine configuration.
    pub fn config(&self) -> &AccelConfig {
        &self.opts.cfg
    }

    /// Programs one forward pass of `batch` images runs: every layer's
    /// forward programs (pieces of a grouped convolution included) and its
    /// separate activation program, as [`Engine::forward`] runs them.
    fn forward_programs(&self, batch: usize) -> Result<u64, EngineError> {
        let nominal = UpdateWords::nominal(&self.opts.cfg);
        let mut n = 0u64;
        for i in 0..self.net.layers.len() {
            n += self
                .schedule(i, batch, &nominal)?
                .iter()
                .filter(|p| matches!(p.role, Role::Forward | Role::ForwardActivation))
                .count() as u64;
        }
        Ok(n)
    }

    /// A copy of this engine for forward passes on another thread: the
    /// same net, options, parameters and compiled programs, a machine from
    /// reset, its program count at `programs` (so its programs get the
    /// seeds they get run in turn), and its counters logged, not added.
    fn worker(&self, programs: u64) -> Result<AccelEngine, EngineError> {
        Ok(AccelEngine {
            net: self.net.clone(),
            opts: self.opts.clone(),
            machine: Machine::new(self.opts.cfg.clone())
                .map_err(|e| EngineError::State(e.to_string()))?,
            params: self.params.clone(),
            layers: self.layers.clone(),
            ews: self.ews.clone(),
            acts: Vec::new(),
            pre: Vec::new(),
            batch: 0,
            totals: AccelTotals {
                programs,
                ..AccelTotals::default()
            },
            step_sat: 0,
            step_values: 0,
            log: Some(Vec::new()),
            deferred: None,
        })
    }

    fn one(&self) -> i16 {
        1i16 << self.opts.cfg.frac_bits
    }

    fn fingerprint(&self) -> String {
        format!(
            "net={} layers={:?} input={:?} preset={} tn={} frac={} gs={} backend={} lfsr=per-program-seed",
            self.net.name,
            self.net.layers,
            self.net.input,
            self.opts.cfg.name,
            self.opts.cfg.tn,
            self.opts.cfg.frac_bits,
            self.opts.grad_scale_log2,
            self.opts.backend.name()
        )
    }

    /// Run `program` on a DRAM holding `writes`; returns the DRAM after the
    /// run. `extent` bounds the bytes the program touches (it sizes the
    /// Verilator DRAM model).
    fn exec(
        &mut self,
        step: &str,
        program: &[Instruction],
        encoded: &Encoded,
        writes: Vec<(u64, Vec<u8>)>,
        extent: u64,
    ) -> Result<Dram, EngineError> {
        let seed = program_seed(self.opts.seed, self.totals.programs);
        let job = Job {
            step,
            program,
            encoded,
            writes,
            extent,
            seed,
        };
        let (dram, counters) = run_job(&self.opts, Some(&mut self.machine), job)?;
        self.account(&counters);
        Ok(dram)
    }

    /// Add one program's counters to the run's totals and the step's
    /// saturation figures (programs in the order their seeds were given).
    fn account(&mut self, counters: &Counters) {
        if let Some(log) = &mut self.log {
            log.push(counters.clone());
            self.totals.programs += 1;
            return;
        }
        if let Some(d) = &mut self.deferred {
            d.push((self.totals.programs, counters.clone()));
            self.totals.programs += 1;
            return;
        }
        self.add_counters(counters);
        self.totals.programs += 1;
    }

    /// Add the counters `d` holds in the order of their program numbers.
    fn add_deferred(&mut self, mut d: Vec<(u64, Counters)>) {
        d.sort_by_key(|(k, _)| *k);
        for (_, c) in &d {
            self.add_counters(c);
        }
    }

    /// Add one program's counters to the totals and the step's saturation
    /// figures (not its program count).
    fn add_counters(&mut self, counters: &Counters) {
        let cfg = &self.opts.cfg;
        let cycles = counters.get(Event::Cycles);
        self.totals.cycles += cycles;
        self.totals.seconds += cycles as f64 / (cfg.clock_mhz * 1e6);
        self.totals.energy_j += sim::energy(&self.opts.energy, counters, cfg).total_pj * 1e-12;
        self.totals.saturations += counters.get(Event::Saturations);
        self.totals.macs += counters.get(Event::Macs);
        self.step_sat += counters.get(Event::Saturations);
        self.step_values += counters.get(Event::Nfu3Ops);
    }

    /// Run one layer program: `input` logical, `params` (weights, bias) logical.
    fn layer(
        &mut self,
        step: &str,
        spec: LayerSpec,
        batch: usize,
        round: Rounding,
        input: &[i16],
        params: Option<(&[i16], &[i16])>,
    ) -> Result<Vec<i16>, EngineError> {
        let (entry, writes) = self.prepare(step, spec, batch, round, input, params)?;
        let (c, enc) = &*entry;
        let extent = c.layout.total_bytes();
        let dram = self.exec(step, &c.program, enc, writes, extent)?;
        read_back(&dram, step, self.opts.backend, |r| {
            c.layout.unpack_output(r)
        })
    }

    /// The compiled program of a layer (compiled and encoded on first
    /// use) and the DRAM writes of its `input` and `params`.
    #[allow(clippy::type_complexity)]
    fn prepare(
        &mut self,
        step: &str,
        spec: LayerSpec,
        batch: usize,
        round: Rounding,
        input: &[i16],
        params: Option<(&[i16], &[i16])>,
    ) -> Result<(Arc<(CompiledLayer, Encoded)>, Vec<(u64, Vec<u8>)>), EngineError> {
        let key = (spec, batch as u32, round);
        if !self.layers.contains_key(&key) {
            let opts = CompileOptions { round, plan: None };
            let c = compile_with(&self.opts.cfg, &spec, batch as u32, &opts)
                .map_err(|e| comp_err(step, e))?;
            let enc = Encoded::new(&self.opts.cfg, &c.program).map_err(|e| comp_err(step, e))?;
            self.layers.insert(key, Arc::new((c, enc)));
        }
        let entry = Arc::clone(&self.layers[&key]);
        let c = &entry.0;
        let mut writes = c.layout.pack_input(input).map_err(|e| comp_err(step, e))?;
        if let Some((w, b)) = params {
            writes.extend(c.layout.pack_params(w, b).map_err(|e| comp_err(step, e))?);
        }
        Ok((entry, writes))
    }

    /// A layer's weight gradient `w` and input gradient `x` (each: the
    /// program, its step name, its input and its weights), independent
    /// programs. On the simulator backends `w` starts on the pool within
    /// `sc`, on a machine from reset with the program number (and so the
    /// seed) it has when the programs run in turn (`w` first), and leaves
    /// its output and counters in `slot`; `x` runs here and its output is
    /// returned, so the rest of the backward pass goes on while `w` runs.
    /// No program reads a buffer row it did not write, so the results are
    /// those of running them in turn on the engine's machine; the counters
    /// are added in program order when the pass ends
    /// ([`AccelEngine::add_deferred`]). The same bits on any number of
    /// threads; Verilator runs them in turn.
    fn grad_pair<'s>(
        &mut self,
        sc: &rayon::Scope<'s>,
        opts: &'s AccelOptions,
        slot: &'s GradSlot,
        w: (&TrainProgram, &str, &[i16], &[i16]),
        x: (&TrainProgram, &str, &[i16], &[i16]),
    ) -> Result<Vec<i16>, EngineError> {
        let spec = match w.0.program {
            ProgramSpec::Layer { spec, batch, round }
                if self.opts.backend != AccelBackend::Verilator =>
            {
                Some((spec, batch as usize, round))
            }
            _ => None,
        };
        let Some((spec, batch, round)) = spec else {
            let out = self.run_program(w.0, w.1, w.2, Some(w.3))?;
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Ok((out, None)));
            return self.run_program(x.0, x.1, x.2, Some(x.3));
        };
        let name = format!("{} {}", w.1, w.0.what);
        let (entry, writes) = self.prepare(&name, spec, batch, round, w.2, Some((w.3, &[])))?;
        let k = self.totals.programs;
        self.totals.programs += 1;
        let seed = program_seed(self.opts.seed, k);
        let be = self.opts.backend;
        sc.spawn(move |_| {
            let run = || {
                let job = Job {
                    step: &name,
                    program: &entry.0.program,
                    encoded: &entry.1,
                    writes,
                    extent: entry.0.layout.total_bytes(),
                    seed,
                };
                let (dram, c) = run_job(opts, None, job)?;
                let out = read_back(&dram, &name, be, |r| entry.0.layout.unpack_output(r))?;
                Ok((out, Some((k, c))))
            };
            let r = run();
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        });
        self.run_program(x.0, x.1, x.2, Some(x.3))
    }

    /// The schedule's one forward program of layer spec `spec` over `x`.
    fn dense_forward(
        &mut self,
        progs: &[TrainProgram],
        step: &str,
        spec: &LayerSpec,
        batch: usize,
        x: &[i16],
        p: Option<&(Vec<i16>, Vec<i16>)>,
    ) -> Result<Vec<i16>, EngineError> {
        let spec = *spec;
        let fwd = schedule::find(progs, Role::Forward).map(|p| p.program);
        let Some(ProgramSpec::Layer {
            spec: fspec,
            batch: fb,
            round,
        }) = fwd
        else {
            return Err(comp_err(
                step,
                "the training schedule has no forward program",
            ));
        };
        debug_assert_eq!(
            (fspec, fb as usize),
            (
                schedule::split_activation(&spec).map_or(spec, |_| {
                    schedule::with_activation(&spec, Activation::Identity)
                }),
                batch
            )
        );
        self.layer(
            step,
            fspec,
            fb as usize,
            round,
            x,
            p.map(|(w, b)| (w.as_slice(), b.as_slice())),
        )
    }

    /// A grouped convolution `full` (`groups > 1`) as the schedule's
    /// `progs`, one per piece of [`schedule::conv_pieces`]: each piece reads
    /// its input maps of `x` (`batch` images `[b][ni][h][w]`), multiplies by
    /// the block-diagonal weights of its groups (from `w`
    /// `[no][ni/groups][k][k]`; zero across groups) plus its maps' `bias`,
    /// and writes its output maps of the result `[b][no][oh][ow]`.
    #[allow(clippy::too_many_arguments)]
    fn grouped_conv(
        &mut self,
        progs: &[&TrainProgram],
        step: &str,
        full: &LayerSpec,
        w: &[i16],
        bias: Option<&[i16]>,
        x: &[i16],
        batch: usize,
    ) -> Result<Vec<i16>, EngineError> {
        let LayerSpec::Conv(c) = *full else {
            return Err(comp_err(step, format!("not a convolution: {full}")));
        };
        let pieces = schedule::conv_pieces(&self.opts.cfg, full);
        if pieces.len() != progs.len() {
            return Err(comp_err(
                step,
                format!(
                    "the training schedule has {} programs for the {} pieces of a grouped convolution",
                    progs.len(),
                    pieces.len()
                ),
            ));
        }
        let (ni, no, kk) = (c.ni as usize, c.no as usize, (c.kx * c.ky) as usize);
        let (cin, cout) = (ni / c.groups as usize, no / c.groups as usize);
        let plane_in = (c.nx * c.ny) as usize;
        let (_, oh, ow) = full.output_shape();
        let plane_out = (oh * ow) as usize;
        let mut out = vec![0i16; batch * no * plane_out];
        for ((im, om, _), prog) in pieces.into_iter().zip(progs) {
            let ProgramSpec::Layer {
                spec,
                batch: pb,
                round,
            } = prog.program
            else {
                return Err(comp_err(
                    step,
                    "a grouped convolution piece is not a layer program",
                ));
            };
            let (i0, pni) = (im.start as usize, im.len());
            let (o0, pno) = (om.start as usize, om.len());
            let mut xp = Vec::with_capacity(batch * pni * plane_in);
            for bb in 0..batch {
                xp.extend_from_slice(&x[(bb * ni + i0) * plane_in..][..pni * plane_in]);
            }
            let mut wp = vec![0i16; pno * pni * kk];
            for ol in 0..pno {
                let o = o0 + ol;
                for il in 0..pni {
                    let i = i0 + il;
                    if i / cin == o / cout {
                        wp[(ol * pni + il) * kk..][..kk]
                            .copy_from_slice(&w[(o * cin + i % cin) * kk..][..kk]);
                    }
                }
            }
            let bp = bias.map_or(&[][..], |b| &b[o0..o0 + pno]);
            let name = format!("{step} {} maps {o0}..{}", prog.what, o0 + pno);
            let y = self.layer(&name, spec, pb as usize, round, &xp, Some((&wp, bp)))?;
            for bb in 0..batch {
                out[(bb * no + o0) * plane_out..][..pno * plane_out]
                    .copy_from_slice(&y[bb * pno * plane_out..][..pno * plane_out]);
            }
        }
        Ok(out)
    }

    /// Run one element-wise program over `a` (and `b`).
    fn ew(
        &mut self,
        step: &str,
        spec: &EwSpec,
        a: &[i16],
        b: Option<&[i16]>,
    ) -> Result<Vec<i16>, EngineError> {
        if spec.len != a.len() as u64 {
            return Err(comp_err(
                step,
                format!(
                    "the schedule's program covers {} words, the operand has {}",
                    spec.len,
                    a.len()
                ),
            ));
        }
        let key = format!("{spec:?}");
        if !self.ews.contains_key(&key) {
            let c = compile_ew(&self.opts.cfg, spec).map_err(|e| comp_err(step, e))?;
            let enc = Encoded::new(&self.opts.cfg, &c.program).map_err(|e| comp_err(step, e))?;
            self.ews.insert(key.clone(), Arc::new((c, enc)));
        }
        let entry = Arc::clone(&self.ews[&key]);
        let (c, enc) = &*entry;
        let mut writes = c.layout.pack_a(a).map_err(|e| comp_err(step, e))?;
        if let Some(b) = b {
            writes.extend(c.layout.pack_b(b).map_err(|e| comp_err(step, e))?);
        }
        writes.extend(c.layout.pack_consts());
        let extent = c.layout.total_bytes();
        let dram = self.exec(step, &c.program, enc, writes, extent)?;
        read_back(&dram, step, self.opts.backend, |r| c.layout.unpack_out(r))
    }

    /// The training-step schedule of layer `i` for `batch` images
    /// ([`schedule::layer_programs`], the one the cost model simulates).
    fn schedule(
        &self,
        i: usize,
        batch: usize,
        update: &UpdateWords,
    ) -> Result<Vec<TrainProgram>, EngineError> {
        schedule::net_layer_programs(&self.opts.cfg, &self.net, i, batch as u32, update)
            .map_err(|e| comp_err(&format!("layer {i}"), e))
    }

    /// Run the schedule's program of `role` (a layer program over `input`
    /// with `params`, or an element-wise program over `input` and `b`).
    fn run_role(
        &mut self,
        progs: &[TrainProgram],
        role: Role,
        step: &str,
        input: &[i16],
        b: Option<&[i16]>,
    ) -> Result<Vec<i16>, EngineError> {
        let p = single(progs, role, step)?;
        self.run_program(p, step, input, b)
    }

    /// Run the schedule's program `p` (a layer program over `input` with
    /// `params`, or an element-wise program over `input` and `b`).
    fn run_program(
        &mut self,
        p: &TrainProgram,
        step: &str,
        input: &[i16],
        b: Option<&[i16]>,
    ) -> Result<Vec<i16>, EngineError> {
        let name = format!("{step} {}", p.what);
        match p.program {
            ProgramSpec::Layer { spec, batch, round } => {
                let params = b.map(|w| (w, &[][..]));
                self.layer(&name, spec, batch as usize, round, input, params)
            }
            ProgramSpec::Ew(spec) => self.ew(&name, &spec, input, b),
        }
    }

    /// `dY` through the activation's derivative: the schedule's mask and
    /// `Mul` programs (the mask from `z`, the pre-activation, when the layer
    /// kept it; else from its output `y`), or `dy` itself when the layer has
    /// no activation.
    fn act_back(
        &mut self,
        progs: &[TrainProgram],
        step: &str,
        dy: Vec<i16>,
        y: &[i16],
        z: Option<&[i16]>,
    ) -> Result<Vec<i16>, EngineError> {
        if schedule::find(progs, Role::ActivationMask).is_none() {
            return Ok(dy);
        }
        // ReLU's mask reads Y; sigmoid's and tanh's derivative tables read Z
        let mask = self.run_role(progs, Role::ActivationMask, step, z.unwrap_or(y), None)?;
        self.run_role(progs, Role::ActivationGradient, step, &dy, Some(&mask))
    }

    /// Weight and bias gradients as one classifier program: reduction over
    /// `p` (batch, or batch x output positions), "weights" `dz_t` `[no][p]`,
    /// inputs `x_t` `[k][p]` plus a row of ones; returns `(dW [no][k], db [no])`.
    #[allow(clippy::too_many_arguments)]
    fn grads(
        &mut self,
        progs: &[TrainProgram],
        step: &str,
        dz_t: &[i16],
        x_t: Vec<i16>,
        no: usize,
        k: usize,
        p: usize,
    ) -> Result<(Vec<i16>, Vec<i16>), EngineError> {
        let prog = schedule::find(progs, Role::WeightGradient).ok_or_else(|| {
            comp_err(
                step,
                "the training schedule has no single weight gradient program",
            )
        })?;
        self.grads_with(prog, step, dz_t, x_t, no, k, p)
    }

    /// [`AccelEngine::grads`] with the weight-gradient program `prog` (a
    /// grouped convolution has one per group).
    #[allow(clippy::too_many_arguments)]
    fn grads_with(
        &mut self,
        prog: &TrainProgram,
        step: &str,
        dz_t: &[i16],
        mut x_t: Vec<i16>,
        no: usize,
        k: usize,
        p: usize,
    ) -> Result<(Vec<i16>, Vec<i16>), EngineError> {
        let one = self.one();
        x_t.extend(std::iter::repeat(one).take(p));
        let out = self.run_program(prog, step, &x_t, Some(dz_t))?;
        split_grads(step, out, no, k)
    }
}

/// The schedule's one program of `role`, or an error naming `step`.
fn single<'p>(
    progs: &'p [TrainProgram],
    role: Role,
    step: &str,
) -> Result<&'p TrainProgram, EngineError> {
    schedule::find(progs, role).ok_or_else(|| {
        comp_err(
            step,
            format!(
                "the training schedule has no single {} program",
                role.what()
            ),
        )
    })
}

/// The weight-gradient program's output `[k+1][no]` as `(dW [no][k], db
/// [no])`.
fn split_grads(
    step: &str,
    out: Vec<i16>,
    no: usize,
    k: usize,
) -> Result<(Vec<i16>, Vec<i16>), EngineError> {
    {
        if out.len() != (k + 1) * no {
            return Err(comp_err(
                step,
                format!(
                    "weight gradient of {} words, expected {}",
                    out.len(),
                    (k + 1) * no
                ),
            ));
        }
        // out is [k+1][no]
        let mut dw = vec![0i16; no * k];
        for kk in 0..k {
            for o in 0..no {
                dw[o * k + kk] = out[kk * no + o];
            }
        }
        let db = out[k * no..(k + 1) * no].to_vec();
        Ok((dw, db))
    }
}

impl AccelEngine {
    /// Pooling backward: the gradient `dp` of pooling `pl`'s output `p`
    /// (input `x`) to its input. Max pooling routes it to every input equal
    /// to its window's maximum (disjoint windows: one mask and routing over
    /// the upsampled maxima and gradients; overlapping windows: per window
    /// offset a mask and routing over the pooled size, scattered to the
    /// offset's pixels and accumulated); average pooling runs the
    /// schedule's average pooling over `dp` dilated by the stride and framed
    /// by `k - 1` zeros.
    fn pool_back(
        &mut self,
        progs: &[TrainProgram],
        step: &str,
        pl: &PoolSpec,
        x: &[i16],
        p: &[i16],
        dp: &[i16],
    ) -> Result<Vec<i16>, EngineError> {
        let (h, w) = (pl.ny as usize, pl.nx as usize);
        let (_, ph, pw) = LayerSpec::Pool(*pl).output_shape();
        let (ph, pw) = (ph as usize, pw as usize);
        let (kx, ky, sx, sy) = (
            pl.kx as usize,
            pl.ky as usize,
            pl.sx as usize,
            pl.sy as usize,
        );
        let planes = x.len() / (h * w);
        if pl.kind == PoolKind::Avg {
            // framed[j][i] = dp[(j - (ky-1)) / sy][(i - (kx-1)) / sx] on the
            // dilated grid, 0 elsewhere
            let (fh, fw) = (h + ky - 1, w + kx - 1);
            let mut framed = vec![0i16; planes * fh * fw];
            for pc in 0..planes {
                for oy in 0..ph {
                    for ox in 0..pw {
                        framed[(pc * fh + ky - 1 + oy * sy) * fw + kx - 1 + ox * sx] =
                            dp[(pc * ph + oy) * pw + ox];
                    }
                }
            }
            return self.run_role(progs, Role::InputGradient, step, &framed, None);
        }
        if schedule::disjoint_tiling(pl) {
            // u[pc][yy][xx] = t[pc][yy / ky][xx / kx], row by row (no
            // division per value: this was 4% of a training epoch)
            let up = |t: &[i16]| {
                let mut u = vec![0i16; planes * h * w];
                for (pc, plane) in u.chunks_mut(h * w).enumerate() {
                    for (yy, row) in plane.chunks_mut(w).enumerate() {
                        let src = &t[(pc * ph + yy / ky) * pw..][..pw];
                        for (xb, block) in row.chunks_mut(kx).enumerate() {
                            block.fill(src[xb]);
                        }
                    }
                }
                u
            };
            let (upp, updp) = (up(p), up(dp));
            let mask = self.run_role(progs, Role::MaxMask, step, x, Some(&upp))?;
            return self.run_role(progs, Role::Routing, step, &mask, Some(&updp));
        }
        // overlapping windows: offset (ty, tx) of every window at once
        let mask_p = schedule::find_all(progs, Role::WindowOffsetMask);
        let route_p = schedule::find_all(progs, Role::WindowOffsetRouting);
        let acc_p = schedule::find_all(progs, Role::WindowOffsetAccumulation);
        if mask_p.len() != kx * ky || route_p.len() != kx * ky || acc_p.len() != kx * ky {
            return Err(comp_err(
                step,
                format!(
                    "the training schedule has {} window-offset programs, the {kx}x{ky} window {} offsets",
                    mask_p.len().min(route_p.len()).min(acc_p.len()),
                    kx * ky
                ),
            ));
        }
        let pos = |pc: usize, oy: usize, ox: usize, ty: usize, tx: usize| {
            (pc * h + oy * sy + ty) * w + ox * sx + tx
        };
        let mut dx = vec![0i16; planes * h * w];
        for t in 0..kx * ky {
            let (ty, tx) = (t / kx, t % kx);
            let mut xt = vec![0i16; planes * ph * pw];
            for pc in 0..planes {
                for oy in 0..ph {
                    for ox in 0..pw {
                        xt[(pc * ph + oy) * pw + ox] = x[pos(pc, oy, ox, ty, tx)];
                    }
                }
            }
            let mask = self.run_program(mask_p[t], step, &xt, Some(p))?;
            let routed = self.run_program(route_p[t], step, &mask, Some(dp))?;
            let mut scattered = vec![0i16; planes * h * w];
            for pc in 0..planes {
                for oy in 0..ph {
                    for ox in 0..pw {
                        scattered[pos(pc, oy, ox, ty, tx)] = routed[(pc * ph + oy) * pw + ox];
                    }
                }
            }
            dx = self.run_program(acc_p[t], step, &dx, Some(&scattered))?;
        }
        Ok(dx)
    }

    /// The update constants of `hp` as data words.
    fn update_words(&self, hp: &Hyper) -> Result<UpdateWords, EngineError> {
        let f = self.opts.cfg.frac_bits;
        let lr = from_f64(hp.lr as f64, f);
        if lr == 0 && hp.lr != 0.0 {
            return Err(EngineError::State(format!(
                "learning rate {} is below the data format's resolution 2^-{f}",
                hp.lr
            )));
        }
        let s = (1u64 << self.opts.grad_scale_log2) as f64;
        let decay = from_f64(hp.weight_decay as f64 * s, f);
        if decay == 0 && hp.weight_decay != 0.0 {
            return Err(EngineError::State(format!(
                "weight decay {} times the gradient scale {s} is below the data format's resolution 2^-{f}",
                hp.weight_decay
            )));
        }
        Ok(UpdateWords {
            mu: from_f64(hp.momentum as f64, f),
            lr,
            inv_s: 1i16 << (f - self.opts.grad_scale_log2),
            decay,
        })
    }

    fn update(
        &mut self,
        i: usize,
        progs: &[TrainProgram],
        g: (Vec<i16>, Vec<i16>),
    ) -> Result<(), EngineError> {
        let p = self.params[i].take().expect("parameter layer");
        let nw = p.w.len();
        let cat = |a: &[i16], b: &[i16]| [a, b].concat();
        let (w, v, gr) = (cat(&p.w, &p.b), cat(&p.vw, &p.vb), cat(&g.0, &g.1));
        let step = format!("layer {i} update");
        let res = (|| {
            let gr = match schedule::find(progs, Role::Decay) {
                Some(_) => self.run_role(progs, Role::Decay, &step, &gr, Some(&w))?,
                None => gr,
            };
            let v2 = self.run_role(progs, Role::Velocity, &step, &v, Some(&gr))?;
            let w2 = self.run_role(progs, Role::Weights, &step, &w, Some(&v2))?;
            Ok::<_, EngineError>((w2, v2))
        })();
        match res {
            Ok((w2, v2)) => {
                self.params[i] = Some(Params {
                    w: w2[..nw].to_vec(),
                    b: w2[nw..].to_vec(),
                    vw: v2[..nw].to_vec(),
                    vb: v2[nw..].to_vec(),
                });
                Ok(())
            }
            Err(e) => {
                self.params[i] = Some(p);
                Err(e)
            }
        }
    }
}

impl Engine for AccelEngine {
    fn name(&self) -> &'static str {
        self.opts.backend.name()
    }

    fn net(&self) -> &Net {
        &self.net
    }

    fn forward(&mut self, images: &[f32], batch: usize) -> Result<Vec<f32>, EngineError> {
        let shapes = self.net.shapes();
        let (c, h, w) = shapes[0];
        if images.len() != batch * c * h * w {
            return Err(EngineError::Length {
                what: "images".into(),
                expected: batch * c * h * w,
                got: images.len(),
            });
        }
        let f = self.opts.cfg.frac_bits;
        let mut acts = vec![images
            .iter()
            .map(|x| from_f64(*x as f64, f))
            .collect::<Vec<_>>()];
        let mut pre = Vec::with_capacity(self.net.layers.len());
        for i in 0..self.net.layers.len() {
            let step = format!("layer {i} forward");
            let spec = self.net.layer_spec(i);
            let p = self.params[i].as_ref().map(|p| (p.w.clone(), p.b.clone()));
            let progs = self.schedule(i, batch, &UpdateWords::nominal(&self.opts.cfg))?;
            let grouped = matches!(spec, LayerSpec::Conv(c) if c.groups > 1);
            let out = if let Some(src) = self.net.skip_source(i) {
                let skip = acts[src].clone();
                self.run_role(&progs, Role::Forward, &step, &acts[i], Some(&skip))?
            } else if grouped {
                let (w, b) = p.as_ref().expect("conv params");
                let fspec = schedule::split_activation(&spec).map_or(spec, |_| {
                    schedule::with_activation(&spec, Activation::Identity)
                });
                let fwd = schedule::find_all(&progs, Role::Forward);
                self.grouped_conv(&fwd, &step, &fspec, w, Some(b), &acts[i], batch)?
            } else {
                self.dense_forward(&progs, &step, &spec, batch, &acts[i], p.as_ref())?
            };
            if schedule::find(&progs, Role::ForwardActivation).is_some() {
                let y = self.run_role(&progs, Role::ForwardActivation, &step, &out, None)?;
                pre.push(Some(out));
                acts.push(y);
            } else {
                pre.push(None);
                acts.push(out);
            }
        }
        let scale = 1.0 / (1u32 << f) as f32;
        let logits = acts
            .last()
            .expect("output")
            .iter()
            .map(|v| *v as f32 * scale)
            .collect();
        self.acts = acts;
        self.pre = pre;
        self.batch = batch;
        Ok(logits)
    }

    /// On the simulator backends the passes run at once, in as many
    /// contiguous groups as the thread pool has threads, each group on a
    /// [`AccelEngine::worker`]; then this engine adds every program's
    /// counters in program order, takes the last pass's tensors and keeps
    /// the programs the workers compiled. The logits, totals and
    /// everything after are the bits of running the passes in turn, on any
    /// number of threads. Verilator runs them in turn.
    fn forward_batches(
        &mut self,
        images: &[f32],
        n: usize,
        eval_batch: usize,
    ) -> Result<Vec<f32>, EngineError> {
        use rayon::prelude::*;
        let eb = eval_batch.max(1);
        let threads = rayon::current_num_threads().max(1);
        if self.opts.backend == AccelBackend::Verilator || threads == 1 || n <= eb {
            return super::engine::forward_in_turn(self, images, n, eb);
        }
        let per = images.len() / n;
        // passes (first image, images), then contiguous groups of passes
        let passes: Vec<(usize, usize)> = (0..n).step_by(eb).map(|i| (i, eb.min(n - i))).collect();
        let per_group = passes.len().div_ceil(threads);
        let mut groups = Vec::new();
        let mut programs = self.totals.programs;
        for g in passes.chunks(per_group) {
            groups.push((programs, g.to_vec()));
            for &(_, b) in g {
                programs += self.forward_programs(b)?;
            }
        }
        let workers = groups
            .into_iter()
            .map(|(start, g)| Ok((self.worker(start)?, g)))
            .collect::<Result<Vec<_>, EngineError>>()?;
        let done: Vec<Result<(AccelEngine, Vec<f32>), EngineError>> = workers
            .into_par_iter()
            .map(|(mut w, g)| {
                let mut out = Vec::new();
                for (i, b) in g {
                    out.extend(w.forward(&images[i * per..(i + b) * per], b)?);
                }
                Ok((w, out))
            })
            .collect();
        let mut logits = Vec::with_capacity(n * self.net.classes());
        for r in done {
            let (w, out) = r?;
            for c in w.log.as_deref().unwrap_or_default() {
                self.account(c);
            }
            for (k, v) in w.layers {
                self.layers.entry(k).or_insert(v);
            }
            for (k, v) in w.ews {
                self.ews.entry(k).or_insert(v);
            }
            (self.acts, self.pre, self.batch) = (w.acts, w.pre, w.batch);
            logits.extend(out);
        }
        debug_assert_eq!(self.totals.programs, programs);
        Ok(logits)
    }

    fn backward_update(&mut self, dlogits: &[f32], hp: &Hyper) -> Result<StepInfo, EngineError> {
        let b = self.batch;
        let classes = self.net.classes();
        if self.acts.is_empty() || dlogits.len() != b * classes {
            return Err(EngineError::Length {
                what: "dlogits".into(),
                expected: b * classes,
                got: dlogits.len(),
            });
        }
        self.step_sat = 0;
        self.step_values = 0;
        let f = self.opts.cfg.frac_bits;
        let s = (1u64 << self.opts.grad_scale_log2) as f64;
        let mut dy: Vec<i16> = dlogits.iter().map(|d| from_f64(*d as f64 * s, f)).collect();
        let specs = self.net.layer_specs();
        let words = self.update_words(hp)?;
        let scheds = (0..specs.len())
            .map(|i| self.schedule(i, b, &words))
            .collect::<Result<Vec<_>, _>>()?;
        let mut grads: Vec<Option<(Vec<i16>, Vec<i16>)>> = vec![None; specs.len()];
        // residual adds' skip gradients, per tensor, summed into its
        // gradient when the pass reaches it
        let mut pending: Vec<Vec<Vec<i16>>> = vec![Vec::new(); specs.len() + 1];
        // weight gradients run on the pool while the pass goes on
        // (`grad_pair`); counters are added in program order at the end
        let opts = self.opts.clone();
        let slots: Vec<GradSlot> = (0..specs.len()).map(|_| Default::default()).collect();
        // per layer whose weight gradient `grad_pair` takes: its step
        // name and the gradient's (outputs, inputs)
        let mut dims: Vec<Option<(String, usize, usize)>> = vec![None; specs.len()];
        self.deferred = Some(Vec::new());
        let pass = rayon::scope(|sc| -> Result<(), EngineError> {
            for i in (0..specs.len()).rev() {
                let step = format!("layer {i} backward");
                let progs = &scheds[i];
                let x = self.acts[i].clone();
                let y = self.acts[i + 1].clone();
                let z = self.pre[i].clone();
                match specs[i] {
                    LayerSpec::Classifier(cs) => {
                        let (ni, no) = (cs.ni as usize, cs.no as usize);
                        let dz = self.act_back(progs, &step, dy, &y, z.as_deref())?;
                        let mut dz_t = vec![0i16; no * b];
                        let mut x_t = vec![0i16; ni * b];
                        for bb in 0..b {
                            for o in 0..no {
                                dz_t[o * b + bb] = dz[bb * no + o];
                            }
                            for k in 0..ni {
                                x_t[k * b + bb] = x[bb * ni + k];
                            }
                        }
                        if i > 0 {
                            let w = &self.params[i].as_ref().expect("fc params").w;
                            let mut wt = vec![0i16; ni * no];
                            for o in 0..no {
                                for k in 0..ni {
                                    wt[k * no + o] = w[o * ni + k];
                                }
                            }
                            // dW and dX at once (independent programs)
                            let wprog = single(progs, Role::WeightGradient, &step)?;
                            let xprog = single(progs, Role::InputGradient, &step)?;
                            let mut x_t = x_t;
                            x_t.extend(std::iter::repeat(self.one()).take(b));
                            dims[i] = Some((step.clone(), no, ni));
                            dy = self.grad_pair(
                                sc,
                                &opts,
                                &slots[i],
                                (wprog, &step, &x_t, &dz_t),
                                (xprog, &step, &dz, &wt),
                            )?;
                        } else {
                            grads[i] = Some(self.grads(progs, &step, &dz_t, x_t, no, ni, b)?);
                            dy = Vec::new();
                        }
                    }
                    LayerSpec::Conv(cs) => {
                        let dz = self.act_back(progs, &step, dy, &y, z.as_deref())?;
                        let (ni, no, k) = (cs.ni as usize, cs.no as usize, cs.kx as usize);
                        let (_, oh, ow) = specs[i].output_shape();
                        let (oh, ow) = (oh as usize, ow as usize);
                        let p = b * oh * ow;
                        // dZ as [o][b, y, x]
                        let mut dz_t = vec![0i16; no * p];
                        for bb in 0..b {
                            for o in 0..no {
                                let src = &dz[(bb * no + o) * oh * ow..][..oh * ow];
                                dz_t[o * p + bb * oh * ow..][..oh * ow].copy_from_slice(src);
                            }
                        }
                        let cols = im2col_rows(&cs, &x, b, oh, ow);
                        // group q: outputs [q cout, (q+1) cout) (dZ rows), inputs
                        // [q cin, (q+1) cin) (im2col rows [q kg, (q+1) kg)); one
                        // weight-gradient program each, results concatenated in
                        // the weights' [no][cin][k][k] order
                        let gs = cs.groups as usize;
                        let (cin, cout) = (ni / gs, no / gs);
                        let kg = cin * k * k;
                        let wprogs = schedule::find_all(progs, Role::WeightGradient);
                        if wprogs.len() != gs {
                            return Err(comp_err(
                            &step,
                            format!(
                                "the training schedule has {} weight gradient programs for {gs} groups",
                                wprogs.len()
                            ),
                        ));
                        }
                        // the input gradient's grouped convolution (no -> ni
                        // maps, same groups) over flipped kernels
                        // [ni][cout][k][k], over dZ dilated by the stride
                        let flipped = |wts: &[i16]| {
                            let mut wf = vec![0i16; wts.len()];
                            for c in 0..ni {
                                let (q, cl) = (c / cin, c % cin);
                                for ol in 0..cout {
                                    let o = q * cout + ol;
                                    for ky in 0..k {
                                        for kx in 0..k {
                                            wf[((c * cout + ol) * k + ky) * k + kx] =
                                                wts[((o * cin + cl) * k + (k - 1 - ky)) * k
                                                    + (k - 1 - kx)];
                                        }
                                    }
                                }
                            }
                            wf
                        };
                        if gs == 1 && i > 0 {
                            // dW and dX at once (independent programs)
                            let wf = flipped(&self.params[i].as_ref().expect("conv params").w);
                            let dil = dilate(&cs, &dz, b * no, oh, ow);
                            let xprog = single(progs, Role::InputGradient, &step)?;
                            let mut x_t = cols;
                            x_t.extend(std::iter::repeat(self.one()).take(p));
                            dims[i] = Some((step.clone(), no, kg));
                            dy = self.grad_pair(
                                sc,
                                &opts,
                                &slots[i],
                                (wprogs[0], &step, &x_t, &dz_t),
                                (xprog, &step, &dil, &wf),
                            )?;
                        } else {
                            let (mut dw, mut db) =
                                (Vec::with_capacity(no * kg), Vec::with_capacity(no));
                            for (q, prog) in wprogs.into_iter().enumerate() {
                                let gstep = if gs > 1 {
                                    format!("{step} group {q}")
                                } else {
                                    step.clone()
                                };
                                let (w_q, b_q) = self.grads_with(
                                    prog,
                                    &gstep,
                                    &dz_t[q * cout * p..][..cout * p],
                                    cols[q * kg * p..][..kg * p].to_vec(),
                                    cout,
                                    kg,
                                    p,
                                )?;
                                dw.extend(w_q);
                                db.extend(b_q);
                            }
                            grads[i] = Some((dw, db));
                            dy = if i > 0 {
                                let wf = flipped(&self.params[i].as_ref().expect("conv params").w);
                                let dil = dilate(&cs, &dz, b * no, oh, ow);
                                let dspec = firmware::backward::conv_input_grad(&cs)
                                    .map_err(|e| comp_err(&step, e))?;
                                let dprogs = schedule::find_all(progs, Role::InputGradient);
                                self.grouped_conv(&dprogs, &step, &dspec, &wf, None, &dil, b)?
                            } else {
                                Vec::new()
                            };
                        }
                    }
                    LayerSpec::Pool(pl) => {
                        dy = if i > 0 {
                            self.pool_back(progs, &step, &pl, &x, &y, &dy)?
                        } else {
                            Vec::new()
                        };
                    }
                    LayerSpec::Eltwise(_) => {
                        // act(X + S): dZ is the gradient of X and of S
                        let dz = self.act_back(progs, &step, dy, &y, z.as_deref())?;
                        let src = self.net.skip_source(i).expect("an add");
                        if src > 0 {
                            pending[src].push(dz.clone());
                        }
                        dy = dz;
                    }
                }
                let sums = schedule::find_all(progs, Role::GradientSum);
                if sums.len() != pending[i].len() {
                    return Err(comp_err(
                        &step,
                        format!(
                            "the training schedule has {} skip gradient sums for {} residual adds",
                            sums.len(),
                            pending[i].len()
                        ),
                    ));
                }
                for (p, g) in sums.into_iter().zip(std::mem::take(&mut pending[i])) {
                    dy = self.run_program(p, &step, &dy, Some(&g))?;
                }
            }
            Ok(())
        });
        // the scope has waited for every weight gradient it started; a
        // started one precedes, in program order, any later failure of
        // the pass, so its error is reported first
        let mut deferred = self.deferred.take().unwrap_or_default();
        let mut first_err = None;
        for i in (0..specs.len()).rev() {
            let Some((step, no, k)) = dims[i].take() else {
                continue;
            };
            let r = slots[i].lock().unwrap_or_else(|e| e.into_inner()).take();
            match r {
                Some(Ok((out, c))) => {
                    deferred.extend(c);
                    match split_grads(&step, out, no, k) {
                        Ok(g) => grads[i] = Some(g),
                        Err(e) => {
                            first_err.get_or_insert(e);
                        }
                    }
                }
                Some(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                None => {}
            }
        }
        self.add_deferred(deferred);
        if let Some(e) = first_err.or(pass.err()) {
            return Err(e);
        }
        for (i, g) in grads.into_iter().enumerate() {
            if let Some(g) = g {
                self.update(i, &scheds[i], g)?;
            }
        }
        Ok(StepInfo {
            saturations: self.step_sat,
            values: self.step_values,
        })
    }

    fn state(&self) -> EngineState {
        let mut tensors = BTreeMap::new();
        for (i, p) in self.params.iter().enumerate() {
            if let Some(p) = p {
                tensors.insert(format!("layer{i}.w"), Tensor::I16(p.w.clone()));
                tensors.insert(format!("layer{i}.b"), Tensor::I16(p.b.clone()));
                tensors.insert(format!("layer{i}.vw"), Tensor::I16(p.vw.clone()));
                tensors.insert(format!("layer{i}.vb"), Tensor::I16(p.vb.clone()));
            }
        }
        EngineState {
            engine: self.name().into(),
            fingerprint: self.fingerprint(),
            tensors,
            totals: Some(self.totals),
        }
    }

    fn restore(&mut self, s: &EngineState) -> Result<(), EngineError> {
        if s.engine != self.name() || s.fingerprint != self.fingerprint() {
            return Err(EngineError::State(format!(
                "checkpoint is for engine {} ({}), this run is {} ({})",
                s.engine,
                s.fingerprint,
                self.name(),
                self.fingerprint()
            )));
        }
        let get = |name: &str, len: usize| -> Result<Vec<i16>, EngineError> {
            match s.tensors.get(name) {
                Some(Tensor::I16(v)) if v.len() == len => Ok(v.clone()),
                _ => Err(EngineError::State(format!(
                    "tensor {name}: missing or not {len} data words"
                ))),
            }
        };
        let mut params = self.params.clone();
        for (i, p) in params.iter_mut().enumerate() {
            if let Some(p) = p {
                p.w = get(&format!("layer{i}.w"), p.w.len())?;
                p.b = get(&format!("layer{i}.b"), p.b.len())?;
                p.vw = get(&format!("layer{i}.vw"), p.vw.len())?;
                p.vb = get(&format!("layer{i}.vb"), p.vb.len())?;
            }
        }
        // the program count sets the next program's rounding seed
        let totals = s.totals.ok_or_else(|| {
            EngineError::State("checkpoint has no accelerator totals (its program count)".into())
        })?;
        self.params = params;
        self.totals = totals;
        Ok(())
    }

    fn accel(&self) -> Option<AccelTotals> {
        Some(self.totals)
    }

    fn params_f32(&self) -> Vec<Option<(Vec<f32>, Vec<f32>)>> {
        let f = self.opts.cfg.frac_bits;
        let real = |v: &[i16]| -> Vec<f32> {
            v.iter()
                .map(|&x| arch::fixed::to_f64(x, f) as f32)
                .collect()
        };
        self.params
            .iter()
            .map(|p| p.as_ref().map(|p| (real(&p.w), real(&p.b))))
            .collect()
    }
}

/// The weight gradient's im2col rows `[c, ky, kx][b, y, x]` of convolution
/// `cs` over `x` (`b` images, output `oh` x `ow`): row `(c, ky, kx)` holds
/// the input pixel each output position's tap reads (0 for the padding).
fn im2col_rows(cs: &ConvSpec, x: &[i16], b: usize, oh: usize, ow: usize) -> Vec<i16> {
    let (ni, k, pad) = (cs.ni as usize, cs.kx as usize, cs.pad as usize);
    let (h, w, s) = (cs.ny as usize, cs.nx as usize, cs.sx as usize);
    let p = b * oh * ow;
    let mut cols = vec![0i16; ni * k * k * p];
    for c in 0..ni {
        for ky in 0..k {
            for kx in 0..k {
                let row = &mut cols[((c * k + ky) * k + kx) * p..][..p];
                // output columns whose tap ix = ox*s + kx - pad is inside
                let x0 = pad.saturating_sub(kx).div_ceil(s);
                let x1 = (w + pad).saturating_sub(kx).div_ceil(s).min(ow);
                if x0 >= x1 {
                    continue;
                }
                for bb in 0..b {
                    for yy in 0..oh {
                        let Some(iy) = (yy * s + ky).checked_sub(pad) else {
                            continue;
                        };
                        if iy >= h {
                            continue;
                        }
                        let src = &x[((bb * ni + c) * h + iy) * w..][..w];
                        let dst = &mut row[(bb * oh + yy) * ow..][..ow];
                        if s == 1 {
                            let ix0 = x0 + kx - pad;
                            dst[x0..x1].copy_from_slice(&src[ix0..ix0 + x1 - x0]);
                        } else {
                            for (ox, d) in dst.iter_mut().enumerate().take(x1).skip(x0) {
                                *d = src[ox * s + kx - pad];
                            }
                        }
                    }
                }
            }
        }
    }
    cols
}

/// `dz` (`planes` maps of `oh` x `ow`) dilated by convolution `cs`'s
/// stride for its input gradient: `(o-1)*s + 1` pixels plus the
/// `(n + 2 pad - k) mod s` zero rows and columns after the last, the
/// input size of [`firmware::backward::conv_input_grad`].
fn dilate(cs: &ConvSpec, dz: &[i16], planes: usize, oh: usize, ow: usize) -> Vec<i16> {
    let s = cs.sx as usize;
    if s == 1 {
        return dz.to_vec();
    }
    let k = cs.kx as usize;
    let dh = cs.ny as usize + 2 * cs.pad as usize + 1 - k;
    let dw = cs.nx as usize + 2 * cs.pad as usize + 1 - k;
    let mut out = vec![0i16; planes * dh * dw];
    for pc in 0..planes {
        for oy in 0..oh {
            for ox in 0..ow {
                out[(pc * dh + oy * s) * dw + ox * s] = dz[(pc * oh + oy) * ow + ox];
            }
        }
    }
    out
}
