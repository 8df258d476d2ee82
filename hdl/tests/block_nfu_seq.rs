//! Block tests of the NFU sequencer (`hdl::core::nfu_seq::NfuSeq`, tiny
//! preset: queue of 2, D = nfu_latency = 4): alone, emitted and checked by
//! Verilator and Yosys, and clocked tables with the values of
//! docs/microarchitecture.md, in rust-hdl and Icarus: a 2-output mac (issue
//! order and buffer addresses, the datapath control one cycle later, the
//! NBout writes at last issue + D, completion; then an op waiting for an NBin
//! load); ops overlapping under the overlap rule ("Dependency bookkeeping"):
//! three ops in flight, a head op with `in=nbout` held by rule (b) until no
//! pending output targets its rows `[nbout, nbout + D)`, and one not held
//! (its rows at or beyond the pending ones, also across the top of the
//! 12-bit row range).

mod common;
use arch::isa::{AccIn, NfuOp};
use arch::AccelConfig;
use common::*;
use hdl::core::nfu_seq::NfuSeq;
use hdl::tb::verilog_test::Port;
use hdl::widths::*;
use rust_hdl::prelude::*;

type Seq = NfuSeq<2, 4, 5, 5, 4>;

fn seq() -> Seq {
    NfuSeq::new(&AccelConfig::tiny())
}

/// A queue entry (layout `hdl::widths::nfu_entry`): op over npy x npx outputs
/// of nky x ni steps, NBin strides spx, sky; requirements and sequence number.
#[allow(clippy::too_many_arguments)]
fn entry(
    op: NfuOp,
    npx: u64,
    spx: u64,
    ni: u64,
    nbin: u64,
    sb: u64,
    nbout: u64,
    req_nbin: u64,
    seq: u64,
) -> String {
    entry_in(
        AccIn::Zero,
        op,
        npx,
        spx,
        ni,
        nbin,
        sb,
        nbout,
        req_nbin,
        seq,
    )
}

/// As [`entry`], with the accumulator init `acc_in`.
#[allow(clippy::too_many_arguments)]
fn entry_in(
    acc_in: AccIn,
    op: NfuOp,
    npx: u64,
    spx: u64,
    ni: u64,
    nbin: u64,
    sb: u64,
    nbout: u64,
    req_nbin: u64,
    seq: u64,
) -> String {
    let mut e = Bits::<NFU_ENTRY_BITS>::default();
    e.set_value_op(op_code(op).into());
    e.set_value_acc_in(acc_in_code(acc_in).into());
    e.set_value_nbin(nbin.into());
    e.set_value_sb(sb.into());
    e.set_value_nbout(nbout.into());
    e.set_value_npy(1.into());
    e.set_value_npx(npx.into());
    e.set_value_spx(spx.into());
    e.set_value_nky(1.into());
    e.set_value_ni(ni.into());
    e.set_value_req_nbin(req_nbin.into());
    e.set_value_seq(seq.into());
    hex(e)
}

#[test]
fn nfu_seq_synthesizes() {
    synthesizes(&mut seq());
}

