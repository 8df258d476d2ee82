//! Placeholder NFU datapath (timing only): writes a zero row `DP` cycles after
//! the last step of each output arrives. Replaced by `crate::nfu` when it exists.

use rust_hdl::prelude::*;

/// Same interface as the real datapath: control and buffer data arrive one
/// cycle after issue; `out_data` is valid `DP = D1 + D2 + D3` cycles later.
#[derive(LogicBlock, Default)]
pub struct PlaceholderNfu<const NBIN_W: usize, const SB_W: usize, const NBOUT_W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Row pair valid.
    pub valid: Signal<In, bool>,
    /// First step of an output.
    pub first: Signal<In, bool>,
    /// Last step of an output.
    pub last: Signal<In, bool>,
    /// SB data is the bias row.
    pub bias: Signal<In, bool>,
    /// NBin row.
    pub nbin_data: Signal<In, Bits<NBIN_W>>,
    /// SB row.
    pub sb_data: Signal<In, Bits<SB_W>>,
    /// NBout row (port A).
    pub nbout_data: Signal<In, Bits<NBOUT_W>>,
    /// Output row.
    pub out_data: Signal<Out, Bits<NBOUT_W>>,
}

impl<const NBIN_W: usize, const SB_W: usize, const NBOUT_W: usize> Logic for PlaceholderNfu<NBIN_W, SB_W, NBOUT_W> {
    #[hdl_gen]
    fn update(&mut self) {
        self.out_data.next = 0.into();
    }
}
