//! `diannao board`: a model through the driver on the simulated board (the
//! Verilator model of the AXI-wrapped RTL), and its bad inputs.

mod common;
use common::*;

/// LeNet-5 on the tiny preset through the register map: programs far longer
/// than the 256-entry instruction memory, every output equal to the
/// simulator's, cycles and time reported per layer.
#[test]
fn lenet5_runs_through_the_driver_on_the_simulated_board() {
    let out = ok(&["board", "--preset", "tiny", "--model", "lenet5", "--sim"]);
    assert!(out.contains("preset hash checked"), "{out}");
    assert!(out.contains("all 6 layers ran"), "{out}");
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("= simulator")).collect();
    assert_eq!(rows.len(), 6, "{out}");
    let longest: u64 = rows
        .iter()
        .map(|r| r.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
        .max()
        .unwrap();
    assert!(longest > 256, "{out}");
}

#[test]
fn bad_board_inputs_are_one_line_errors() {
    fails(
        &[
            "board",
            "--preset",
            "tiny",
            "--layer",
            "conv:nx=4,ny=4,k=3,ni=4,no=4",
            "--regs",
            "/nonexistent/uio0",
            "--buf",
            "/dev/mem",
            "--buf-phys",
            "0x70000000",
            "--buf-bytes",
            "0x100000",
        ],
        &["/nonexistent/uio0"],
    );
    fails(
        &[
            "board",
            "--preset",
            "tiny",
            "--layer",
            "conv:nx=4,ny=4,k=3,ni=4,no=4",
            "--sim",
            "--clock-mhz",
            "0",
        ],
        &["--clock-mhz"],
    );
    fails(
        &[
            "board",
            "--preset",
            "tiny",
            "--layer",
            "conv:nx=4,ny=4,k=3,ni=4,no=4",
            "--sim",
            "--timeout-polls",
            "1",
        ],
        &["no halt after 1 status polls"],
    );
}
