//! `nfu_seq`: the NFU sequencer: the NFU's op queue, the start condition of
//! the head op (docs/microarchitecture.md, "Dependency bookkeeping"), the
//! op's timing (bias cycle, one row pair per cycle, latency D) and its
//! address generation: issue j of an op reads NBin row
//! `nbin + py*spy + px*spx + ky*sky + i`, SB row `sb + ky*ni + i` and writes
//! NBout row `nbout + py*npx + px`. A running op is evaluated issue by issue,
//! in issue-cycle order, up to a given cycle; the caller guarantees that the
//! buffers hold exactly what a read in those cycles sees.

use super::buffers::Buffers;
use super::cp::Cp;
use super::dma::Dmas;
use super::nfu::{Kernel, MulStep, Nfu, NfuState, OutputMode};
use super::queue::Queue;
use arch::events::{Counters, Event};
use arch::isa::{AccIn, Buffer, NfuOp, NfuSlot};
use arch::AccelConfig;
use std::collections::VecDeque;

/// The rows and position of one issue (row pair) of an op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssueRows {
    /// Output index `o = py*npx + px`.
    pub output: u64,
    /// Step within the output, `k = ky*ni + i`.
    pub step: u64,
    /// NBin row read.
    pub nbin: usize,
    /// SB row read (mac only).
    pub sb: usize,
    /// NBout row of the output.
    pub nbout: usize,
    /// First step of the output (initialises the accumulators).
    pub first: bool,
    /// Last step of the output (the output leaves the NFU).
    pub last: bool,
}

/// Issue `j` (0-based, issue order) of op `s`, whose outputs have `steps`
/// (= `s.steps_per_output()`) steps each.
#[inline(always)]
pub fn issue_rows(s: &NfuSlot, steps: u64, j: u64) -> IssueRows {
    let (ni, npx) = (s.ni as u64, s.npx as u64);
    let o = j / steps;
    let k = j % steps;
    let (py, px) = (o / npx, o % npx);
    let (ky, i) = (k / ni, k % ni);
    debug_assert!(ky < s.nky as u64);
    IssueRows {
        output: o,
        step: k,
        nbin: (s.nbin as u64 + py * s.spy as u64 + px * s.spx as u64 + ky * s.sky as u64 + i)
            as usize,
        sb: (s.sb as u64 + ky * ni + i) as usize,
        nbout: (s.nbout as u64 + o) as usize,
        first: k == 0,
        last: k + 1 == steps,
    }
}

/// The position of the next issue of an op, stepped in issue order without
/// divisions (equal to [`issue_rows`] at every issue; see the unit test).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IssueCursor {
    /// Output index `o = py*npx + px`.
    o: u64,
    /// Step within the output, `k = ky*ni + i`.
    k: u64,
    /// Output row py.
    py: u64,
    /// Output column px.
    px: u64,
    /// Kernel row ky of the step.
    ky: u64,
    /// Input row i of the step (within the kernel row).
    i: u64,
}

impl IssueCursor {
    /// The rows of the current issue of op `s` with `steps` steps per output.
    #[inline(always)]
    pub fn rows(&self, s: &NfuSlot, steps: u64) -> IssueRows {
        let ni = s.ni as u64;
        IssueRows {
            output: self.o,
            step: self.k,
            nbin: (s.nbin as u64
                + self.py * s.spy as u64
                + self.px * s.spx as u64
                + self.ky * s.sky as u64
                + self.i) as usize,
            sb: (s.sb as u64 + self.ky * ni + self.i) as usize,
            nbout: (s.nbout as u64 + self.o) as usize,
            first: self.k == 0,
            last: self.k + 1 == steps,
        }
    }

    /// Step to the next issue.
    #[inline(always)]
    pub fn step(&mut self, s: &NfuSlot, steps: u64) {
        self.k += 1;
        self.i += 1;
        if self.i == s.ni as u64 {
            self.i = 0;
            self.ky += 1;
        }
        if self.k == steps {
            self.k = 0;
            self.i = 0;
            self.ky = 0;
            self.o += 1;
            self.px += 1;
            if self.px == s.npx as u64 {
                self.px = 0;
                self.py += 1;
            }
        }
    }
}

