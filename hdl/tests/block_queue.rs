//! Block tests of the in-order queue (`hdl::core::queue::Queue`): alone,
//! emitted and checked by Verilator and Yosys, and a clocked table of pushes
//! and pops with the expected head, count and flags, in rust-hdl and Icarus.

mod common;
use common::*;
use hdl::core::queue::Queue;
use hdl::tb::verilog_test::Port;
use hdl::widths::QCW;
use rust_hdl::prelude::*;

type Q = Queue<8, 2>;

#[test]
fn queue_synthesizes() {
    synthesizes(&mut Q::default());
}

#[test]
fn queue_behaves_in_order_with_full_and_clear() {
    let ins = [
        Port::new("clr", 1),
        Port::new("push", 1),
        Port::new("din", 8),
        Port::new("pop", 1),
    ];
    let outs = [
        Port::new("head", 8),
        Port::new("count", QCW),
        Port::new("full", 1),
        Port::new("nonempty", 1),
    ];
    // inputs: clr push din pop | outputs (state at the start of the cycle): head count full nonempty
    let t = [
        cyc(&["1", "0", "0", "0"], &["-", "0", "0", "0"]),
        cyc(&["0", "1", "11", "0"], &["-", "0", "0", "0"]),
        cyc(&["0", "1", "22", "0"], &["11", "1", "0", "1"]),
        cyc(&["0", "0", "0", "0"], &["11", "2", "1", "1"]),
        // pop: the head leaves at the end of the cycle
        cyc(&["0", "0", "0", "1"], &["11", "2", "1", "1"]),
        // push and pop together: the count stays, the new entry goes behind the old second
        cyc(&["0", "1", "33", "1"], &["22", "1", "0", "1"]),
        cyc(&["0", "0", "0", "0"], &["33", "1", "0", "1"]),
        cyc(&["0", "0", "0", "1"], &["33", "1", "0", "1"]),
        // clear wins over a push
        cyc(&["1", "1", "44", "0"], &["-", "0", "0", "0"]),
        cyc(&["0", "0", "0", "0"], &["-", "0", "0", "0"]),
    ];
    let mut q = Q::default();
    behaves(
        &mut q,
        &ins,
        &outs,
        &t,
        |q, v| q.clock.next = Clock { clk: v },
        |q, r| {
            q.clr.next = r[0] == "1";
            q.push.next = r[1] == "1";
            q.din.next = from_hex(&r[2]);
            q.pop.next = r[3] == "1";
        },
        |q| {
            vec![
                hex(q.head.val()),
                hex(q.count.val()),
                hb(q.full.val()),
                hb(q.nonempty.val()),
            ]
        },
    );
}
