//! NFU datapath: [`nfu1`] (Tn x Tn multipliers), [`nfu2`] (adder trees,
//! accumulators, max / sum lanes), [`nfu3`] (conversion, activation,
//! saturation count), joined by [`Nfu`]. Arithmetic follows
//! docs/microarchitecture.md ("NFU", "Arithmetic") via `arch::fixed` and
//! `arch::activation`; the simulator's functional model `sim::functional` is
//! the same semantics in plain Rust (the RTL tests' oracle). [`Delay`] and [`Ctl`] are the delay line and the
//! control bundle that travel down the pipeline beside the data.
//!
//! # Interface of [`Nfu`] (one clock, `clock`; everything sampled at its rising edge)
//!
//! Let the sequencer issue the buffer reads of a step in cycle `c` (the
//! contract's issue cycle). The **input bundle** is presented in cycle
//! `c + 1` (the buffers' registered read data) and sampled at the end of `c + 1`:
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `valid` | 1 | a step is present (0: all other inputs ignored) |
//! | `op` | `NFU_OP_BITS` | `arch::isa::NfuOp` encoding (index in `NfuOp::ALL`): mac, max, avg, mul |
//! | `first` | 1 | first reduction step of the output: start from the init value |
//! | `last` | 1 | last reduction step: the output is written after this step |
//! | `odd` | 1 | `mul` only: the step's index `k = ky*ni + i` within its output is odd (`acc += hold * NBin`); an even `mul` step loads the per-lane `hold` register with `nbin` |
//! | `acc_in` | `ACC_IN_BITS` | `AccIn` encoding: zero (max: -2^31), nbout, bias; used when `first` |
//! | `activate` | 1 | `out=act` (else `out=partial`: raw accumulator) |
//! | `act` | `ACT_BITS` | `Activation` encoding |
//! | `round` | `ROUND_BITS` | `Rounding` encoding |
//! | `transpose` | 1 | read the SB row transposed (`SB[i*Tn+n]`) |
//! | `scale` | `SCALE_BITS` | avg scale, Q1.15 |
//! | `row` | `ROW_BITS` | NBout row of the output (used with `last`) |
//! | `nbin` | Tn*16 | NBin row; word i at bits `[16 i, 16 i + 16)` |
//! | `sb` | Tn*Tn*16 | SB row; word `n*Tn + i` at bits `[16 (n Tn + i), ...)` |
//! | `nbout` | Tn*32 | NBout entries (port A read), lane n at `[32 n, 32 n + 32)`; used when `first && acc_in == nbout` |
//! | `bias` | Tn*16 | bias row (the SB row read in the op's bias cycle, held by the sequencer); used when `first && acc_in == bias` |
//! | `rst` | 1 | synchronous reset: loads every lane's LFSR with `Lfsr::lane_seed(seed, n)` and drops the step presented with it; it does not flush steps already inside (hold it D1+D2+D3 cycles to flush) |
//! | `seed` | 32 | the run's stochastic-rounding seed, sampled with `rst` |
//!
//! The **output bundle** for an output whose last step was presented in cycle
//! `c + 1` is shown during cycle `c + 1 + D1 + D2 + D3 = c + D`
//! (`AccelConfig::nfu_latency`); the sequencer writes NBout at the end of that
//! cycle, as the contract requires:
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `we` | 1 | write `data` into NBout row `wrow` at the end of this cycle |
//! | `wrow` | `ROW_BITS` | NBout row |
//! | `wdata` | Tn*32 | entries (out=act: the 16-bit result sign-extended) |
//! | `sat_count` | `SATW` | lanes that saturated in this output (event `saturations`); 0 unless `we` |
//!
//! Registers start at zero in both the Rust simulation and the Verilog
//! (`initial`), and the LFSRs power up at `Lfsr::lane_seed(lfsr_seed, n)`
//! of the preset's seed, so no reset is needed after power-on; the top
//! holds `rst` while it is cleared before every run, so every run starts
//! from its own `seed`. LFSRs step once per `we` output with `activate` and
//! `round = stoch` (all lanes), before use.
//!
//! `mul` (element-wise multiply): the per-lane `hold` register (Tn words, in
//! [`Nfu`]) loads `nbin` at the end of the cycle an even `mul` step is
//! presented; in an odd step NFU-1's diagonal multiplier of lane n multiplies
//! `nbin[n]` by `hold[n]` and NFU-2 accumulates that product alone. Conversion
//! is mac's. `hold` is not reset: the contract never reads it across outputs.

