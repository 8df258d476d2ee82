//! `nfu`: the neural functional unit's datapath: [`nfu1`] (Tn x Tn
//! multipliers), [`nfu2`] (adder trees, accumulators, max and sum units,
//! the `mul` hold register), [`nfu3`] (conversion and activation), plus the
//! bias register. One function per opcode ([`Nfu::exec_mac`],
//! [`Nfu::exec_max`], [`Nfu::exec_avg`], [`Nfu::exec_mul`]) applies one
//! issue (row pair) to the accumulators; [`Nfu::output`] turns finished
//! accumulators into NBout entries. These functions are the NFU's only
//! instruction semantics: the timed simulator ([`super::nfu_seq`]) and the
//! untimed functional model ([`crate::functional`]) both call them.

pub mod nfu1;
pub mod nfu2;
pub mod nfu3;

pub use nfu2::MulStep;

use arch::activation::{rom, Activation, Table};
use arch::fixed::{Lfsr, Rounding};
use arch::isa::{AccIn, NfuOp};
use arch::AccelConfig;

/// NFU state: the per-lane stochastic-rounding LFSRs (loaded from the run's
/// seed at every start, [`NfuState::reseed`]) and the NFU-3 ROM.
#[derive(Clone, Debug)]
pub struct NfuState {
    /// Fraction bits of the data format.
    pub frac: u32,
    /// Tn (lanes).
    pub tn: usize,
    /// Lane LFSRs, loaded with `Lfsr::lane_seed(seed, lane)` at every start.
    pub lfsr: Vec<Lfsr>,
    /// NFU-3 tables in `Activation::ALL` order.
    pub tables: Vec<Table>,
    /// Per table: it is the identity on every data word
    /// ([`nfu3::is_identity`]), so NFU-3 can skip it.
    pub identity: Vec<bool>,
}

impl NfuState {
    /// Reset state for `cfg`.
    pub fn new(cfg: &AccelConfig) -> Self {
        let tables = rom(cfg.frac_bits);
        NfuState {
            frac: cfg.frac_bits,
            tn: cfg.tn as usize,
            lfsr: (0..cfg.tn)
                .map(|n| Lfsr(Lfsr::lane_seed(cfg.lfsr_seed, n)))
                .collect(),
            identity: tables
                .iter()
                .map(|t| nfu3::is_identity(t, cfg.frac_bits))
                .collect(),
            tables,
        }
    }

    /// Load every lane's LFSR with `Lfsr::lane_seed(seed, lane)`: what every
    /// start does (docs/microarchitecture.md, NFU-3).
    pub fn reseed(&mut self, seed: u32) {
        for (n, l) in self.lfsr.iter_mut().enumerate() {
            *l = Lfsr(Lfsr::lane_seed(seed, n as u32));
        }
    }

    /// The NFU-3 table of activation `act`.
    #[inline]
    pub fn table(&self, act: Activation) -> &Table {
        &self.tables[nfu3::table_index(act)]
    }
}

/// Which arithmetic kernel evaluates a `mac` issue (same results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Vectorisable kernel (fast mode).
    Fast,
    /// Literal transcription of the contract's formulas (stepped mode).
    Plain,
}

/// How a finished output leaves the NFU (`out=`, activation, rounding, avg scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputMode {
    /// The opcode (selects the conversion).
    pub op: NfuOp,
    /// `out=act` (else `out=partial`: the raw accumulator).
    pub activate: bool,
    /// NFU-3 function.
    pub act: Activation,
    /// Rounding of the conversion.
    pub round: Rounding,
    /// `avg` scale, Q1.15.
    pub scale: u16,
}

impl OutputMode {
    /// The output mode of NFU slot `s`.
    #[inline]
    pub fn of(s: &arch::isa::NfuSlot) -> Self {
        OutputMode {
            op: s.op,
            activate: s.activate,
            act: s.act,
            round: s.round,
            scale: s.scale as u16,
        }
    }
}

/// The NFU datapath registers: Tn accumulators, the `mul` hold register and
/// the bias register. Their contents at the start of an op do not matter:
/// every output initialises its accumulators, every `mul` pair loads `hold`
/// before reading it, and an `in=bias` op loads the bias register first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nfu {
    /// NFU-2 accumulators, one per lane.
    pub acc: Vec<i32>,
    /// `mul`: the NBin word of the last even step, one per lane.
    pub hold: Vec<i16>,
    /// Bias register: the first Tn words of the op's bias SB row.
    pub bias: Vec<i16>,
}

impl Nfu {
    /// Zeroed registers for `tn` lanes.
    pub fn new(tn: usize) -> Self {
        Nfu {
            acc: vec![0; tn],
            hold: vec![0; tn],
            bias: vec![0; tn],
        }
    }

