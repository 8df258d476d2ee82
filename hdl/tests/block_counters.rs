//! The counter path of the AXI wrapper, block by block, in rust-hdl's
//! simulation and at the Verilog level (Icarus) with the same vectors:
//!
//! * the counter bank (`hdl::counters::Counters`): 64-bit counters adding
//!   their packed per-cycle increments while `en`, cleared by `clr`, holding
//!   otherwise; `sel` shows any counter;
//! * the AXI4-Lite slave's 64-bit read sequence (`arch::regmap`): a low-word
//!   read latches the high word, the next high-word read returns the
//!   latched word even when the value changed in between; `ctr_sel` follows
//!   the read address.

use arch::events::{Event, NUM_EVENTS};
use arch::regmap::{self, counter_hi_offset, counter_offset, ID_MAGIC};
use arch::AccelConfig;
use hdl::axi::lite::{AxiLiteSlave, LITE_ADDR_BITS};
use hdl::counters::Counters;
use hdl::tb::verilog_test::{simulate_icarus, Port};
use hdl::widths::{CTRW, ERRW, EVENT_INC_BITS, EVSELW, INCW, PCW};
use rand::{Rng, SeedableRng};
use rust_hdl::core::simulate::simulate;
use rust_hdl::prelude::*;

/// One cycle of the bank's inputs.
#[derive(Clone)]
struct BankIn {
    clr: bool,
    en: bool,
    inc: Vec<u64>,
    sel: usize,
}

fn pack(inc: &[u64]) -> Bits<EVENT_INC_BITS> {
    let mut b = Bits::<EVENT_INC_BITS>::default();
    for (i, x) in inc.iter().enumerate() {
        b.set_bits::<INCW>(i * INCW, (*x).into());
    }
    b
}

fn hex(inc: &[u64]) -> String {
    // most significant field first
    inc.iter().rev().map(|x| format!("{x:04x}")).collect()
}

/// Random cycles: a clear, then increments up to the field's maximum, `en` mostly high.
fn bank_vectors() -> Vec<BankIn> {
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(13);
    let max = (1u64 << INCW) - 1;
    (0..120)
        .map(|c| BankIn {
            clr: c == 0 || c == 70,
            en: c % 7 != 3,
            inc: (0..NUM_EVENTS)
                .map(|_| {
                    if r.gen_bool(0.3) {
                        max
                    } else {
                        r.gen_range(0..=max)
                    }
                })
                .collect(),
            sel: r.gen_range(0..32),
        })
        .collect()
}

/// What the bank shows in each cycle (before the edge): `value` of `sel`, `cycles`.
fn bank_expected(v: &[BankIn]) -> Vec<(u64, u64)> {
    let mut ctr = [0u64; NUM_EVENTS];
    v.iter()
        .map(|x| {
            let shown = (
                ctr.get(x.sel).copied().unwrap_or(0),
                ctr[Event::Cycles as usize],
            );
            for (i, c) in ctr.iter_mut().enumerate() {
                if x.clr {
                    *c = 0;
                } else if x.en {
                    *c += x.inc[i];
                }
            }
            shown
        })
        .collect()
}

#[test]
fn the_bank_adds_every_increment_while_enabled_and_clears() {
    let v = bank_vectors();
    let want = bank_expected(&v);
    // rust-hdl
    let mut b = Counters::default();
    b.connect_all();
    for (x, w) in v.iter().zip(&want) {
        b.clock.next = Clock { clk: false };
        b.clr.next = x.clr;
        b.en.next = x.en;
        b.inc.next = pack(&x.inc);
        b.sel.next = (x.sel as u64).into();
        assert!(simulate(&mut b, 1000));
        assert_eq!(
            (b.value.val().to_u64(), b.cycles.val().to_u64()),
            *w,
            "rust-hdl"
        );
        b.clock.next = Clock { clk: true };
        assert!(simulate(&mut b, 1000));
    }
    // the counters hold sums of many large increments
    assert!(want.iter().any(|(_, c)| *c > 1 << 20));
    // Icarus on the emitted Verilog
    let verilog = generate_verilog(&b);
    let inputs = [
        Port::new("clr", 1),
        Port::new("en", 1),
        Port::new("inc", EVENT_INC_BITS),
        Port::new("sel", EVSELW),
    ];
    let outputs = [Port::new("value", CTRW), Port::new("cycles", CTRW)];
    let vectors: Vec<Vec<String>> = v
        .iter()
        .map(|x| {
            vec![
                format!("{}", x.clr as u8),
                format!("{}", x.en as u8),
                hex(&x.inc),
                format!("{:x}", x.sel),
            ]
        })
        .collect();
    let got = simulate_icarus(&verilog, &inputs, &outputs, &vectors).unwrap();
    assert_eq!(got.len(), v.len(), "Icarus printed every cycle");
    for (c, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g,
            &vec![format!("{:x}", w.0), format!("{:x}", w.1)],
            "Icarus, cycle {c}"
        );
    }
}

/// The slave's inputs of one cycle (writes idle), and what `rdata` must show then.
#[derive(Clone)]
struct LiteIn {
    reset: bool,
    araddr: u32,
    arvalid: bool,
    rready: bool,
    bus_cycles: u64,
    ctr_value: u64,
    /// Expected `rdata` while `rvalid` (None: not checked).
    rdata: Option<u32>,
    /// Expected `ctr_sel` (None: not checked).
    ctr_sel: Option<u64>,
}