pub mod nfu1;
pub mod nfu2;
pub mod nfu3;

use crate::widths::*;
use arch::isa::NfuOp;
use arch::AccelConfig;
use nfu1::Nfu1;
use nfu2::Nfu2;
use nfu3::{Nfu3, Nfu3Error};
use rust_hdl::prelude::*;

/// Why an [`Nfu`] cannot be built for a configuration.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum NfuError {
    /// The compile-time widths of the chosen type do not match the configuration.
    #[error("NFU type built for {what} = {built}, configuration `{config}` has {wanted}")]
    Mismatch {
        /// Which parameter.
        what: &'static str,
        /// Value compiled into the type.
        built: usize,
        /// Value in the configuration.
        wanted: usize,
        /// Configuration name.
        config: String,
    },
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] arch::ConfigError),
    /// NFU-3 tables.
    #[error(transparent)]
    Tables(#[from] Nfu3Error),
}

/// The NFU datapath (see the module doc for the interface). Widths:
/// `NW = Tn*16`, `SW = Tn*Tn*16`, `PW = Tn*Tn*32`, `RW = Tn*32`.
#[derive(LogicBlock)]
pub struct Nfu<const NW: usize, const SW: usize, const PW: usize, const RW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (loads the LFSRs from `seed`).
    pub rst: Signal<In, Bit>,
    /// The run's stochastic-rounding seed (sampled with `rst`).
    pub seed: Signal<In, Seed>,
    /// Step present.
    pub valid: Signal<In, Bit>,
    /// Opcode.
    pub op: Signal<In, Bits<OPW>>,
    /// First step of an output.
    pub first: Signal<In, Bit>,
    /// Last step of an output.
    pub last: Signal<In, Bit>,
    /// `mul`: odd step of the output.
    pub odd: Signal<In, Bit>,
    /// Init selector.
    pub acc_in: Signal<In, Bits<INW>>,
    /// out=act.
    pub activate: Signal<In, Bit>,
    /// Activation.
    pub act: Signal<In, Bits<ACTW>>,
    /// Rounding.
    pub round: Signal<In, Bits<RNDW>>,
    /// Transposed SB read.
    pub transpose: Signal<In, Bit>,
    /// Avg scale.
    pub scale: Signal<In, Bits<SCW>>,
    /// NBout row of the output.
    pub row: Signal<In, Bits<ROWW>>,
    /// NBin row.
    pub nbin: Signal<In, Bits<NW>>,
    /// SB row.
    pub sb: Signal<In, Bits<SW>>,
    /// NBout entries.
    pub nbout: Signal<In, Bits<RW>>,
    /// Bias row.
    pub bias: Signal<In, Bits<NW>>,
    /// Write enable.
    pub we: Signal<Out, Bit>,
    /// Row written.
    pub wrow: Signal<Out, Bits<ROWW>>,
    /// Entries written.
    pub wdata: Signal<Out, Bits<RW>>,
    /// Saturations in this output.
    pub sat_count: Signal<Out, Bits<SATW>>,
    cin: Signal<Local, Ctl>,
    k_mul: Constant<Bits<OPW>>,
    is_mul: Signal<Local, Bit>,
    hold: DFF<Bits<NW>>,
    c1: Delay<Ctl>,
    x1: Delay<Bits<NW>>,
    nb1: Delay<Bits<RW>>,
    b1: Delay<Bits<NW>>,
    nfu1: Nfu1<NW, SW, PW>,
    nfu2: Nfu2<NW, PW, RW, RW>,
    nfu3: Nfu3<RW>,
}

impl<const NW: usize, const SW: usize, const PW: usize, const RW: usize> Nfu<NW, SW, PW, RW> {
    /// Lanes compiled into this type.
    pub const TN: usize = RW / AW;