    /// Load the bias register from SB row `row` (its first Tn words).
    #[inline]
    pub fn load_bias(&mut self, row: &[i16]) {
        let tn = self.bias.len();
        self.bias.copy_from_slice(&row[..tn]);
    }

    /// First step of an output: initialise the accumulators (see
    /// [`nfu2::init`]); `nbout` is the output's NBout row, read only for
    /// `in=nbout` (pass `&[]` otherwise).
    #[inline(always)]
    pub fn init(&mut self, op: NfuOp, acc_in: AccIn, nbout: &[i32], frac: u32) {
        nfu2::init(&mut self.acc, op, acc_in, nbout, &self.bias, frac);
    }

    /// `nfu.mac` issue: `acc[n] += sum_i sb[n*Tn + i] * nbin[i]` (transposed:
    /// `sb[i*Tn + n]`).
    #[inline(always)]
    pub fn exec_mac(&mut self, sb: &[i16], nbin: &[i16], transpose: bool, k: Kernel) {
        // isa: nfu.mac
        nfu1::mac_row(&mut self.acc, sb, nbin, transpose, k);
    }

    /// `m` consecutive `nfu.mac` issues of one output at once: `sb` holds
    /// their `m` SB rows and `nbin` their `m` NBin rows, in issue order (the
    /// same as `m` calls of [`Nfu::exec_mac`]).
    #[inline(always)]
    pub fn exec_mac_stretch(&mut self, sb: &[i16], nbin: &[i16], transpose: bool, k: Kernel) {
        // isa: nfu.mac
        nfu1::mac_stretch(&mut self.acc, sb, nbin, transpose, k);
    }

    /// `nfu.max` issue: `acc[n] = max(acc[n], nbin[n])`.
    #[inline(always)]
    pub fn exec_max(&mut self, nbin: &[i16]) {
        // isa: nfu.max
        nfu2::max(&mut self.acc, nbin);
    }

    /// `nfu.avg` issue: `acc[n] += nbin[n]` (the scale is applied by NFU-3).
    #[inline(always)]
    pub fn exec_avg(&mut self, nbin: &[i16]) {
        // isa: nfu.avg
        nfu2::sum(&mut self.acc, nbin);
    }

    /// `nfu.mul` issue (element-wise multiply): the even step of a pair loads
    /// `hold[n] = nbin[n]`, the odd step does `acc[n] += hold[n] * nbin[n]`.
    #[inline(always)]
    pub fn exec_mul(&mut self, nbin: &[i16], half: MulStep) {
        // isa: nfu.mul
        nfu2::mul_step(&mut self.acc, &mut self.hold, nbin, half);
    }

    /// One issue of opcode `op`: step `k` of its output (`k = ky*ni + i`),
    /// NBin row `nbin`, and the SB row (`sb` is called for mac only).
    #[inline(always)]
    pub fn exec<'b>(
        &mut self,
        op: NfuOp,
        k: u64,
        nbin: &[i16],
        sb: impl FnOnce() -> &'b [i16],
        transpose: bool,
        kernel: Kernel,
    ) {
        match op {
            // isa: nfu.mac
            NfuOp::Mac => self.exec_mac(sb(), nbin, transpose, kernel),
            // isa: nfu.max
            NfuOp::Max => self.exec_max(nbin),
            // isa: nfu.avg
            NfuOp::Avg => self.exec_avg(nbin),
            // isa: nfu.mul
            NfuOp::Mul => self.exec_mul(nbin, MulStep::of_step(k)),
            NfuOp::Nop => {}
        }
    }

    /// Last step of an output: the NBout entries (the raw accumulators for
    /// `out=partial`, else NFU-3's result, stepping the LFSRs for
    /// `round=stoch`) and the number of lanes that saturated.
    #[inline]
    pub fn output(&self, m: &OutputMode, st: &mut NfuState) -> (Vec<i32>, u32) {
        let mut out = Vec::with_capacity(self.acc.len());
        let sats = self.output_into(m, st, &mut out);
        (out, sats)
    }

    /// [`Nfu::output`] appended to `out`; returns the saturated lanes.
    #[inline]
    pub fn output_into(&self, m: &OutputMode, st: &mut NfuState, out: &mut Vec<i32>) -> u32 {
        if !m.activate {
            out.extend_from_slice(&self.acc);
            return 0;
        }
        let t = nfu3::table_index(m.act);
        let table = (!st.identity[t]).then(|| &st.tables[t]);
        nfu3::activate(
            &self.acc,
            m.op,
            m.round,
            m.scale,
            st.frac,
            table,
            &mut st.lfsr,
            out,
        )
    }
}
