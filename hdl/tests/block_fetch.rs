//! Block tests of the instruction fetch unit (`hdl::core::fetch::Fetch`, tiny
//! preset: 8-byte beats, an 80-byte instruction in 10 beats, a 256-entry
//! imem): alone, emitted and checked by Verilator and Yosys; a clocked table
//! (requests while instructions remain, grants, in-order assembly of the
//! responses into imem writes, the start condition `idle`, no request once
//! stopped, and the `fetch` limit: odd base, instructions past the end of
//! DRAM) in rust-hdl and Icarus.

mod common;
use arch::AccelConfig;
use common::*;
use hdl::core::fetch::Fetch;
use hdl::tb::verilog_test::Port;
use hdl::widths::*;
use rust_hdl::prelude::*;

/// The tiny preset's fetch unit: IA = 8, BW = 64, FA = 10 * 64.
type TinyFetch = Fetch<8, 64, 640>;

fn unit() -> TinyFetch {
    TinyFetch::new(&AccelConfig::tiny())
}

#[test]
fn fetch_synthesizes() {
    synthesizes(&mut unit());
}

/// A response tag: owner fetch, `last` on an instruction's last beat.
fn tag(last: bool) -> String {
    let mut t = Tag::default();
    t.set_value_owner(OWNER_FETCH.into());
    t.set_value_last_beat(last.into());
    hex(t)
}

/// Beat data of beat `k` of instruction `i` (distinct 64-bit words).
fn beat(i: u64, k: u64) -> u64 {
    0x1111_0000_0000_0000 * (i + 1) + 0x0101 * (k + 1)
}

/// The assembled instruction `i`: beat 0 in the low bits.
fn instr(i: u64) -> String {
    let mut b = Instr::default();
    for k in 0..10 {
        b.set_bits::<64>(64 * k as usize, beat(i, k).into());
    }
    hex(b)
}

