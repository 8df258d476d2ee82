//! Block tests of the AXI master (`hdl::axi::master::AxiMaster`, tiny
//! preset: 8-byte bus, `L` = 6): alone, emitted and checked by Verilator and
//! Yosys; a clocked table in rust-hdl and Icarus. Two one-beat NBin rows are
//! issued in core cycles 0 and 1: both ARs go out back to back; the first
//! row's data arrives in time and is answered in core cycle 0 + L exactly;
//! the second's arrives late, so the core is held (clock enable low, `held`
//! high) until it is there, and it is answered in core cycle 1 + L.

mod common;
use arch::AccelConfig;
use common::*;
use hdl::axi::master::AxiMaster;
use hdl::tb::verilog_test::Port;
use hdl::widths::*;
use rust_hdl::prelude::*;

type TinyMaster = AxiMaster<64, 8>;

fn unit() -> TinyMaster {
    TinyMaster::new(&AccelConfig::tiny()).expect("tiny fits the master")
}

#[test]
fn axi_master_synthesizes() {
    synthesizes(&mut unit());
}

#[test]
fn axi_master_refuses_latencies_its_fifos_cannot_serve() {
    let mut c = AccelConfig::tiny();
    c.dram.latency_cycles = 2;
    let e = TinyMaster::new(&c).err().expect("refused").to_string();
    assert!(e.contains("field `dram.latency_cycles` is 2"), "{e}");
    c.dram.latency_cycles = 400;
    assert!(TinyMaster::new(&c).is_err());
}

/// The tag of a one-beat NBin row into buffer row `row`.
fn tag(row: u64) -> String {
    let mut t = Tag::default();
    t.set_value_owner(OWNER_NBIN.into());
    t.set_value_last_beat(true.into());
    t.set_value_last_row(true.into());
    t.set_value_row(row.into());
    hex(t)
}

#[derive(Clone)]
struct In {
    reset: bool,
    start: bool,
    cmd: Option<(u64, u64)>,
    arready: bool,
    r: Option<u64>,
}

impl Default for In {
    fn default() -> Self {
        In {
            reset: false,
            start: false,
            cmd: None,
            arready: true,
            r: None,
        }
    }
}

