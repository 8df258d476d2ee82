//! Block tests of the memory port (`hdl::core::port::Port`: arbiter and beat
//! sequencer) and of its NBout row converters `Narrow` (`storen`) and `Widen`
//! (`loadw`): each alone, emitted and checked by Verilator and Yosys, and
//! clocked tables with expected values in rust-hdl and Icarus.

mod common;
use common::*;
use hdl::core::port::{Narrow, Port as MemPort, Widen};
use hdl::tb::verilog_test::Port;
use hdl::widths::*;
use rust_hdl::prelude::*;

/// Bytes per beat of the tested port (the tiny preset's).
const BPC: u32 = 8;

/// A memory-port tag (layout `hdl::widths::tag`) as hex.
fn tag(owner: u64, row: u64, write: bool, last: bool) -> String {
    let mut t = Tag::default();
    t.set_value_owner(owner.into());
    t.set_value_row(row.into());
    t.set_value_write(write.into());
    t.set_value_last_beat(last.into());
    hex(t)
}

#[test]
fn port_synthesizes() {
    synthesizes(&mut MemPort::new(BPC));
}

#[test]
fn port_behaves_priority_beats_and_tags() {
    let ins: Vec<Port> = [
        ("clr", 1),
        ("req_nbin", 1),
        ("req_sb", 1),
        ("req_nbout", 1),
        ("addr_nbin", DAW),
        ("addr_sb", DAW),
        ("addr_nbout", DAW),
        ("beats_nbin", BEATW),
        ("beats_sb", BEATW),
        ("beats_nbout", BEATW),
        ("words_nbin", BEATW),
        ("words_sb", BEATW),
        ("words_nbout", BEATW),
        ("tag_nbin", TAG_BITS),
        ("tag_sb", TAG_BITS),
        ("tag_nbout", TAG_BITS),
        ("req_fetch", 1),
        ("addr_fetch", DAW),
        ("beats_fetch", BEATW),
        ("words_fetch", BEATW),
        ("tag_fetch", TAG_BITS),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    let outs: Vec<Port> = [
        ("grant_nbin", 1),
        ("grant_sb", 1),
        ("grant_nbout", 1),
        ("grant", OWNERW),
        ("busy", 1),
        ("cmd_valid", 1),
        ("cmd_write", 1),
        ("cmd_addr", DAW),
        ("cmd_tag", TAG_BITS),
        ("cmd_words", BEATW),
        ("grant_fetch", 1),
    ]
    .iter()
    .map(|(n, w)| Port::new(n, *w))
    .collect();
    // tags as the DMAs build them (layout crate::widths::tag; the port sets the owner)
    let nbin_tag = tag(0, 1, false, false); // row 1
    let nbout_tag = tag(0, 2, true, false); // row 2, write
    let z = "0".to_string();
    let row = |v: &[&str]| -> Vec<String> { v.iter().map(|x| x.to_string()).collect() };
    // clr, req nbin sb nbout, addr nbin sb nbout, beats nbin sb nbout, words nbin sb nbout,
    // tag nbin sb nbout, req/addr/beats/words/tag fetch
    let mut idle_in = row(&["0"; 21]);
    idle_in[0] = "1".into();
    let t = [
        cyc_owned(
            idle_in,
            row(&["0", "0", "0", "0", "0", "0", "0", "-", "-", "-", "0"]),
        ),
        // NBin, NBout and fetch request together: NBout wins; its first beat goes out in the grant cycle
        cyc_owned(
            [
                row(&[
                    "0", "1", "0", "1", "100", "0", "200", "1", "0", "2", "4", "0", "3",
                ]),
                vec![nbin_tag.clone(), z.clone(), nbout_tag.clone()],
                row(&["1", "400", "1", "4", "0"]),
            ]
            .concat(),
            [
                row(&["0", "0", "1", "3", "0", "1", "1", "200"]),
                vec![tag(3, 2, true, false)],
                row(&["4", "0"]),
            ]
            .concat(),
        ),
        // second (last) beat from the registers; the port is busy, NBin waits
        cyc_owned(
            [
                row(&[
                    "0", "1", "0", "0", "100", "0", "0", "1", "0", "0", "4", "0", "0",
                ]),
                vec![nbin_tag.clone(), z.clone(), z.clone()],
                row(&["1", "400", "1", "4", "0"]),
            ]
            .concat(),
            [
                row(&["0", "0", "0", "0", "1", "1", "1", "208"]),
                vec![tag(3, 2, true, true)],
                row(&["3", "0"]),
            ]
            .concat(),
        ),
        // free again: NBin's one-beat row, tagged owner 1 and last beat; fetch still waits
        cyc_owned(
            [
                row(&[
                    "0", "1", "0", "0", "100", "0", "0", "1", "0", "0", "4", "0", "0",
                ]),
                vec![nbin_tag.clone(), z.clone(), z.clone()],
                row(&["1", "400", "1", "4", "0"]),
            ]
            .concat(),
            [
                row(&["1", "0", "0", "1", "0", "1", "0", "100"]),
                vec![tag(1, 1, false, true)],
                row(&["4", "0"]),
            ]
            .concat(),
        ),
        // SB and fetch: SB (owner 2) wins
        cyc_owned(
            [
                row(&[
                    "0", "0", "1", "0", "0", "300", "0", "0", "1", "0", "0", "2", "0",
                ]),
                vec![z.clone(), z.clone(), z.clone()],
                row(&["1", "400", "1", "4", "0"]),
            ]
            .concat(),
            [
                row(&["0", "1", "0", "2", "0", "1", "0", "300"]),
                vec![tag(2, 0, false, true)],
                row(&["2", "0"]),
            ]
            .concat(),
        ),
        // the fetch unit alone: owner 4, lowest priority
        cyc_owned(
            [
                row(&["0"; 13]),
                vec![z.clone(), z.clone(), z.clone()],
                row(&["1", "400", "1", "4", "0"]),
            ]
            .concat(),
            [
                row(&["0", "0", "0", "4", "0", "1", "0", "400"]),
                vec![tag(4, 0, false, true)],
                row(&["4", "1"]),
            ]
            .concat(),
        ),
        // idle
        cyc_owned(
            row(&["0"; 21]),
            row(&["0", "0", "0", "0", "0", "0", "-", "-", "-", "-", "0"]),
        ),
    ];
    let mut p = MemPort::new(BPC);
    behaves(
        &mut p,
        &ins,
        &outs,
        &t,
        |p, v| p.clock.next = Clock { clk: v },
        |p, r| {
            p.clr.next = r[0] == "1";
            p.req_nbin.next = r[1] == "1";
            p.req_sb.next = r[2] == "1";
            p.req_nbout.next = r[3] == "1";
            p.addr_nbin.next = from_hex(&r[4]);
            p.addr_sb.next = from_hex(&r[5]);
            p.addr_nbout.next = from_hex(&r[6]);
            p.beats_nbin.next = from_hex(&r[7]);
            p.beats_sb.next = from_hex(&r[8]);
            p.beats_nbout.next = from_hex(&r[9]);
            p.words_nbin.next = from_hex(&r[10]);
            p.words_sb.next = from_hex(&r[11]);
            p.words_nbout.next = from_hex(&r[12]);
            p.tag_nbin.next = from_hex(&r[13]);
            p.tag_sb.next = from_hex(&r[14]);
            p.tag_nbout.next = from_hex(&r[15]);
            p.req_fetch.next = r[16] == "1";
            p.addr_fetch.next = from_hex(&r[17]);
            p.beats_fetch.next = from_hex(&r[18]);
            p.words_fetch.next = from_hex(&r[19]);
            p.tag_fetch.next = from_hex(&r[20]);
        },
        |p| {
            vec![
                hb(p.grant_nbin.val()),
                hb(p.grant_sb.val()),
                hb(p.grant_nbout.val()),
                hex(p.grant.val()),
                hb(p.busy.val()),
                hb(p.cmd_valid.val()),
                hb(p.cmd_write.val()),
                hex(p.cmd_addr.val()),
                hex(p.cmd_tag.val()),
                hex(p.cmd_words.val()),
                hb(p.grant_fetch.val()),
            ]
        },
    );
}

/// NBout row width of the tested converters (Tn = 4: four 32-bit entries).
const W: usize = 4 * AW;
/// Fraction bits of the tested widener.
const FRAC: usize = 8;

/// The two converters side by side, with a clock input for the Icarus harness.
#[derive(LogicBlock)]
struct ConvBench {
    clock: Signal<In, Clock>,
    din: Signal<In, Bits<W>>,
    narrowed: Signal<Out, Bits<W>>,
    widened: Signal<Out, Bits<W>>,
    narrow: Narrow<W>,
    widen: Widen<W>,
}

impl Logic for ConvBench {
    #[hdl_gen]
    fn update(&mut self) {
        self.narrow.din.next = self.din.val();
        self.widen.din.next = self.din.val();
        self.narrowed.next = self.narrow.dout.val();
        self.widened.next = self.widen.dout.val();
    }
}

fn bench() -> ConvBench {
    ConvBench {
        clock: Default::default(),
        din: Default::default(),
        narrowed: Default::default(),
        widened: Default::default(),
        narrow: Default::default(),
        widen: Widen::new(FRAC),
    }
}

#[test]
fn narrow_synthesizes() {
    synthesizes(&mut Narrow::<W>::default());
}

#[test]
fn widen_synthesizes() {
    synthesizes(&mut Widen::<W>::new(FRAC));
}

#[test]
fn narrow_and_widen_behave_on_signed_words() {
    let ins = [Port::new("din", W)];
    let outs = [Port::new("narrowed", W), Port::new("widened", W)];
    // din: four 32-bit entries, lane 0 lowest; narrow keeps each entry's low
    // 16 bits, packed; widen sign-extends each 16-bit word of the low half and
    // shifts it left by FRAC
    let din = "ffff000212345678".to_string() + "7fffffff00018001";
    // computed from the definition, lane by lane
    let entries: [u32; 4] = [0x0001_8001, 0x7fff_ffff, 0x1234_5678, 0xffff_0002];
    let mut n = 0u128;
    for (k, e) in entries.iter().enumerate() {
        n |= ((e & 0xffff) as u128) << (16 * k);
    }
    let words: Vec<u16> = (0..4)
        .map(|k| ((entries[k / 2] >> (16 * (k % 2))) & 0xffff) as u16)
        .collect();
    let mut w = 0u128;
    for (k, x) in words.iter().enumerate() {
        let e = ((*x as i16 as i32) << FRAC) as u32;
        w |= (e as u128) << (32 * k);
    }
    let d: u128 = entries
        .iter()
        .enumerate()
        .map(|(k, e)| (*e as u128) << (32 * k))
        .sum();
    assert_eq!(format!("{d:x}"), din);
    // spot values from the definition: lane 0 of narrow is 0x8001, lane 0 of widen is 0xffff_8001 << 8
    assert_eq!(n & 0xffff, 0x8001);
    assert_eq!(w & 0xffff_ffff, 0xff80_0100);
    let t = [
        cyc(
            &[&format!("{d:x}")],
            &[&format!("{n:x}"), &format!("{w:x}")],
        ),
        cyc(&["0"], &["0", "0"]),
    ];
    let mut b = bench();
    behaves(
        &mut b,
        &ins,
        &outs,
        &t,
        |b, v| b.clock.next = Clock { clk: v },
        |b, r| b.din.next = from_hex(&r[0]),
        |b| vec![hex(b.narrowed.val()), hex(b.widened.val())],
    );
}