/// SB row of op `s`'s bias (`in=bias`): `sb + nky*ni`.
#[inline]
pub fn bias_row(s: &NfuSlot) -> usize {
    (s.sb as u64 + s.nky as u64 * s.ni as u64) as usize
}

/// An NFU output waiting for its NBout write at the end of `cycle`.
#[derive(Clone, Debug)]
pub(crate) struct PendingOut {
    /// Cycle at whose end the row is written.
    pub cycle: u64,
    /// NBout row.
    pub row: usize,
    /// The Tn entries.
    pub data: Vec<i32>,
}

/// The NFU outputs waiting for their NBout writes, in write order, and
/// the row buffers of written ones, reused (an output row is allocated
/// once per run, not once per output).
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    /// Pending outputs, in write order.
    q: VecDeque<PendingOut>,
    /// Buffers of written outputs.
    free: Vec<Vec<i32>>,
}

impl Outputs {
    /// True if no output is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Queue the output `fill` writes into a (cleared) row buffer, due at
    /// the end of `cycle` into NBout row `row`; returns what `fill` returns.
    #[inline]
    pub fn push<R>(&mut self, cycle: u64, row: usize, fill: impl FnOnce(&mut Vec<i32>) -> R) -> R {
        let mut data = self.free.pop().unwrap_or_default();
        data.clear();
        let r = fill(&mut data);
        self.q.push_back(PendingOut { cycle, row, data });
        r
    }

    /// Write into NBout every output due at the end of cycles `<= x`.
    #[inline]
    fn write_due(&mut self, x: u64, bufs: &mut Buffers, cnt: &mut Counters) {
        while self.q.front().is_some_and(|o| o.cycle <= x) {
            let o = self.q.pop_front().expect("front exists");
            bufs.nbout_row_mut(o.row).copy_from_slice(&o.data);
            cnt.add(Event::NboutWrites, 1);
            self.free.push(o.data);
        }
    }
}

/// Why the head op did not start in a cycle (the stall event counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// No visible head op.
    Idle,
    /// The head op cannot start: `nfu_stall_drain`, `_load` or `_store`.
    Stalled(Event),
    /// The head op started.
    Started,
}

/// An op in the NFU pipeline: issuing, or issued with outputs still to be
/// written.
#[derive(Clone, Debug)]
pub(crate) struct RunningOp {
    /// Sequence number (instruction index).
    pub seq: usize,
    /// The op.
    pub slot: NfuSlot,
    /// Start cycle s (the bias cycle for `in=bias`).
    pub start: u64,
    /// Cycle of the first row-pair issue.
    pub first_issue: u64,
    /// Row pairs N.
    pub n_issues: u64,
    /// Cycle at whose end the last output is written.
    pub complete: u64,
    /// Steps per output.
    steps: u64,
    /// The bias row has been read (or the op has none).
    bias_read: bool,
    /// Issues evaluated so far.
    issued: u64,
    /// Position of the next issue.
    cursor: IssueCursor,
    /// D = 1 + D1 + D2 + D3, cycles from an output's last issue to its write.
    latency: u64,
}

impl RunningOp {
    /// An op of instruction `seq` starting in cycle `s`.
    pub fn new(seq: usize, slot: NfuSlot, s: u64, cfg: &AccelConfig) -> Self {
        let bias = slot.acc_in == AccIn::Bias;
        let n = slot.issues();
        let first_issue = s + bias as u64;
        let latency = cfg.nfu_latency() as u64;
        RunningOp {
            seq,
            slot,
            start: s,
            first_issue,
            n_issues: n,
            complete: first_issue + n - 1 + latency,
            steps: slot.steps_per_output(),
            bias_read: !bias,
            issued: 0,
            cursor: IssueCursor::default(),
            latency,
        }
    }

