//! The event counter bank: one [`CTRW`]-bit counter per event of
//! `arch::events::Event::ALL` (docs/microarchitecture.md, "Counter
//! definitions"). [`crate::top`] presents every event's increment of the
//! cycle, packed in layout [`crate::widths::event_inc`] (field i is
//! `Event::ALL[i]`); the bank adds them in every counting cycle (0 ... T-1
//! of a run) and clears on `clr`. Counter `sel` is shown on `value`
//! (combinational), for the bare top's testbench and the AXI-Lite slave.

use crate::widths::{CTRW, EVENT_INC_BITS, EVSELW, INCW, KW};
use arch::events::{Event, NUM_EVENTS};
use rust_hdl::prelude::*;

/// The counter bank.
#[derive(LogicBlock)]
pub struct Counters {
    /// Clock (the core's).
    pub clock: Signal<In, Clock>,
    /// Synchronous clear (all counters to 0).
    pub clr: Signal<In, bool>,
    /// Count this cycle (a cycle of the run before its halt cycle).
    pub en: Signal<In, bool>,
    /// Increments of this cycle, layout [`crate::widths::event_inc`].
    pub inc: Signal<In, Bits<EVENT_INC_BITS>>,
    /// Counter shown on `value` (an `Event` index; others read 0).
    pub sel: Signal<In, Bits<EVSELW>>,
    /// Counter `sel`.
    pub value: Signal<Out, Bits<CTRW>>,
    /// Counter `cycles` (after the halt: the run's length T).
    pub cycles: Signal<Out, Bits<CTRW>>,
    ctr: Vec<DFF<Bits<CTRW>>>,
    add: Signal<Local, Bits<EVENT_INC_BITS>>,
    slice: Signal<Local, Bits<INCW>>,
    k_incw: Constant<Bits<KW>>,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            clr: Default::default(),
            en: Default::default(),
            inc: Default::default(),
            sel: Default::default(),
            value: Default::default(),
            cycles: Default::default(),
            ctr: (0..NUM_EVENTS).map(|_| DFF::default()).collect(),
            add: Default::default(),
            slice: Default::default(),
            k_incw: Constant::new((INCW as u64).into()),
        }
    }
}

impl Counters {
    /// Every counter's value, in `Event::ALL` order (read from the Rust
    /// simulation's registers; for testbenches).
    pub fn values(&self) -> Vec<u64> {
        self.ctr.iter().map(|c| c.q.val().to_u64()).collect()
    }

    /// The value of counter `e` (Rust simulation).
    pub fn get(&self, e: Event) -> u64 {
        self.ctr[e as usize].q.val().to_u64()
    }

    /// Index of the `cycles` counter (its own output).
    fn cycles_index(&self) -> usize {
        Event::Cycles as usize
    }
}

impl Logic for Counters {
    #[hdl_gen]
    fn update(&mut self) {
        self.value.next = 0.into();
        self.add.next = 0.into();
        if self.en.val() {
            self.add.next = self.inc.val();
        }
        for i in 0..self.ctr.len() {
            self.ctr[i].clock.next = self.clock.val();
            self.slice.next = self
                .add
                .val()
                .get_bits::<INCW>(i * self.k_incw.val().index());
            self.ctr[i].d.next = self.ctr[i].q.val() + bit_cast::<CTRW, INCW>(self.slice.val());
            if self.clr.val() {
                self.ctr[i].d.next = 0.into();
            }
            if self.sel.val().index() == i {
                self.value.next = self.ctr[i].q.val();
            }
        }
        for i in self.cycles_index()..(self.cycles_index() + 1) {
            self.cycles.next = self.ctr[i].q.val();
        }
    }
}