#[test]
fn fetch_behaves_requests_assembly_start_and_limits() {
    let ins: Vec<Port> = [
        ("clr", 1),
        ("prog_base", DAW),
        ("prog_len", PCW),
        ("pc", PCW),
        ("stopped", 1),
        ("grant", 1),
        ("resp_mine", 1),
        ("resp_tag", TAG_BITS),
        ("resp_data", 64),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let outs: Vec<Port> = [
        ("req", 1),
        ("req_addr", DAW),
        ("req_beats", BEATW),
        ("imem_we", 1),
        ("imem_waddr", 8),
        ("imem_wdata", IB),
        ("arrived", PCW),
        ("idle", 1),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let s = |x: &str| x.to_string();
    // inputs: clr base len pc stopped grant resp_mine resp_tag resp_data
    let i = |clr: &str,
             base: &str,
             len: &str,
             pc: &str,
             stop: &str,
             grant: &str,
             rm: &str,
             rt: String,
             rd: String| {
        vec![
            s(clr),
            s(base),
            s(len),
            s(pc),
            s(stop),
            s(grant),
            s(rm),
            rt,
            rd,
        ]
    };
    // outputs: req addr beats we waddr wdata arrived idle
    let o = |req: &str, addr: &str, we: &str, waddr: &str, wdata: String, arr: &str, idle: &str| {
        vec![
            s(req),
            s(addr),
            s("a"),
            s(we),
            s(waddr),
            wdata,
            s(arr),
            s(idle),
        ]
    };
    let d = s("-");
    let z = || s("0");
    let mut t = vec![];
    // clear with a two-instruction program at 0x1000
    t.push(cyc_owned(
        i("1", "1000", "2", "0", "0", "0", "0", z(), z()),
        vec![d.clone(); 8],
    ));
    // instruction 0 requested, not yet granted
    t.push(cyc_owned(
        i("0", "1000", "2", "0", "0", "0", "0", z(), z()),
        o("1", "1000", "0", "-", d.clone(), "0", "0"),
    ));
    // granted; the next cycle requests instruction 1 (80 bytes on)
    t.push(cyc_owned(
        i("0", "1000", "2", "0", "0", "1", "0", z(), z()),
        o("1", "1000", "0", "-", d.clone(), "0", "0"),
    ));
    t.push(cyc_owned(
        i("0", "1000", "2", "0", "0", "1", "0", z(), z()),
        o("1", "1050", "0", "-", d.clone(), "0", "0"),
    ));
    // both granted: no request, rows in flight: not idle
    t.push(cyc_owned(
        i("0", "1000", "2", "0", "0", "0", "0", z(), z()),
        o("0", "-", "0", "-", d.clone(), "0", "0"),
    ));
    // the responses: ten beats per instruction, written into imem on the last
    for n in 0..2u64 {
        for k in 0..10u64 {
            let last = k == 9;
            let (we, wa, wd) = if last {
                ("1", format!("{n}"), instr(n))
            } else {
                ("0", s("-"), d.clone())
            };
            let mut out = o("0", "-", we, "", wd, &format!("{n}"), "0");
            out[4] = wa;
            t.push(cyc_owned(
                i(
                    "0",
                    "1000",
                    "2",
                    "0",
                    "0",
                    "0",
                    "1",
                    tag(last),
                    format!("{:x}", beat(n, k)),
                ),
                out,
            ));
        }
    }
    // every row landed: idle (the control processor may start)
    t.push(cyc_owned(
        i("0", "1000", "2", "0", "0", "0", "0", z(), z()),
        o("0", "-", "0", "-", d.clone(), "2", "1"),
    ));
    // a longer program, but the control processor stopped: no request
    t.push(cyc_owned(
        i("0", "1000", "5", "0", "1", "0", "0", z(), z()),
        o("0", "-", "0", "-", d.clone(), "2", "1"),
    ));
    // an odd base is not fetchable: no request, idle at once
    t.push(cyc_owned(
        i("1", "1001", "2", "0", "0", "0", "0", z(), z()),
        vec![d.clone(); 8],
    ));
    t.push(cyc_owned(
        i("0", "1001", "2", "0", "0", "0", "0", z(), z()),
        o("0", "-", "0", "-", d.clone(), "0", "1"),
    ));
    // only the first instruction inside the 2^28-byte DRAM: one request, then none
    let end = format!("{:x}", (1u64 << 28) - 80);
    t.push(cyc_owned(
        i("1", &end, "2", "0", "0", "0", "0", z(), z()),
        vec![d.clone(); 8],
    ));
    t.push(cyc_owned(
        i("0", &end, "2", "0", "0", "1", "0", z(), z()),
        o("1", &end, "0", "-", d.clone(), "0", "0"),
    ));
    t.push(cyc_owned(
        i("0", &end, "2", "0", "0", "0", "0", z(), z()),
        o("0", "-", "0", "-", d.clone(), "0", "0"),
    ));
    let mut f = unit();
    behaves(
        &mut f,
        &ins,
        &outs,
        &t,
        |f, v| f.clock.next = Clock { clk: v },
        |f, r| {
            f.clr.next = r[0] == "1";
            f.prog_base.next = from_hex(&r[1]);
            f.prog_len.next = from_hex(&r[2]);
            f.pc.next = from_hex(&r[3]);
            f.stopped.next = r[4] == "1";
            f.grant.next = r[5] == "1";
            f.resp_mine.next = r[6] == "1";
            f.resp_tag.next = from_hex(&r[7]);
            f.resp_data.next = from_hex(&r[8]);
        },
        |f| {
            vec![
                hb(f.req.val()),
                hex(f.req_addr.val()),
                hex(f.req_beats.val()),
                hb(f.imem_we.val()),
                hex(f.imem_waddr.val()),
                hex(f.imem_wdata.val()),
                hex(f.arrived.val()),
                hb(f.idle.val()),
            ]
        },
    );
}