    /// True if the op issues (or reads its bias row) in cycle `t`.
    #[inline]
    pub fn busy_in(&self, t: u64) -> bool {
        t >= self.start && t < self.first_issue + self.n_issues
    }

    /// The cycle after the op's last issue: the first cycle the next op
    /// may start (overlap rule (a), docs/microarchitecture.md).
    #[inline]
    pub fn issue_end(&self) -> u64 {
        self.first_issue + self.n_issues
    }

    /// Overlap rule (b): if an output of this op pending in cycle `t`
    /// (written at the end of cycle `t` or later) goes to an NBout row in
    /// `lo..hi`, the first cycle in which none does (one after the last
    /// such write). Call only once every issue is over (`t >=
    /// issue_end()`): then at most D outputs are pending.
    #[inline]
    pub fn pending_hit(&self, t: u64, lo: u64, hi: u64) -> Option<u64> {
        let outputs = self.n_issues / self.steps;
        let base = self.slot.nbout as u64;
        // outputs in reverse write order, while pending
        for j in (0..outputs).rev() {
            let w = self.first_issue + (j + 1) * self.steps - 1 + self.latency;
            if w < t {
                break;
            }
            if (lo..hi).contains(&(base + j)) {
                return Some(w + 1);
            }
        }
        None
    }

    /// True if the op may still read row `row` of NBin or SB (`b`; true
    /// for NBout, which the caller handles apart): a write to any other
    /// row can land before the op's pending reads are evaluated without
    /// changing what they see. The ranges are the op's whole address range
    /// (SB: its bias row included), a superset of what is left to read.
    #[inline]
    pub fn may_read(&self, b: Buffer, row: usize) -> bool {
        if self.all_issued() {
            return false;
        }
        let s = &self.slot;
        let row = row as u64;
        match b {
            Buffer::Nbin => row >= s.nbin as u64 && row <= s.max_nbin_row(),
            Buffer::Sb => row >= s.sb as u64 && row <= s.sb as u64 + s.nky as u64 * s.ni as u64,
            Buffer::Nbout => true,
        }
    }

    /// True once every issue has been evaluated.
    pub fn all_issued(&self) -> bool {
        self.bias_read && self.issued == self.n_issues
    }

    /// Evaluate the bias read and every issue in cycles `<= x` on datapath
    /// `nfu`, pushing each finished output to `out` with its write cycle.
    #[allow(clippy::too_many_arguments)]
    pub fn advance(
        &mut self,
        x: u64,
        bufs: &Buffers,
        nfu: &mut Nfu,
        st: &mut NfuState,
        cnt: &mut Counters,
        out: &mut Outputs,
        k: Kernel,
    ) {
        if x < self.start {
            return;
        }
        let tn = st.tn;
        let s = self.slot;
        if !self.bias_read {
            nfu.load_bias(bufs.sb_row(bias_row(&s)));
            self.bias_read = true;
            cnt.add(Event::NfuBusy, 1);
            cnt.add(Event::SbReads, 1);
        }
        if x < self.first_issue {
            return;
        }
        let last = (x - self.first_issue + 1).min(self.n_issues);
        if self.issued >= last {
            return;
        }
        let nbin = |r: &IssueRows| bufs.nbin_row(r.nbin);
        // one loop per opcode, so that the opcode is not re-decoded per issue
        let (issued, odd_steps, nbout_reads) = match s.op {
            // isa: nfu.mac
            NfuOp::Mac => self.mac_loop(last, bufs, nfu, st, cnt, out, k),
            // isa: nfu.max
            NfuOp::Max => self.issue_loop(last, bufs, nfu, st, cnt, out, |nfu, r| {
                nfu.exec_max(nbin(r))
            }),
            // isa: nfu.avg
            NfuOp::Avg => self.issue_loop(last, bufs, nfu, st, cnt, out, |nfu, r| {
                nfu.exec_avg(nbin(r))
            }),
            // isa: nfu.mul
            NfuOp::Mul => self.issue_loop(last, bufs, nfu, st, cnt, out, |nfu, r| {
                nfu.exec_mul(nbin(r), MulStep::of_step(r.step))
            }),
            NfuOp::Nop => self.issue_loop(last, bufs, nfu, st, cnt, out, |_, _| {}),
        };
        let macs = if s.op == NfuOp::Mac { issued } else { 0 };
        let muls = if s.op == NfuOp::Mul { odd_steps } else { 0 };
        let t2 = (tn * tn) as u64;
        cnt.add(Event::NfuBusy, issued);
        cnt.add(Event::NbinReads, issued);
        cnt.add(Event::SbReads, macs);
        cnt.add(Event::Macs, macs * t2 + muls * tn as u64);
        cnt.add(Event::Nfu2Ops, macs * t2 + (issued - macs) * tn as u64);
        cnt.add(Event::NboutReads, nbout_reads);
    }
}

