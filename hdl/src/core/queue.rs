//! A small in-order queue of `Q` entries of `W` bits (shift register, head in slot 0).

use crate::widths::QCW;
use rust_hdl::prelude::*;

/// FIFO queue: `push` appends `din` at the end of the cycle, `pop` removes the
/// head at the end of the cycle; `count` and `full` are the state at the
/// start of the cycle (a pop does not free a slot for a push in the same cycle).
#[derive(LogicBlock)]
pub struct Queue<const W: usize, const Q: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous clear (empties the queue).
    pub clr: Signal<In, bool>,
    /// Append `din`.
    pub push: Signal<In, bool>,
    /// Entry to append.
    pub din: Signal<In, Bits<W>>,
    /// Remove the head.
    pub pop: Signal<In, bool>,
    /// Head entry (valid when `nonempty`).
    pub head: Signal<Out, Bits<W>>,
    /// Entries held.
    pub count: Signal<Out, Bits<QCW>>,
    /// `count == Q`.
    pub full: Signal<Out, bool>,
    /// `count != 0`.
    pub nonempty: Signal<Out, bool>,
    widx: Signal<Local, Bits<QCW>>,
    depth: Constant<Bits<QCW>>,
    cnt: DFF<Bits<QCW>>,
    slots: Vec<DFF<Bits<W>>>,
}

impl<const W: usize, const Q: usize> Default for Queue<W, Q> {
    fn default() -> Self {
        assert!(Q >= 1 && Q < (1 << QCW));
        Self {
            clock: Default::default(),
            clr: Default::default(),
            push: Default::default(),
            din: Default::default(),
            pop: Default::default(),
            head: Default::default(),
            count: Default::default(),
            full: Default::default(),
            nonempty: Default::default(),
            widx: Default::default(),
            depth: Constant::new((Q as u64).into()),
            cnt: Default::default(),
            slots: (0..Q).map(|_| DFF::default()).collect(),
        }
    }
}

impl<const W: usize, const Q: usize> Logic for Queue<W, Q> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cnt);
        for i in 0..Q {
            self.slots[i].clock.next = self.clock.val();
            self.slots[i].d.next = self.slots[i].q.val();
        }
        for i in 1..Q {
            if self.pop.val() {
                self.slots[i - 1].d.next = self.slots[i].q.val();
            }
        }
        self.widx.next = self.cnt.q.val();
        if self.pop.val() {
            self.widx.next = self.cnt.q.val() - 1;
        }
        for i in 0..Q {
            if self.push.val() && (self.widx.val().index() == i) {
                self.slots[i].d.next = self.din.val();
            }
        }
        if self.push.val() && !self.pop.val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
        }
        if !self.push.val() && self.pop.val() {
            self.cnt.d.next = self.cnt.q.val() - 1;
        }
        if self.clr.val() {
            self.cnt.d.next = 0.into();
        }
        self.head.next = self.slots[0].q.val();
        self.count.next = self.cnt.q.val();
        self.full.next = self.cnt.q.val() == self.depth.val();
        self.nonempty.next = self.cnt.q.val() != 0;
    }
}
