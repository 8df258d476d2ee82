//! Block tests of one DMA (`hdl::core::dma::Dma`, here NBin of the tiny
//! preset: 8-byte rows, 8-byte beats): alone, emitted and checked by
//! Verilator and Yosys, and clocked tables (queue entry in, port requests and
//! responses, buffer writes, completion, the `wait` condition) with the values
//! docs/microarchitecture.md gives, in rust-hdl and Icarus.

mod common;
use common::*;
use hdl::core::dma::Dma;
use hdl::tb::verilog_test::Port;
use hdl::widths::*;
use rust_hdl::prelude::*;

/// NBin DMA of the tiny preset: 64-bit rows, 64-bit beats, queue of 2, 32 rows.
type NbinDma = Dma<64, 64, 64, 2, 5>;

fn dma() -> NbinDma {
    Dma::new(8, 8, 8, 8)
}

/// A queue entry (layout `hdl::widths::dma_entry`).
#[allow(clippy::too_many_arguments)]
fn entry(op: u64, row: u64, dram: u64, n0: u64, n1: u64, n2: u64, need: bool, req: u64) -> String {
    let mut e = Bits::<DMA_ENTRY_BITS>::default();
    e.set_value_op(op.into());
    e.set_value_row(row.into());
    e.set_value_dram(dram.into());
    e.set_value_n0(n0.into());
    e.set_value_n1(n1.into());
    e.set_value_n2(n2.into());
    e.set_value_need(need.into());
    e.set_value_req(req.into());
    hex(e)
}

/// A response tag as the port returns it (owner 1, last beat, plus the DMA's bits).
fn resp_tag(row: u64, last_row: bool) -> String {
    let mut t = Bits::<TAG_BITS>::default();
    t.set_value_owner(OWNER_NBIN.into());
    t.set_value_last_beat(true.into());
    t.set_value_last_row(last_row.into());
    t.set_value_row(row.into());
    hex(t)
}

/// A request tag as the DMA builds it.
fn req_tag(row: u64, last_row: bool) -> String {
    let mut t = Bits::<TAG_BITS>::default();
    t.set_value_last_row(last_row.into());
    t.set_value_row(row.into());
    hex(t)
}

#[test]
fn dma_synthesizes() {
    synthesizes(&mut dma());
}