impl RunningOp {
    /// [`Self::issue_loop`] for `mac`, a stretch at a time: the issues of one
    /// kernel row `ky` of one output read consecutive NBin rows and
    /// consecutive SB rows, so each stretch (up to `ni` issues, cut at
    /// `last`) goes to the kernel in one call ([`Nfu::exec_mac_stretch`]);
    /// an output's first issue starts a stretch and its last one ends it.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn mac_loop(
        &mut self,
        last: u64,
        bufs: &Buffers,
        nfu: &mut Nfu,
        st: &mut NfuState,
        cnt: &mut Counters,
        out: &mut Outputs,
        k: Kernel,
    ) -> (u64, u64, u64) {
        let s = self.slot;
        let (tn, ni) = (bufs.tn, s.ni as u64);
        let (start, mut nbout_reads) = (self.issued, 0u64);
        while self.issued < last {
            let j = self.issued;
            let r = self.cursor.rows(&s, self.steps);
            debug_assert_eq!(r, issue_rows(&s, self.steps, j));
            if r.first {
                nbout_reads += Self::start_output(&s, &r, bufs, nfu, st);
            }
            // issues j .. j+m: same output, same ky, i = cursor.i ..
            let m = (ni - self.cursor.i).min(last - j);
            let mu = m as usize;
            let x = &bufs.nbin[r.nbin * tn..(r.nbin + mu) * tn];
            let w = &bufs.sb[r.sb * tn * tn..(r.sb + mu) * tn * tn];
            nfu.exec_mac_stretch(w, x, s.transpose, k);
            // to the stretch's last issue (within the kernel row)
            self.cursor.k += m - 1;
            self.cursor.i += m - 1;
            let jl = j + m - 1;
            let rl = self.cursor.rows(&s, self.steps);
            debug_assert_eq!(rl, issue_rows(&s, self.steps, jl));
            if rl.last {
                self.emit(jl, rl.nbout, nfu, st, cnt, out);
            }
            self.cursor.step(&s, self.steps);
            self.issued += m;
        }
        (self.issued - start, 0, nbout_reads)
    }

    /// An output's first issue: initialise the accumulators (from its NBout
    /// row when the op accumulates onto NBout). Returns the NBout reads (0 or 1).
    #[inline(always)]
    fn start_output(
        s: &NfuSlot,
        r: &IssueRows,
        bufs: &Buffers,
        nfu: &mut Nfu,
        st: &NfuState,
    ) -> u64 {
        let (nbout, reads): (&[i32], u64) = if s.acc_in == AccIn::Nbout {
            (bufs.nbout_row(r.nbout), 1)
        } else {
            (&[], 0)
        };
        nfu.init(s.op, s.acc_in, nbout, st.frac);
        reads
    }

    /// Issue `j` completed an output (NBout row `row`): NFU-3 converts it
    /// and its write is due `latency` cycles after the issue.
    #[inline(always)]
    fn emit(
        &self,
        j: u64,
        row: usize,
        nfu: &mut Nfu,
        st: &mut NfuState,
        cnt: &mut Counters,
        out: &mut Outputs,
    ) {
        let mode = OutputMode::of(&self.slot);
        let cycle = self.first_issue + j + self.latency;
        let sats = out.push(cycle, row, |data| nfu.output_into(&mode, st, data));
        if mode.activate {
            cnt.add(Event::Nfu3Ops, st.tn as u64);
            cnt.add(Event::Saturations, sats as u64);
        }
    }

    /// Evaluate issues up to (excluding) index `last`, applying `exec` (one
    /// opcode's datapath step) to each; returns (issues, odd steps, NBout
    /// reads) evaluated.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn issue_loop(
        &mut self,
        last: u64,
        bufs: &Buffers,
        nfu: &mut Nfu,
        st: &mut NfuState,
        cnt: &mut Counters,
        out: &mut Outputs,
        mut exec: impl FnMut(&mut Nfu, &IssueRows),
    ) -> (u64, u64, u64) {
        let s = self.slot;
        let (start, mut odd_steps, mut nbout_reads) = (self.issued, 0u64, 0u64);
        while self.issued < last {
            let j = self.issued;
            let r = self.cursor.rows(&s, self.steps);
            debug_assert_eq!(r, issue_rows(&s, self.steps, j));
            if r.first {
                nbout_reads += Self::start_output(&s, &r, bufs, nfu, st);
            }
            exec(nfu, &r);
            odd_steps += r.step & 1;
            if r.last {
                self.emit(j, r.nbout, nfu, st, cnt, out);
            }
            self.cursor.step(&s, self.steps);
            self.issued += 1;
        }
        (self.issued - start, odd_steps, nbout_reads)
    }
}