#[test]
fn axi_master_answers_at_l_and_holds_the_core_for_late_data() {
    let ins: Vec<Port> = [
        ("reset", 1),
        ("start", 1),
        ("dram_base", 32),
        ("c_done", 1),
        ("c_cmd_valid", 1),
        ("c_cmd_write", 1),
        ("c_cmd_addr", 32),
        ("c_cmd_tag", 32),
        ("c_cmd_words", 16),
        ("c_wdata", 64),
        ("arready", 1),
        ("awready", 1),
        ("wready", 1),
        ("rvalid", 1),
        ("rdata", 64),
        ("rresp", 2),
        ("rlast", 1),
        ("bvalid", 1),
        ("bresp", 2),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let outs: Vec<Port> = [
        ("c_run", 1),
        ("ce", 1),
        ("held", 1),
        ("arvalid", 1),
        ("araddr", 32),
        ("arlen", 8),
        ("rready", 1),
        ("c_resp_valid", 1),
        ("c_resp_tag", 32),
        ("c_resp_data", 64),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let row = |x: &In| -> Vec<String> {
        let (v, addr, t) = match x.cmd {
            Some((a, r)) => ("1", format!("{a:x}"), tag(r)),
            None => ("0", "0".into(), "0".into()),
        };
        vec![
            hb(x.reset),
            hb(x.start),
            "10000000".into(),
            "0".into(),
            v.into(),
            "0".into(),
            addr,
            t,
            "1".into(),
            "0".into(),
            hb(x.arready),
            "1".into(),
            "1".into(),
            hb(x.r.is_some()),
            format!("{:x}", x.r.unwrap_or(0)),
            "0".into(),
            hb(x.r.is_some()),
            "0".into(),
            "0".into(),
        ]
    };
    let d = || "-".to_string();
    let any = || vec![d(); 10];
    // outputs: c_run ce held arvalid araddr arlen rready resp_valid resp_tag resp_data
    #[allow(clippy::too_many_arguments)]
    let o =
        |run: &str, ce: &str, held: &str, arv: &str, ara: &str, rv: &str, rt: String, rd: &str| {
            vec![
                run.to_string(),
                ce.to_string(),
                held.to_string(),
                arv.to_string(),
                ara.to_string(),
                if arv == "1" { "0".into() } else { d() },
                d(),
                rv.to_string(),
                rt,
                rd.to_string(),
            ]
        };
    let (a, b) = (0xAAAA_0001u64, 0xBBBB_0002u64);
    let mut t = vec![];
    // reset, then start: four clear cycles with the core's run low
    t.push(cyc_owned(
        row(&In {
            reset: true,
            ..In::default()
        }),
        any(),
    ));
    t.push(cyc_owned(
        row(&In {
            start: true,
            ..In::default()
        }),
        any(),
    ));
    for _ in 0..4 {
        t.push(cyc_owned(
            row(&In::default()),
            o("0", "1", "0", "0", "-", "0", d(), "-"),
        ));
    }
    // core cycle 0: row A (core address 0x100); cycle 1: row B (0x108)
    t.push(cyc_owned(
        row(&In {
            cmd: Some((0x100, 3)),
            ..In::default()
        }),
        o("1", "1", "0", "0", "-", "0", d(), "-"),
    ));
    t.push(cyc_owned(
        row(&In {
            cmd: Some((0x108, 4)),
            ..In::default()
        }),
        o("1", "1", "0", "0", "-", "0", d(), "-"),
    ));
    // core cycle 2: nothing issued; A's row starts (two FIFO hops after its command)
    t.push(cyc_owned(
        row(&In::default()),
        o("1", "1", "0", "0", "-", "0", d(), "-"),
    ));
    // cycle 3: AR of A (accepted); cycle 4: AR of B, and A's data
    t.push(cyc_owned(
        row(&In::default()),
        o("1", "1", "0", "1", "10000100", "0", d(), "-"),
    ));
    t.push(cyc_owned(
        row(&In {
            r: Some(a),
            ..In::default()
        }),
        o("1", "1", "0", "1", "10000108", "0", d(), "-"),
    ));
    t.push(cyc_owned(
        row(&In::default()),
        o("1", "1", "0", "0", "-", "0", d(), "-"),
    ));
    // core cycle 6 = 0 + L: A answered with its data
    t.push(cyc_owned(
        row(&In::default()),
        o("1", "1", "0", "0", "-", "1", tag(3), &format!("{a:x}")),
    ));
    // core cycle 7 = 1 + L: B's data is late: the core is held
    for k in 0..3 {
        t.push(cyc_owned(
            row(&In {
                r: (k == 2).then_some(b),
                ..In::default()
            }),
            o("1", "0", "1", "0", "-", "1", tag(4), "-"),
        ));
    }
    // B's data landed in the read FIFO (two cycles later): still held
    t.push(cyc_owned(
        row(&In::default()),
        o("1", "0", "1", "0", "-", "1", tag(4), "-"),
    ));
    // now answered, still in core cycle 7
    t.push(cyc_owned(
        row(&In::default()),
        o("1", "1", "0", "0", "-", "1", tag(4), &format!("{b:x}")),
    ));
    t.push(cyc_owned(
        row(&In::default()),
        o("1", "1", "0", "0", "-", "0", d(), "-"),
    ));
    let mut m = unit();
    behaves_after(
        &mut m,
        &ins,
        &outs,
        &t,
        1,
        |m, v| m.clock.next = Clock { clk: v },
        |m, r| {
            m.reset.next = r[0] == "1";
            m.start.next = r[1] == "1";
            m.dram_base.next = from_hex(&r[2]);
            m.c_done.next = r[3] == "1";
            m.c_cmd_valid.next = r[4] == "1";
            m.c_cmd_write.next = r[5] == "1";
            m.c_cmd_addr.next = from_hex(&r[6]);
            m.c_cmd_tag.next = from_hex(&r[7]);
            m.c_cmd_words.next = from_hex(&r[8]);
            m.c_wdata.next = from_hex(&r[9]);
            m.arready.next = r[10] == "1";
            m.awready.next = r[11] == "1";
            m.wready.next = r[12] == "1";
            m.rvalid.next = r[13] == "1";
            m.rdata.next = from_hex(&r[14]);
            m.rresp.next = from_hex(&r[15]);
            m.rlast.next = r[16] == "1";
            m.bvalid.next = r[17] == "1";
            m.bresp.next = from_hex(&r[18]);
        },
        |m| {
            vec![
                hb(m.c_run.val()),
                hb(m.ce.val()),
                hb(m.held.val()),
                hb(m.arvalid.val()),
                hex(m.araddr.val()),
                hex(m.arlen.val()),
                hb(m.rready.val()),
                hb(m.c_resp_valid.val()),
                hex(m.c_resp_tag.val()),
                hex(m.c_resp_data.val()),
            ]
        },
    );
}