#[test]
fn dma_behaves_load_then_wait_for_nfu() {
    let ins: Vec<Port> = [
        ("clr", 1),
        ("push", 1),
        ("din", DMA_ENTRY_BITS),
        ("nfu_done", CNT_BITS),
        ("grant", 1),
        ("resp_mine", 1),
        ("resp_tag", TAG_BITS),
        ("resp_data", 64),
        ("rd_data", 64),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let outs: Vec<Port> = [
        ("pending", 1),
        ("req", 1),
        ("req_addr", DAW),
        ("req_write", 1),
        ("req_beats", BEATW),
        ("req_words", BEATW),
        ("req_tag", TAG_BITS),
        ("wr_en", 1),
        ("wr_addr", 5),
        ("wr_data", 64),
        ("done", CNT_BITS),
        ("busy", 1),
        ("row", XFERW),
        ("stall_wait", 1),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    // load 2 rows into NBin rows 3, 4 from DRAM 0x100 (n0 = 2), no wait
    let load = entry(1, 3, 0x100, 2, 1, 1, false, 0);
    // then a one-row load that waits for 2 completed NFU ops
    let wait = entry(1, 0, 0x40, 1, 1, 1, true, 2);
    let (d3, d4) = ("1111222233334444", "5555666677778888");
    let z = "0";
    let t0 = resp_tag(3, false);
    let t1 = resp_tag(4, true);
    let q0 = req_tag(3, false);
    let q1 = req_tag(4, true);
    let q2 = req_tag(0, true);
    #[rustfmt::skip]
    let t = [
        //   clr  push din    nfu  grant mine tag  data   | pending req addr   wr  beats words tag  wr_en wa  wd  done busy row stall
        cyc(&["1", "0", z,     "0", "0", "0", z,   z],     &["0", "0", "-",  "-", "-", "-",  "-", "0", "-", "-", "0", "0", "0", "0"]),
        cyc(&["0", "1", &load, "0", "0", "0", z,   z],     &["0", "0", "-",  "-", "-", "-",  "-", "0", "-", "-", "0", "0", "0", "0"]),
        // start cycle: the head's first row is requested at once (and granted)
        cyc(&["0", "0", z,     "0", "1", "0", z,   z],     &["1", "1", "100", "0", "1", "4", &q0, "0", "-", "-", "0", "0", "0", "0"]),
        // second row: DRAM + row bytes, last row of the slot
        cyc(&["0", "0", z,     "0", "1", "0", z,   z],     &["0", "1", "108", "0", "1", "4", &q1, "0", "-", "-", "0", "1", "1", "0"]),
        // responses: each is written to its row in the cycle it arrives
        cyc(&["0", "0", z,     "0", "0", "1", &t0, d3],    &["0", "0", "-",  "-", "-", "-",  "-", "1", "3", d3,  "0", "0", "0", "0"]),
        cyc(&["0", "0", z,     "0", "0", "1", &t1, d4],    &["0", "0", "-",  "-", "-", "-",  "-", "1", "4", d4,  "0", "0", "0", "0"]),
        // the slot completes with its last row's response
        cyc(&["0", "1", &wait, "1", "0", "0", z,   z],     &["0", "0", "-",  "-", "-", "-",  "-", "0", "-", "-", "1", "0", "0", "0"]),
        // waits: only 1 NFU op done of the 2 required
        cyc(&["0", "0", z,     "1", "0", "0", z,   z],     &["1", "0", "-",  "-", "-", "-",  "-", "0", "-", "-", "1", "0", "0", "1"]),
        // the second op completes: start, request (not granted yet)
        cyc(&["0", "0", z,     "2", "0", "0", z,   z],     &["1", "1", "40", "0", "1", "4", &q2, "0", "-", "-", "1", "0", "0", "0"]),
        cyc(&["0", "0", z,     "2", "1", "0", z,   z],     &["0", "1", "40", "0", "1", "4", &q2, "0", "-", "-", "1", "1", "0", "0"]),
        cyc(&["0", "0", z,     "2", "0", "0", z,   z],     &["0", "0", "-",  "-", "-", "-",  "-", "0", "-", "-", "1", "0", "0", "0"]),
    ];
    // rd_data (NBout port B, stores only) is held at zero
    let t: Vec<Cycle> = t
        .into_iter()
        .map(|mut c| {
            c.ins.push("0".into());
            c
        })
        .collect();
    let mut d = dma();
    behaves(
        &mut d,
        &ins,
        &outs,
        &t,
        |d, v| d.clock.next = Clock { clk: v },
        |d, r| {
            d.clr.next = r[0] == "1";
            d.push.next = r[1] == "1";
            d.din.next = from_hex(&r[2]);
            d.nfu_done.next = from_hex(&r[3]);
            d.grant.next = r[4] == "1";
            d.resp_mine.next = r[5] == "1";
            d.resp_tag.next = from_hex(&r[6]);
            d.resp_data.next = from_hex(&r[7]);
            d.rd_data.next = from_hex(&r[8]);
        },
        |d| {
            vec![
                hb(d.pending.val()),
                hb(d.req.val()),
                hex(d.req_addr.val()),
                hb(d.req_write.val()),
                hex(d.req_beats.val()),
                hex(d.req_words.val()),
                hex(d.req_tag.val()),
                hb(d.wr_en.val()),
                hex(d.wr_addr.val()),
                hex(d.wr_data.val()),
                hex(d.done.val()),
                hb(d.busy.val()),
                hex(d.row.val()),
                hb(d.stall_wait.val()),
            ]
        },
    );
}

/// NBout DMA of the tiny preset: 128-bit rows (four 32-bit entries), 64-bit
/// beats; `storen` rows are 8 bytes (four 16-bit words).
type NboutDma = Dma<128, 128, 64, 2, 4>;

#[test]
fn nbout_dma_synthesizes() {
    synthesizes(&mut NboutDma::new(16, 8, 8, 8));
}

#[test]
fn dma_behaves_nbout_store_and_storen() {
    let ins: Vec<Port> = [
        ("clr", 1),
        ("push", 1),
        ("din", DMA_ENTRY_BITS),
        ("grant", 1),
        ("rd_data", 128),
        ("resp_mine", 1),
        ("resp_tag", TAG_BITS),
        ("nfu_done", CNT_BITS),
        ("resp_data", 64),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let outs: Vec<Port> = [
        ("req", 1),
        ("req_write", 1),
        ("req_addr", DAW),
        ("req_beats", BEATW),
        ("req_words", BEATW),
        ("req_tag", TAG_BITS),
        ("rd_addr", 4),
        ("wvalid", 1),
        ("wdata", 64),
        ("done", CNT_BITS),
        ("done_store", CNT_BITS),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let store = entry(3, 2, 0x200, 1, 1, 1, false, 0);
    let storen = entry(4, 5, 0x300, 1, 1, 1, false, 0);
    // NBout row: entries 0x11112222, 0x33334444, 0x55556666, 0x77778888 (lane 0 lowest)
    let row = "77778888555566663333444411112222";
    let tag = |row: u64, narrow: bool| {
        let mut t = Bits::<TAG_BITS>::default();
        t.set_value_write(true.into());
        t.set_value_last_row(true.into());
        t.set_value_narrow(narrow.into());
        t.set_value_row(row.into());
        t
    };
    let (q_st, q_stn) = (hex(tag(2, false)), hex(tag(5, true)));
    let mut r = tag(2, false);
    r.set_value_owner(OWNER_NBOUT.into());
    r.set_value_last_beat(true.into());
    let r_st = hex(r);
    let z = "0";
    #[rustfmt::skip]
    let t = [
        //   clr  push din      grant rd_data mine tag   | req wr  addr  beats words tag    rd_addr wvalid wdata done done_st
        cyc(&["1", "0", z,       "0", z,   "0", z],      &["0", "-", "-", "-", "-", "-",   "-", "0", "-", "0", "0"]),
        cyc(&["0", "1", &store,  "0", z,   "0", z],      &["0", "-", "-", "-", "-", "-",   "-", "0", "-", "0", "0"]),
        // a store: 16-byte row = 2 beats; NBout row 2 is read (port B) in the grant cycle
        cyc(&["0", "1", &storen, "1", z,   "0", z],      &["1", "1", "200", "2", "4", &q_st, "2", "0", "-", "0", "0"]),
        // the row arrives; its first beat's data goes out one cycle after the first command
        cyc(&["0", "0", z,       "0", row, "0", z],      &["1", "1", "300", "1", "4", &q_stn, "5", "1", "3333444411112222", "0", "0"]),
        // the store's second beat (the row's upper half); storen granted
        cyc(&["0", "0", z,       "1", z,   "0", z],      &["1", "1", "300", "1", "4", &q_stn, "5", "1", "7777888855556666", "0", "0"]),
        // storen's one beat: the low 16 bits of each entry, packed
        cyc(&["0", "0", z,       "0", row, "0", z],      &["0", "-", "-", "-", "-", "-",   "-", "1", "8888666644442222", "0", "0"]),
        // the store's write acknowledgement (last beat, last row) completes the slot
        cyc(&["0", "0", z,       "0", z,   "1", &r_st],  &["0", "-", "-", "-", "-", "-",   "-", "0", "-", "0", "0"]),
        cyc(&["0", "0", z,       "0", z,   "0", z],      &["0", "-", "-", "-", "-", "-",   "-", "0", "-", "1", "1"]),
    ];
    // nfu_done and resp_data are not used by stores
    let t: Vec<Cycle> = t
        .into_iter()
        .map(|mut c| {
            c.ins.extend(["0".to_string(), "0".into()]);
            c
        })
        .collect();
    let mut d = NboutDma::new(16, 8, 8, 8);
    behaves(
        &mut d,
        &ins,
        &outs,
        &t,
        |d, v| d.clock.next = Clock { clk: v },
        |d, r| {
            d.clr.next = r[0] == "1";
            d.push.next = r[1] == "1";
            d.din.next = from_hex(&r[2]);
            d.grant.next = r[3] == "1";
            d.rd_data.next = from_hex(&r[4]);
            d.resp_mine.next = r[5] == "1";
            d.resp_tag.next = from_hex(&r[6]);
            d.nfu_done.next = from_hex(&r[7]);
            d.resp_data.next = from_hex(&r[8]);
        },
        |d| {
            vec![
                hb(d.req.val()),
                hb(d.req_write.val()),
                hex(d.req_addr.val()),
                hex(d.req_beats.val()),
                hex(d.req_words.val()),
                hex(d.req_tag.val()),
                hex(d.rd_addr.val()),
                hb(d.wvalid.val()),
                hex(d.wdata.val()),
                hex(d.done.val()),
                hex(d.done_store.val()),
            ]
        },
    );
}
