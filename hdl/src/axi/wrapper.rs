//! The AXI-wrapped accelerator: the unchanged core ([`crate::top`]) on a
//! gated clock, the AXI4-Lite register slave, the AXI4 master and the event
//! counters. Ports (module `top` in the emitted Verilog): `clock`, `reset`
//! (synchronous, active high), `s_axi_*` (AXI4-Lite slave), `m_axi_*` (AXI4
//! master, no ID/CACHE/PROT/LOCK/QOS signals: the block design ties them off),
//! `irq` (= `status.done`). The event counters are the core's own bank
//! (`crate::counters`, counting core cycles); the slave reads them through
//! the core's `ctr_sel` / `ctr_value`.

use super::gate::ClockGate;
use super::lite::{AxiLiteSlave, LITE_ADDR_BITS};
use super::master::{AxiMaster, MasterError};
use crate::top::{DiannaoTop, Kv260Top, TinyTop, Zcu104Top};
use crate::widths::CTRW;
use arch::regmap::RegMapError;
use arch::AccelConfig;
use rust_hdl::prelude::*;

/// Errors building a wrapped design.
#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    /// The master rejected the configuration.
    #[error(transparent)]
    Master(#[from] MasterError),
    /// Register map.
    #[error(transparent)]
    RegMap(#[from] RegMapError),
    /// No RTL for this configuration (the field is named).
    #[error(transparent)]
    Rtl(#[from] crate::top::RtlError),
}

macro_rules! axi_top {
    ($name:ident, $core:ty, $bw:expr, $sw:expr) => {
        /// The wrapped accelerator for one preset (see the module docs).
        #[derive(LogicBlock)]
        pub struct $name {
            /// AXI clock (also the core's clock, gated).
            pub clock: Signal<In, Clock>,
            /// Synchronous reset, active high.
            pub reset: Signal<In, bool>,
            /// AXI4-Lite AW address.
            pub s_axi_awaddr: Signal<In, Bits<LITE_ADDR_BITS>>,
            /// AW valid.
            pub s_axi_awvalid: Signal<In, bool>,
            /// AW ready.
            pub s_axi_awready: Signal<Out, bool>,
            /// W data.
            pub s_axi_wdata: Signal<In, Bits<32>>,
            /// W strobes.
            pub s_axi_wstrb: Signal<In, Bits<4>>,
            /// W valid.
            pub s_axi_wvalid: Signal<In, bool>,
            /// W ready.
            pub s_axi_wready: Signal<Out, bool>,
            /// B response.
            pub s_axi_bresp: Signal<Out, Bits<2>>,
            /// B valid.
            pub s_axi_bvalid: Signal<Out, bool>,
            /// B ready.
            pub s_axi_bready: Signal<In, bool>,
            /// AR address.
            pub s_axi_araddr: Signal<In, Bits<LITE_ADDR_BITS>>,
            /// AR valid.
            pub s_axi_arvalid: Signal<In, bool>,
            /// AR ready.
            pub s_axi_arready: Signal<Out, bool>,
            /// R data.
            pub s_axi_rdata: Signal<Out, Bits<32>>,
            /// R response.
            pub s_axi_rresp: Signal<Out, Bits<2>>,
            /// R valid.
            pub s_axi_rvalid: Signal<Out, bool>,
            /// R ready.
            pub s_axi_rready: Signal<In, bool>,
            /// AXI4 AW address.
            pub m_axi_awaddr: Signal<Out, Bits<32>>,
            /// AW length − 1.
            pub m_axi_awlen: Signal<Out, Bits<8>>,
            /// AW size.
            pub m_axi_awsize: Signal<Out, Bits<3>>,
            /// AW burst (INCR).
            pub m_axi_awburst: Signal<Out, Bits<2>>,
            /// AW valid.
            pub m_axi_awvalid: Signal<Out, bool>,
            /// AW ready.
            pub m_axi_awready: Signal<In, bool>,
            /// W data.
            pub m_axi_wdata: Signal<Out, Bits<$bw>>,
            /// W strobes.
            pub m_axi_wstrb: Signal<Out, Bits<$sw>>,
            /// W last.
            pub m_axi_wlast: Signal<Out, bool>,
            /// W valid.
            pub m_axi_wvalid: Signal<Out, bool>,
            /// W ready.
            pub m_axi_wready: Signal<In, bool>,
            /// B response.
            pub m_axi_bresp: Signal<In, Bits<2>>,
            /// B valid.
            pub m_axi_bvalid: Signal<In, bool>,
            /// B ready.
            pub m_axi_bready: Signal<Out, bool>,
            /// AR address.
            pub m_axi_araddr: Signal<Out, Bits<32>>,
            /// AR length − 1.
            pub m_axi_arlen: Signal<Out, Bits<8>>,
            /// AR size.
            pub m_axi_arsize: Signal<Out, Bits<3>>,
            /// AR burst (INCR).
            pub m_axi_arburst: Signal<Out, Bits<2>>,
            /// AR valid.
            pub m_axi_arvalid: Signal<Out, bool>,
            /// AR ready.
            pub m_axi_arready: Signal<In, bool>,
            /// R data.
            pub m_axi_rdata: Signal<In, Bits<$bw>>,
            /// R response.
            pub m_axi_rresp: Signal<In, Bits<2>>,
            /// R last.
            pub m_axi_rlast: Signal<In, bool>,
            /// R valid.
            pub m_axi_rvalid: Signal<In, bool>,
            /// R ready.
            pub m_axi_rready: Signal<Out, bool>,
            /// Interrupt: `status.done`.
            pub irq: Signal<Out, bool>,
            /// The core.
            pub core: $core,
            /// The core's clock gate.
            pub gate: ClockGate,
            /// Register slave.
            pub lite: AxiLiteSlave,
            /// Memory master.
            pub master: AxiMaster<$bw, $sw>,
            bus_cycles: DFF<Bits<CTRW>>,
            held_cycles: DFF<Bits<32>>,
        }

        impl $name {
            /// Build for `cfg` (must be the preset this type is for).
            pub fn new(cfg: &AccelConfig) -> Result<Self, WrapError> {
                Ok(Self {
                    clock: Default::default(),
                    reset: Default::default(),
                    s_axi_awaddr: Default::default(),
                    s_axi_awvalid: Default::default(),
                    s_axi_awready: Default::default(),
                    s_axi_wdata: Default::default(),
                    s_axi_wstrb: Default::default(),
                    s_axi_wvalid: Default::default(),
                    s_axi_wready: Default::default(),
                    s_axi_bresp: Default::default(),
                    s_axi_bvalid: Default::default(),
                    s_axi_bready: Default::default(),
                    s_axi_araddr: Default::default(),
                    s_axi_arvalid: Default::default(),
                    s_axi_arready: Default::default(),
                    s_axi_rdata: Default::default(),
                    s_axi_rresp: Default::default(),
                    s_axi_rvalid: Default::default(),
                    s_axi_rready: Default::default(),
                    m_axi_awaddr: Default::default(),
                    m_axi_awlen: Default::default(),
                    m_axi_awsize: Default::default(),
                    m_axi_awburst: Default::default(),
                    m_axi_awvalid: Default::default(),
                    m_axi_awready: Default::default(),
                    m_axi_wdata: Default::default(),
                    m_axi_wstrb: Default::default(),
                    m_axi_wlast: Default::default(),
                    m_axi_wvalid: Default::default(),
                    m_axi_wready: Default::default(),
                    m_axi_bresp: Default::default(),
                    m_axi_bvalid: Default::default(),
                    m_axi_bready: Default::default(),
                    m_axi_araddr: Default::default(),
                    m_axi_arlen: Default::default(),
                    m_axi_arsize: Default::default(),
                    m_axi_arburst: Default::default(),
                    m_axi_arvalid: Default::default(),
                    m_axi_arready: Default::default(),
                    m_axi_rdata: Default::default(),
                    m_axi_rresp: Default::default(),
                    m_axi_rlast: Default::default(),
                    m_axi_rvalid: Default::default(),
                    m_axi_rready: Default::default(),
                    irq: Default::default(),
                    core: <$core>::new(cfg),
                    gate: Default::default(),
                    lite: AxiLiteSlave::new(cfg)?,
                    master: AxiMaster::new(cfg)?,
                    bus_cycles: Default::default(),
                    held_cycles: Default::default(),
                })
            }
        }

        impl Logic for $name {
            #[hdl_gen]
            fn update(&mut self) {
                dff_setup!(self, clock, bus_cycles, held_cycles);
                // ---- register slave
                clock!(self, clock, lite);
                self.lite.reset.next = self.reset.val();
                self.lite.awaddr.next = self.s_axi_awaddr.val();
                self.lite.awvalid.next = self.s_axi_awvalid.val();
                self.s_axi_awready.next = self.lite.awready.val();
                self.lite.wdata.next = self.s_axi_wdata.val();
                self.lite.wstrb.next = self.s_axi_wstrb.val();
                self.lite.wvalid.next = self.s_axi_wvalid.val();
                self.s_axi_wready.next = self.lite.wready.val();
                self.s_axi_bresp.next = self.lite.bresp.val();
                self.s_axi_bvalid.next = self.lite.bvalid.val();
                self.lite.bready.next = self.s_axi_bready.val();
                self.lite.araddr.next = self.s_axi_araddr.val();
                self.lite.arvalid.next = self.s_axi_arvalid.val();
                self.s_axi_arready.next = self.lite.arready.val();
                self.s_axi_rdata.next = self.lite.rdata.val();
                self.s_axi_rresp.next = self.lite.rresp.val();
                self.s_axi_rvalid.next = self.lite.rvalid.val();
                self.lite.rready.next = self.s_axi_rready.val();
                self.lite.st_busy.next = self.master.busy.val();
                self.lite.st_done.next = self.master.done.val();
                self.lite.st_bus_error.next = self.master.bus_error.val();
                self.lite.err_class.next = self.core.err_class.val();
                self.lite.err_index.next = self.core.err_index.val();
                self.lite.bus_cycles.next = self.bus_cycles.q.val();
                self.lite.held_cycles.next = self.held_cycles.q.val();
                self.core.ctr_sel.next = self.lite.ctr_sel.val();
                self.lite.ctr_value.next = self.core.ctr_value.val();
                // ---- memory master
                clock!(self, clock, master);
                self.master.reset.next = self.reset.val();
                self.m_axi_awaddr.next = self.master.awaddr.val();
                self.m_axi_awlen.next = self.master.awlen.val();
                self.m_axi_awsize.next = self.master.awsize.val();
                self.m_axi_awburst.next = self.master.awburst.val();
                self.m_axi_awvalid.next = self.master.awvalid.val();
                self.master.awready.next = self.m_axi_awready.val();
                self.m_axi_wdata.next = self.master.wdata.val();
                self.m_axi_wstrb.next = self.master.wstrb.val();
                self.m_axi_wlast.next = self.master.wlast.val();
                self.m_axi_wvalid.next = self.master.wvalid.val();
                self.master.wready.next = self.m_axi_wready.val();
                self.master.bresp.next = self.m_axi_bresp.val();
                self.master.bvalid.next = self.m_axi_bvalid.val();
                self.m_axi_bready.next = self.master.bready.val();
                self.m_axi_araddr.next = self.master.araddr.val();
                self.m_axi_arlen.next = self.master.arlen.val();
                self.m_axi_arsize.next = self.master.arsize.val();
                self.m_axi_arburst.next = self.master.arburst.val();
                self.m_axi_arvalid.next = self.master.arvalid.val();
                self.master.arready.next = self.m_axi_arready.val();
                self.master.rdata.next = self.m_axi_rdata.val();
                self.master.rresp.next = self.m_axi_rresp.val();
                self.master.rlast.next = self.m_axi_rlast.val();
                self.master.rvalid.next = self.m_axi_rvalid.val();
                self.m_axi_rready.next = self.master.rready.val();
                self.master.start.next = self.lite.start.val();
                self.master.dram_base.next = self.lite.dram_base.val();
                self.irq.next = self.master.done.val();
                // ---- core on the gated clock
                clock!(self, clock, gate);
                self.gate.en.next = self.master.ce.val();
                self.core.clock.next = self.gate.gclk.val();
                self.core.run.next = self.master.c_run.val();
                self.core.prog_base.next = self.lite.prog_base.val();
                self.core.prog_len.next = self.lite.prog_len.val();
                self.core.seed.next = self.lite.lfsr_seed.val();
                self.master.c_done.next = self.core.done.val();
                self.master.c_cmd_valid.next = self.core.mem_cmd_valid.val();
                self.master.c_cmd_write.next = self.core.mem_cmd_write.val();
                self.master.c_cmd_addr.next = self.core.mem_cmd_addr.val();
                self.master.c_cmd_tag.next = self.core.mem_cmd_tag.val();
                self.master.c_cmd_words.next = self.core.mem_cmd_words.val();
                self.master.c_wdata.next = self.core.mem_wdata.val();
                self.core.mem_resp_valid.next = self.master.c_resp_valid.val();
                self.core.mem_resp_tag.next = self.master.c_resp_tag.val();
                self.core.mem_resp_data.next = self.master.c_resp_data.val();
                // ---- bus cycles from start to halt (the event counters are the core's, in core cycles)
                if self.master.busy.val() {
                    self.bus_cycles.d.next = self.bus_cycles.q.val() + 1;
                }
                if self.master.held.val() {
                    self.held_cycles.d.next = self.held_cycles.q.val() + 1;
                }
                if self.lite.start.val() && !self.master.busy.val() {
                    self.bus_cycles.d.next = 0.into();
                    self.held_cycles.d.next = 0.into();
                }
            }
        }
    };
}

axi_top!(TinyAxi, TinyTop, 64, 8);
axi_top!(DiannaoAxi, DiannaoTop, 512, 64);

axi_top!(Zcu104Axi, Zcu104Top, 128, 16);
axi_top!(Kv260Axi, Kv260Top, 128, 16);

/// Verilog of the wrapped accelerator for `cfg` (root module `top`). Built on
/// a thread with a large stack ([`crate::top::on_big_stack`]), so it works
/// from any thread.
pub fn axi_verilog(cfg: &AccelConfig) -> Result<String, WrapError> {
    fn emit<T: Block>(mut t: T) -> String {
        t.connect_all();
        generate_verilog(&t)
    }
    let kind = crate::top::rtl_kind(cfg)?;
    crate::top::on_big_stack(|| {
        Ok(match kind {
            crate::top::RtlKind::Tiny => emit(TinyAxi::new(cfg)?),
            crate::top::RtlKind::Diannao => emit(DiannaoAxi::new(cfg)?),
            crate::top::RtlKind::Zcu104 => emit(Zcu104Axi::new(cfg)?),
            crate::top::RtlKind::Kv260 => emit(Kv260Axi::new(cfg)?),
        })
    })
}
