//! Clock gate for the core: the core has no clock enable (rust-hdl DFFs have
//! none), so the AXI master holds it by gating its clock. `en` must come from
//! registers of the `clock` domain (stable through the cycle).
//!
//! Verilog: under `SYNTHESIS` (Vivado, Yosys) a Xilinx `BUFGCE` (glitch-free,
//! synchronous CE); otherwise a negative-edge-latched enable ANDed with the
//! clock (the same behaviour, for Verilator and Icarus).

use rust_hdl::prelude::*;

/// `gclk` pulses with `clock` in the cycles where `en` is high.
#[derive(LogicBlock, Default)]
pub struct ClockGate {
    /// Free-running clock.
    pub clock: Signal<In, Clock>,
    /// Enable for the next rising edge.
    pub en: Signal<In, bool>,
    /// Gated clock.
    pub gclk: Signal<Out, Clock>,
    _latched: bool,
}

impl Logic for ClockGate {
    fn update(&mut self) {
        if !self.clock.val().clk {
            self._latched = self.en.val();
        }
        self.gclk.next = Clock {
            clk: self.clock.val().clk && self._latched,
        };
    }
    fn connect(&mut self) {
        self.gclk.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
`ifdef SYNTHESIS
wire gclk_w;
BUFGCE #(.CE_TYPE(\"SYNC\")) bufgce_i (.I(clock), .CE(en), .O(gclk_w));
always @(*) gclk = gclk_w;
`else
reg en_l;
initial en_l = 1'b0;
always @(negedge clock) en_l <= en;
always @(*) gclk = clock & en_l;
`endif
"
            .into(),
        )
    }
}
