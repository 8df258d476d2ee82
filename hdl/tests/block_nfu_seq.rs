//! Block tests of the NFU sequencer (`hdl::core::nfu_seq::NfuSeq`, tiny
//! preset: queue of 2, D = nfu_latency = 4): alone, emitted and checked by
//! Verilator and Yosys, and a clocked table (a 2-output mac: issue order and
//! buffer addresses, the datapath control one cycle later, the NBout writes at
//! last issue + D, completion; then an op waiting for an NBin load) with the
//! values of docs/microarchitecture.md, in rust-hdl and Icarus.

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
    let mut e = Bits::<NFU_ENTRY_BITS>::default();
    e.set_value_op(op_code(op).into());
    e.set_value_acc_in(acc_in_code(AccIn::Zero).into());
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