    /// Build for `cfg`; fails if `cfg` is invalid or its Tn differs from the type's.
    pub fn new(cfg: &AccelConfig) -> Result<Self, NfuError> {
        cfg.validate()?;
        let tn = Self::TN;
        for (what, built, wanted) in [
            ("tn", tn, cfg.tn as usize),
            ("data_bits", DW, cfg.data_bits as usize),
            ("acc_bits", AW, cfg.acc_bits as usize),
            ("NBin row bits", NW, cfg.nbin_row_bytes() as usize * 8),
            ("SB row bits", SW, cfg.sb_row_bytes() as usize * 8),
            ("NBout row bits", RW, cfg.nbout_row_bytes() as usize * 8),
            ("product bits", PW, tn * tn * AW),
        ] {
            if built != wanted {
                return Err(NfuError::Mismatch {
                    what,
                    built,
                    wanted,
                    config: cfg.name.clone(),
                });
            }
        }
        let p = &cfg.pipeline;
        Ok(Self {
            clock: Default::default(),
            rst: Default::default(),
            seed: Default::default(),
            valid: Default::default(),
            op: Default::default(),
            first: Default::default(),
            last: Default::default(),
            odd: Default::default(),
            acc_in: Default::default(),
            activate: Default::default(),
            act: Default::default(),
            round: Default::default(),
            transpose: Default::default(),
            scale: Default::default(),
            row: Default::default(),
            nbin: Default::default(),
            sb: Default::default(),
            nbout: Default::default(),
            bias: Default::default(),
            we: Default::default(),
            wrow: Default::default(),
            wdata: Default::default(),
            sat_count: Default::default(),
            cin: Default::default(),
            k_mul: Constant::new(op_code(NfuOp::Mul).into()),
            is_mul: Default::default(),
            hold: Default::default(),
            c1: Delay::new(p.nfu1 as usize),
            x1: Delay::new(p.nfu1 as usize),
            nb1: Delay::new(p.nfu1 as usize),
            b1: Delay::new(p.nfu1 as usize),
            nfu1: Nfu1::new(tn, p.nfu1 as usize),
            nfu2: Nfu2::new(tn, p.nfu2 as usize, cfg.frac_bits),
            nfu3: Nfu3::new(tn, p.nfu3 as usize, cfg.frac_bits, cfg.lfsr_seed)?,
        })
    }
}

impl<const NW: usize, const SW: usize, const PW: usize, const RW: usize> Logic
    for Nfu<NW, SW, PW, RW>
{
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, c1, x1, nb1, b1, nfu1, nfu2, nfu3, hold);
        // isa: nfu.mul: an even step loads the hold register; diagonal multipliers read it
        self.is_mul.next = self.op.val() == self.k_mul.val();
        self.hold.d.next = self.hold.q.val();
        if self.valid.val() && !self.rst.val() && self.is_mul.val() && !self.odd.val() {
            self.hold.d.next = self.nbin.val();
        }
        self.cin.next.valid = self.valid.val() && !self.rst.val();
        self.cin.next.first = self.first.val();
        self.cin.next.last = self.last.val();
        self.cin.next.odd = self.odd.val();
        self.cin.next.op = self.op.val();
        self.cin.next.acc_in = self.acc_in.val();
        self.cin.next.activate = self.activate.val();
        self.cin.next.act = self.act.val();
        self.cin.next.round = self.round.val();
        self.cin.next.scale = self.scale.val();
        self.cin.next.row = self.row.val();
        self.c1.d.next = self.cin.val();
        self.x1.d.next = self.nbin.val();
        self.nb1.d.next = self.nbout.val();
        self.b1.d.next = self.bias.val();
        self.nfu1.nbin.next = self.nbin.val();
        self.nfu1.sb.next = self.sb.val();
        self.nfu1.tr.next = self.transpose.val();
        self.nfu1.hold.next = self.hold.q.val();
        self.nfu1.hsel.next = self.is_mul.val();
        self.nfu2.ctl.next = self.c1.q.val();
        self.nfu2.prod.next = self.nfu1.prod.val();
        self.nfu2.nbin.next = self.x1.q.val();
        self.nfu2.nbout.next = self.nb1.q.val();
        self.nfu2.bias.next = self.b1.q.val();
        self.nfu3.rst.next = self.rst.val();
        self.nfu3.seed.next = self.seed.val();
        self.nfu3.ctl.next = self.nfu2.octl.val();
        self.nfu3.acc.next = self.nfu2.acc.val();
        self.we.next = self.nfu3.octl.val().valid;
        self.wrow.next = self.nfu3.octl.val().row;
        self.wdata.next = self.nfu3.data.val();
        self.sat_count.next = self.nfu3.sat.val();
    }
}