#[test]
fn nfu_seq_behaves_mac_issue_write_and_load_wait() {
    let ins: Vec<Port> = [
        ("clr", 1),
        ("push", 1),
        ("din", NFU_ENTRY_BITS),
        ("nbin_done", CNT_BITS),
        ("sb_done", CNT_BITS),
        ("nbl_done", CNT_BITS),
        ("nbs_done", CNT_BITS),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let outs: Vec<Port> = [
        ("pending", 1),
        ("busy", 1),
        ("nbin_raddr", 5),
        ("sb_raddr", 5),
        ("nbout_raddr", 4),
        ("d_valid", 1),
        ("d_first", 1),
        ("d_last", 1),
        ("wr_en", 1),
        ("wr_addr", 4),
        ("done", CNT_BITS),
        ("active", 1),
        ("seq", PCW),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    // mac, 2 outputs (npx = 2, spx = 2) of 2 steps (ni = 2), bases 0, sequence number 5
    let mac = entry(NfuOp::Mac, 2, 2, 2, 0, 0, 0, 0, 5);
    // one step at NBin row 7 into NBout row 9, after 1 NBin load
    let late = entry(NfuOp::Mac, 1, 0, 1, 7, 3, 9, 1, 6);
    let z = "0";
    #[rustfmt::skip]
    let t = [
        //   clr  push din    nbin | pend busy nbin sb  nbo  dv   df   dl   we   wa   done act  seq
        cyc(&["1", "0", z,     "0"], &["0", "0", "-", "-", "-", "0", "-", "-", "0", "-", "0", "0", "0"]),
        cyc(&["0", "1", &mac,  "0"], &["0", "0", "-", "-", "-", "0", "-", "-", "0", "-", "0", "0", "0"]),
        // start and first issue in the same cycle (no bias cycle): step (px 0, i 0)
        cyc(&["0", "0", z,     "0"], &["1", "1", "0", "0", "0", "0", "-", "-", "0", "-", "0", "0", "5"]),
        // (px 0, i 1); the datapath sees step (0, 0), the first of output 0
        cyc(&["0", "0", z,     "0"], &["0", "1", "1", "1", "0", "1", "1", "0", "0", "-", "0", "1", "5"]),
        // (px 1, i 0): NBin row px*spx = 2, SB restarts at sb, NBout row 1
        cyc(&["0", "0", z,     "0"], &["0", "1", "2", "0", "1", "1", "0", "1", "0", "-", "0", "1", "5"]),
        cyc(&["0", "0", z,     "0"], &["0", "1", "3", "1", "1", "1", "1", "0", "0", "-", "0", "1", "5"]),
        cyc(&["0", "0", z,     "0"], &["0", "0", "-", "-", "-", "1", "0", "1", "0", "-", "0", "1", "5"]),
        // output 0's last issue was cycle 3: written at 3 + D = 7
        cyc(&["0", "0", z,     "0"], &["0", "0", "-", "-", "-", "0", "-", "-", "1", "0", "0", "1", "5"]),
        cyc(&["0", "0", z,     "0"], &["0", "0", "-", "-", "-", "0", "-", "-", "0", "-", "0", "1", "5"]),
        // output 1 (last issue cycle 5) written at 9: the op completes at the end of this cycle
        cyc(&["0", "1", &late, "0"], &["0", "0", "-", "-", "-", "0", "-", "-", "1", "1", "0", "1", "0"]),
        // the next op needs 1 NBin load: it waits
        cyc(&["0", "0", z,     "0"], &["1", "0", "-", "-", "-", "0", "-", "-", "0", "-", "1", "0", "0"]),
        cyc(&["0", "0", z,     "1"], &["1", "1", "7", "3", "9", "0", "-", "-", "0", "-", "1", "0", "6"]),
        cyc(&["0", "0", z,     "1"], &["0", "0", "-", "-", "-", "1", "1", "1", "0", "-", "1", "1", "6"]),
    ];
    // sb_done, nbl_done, nbs_done held at zero (the entries require none)
    let t: Vec<Cycle> = t
        .into_iter()
        .map(|mut c| {
            c.ins.extend(["0".to_string(), "0".into(), "0".into()]);
            c
        })
        .collect();
    let mut s = seq();
    behaves(
        &mut s,
        &ins,
        &outs,
        &t,
        |s, v| s.clock.next = Clock { clk: v },
        |s, r| {
            s.clr.next = r[0] == "1";
            s.push.next = r[1] == "1";
            s.din.next = from_hex(&r[2]);
            s.nbin_done.next = from_hex(&r[3]);
            s.sb_done.next = from_hex(&r[4]);
            s.nbl_done.next = from_hex(&r[5]);
            s.nbs_done.next = from_hex(&r[6]);
        },
        |s| {
            vec![
                hb(s.pending.val()),
                hb(s.busy.val()),
                hex(s.nbin_raddr.val()),
                hex(s.sb_raddr.val()),
                hex(s.nbout_raddr.val()),
                hb(s.d_valid.val()),
                hb(s.d_first.val()),
                hb(s.d_last.val()),
                hb(s.wr_en.val()),
                hex(s.wr_addr.val()),
                hex(s.done.val()),
                hb(s.active.val()),
                hex(s.seq.val()),
            ]
        },
    );
}

/// Run a table of the overlap tests. Inputs: clr, push, din, nbin_done (sb,
/// nbl, nbs done held at zero). Outputs: pending, busy, nbin_raddr,
/// nbout_raddr, d_valid, d_first, d_last, d_in, wr_en, wr_addr, done,
/// active, seq, stall_drain, stall_load, stall_store.
fn overlap_behaves(t: Vec<Cycle>) {
    let ins: Vec<Port> = [
        ("clr", 1),
        ("push", 1),
        ("din", NFU_ENTRY_BITS),
        ("nbin_done", CNT_BITS),
        ("sb_done", CNT_BITS),
        ("nbl_done", CNT_BITS),
        ("nbs_done", CNT_BITS),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let outs: Vec<Port> = [
        ("pending", 1),
        ("busy", 1),
        ("nbin_raddr", 5),
        ("nbout_raddr", 4),
        ("d_valid", 1),
        ("d_first", 1),
        ("d_last", 1),
        ("d_in", INW),
        ("wr_en", 1),
        ("wr_addr", 4),
        ("done", CNT_BITS),
        ("active", 1),
        ("seq", PCW),
        ("stall_drain", 1),
        ("stall_load", 1),
        ("stall_store", 1),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let t: Vec<Cycle> = t
        .into_iter()
        .map(|mut c| {
            c.ins.extend(["0".to_string(), "0".into(), "0".into()]);
            c
        })
        .collect();
    let mut s = seq();
    behaves(
        &mut s,
        &ins,
        &outs,
        &t,
        |s, v| s.clock.next = Clock { clk: v },
        |s, r| {
            s.clr.next = r[0] == "1";
            s.push.next = r[1] == "1";
            s.din.next = from_hex(&r[2]);
            s.nbin_done.next = from_hex(&r[3]);
            s.sb_done.next = from_hex(&r[4]);
            s.nbl_done.next = from_hex(&r[5]);
            s.nbs_done.next = from_hex(&r[6]);
        },
        |s| {
            vec![
                hb(s.pending.val()),
                hb(s.busy.val()),
                hex(s.nbin_raddr.val()),
                hex(s.nbout_raddr.val()),
                hb(s.d_valid.val()),
                hb(s.d_first.val()),
                hb(s.d_last.val()),
                hex(s.d_in.val()),
                hb(s.wr_en.val()),
                hex(s.wr_addr.val()),
                hex(s.done.val()),
                hb(s.active.val()),
                hex(s.seq.val()),
                hb(s.stall_drain.val()),
                hb(s.stall_load.val()),
                hb(s.stall_store.val()),
            ]
        },
    );
}

/// `acc_in` codes as hex (the `d_in` column).
fn in_codes() -> (String, String) {
    (
        format!("{:x}", acc_in_code(AccIn::Zero)),
        format!("{:x}", acc_in_code(AccIn::Nbout)),
    )
}

#[test]
fn nfu_seq_overlap_three_ops_in_flight() {
    // A: mac, 2 outputs (rows 0, 1) of 2 steps, seq 5. Starts in 2 (pushed in 1),
    //    issues 2, 3, 4, 5; row 0's last issue 3 -> written end of 3 + D = 7,
    //    row 1's last issue 5 -> written end of 9: A completes end of 9.
    // B: in=nbout, 1 step into row 0xffe, needs 1 NBin load (done from cycle 5), seq 6.
    //    Visible from 3; 3..5 the overlap rule (a) fails (A issues until 5):
    //    nfu_stall_drain, even in 3, 4 where its load is not done either
    //    (drain is the first reason). In 6: (a) holds (A's last issue 5 < 6),
    //    (b): pending rows 0 (write 7), 1 (write 9) are not in
    //    [0xffe, 0xffe + 4) (a range crossing the top of the 12-bit row
    //    field: no wrap-around false hit), load done: B starts in 6 = 5 + 1
    //    (before, it would have waited for A's completion: start 10).
    //    Issue 6 -> written end of 10 (row 0xffe, 4-bit address e); completes end of 10.
    // C: in=zero, 1 step into row 9, needs 2 NBin loads (done from cycle 8), seq 7.
    //    Head in 7 (B left at the end of 6): (a) holds (B's only issue was 6),
    //    load not done: nfu_stall_load. Starts in 8, issue 8 -> written end
    //    of 12; completes end of 12.
    // Ops in flight: A from the end of 2, B from the end of 6, C from the end of 8
    // (3 in cycle 9); done +1 at the ends of 9, 10, 12.
    // nfu.seq: 5 in 2..5, 6 in 6..7, 7 in 8..11 (A's and B's completions in 9,
    // 10 do not change it: C is in flight), 0 in C's completion cycle 12.
    // d_in (from the started op's entry, one cycle after issue): A's last
    // step, presented in 6, still shows A's in=zero; B's step in 7 in=nbout.
    let a = entry(NfuOp::Mac, 2, 2, 2, 0, 0, 0, 0, 5);
    let b = entry_in(AccIn::Nbout, NfuOp::Mac, 1, 0, 1, 7, 3, 0xffe, 1, 6);
    let c = entry(NfuOp::Mac, 1, 0, 1, 8, 4, 9, 2, 7);
    let (zi, ni) = in_codes();
    let (zi, ni, z) = (zi.as_str(), ni.as_str(), "0");
    #[rustfmt::skip]
    let t = vec![
        //   clr  push din nbd  | pend busy nbin nbo  dv   df   dl   din  we   wa   done act  seq  sd   sl   ss
        cyc(&["1", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "0", "0", "0", "0", "0", "0"]),
        cyc(&["0", "1", &a, "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "0", "0", "0", "0", "0", "0"]),
        // A starts and issues (px 0, i 0)
        cyc(&["0", "1", &b, "0"], &["1", "1", "0", "0", "0", "-", "-", "-", "0", "-", "0", "0", "5", "0", "0", "0"]),
        // B visible, A still issuing: drain (not load)
        cyc(&["0", "1", &c, "0"], &["1", "1", "1", "0", "1", "1", "0", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "1", "2", "1", "1", "0", "1", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        // A's last issue
        cyc(&["0", "0", z,  "1"], &["1", "1", "3", "1", "1", "1", "0", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        // B starts and issues (NBout port A reads row 0xffe -> e); A's last step presented
        cyc(&["0", "0", z,  "1"], &["1", "1", "7", "e", "1", "0", "1", zi,  "0", "-", "0", "1", "6", "0", "0", "0"]),
        // C is head, waits for its 2nd load; B's step presented; A's row 0 written (3 + 4)
        cyc(&["0", "0", z,  "1"], &["1", "0", "-", "-", "1", "1", "1", ni,  "1", "0", "0", "1", "6", "0", "1", "0"]),
        // C starts and issues
        cyc(&["0", "0", z,  "2"], &["1", "1", "8", "9", "0", "-", "-", "-", "0", "-", "0", "1", "7", "0", "0", "0"]),
        // C's step presented; A's row 1 written (5 + 4): A completes
        cyc(&["0", "0", z,  "2"], &["0", "0", "-", "-", "1", "1", "1", zi,  "1", "1", "0", "1", "7", "0", "0", "0"]),
        // B's row 0xffe written (6 + 4): B completes
        cyc(&["0", "0", z,  "2"], &["0", "0", "-", "-", "0", "-", "-", "-", "1", "e", "1", "1", "7", "0", "0", "0"]),
        cyc(&["0", "0", z,  "2"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "2", "1", "7", "0", "0", "0"]),
        // C's row 9 written (8 + 4): C completes, nfu.seq 0
        cyc(&["0", "0", z,  "2"], &["0", "0", "-", "-", "0", "-", "-", "-", "1", "9", "2", "1", "0", "0", "0", "0"]),
        cyc(&["0", "0", z,  "2"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "3", "0", "0", "0", "0", "0"]),
    ];
    overlap_behaves(t);
}

#[test]
fn nfu_seq_overlap_in_nbout_held_by_pending_write() {
    // A: mac, 2 outputs into rows 3, 4 of 2 steps, seq 5: starts 2, issues
    //    2..5; row 3 written end of 3 + 4 = 7, row 4 end of 5 + 4 = 9; A
    //    completes end of 9.
    // B: in=nbout, 1 step into row 0, seq 6: its rows [0, 0 + D) = [0, 4).
    //    3..5: (a) fails (A issuing). 6: (a) holds, but row 3 (write cycle
    //    7 >= 6) is pending and in [0, 4): held by (b). 7: row 3's write cycle
    //    7 >= 7, still pending: held. 8: row 3 written (7 < 8); row 4 (write
    //    9) is pending but 4 = nbout + D is outside: B starts in 8. Its NBout
    //    read in 8 sees every write into rows 0..3 before it. Issue 8 ->
    //    written end of 12; completes end of 12.
    // nfu_stall_drain in 3..7. nfu.seq: 5 in 2..7, 6 in 8..11 (A's completion
    // in 9 leaves it: B is in flight), 0 in 12. done: 1 from 10, 2 from 13.
    let a = entry(NfuOp::Mac, 2, 2, 2, 0, 0, 3, 0, 5);
    let b = entry_in(AccIn::Nbout, NfuOp::Mac, 1, 0, 1, 7, 3, 0, 0, 6);
    let (zi, ni) = in_codes();
    let (zi, ni, z) = (zi.as_str(), ni.as_str(), "0");
    #[rustfmt::skip]
    let t = vec![
        //   clr  push din nbd  | pend busy nbin nbo  dv   df   dl   din  we   wa   done act  seq  sd   sl   ss
        cyc(&["1", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "0", "0", "0", "0", "0", "0"]),
        cyc(&["0", "1", &a, "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "0", "0", "0", "0", "0", "0"]),
        cyc(&["0", "1", &b, "0"], &["1", "1", "0", "3", "0", "-", "-", "-", "0", "-", "0", "0", "5", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "1", "1", "3", "1", "1", "0", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "1", "2", "4", "1", "0", "1", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "1", "3", "4", "1", "1", "0", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        // (a) holds, (b) does not: row 3 pending (write 7)
        cyc(&["0", "0", z,  "0"], &["1", "0", "-", "-", "1", "0", "1", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        // row 3 written at the end of this cycle: still pending
        cyc(&["0", "0", z,  "0"], &["1", "0", "-", "-", "0", "-", "-", "-", "1", "3", "0", "1", "5", "1", "0", "0"]),
        // B starts and reads NBout row 0
        cyc(&["0", "0", z,  "0"], &["1", "1", "7", "0", "0", "-", "-", "-", "0", "-", "0", "1", "6", "0", "0", "0"]),
        // row 4 written: A completes; B in flight
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "1", "1", "1", ni,  "1", "4", "0", "1", "6", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "1", "1", "6", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "1", "1", "6", "0", "0", "0"]),
        // B's row 0 written (8 + 4): B completes
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "1", "0", "1", "1", "0", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "2", "0", "0", "0", "0", "0"]),
    ];
    overlap_behaves(t);
}

#[test]
fn nfu_seq_overlap_in_nbout_held_across_row_range_top() {
    // A: mac, 2 outputs into rows 0xffe, 0xfff (4-bit addresses e, f), seq 5:
    //    issues 2..5; 0xffe written end of 7, 0xfff end of 9; completes end of 9.
    // B: in=nbout into row 0xffd, seq 6: rows [0xffd, 0xffd + 4) = 0xffd..0x1000,
    //    past the top of the 12-bit row field (a wrapped upper bound 0x001
    //    would miss both pending rows). 3..5: (a); 6, 7: 0xffe and 0xfff
    //    pending; 8, 9: 0xfff pending (write cycle 9): held by (b) through 9.
    //    Starts 10 (the cycle after A's completion, as before the overlap
    //    rule); issue 10 -> written end of 14 (row d); completes end of 14.
    // nfu.seq: 5 in 2..8, 0 in A's completion cycle 9 (A, the most recently
    // started op, completes), 6 in 10..13, 0 in 14.
    let a = entry(NfuOp::Mac, 2, 2, 2, 0, 0, 0xffe, 0, 5);
    let b = entry_in(AccIn::Nbout, NfuOp::Mac, 1, 0, 1, 7, 3, 0xffd, 0, 6);
    let (zi, ni) = in_codes();
    let (zi, ni, z) = (zi.as_str(), ni.as_str(), "0");
    #[rustfmt::skip]
    let t = vec![
        //   clr  push din nbd  | pend busy nbin nbo  dv   df   dl   din  we   wa   done act  seq  sd   sl   ss
        cyc(&["1", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "0", "0", "0", "0", "0", "0"]),
        cyc(&["0", "1", &a, "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "0", "0", "0", "0", "0", "0"]),
        cyc(&["0", "1", &b, "0"], &["1", "1", "0", "e", "0", "-", "-", "-", "0", "-", "0", "0", "5", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "1", "1", "e", "1", "1", "0", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "1", "2", "f", "1", "0", "1", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "1", "3", "f", "1", "1", "0", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "0", "-", "-", "1", "0", "1", zi,  "0", "-", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "0", "-", "-", "0", "-", "-", "-", "1", "e", "0", "1", "5", "1", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["1", "0", "-", "-", "0", "-", "-", "-", "0", "-", "0", "1", "5", "1", "0", "0"]),
        // 0xfff written at the end of this cycle: still pending; A completes
        cyc(&["0", "0", z,  "0"], &["1", "0", "-", "-", "0", "-", "-", "-", "1", "f", "0", "1", "0", "1", "0", "0"]),
        // B starts, reads NBout row 0xffd (d)
        cyc(&["0", "0", z,  "0"], &["1", "1", "7", "d", "0", "-", "-", "-", "0", "-", "1", "0", "6", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "1", "1", "1", ni,  "0", "-", "1", "1", "6", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "1", "1", "6", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "1", "1", "6", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "1", "d", "1", "1", "0", "0", "0", "0"]),
        cyc(&["0", "0", z,  "0"], &["0", "0", "-", "-", "0", "-", "-", "-", "0", "-", "2", "0", "0", "0", "0", "0"]),
    ];
    overlap_behaves(t);
}