/// Reads of `(address, expected value)` with the 64-bit inputs given per read.
fn lite_vectors() -> Vec<LiteIn> {
    let v1: u64 = 0x1234_5678_9abc_def0;
    let v2: u64 = 0xffff_0000_1111_2222;
    let bc: u64 = 0x0000_0007_0000_0001;
    let o = |n: &str| regmap::offset(n).unwrap();
    let reads: Vec<(u32, u64, u32, Option<u64>)> = vec![
        // (address, ctr_value during the read, expected rdata, expected ctr_sel)
        (
            counter_offset(Event::NfuBusy),
            v1,
            v1 as u32,
            Some(Event::NfuBusy as u64),
        ),
        // the value changed since the low-word read: the high word is the latched one
        (
            counter_hi_offset(Event::NfuBusy),
            v2,
            (v1 >> 32) as u32,
            Some(Event::NfuBusy as u64),
        ),
        (o("bus_cycles"), v2, bc as u32, None),
        (o("bus_cycles_hi"), v2, (bc >> 32) as u32, None),
        (
            counter_offset(Event::InstrFetches),
            v2,
            v2 as u32,
            Some(Event::InstrFetches as u64),
        ),
        // any high word returns the word latched by the last low-word read
        (
            counter_hi_offset(Event::Cycles),
            v1,
            (v2 >> 32) as u32,
            Some(Event::Cycles as u64),
        ),
        (regmap::counters_end(), v1, 0, None),
        (o("id"), v1, ID_MAGIC, None),
    ];
    let idle = |reset| LiteIn {
        reset,
        araddr: 0,
        arvalid: false,
        rready: false,
        bus_cycles: bc,
        ctr_value: v1,
        rdata: None,
        ctr_sel: None,
    };
    let mut v = vec![idle(true), idle(true), idle(false)];
    for (a, cv, want, sel) in reads {
        // cycle 0: AR handshake (arready is high while no read is pending)
        v.push(LiteIn {
            araddr: a,
            arvalid: true,
            ctr_value: cv,
            ctr_sel: sel,
            ..idle(false)
        });
        // cycle 1: R handshake
        v.push(LiteIn {
            araddr: a,
            rready: true,
            ctr_value: cv,
            rdata: Some(want),
            ..idle(false)
        });
        v.push(idle(false));
    }
    v
}

#[test]
fn the_slave_reads_64_bit_values_low_word_first_as_one_snapshot() {
    let cfg = AccelConfig::tiny();
    let v = lite_vectors();
    let mut s = AxiLiteSlave::new(&cfg).unwrap();
    s.connect_all();
    for (c, x) in v.iter().enumerate() {
        s.clock.next = Clock { clk: false };
        s.reset.next = x.reset;
        s.awaddr.next = 0.into();
        s.awvalid.next = false;
        s.wdata.next = 0.into();
        s.wstrb.next = 0.into();
        s.wvalid.next = false;
        s.bready.next = false;
        s.araddr.next = (x.araddr as u64).into();
        s.arvalid.next = x.arvalid;
        s.rready.next = x.rready;
        s.st_busy.next = false;
        s.st_done.next = false;
        s.st_bus_error.next = false;
        s.err_class.next = 0.into();
        s.err_index.next = 0.into();
        s.bus_cycles.next = x.bus_cycles.into();
        s.ctr_value.next = x.ctr_value.into();
        assert!(simulate(&mut s, 1000));
        if let Some(w) = x.rdata {
            assert!(s.rvalid.val(), "cycle {c}: rvalid");
            assert_eq!(s.rdata.val().to_u64(), w as u64, "rust-hdl, cycle {c}");
        }
        if let Some(w) = x.ctr_sel {
            assert_eq!(s.ctr_sel.val().to_u64(), w, "rust-hdl ctr_sel, cycle {c}");
        }
        s.clock.next = Clock { clk: true };
        assert!(simulate(&mut s, 1000));
    }
    let verilog = generate_verilog(&s);
    let inputs = [
        Port::new("reset", 1),
        Port::new("awaddr", LITE_ADDR_BITS),
        Port::new("awvalid", 1),
        Port::new("wdata", 32),
        Port::new("wstrb", 4),
        Port::new("wvalid", 1),
        Port::new("bready", 1),
        Port::new("araddr", LITE_ADDR_BITS),
        Port::new("arvalid", 1),
        Port::new("rready", 1),
        Port::new("st_busy", 1),
        Port::new("st_done", 1),
        Port::new("st_bus_error", 1),
        Port::new("err_class", ERRW),
        Port::new("err_index", PCW),
        Port::new("bus_cycles", CTRW),
        Port::new("ctr_value", CTRW),
    ];
    let outputs = [
        Port::new("rvalid", 1),
        Port::new("rdata", 32),
        Port::new("ctr_sel", EVSELW),
    ];
    let vectors: Vec<Vec<String>> = v
        .iter()
        .map(|x| {
            let mut r = vec![format!("{}", x.reset as u8)];
            r.extend(["0", "0", "0", "0", "0", "0"].map(String::from));
            r.push(format!("{:x}", x.araddr));
            r.push(format!("{}", x.arvalid as u8));
            r.push(format!("{}", x.rready as u8));
            r.extend(["0", "0", "0", "0", "0"].map(String::from));
            r.push(format!("{:x}", x.bus_cycles));
            r.push(format!("{:x}", x.ctr_value));
            r
        })
        .collect();
    let got = simulate_icarus(&verilog, &inputs, &outputs, &vectors).unwrap();
    assert_eq!(got.len(), v.len(), "Icarus printed every cycle");
    for (c, (g, x)) in got.iter().zip(&v).enumerate() {
        if let Some(w) = x.rdata {
            assert_eq!(g[0], "1", "Icarus rvalid, cycle {c}");
            assert_eq!(g[1], format!("{w:x}"), "Icarus rdata, cycle {c}");
        }
        if let Some(w) = x.ctr_sel {
            assert_eq!(g[2], format!("{w:x}"), "Icarus ctr_sel, cycle {c}");
        }
    }
}