/// The NFU sequencer: op queue, ops in the pipeline, outputs in the
/// pipeline, done counter.
pub(crate) struct NfuSeq {
    /// Dispatched ops.
    pub queue: Queue<NfuSlot>,
    /// The started ops not yet complete, in start order (= completion
    /// order): at most one is issuing, the one at the back.
    pub running: VecDeque<RunningOp>,
    /// Evaluated outputs waiting for their NBout write, in write order.
    pub outputs: Outputs,
    /// Ops completed (seen from the cycle after the last output's write).
    pub done: u64,
    /// D = `AccelConfig::nfu_latency()`: the rows `nbout .. nbout + D` of
    /// an `in=nbout` op are checked against pending outputs.
    latency: u64,
    /// The cycle in which the last overlap-rule (b) stall clears, if the
    /// head op was held by it in the last [`Self::try_start`] (an event of
    /// the fast scheduler).
    pub retry: Option<u64>,
}

impl NfuSeq {
    /// An idle sequencer with a queue of `depth` ops.
    pub fn new(depth: usize, cfg: &AccelConfig) -> Self {
        NfuSeq {
            queue: Queue::new(depth),
            running: VecDeque::new(),
            outputs: Outputs::default(),
            done: 0,
            latency: cfg.nfu_latency() as u64,
            retry: None,
        }
    }

