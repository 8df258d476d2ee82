//! Testbench systems: an accelerator top plus the DRAM model
//! ([`super::dram::Dram`]), driven by the rust-hdl backend and the RTL tests.
//! Not part of the accelerator.

use super::dram::Dram;
use crate::top::{DiannaoTop, TinyTop};
use crate::widths::*;
use arch::AccelConfig;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

macro_rules! system_impl {
    ($name:ident, $top:ty, $bw:expr) => {
        /// Top plus DRAM model (`AW` = log2 of the model's 16-bit words), for testbenches.
        #[derive(LogicBlock)]
        pub struct $name<const AW: usize> {
            /// Clock.
            pub clock: Signal<In, Clock>,
            /// Run.
            pub run: Signal<In, bool>,
            /// DRAM byte address of instruction 0.
            pub prog_base: Signal<In, DramAddr>,
            /// Program length.
            pub prog_len: Signal<In, Pc>,
            /// Stochastic-rounding seed of the run.
            pub seed: Signal<In, Seed>,
            /// Halted.
            pub done: Signal<Out, bool>,
            /// Error class.
            pub err_class: Signal<Out, ErrClass>,
            /// Error index.
            pub err_index: Signal<Out, Pc>,
            /// Cycles.
            pub cycles: Signal<Out, Bits<CYCW>>,
            /// Event counter shown on `ctr_value` (the top's read select).
            pub ctr_sel: Signal<In, Bits<EVSELW>>,
            /// Event counter `ctr_sel`.
            pub ctr_value: Signal<Out, Bits<CTRW>>,
            /// The accelerator.
            pub top: $top,
            /// DRAM model.
            pub dram: Dram<$bw, AW>,
        }
        impl<const AW: usize> $name<AW> {
            /// Build with initial DRAM words (word address -> value); the
            /// program is among them, at `prog_base`.
            pub fn build(cfg: &AccelConfig, dram: BTreeMap<u64, u16>) -> Self {
                Self {
                    clock: Default::default(),
                    run: Default::default(),
                    prog_base: Default::default(),
                    prog_len: Default::default(),
                    seed: Default::default(),
                    done: Default::default(),
                    err_class: Default::default(),
                    err_index: Default::default(),
                    cycles: Default::default(),
                    ctr_sel: Default::default(),
                    ctr_value: Default::default(),
                    top: <$top>::new(cfg),
                    dram: Dram::new(cfg.dram.latency_cycles as usize, dram),
                }
            }
        }
        impl<const AW: usize> Logic for $name<AW> {
            #[hdl_gen]
            fn update(&mut self) {
                clock!(self, clock, top, dram);
                self.top.run.next = self.run.val();
                self.top.prog_base.next = self.prog_base.val();
                self.top.prog_len.next = self.prog_len.val();
                self.top.seed.next = self.seed.val();
                self.dram.cmd_valid.next = self.top.mem_cmd_valid.val();
                self.dram.cmd_write.next = self.top.mem_cmd_write.val();
                self.dram.cmd_addr.next = self.top.mem_cmd_addr.val();
                self.dram.cmd_tag.next = self.top.mem_cmd_tag.val();
                self.dram.cmd_words.next = self.top.mem_cmd_words.val();
                self.dram.wdata.next = self.top.mem_wdata.val();
                self.top.mem_resp_valid.next = self.dram.resp_valid.val();
                self.top.mem_resp_tag.next = self.dram.resp_tag.val();
                self.top.mem_resp_data.next = self.dram.resp_data.val();
                self.done.next = self.top.done.val();
                self.err_class.next = self.top.err_class.val();
                self.err_index.next = self.top.err_index.val();
                self.cycles.next = self.top.cycles.val();
                self.top.ctr_sel.next = self.ctr_sel.val();
                self.ctr_value.next = self.top.ctr_value.val();
            }
        }
    };
}

system_impl!(TinySystem, TinyTop, 64);
system_impl!(DiannaoSystem, DiannaoTop, 512);