/// Declares a preset's NFU type with all widths derived from its Tn.
macro_rules! nfu_preset {
    ($(#[$m:meta])* $name:ident, $tn:expr) => {
        $(#[$m])*
        pub type $name = Nfu<{ $tn * DW }, { $tn * $tn * DW }, { $tn * $tn * AW }, { $tn * AW }>;
    };
}
nfu_preset!(
    /// NFU of the `tiny` preset (Tn = 4); `new` checks the configuration.
    NfuTiny, 4
);
nfu_preset!(
    /// NFU of the `diannao` preset (Tn = 16); `new` checks the configuration.
    NfuDiannao, 16
);
nfu_preset!(
    /// NFU of the `zcu104` preset (Tn = 32); `new` checks the configuration.
    NfuZcu104, 32
);

// ---------------------------------------------------------------- delay line and control bundle

/// Delay line: `q` in cycle t+n equals `d` in cycle t (`n` = [`Delay::len`]).
/// Registers start at zero (Verilog `initial`, and the Rust model).
#[derive(LogicBlock)]
pub struct Delay<T: Synth> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Input, sampled at every rising edge.
    pub d: Signal<In, T>,
    /// Output.
    pub q: Signal<Out, T>,
    regs: Vec<DFF<T>>,
}

impl<T: Synth> Delay<T> {
    /// A delay of `n` cycles.
    pub fn new(n: usize) -> Self {
        Self {
            clock: Default::default(),
            d: Default::default(),
            q: Default::default(),
            regs: (0..n).map(|_| DFF::default()).collect(),
        }
    }
    /// The delay in cycles.
    pub fn len(&self) -> usize {
        self.regs.len()
    }
    /// True for a zero-cycle delay (a wire).
    pub fn is_empty(&self) -> bool {
        self.regs.is_empty()
    }
    fn wire_loops(&self) -> usize {
        usize::from(self.regs.is_empty())
    }
    fn head_loops(&self) -> usize {
        usize::from(!self.regs.is_empty())
    }
    fn last(&self) -> usize {
        self.regs.len().saturating_sub(1)
    }
}

impl<T: Synth> Logic for Delay<T> {
    #[hdl_gen]
    fn update(&mut self) {
        for _w in 0..self.wire_loops() {
            self.q.next = self.d.val();
        }
        for h in 0..self.head_loops() {
            self.regs[h].d.next = self.d.val();
        }
        for k in 0..self.regs.len() {
            self.regs[k].clock.next = self.clock.val();
        }
        for k in 1..self.regs.len() {
            self.regs[k].d.next = self.regs[k - 1].q.val();
        }
        for k in self.last()..self.regs.len() {
            self.q.next = self.regs[k].q.val();
        }
    }
}

/// Per-step control travelling with the data (field meanings: see [`Nfu`]).
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct Ctl {
    /// A step (or, after NFU-2, an output) is present.
    pub valid: Bit,
    /// First reduction step of an output.
    pub first: Bit,
    /// Last reduction step of an output.
    pub last: Bit,
    /// `mul`: odd reduction step (`k = ky*ni + i` odd): accumulate `hold * NBin`.
    pub odd: Bit,
    /// NFU opcode (`arch::isa::NfuOp` encoding).
    pub op: Bits<OPW>,
    /// Accumulator init selector (`arch::isa::AccIn` encoding).
    pub acc_in: Bits<INW>,
    /// `out=act` (else `out=partial`).
    pub activate: Bit,
    /// Activation function (`arch::activation::Activation` encoding).
    pub act: Bits<ACTW>,
    /// Rounding mode (`arch::fixed::Rounding` encoding).
    pub round: Bits<RNDW>,
    /// Average-pool scale, Q1.15.
    pub scale: Bits<SCW>,
    /// NBout row of the output.
    pub row: Bits<ROWW>,
}