    /// True if nothing is queued, running or waiting for its NBout write.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.running.is_empty() && self.outputs.is_empty()
    }

    /// True if an op in the pipeline may still read row `row` of buffer
    /// `b` (see [`RunningOp::may_read`]).
    #[inline]
    pub fn may_read(&self, b: Buffer, row: usize) -> bool {
        self.running.iter().any(|r| r.may_read(b, row))
    }

    /// The op that completes first, if any.
    #[inline]
    pub fn first_to_complete(&self) -> Option<&RunningOp> {
        self.running.front()
    }

    /// Evaluate the reads of the ops in the pipeline in cycles `<= x`, in
    /// issue order (see [`RunningOp::advance`]). Before a later op's reads,
    /// the earlier ops' outputs due by the end of cycle `x - 1` are written:
    /// by the overlap rule the later op reads no row before an earlier op's
    /// write to it, so it sees what it would see cycle by cycle.
    #[inline]
    pub fn evaluate(
        &mut self,
        x: u64,
        bufs: &mut Buffers,
        nfu: &mut Nfu,
        st: &mut NfuState,
        cnt: &mut Counters,
        k: Kernel,
    ) {
        let n = self.running.len();
        for idx in 0..n {
            if self.running[idx].all_issued() {
                continue;
            }
            if idx > 0 && x > 0 {
                self.outputs.write_due(x - 1, bufs, cnt);
            }
            self.running[idx].advance(x, bufs, nfu, st, cnt, &mut self.outputs, k);
        }
    }

    /// Write into NBout the outputs due at the end of cycles `<= x`.
    #[inline]
    pub fn write_outputs(&mut self, x: u64, bufs: &mut Buffers, cnt: &mut Counters) {
        self.outputs.write_due(x, bufs, cnt);
    }

    /// Overlap rule (docs/microarchitecture.md) for an op `h` in cycle `t`:
    /// `Err(Some(c))` if rule (b) holds it until cycle `c`, `Err(None)` if
    /// the previous op is still issuing (rule (a)).
    #[inline]
    fn overlap(&self, t: u64, h: &NfuSlot) -> Result<(), Option<u64>> {
        let Some(back) = self.running.back() else {
            return Ok(());
        };
        if back.issue_end() > t {
            return Err(None);
        }
        if h.acc_in == AccIn::Nbout {
            let lo = h.nbout as u64;
            let hi = lo + self.latency;
            let clear = self
                .running
                .iter()
                .filter_map(|r| r.pending_hit(t, lo, hi))
                .max();
            if let Some(c) = clear {
                return Err(Some(c));
            }
        }
        Ok(())
    }

    /// Cycle `t`: start the visible head op if the overlap rule holds, the
    /// loads it needs are done and its store wait holds.
    #[inline]
    pub fn try_start(&mut self, t: u64, cfg: &AccelConfig, cp: &Cp, dmas: &Dmas) -> Start {
        self.retry = None;
        let Some(h) = self.queue.head_visible(t) else {
            return Start::Idle;
        };
        let d = cp.disp_at(h.seq as i64);
        let loads = dmas.nbin.loads_done >= d.nbin
            && dmas.sb.loads_done >= d.sb
            && dmas.nbout.loads_done >= d.nbout_load;
        let store = h.slot.wait == 0
            || dmas.nbout.stores_done >= cp.disp_at(h.seq as i64 - h.slot.wait as i64).nbout_store;
        let overlap = self.overlap(t, &h.slot);
        if let Err(retry) = overlap {
            self.retry = retry;
            Start::Stalled(Event::NfuStallDrain)
        } else if !loads {
            Start::Stalled(Event::NfuStallLoad)
        } else if !store {
            Start::Stalled(Event::NfuStallStore)
        } else {
            self.queue.pop();
            self.running
                .push_back(RunningOp::new(h.seq, h.slot, t, cfg));
            Start::Started
        }
    }

    /// The first op to complete completed (its last output was written);
    /// errors if an issue was left unevaluated.
    pub fn complete(&mut self) -> Result<(), crate::error::SimError> {
        let r = self.running.pop_front().expect("running op");
        if !r.all_issued() {
            return Err(crate::error::SimError::Internal(format!(
                "NFU op {} completed with issues left",
                r.seq
            )));
        }
        self.done += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn cursor_steps_through_issue_rows() {
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..500 {
            let s = NfuSlot {
                op: NfuOp::Mac,
                nbin: r.gen_range(0..9),
                sb: r.gen_range(0..9),
                nbout: r.gen_range(0..9),
                npy: r.gen_range(1..=3),
                spy: r.gen_range(0..=5),
                npx: r.gen_range(1..=4),
                spx: r.gen_range(0..=3),
                nky: r.gen_range(1..=3),
                sky: r.gen_range(0..=4),
                ni: r.gen_range(1..=4),
                ..NfuSlot::default()
            };
            let steps = s.steps_per_output();
            let mut c = IssueCursor::default();
            for j in 0..s.issues() {
                assert_eq!(
                    c.rows(&s, steps),
                    issue_rows(&s, steps, j),
                    "{s:?} issue {j}"
                );
                c.step(&s, steps);
            }
        }
    }
}
