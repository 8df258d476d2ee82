//! The accelerator's blocks (docs/microarchitecture.md), one file per block,
//! with the same names as the simulator's `sim/src/core/`:
//!
//! | file | block |
//! |---|---|
//! | [`cp`] | control processor: instruction memory, start, decode, checks, dispatch |
//! | [`fetch`] | instruction fetch: DRAM to `imem` (a prefetch buffer) through the port |
//! | [`dma`] | one DMA (`dma_nbin`, `dma_sb`, `dma_nbout`): queue, address generation, row assembly |
//! | [`port`] | memory port: arbiter (DMAs, then fetch) and beat sequencer; the NBout row converters `Narrow` / `Widen` |
//! | [`queue`] | the in-order queue of the DMAs and the NFU sequencer |
//! | [`nfu_seq`] | NFU sequencer: op queue, start conditions, address generation, write timing |
//! | [`buffers`] | NBin, SB and NBout (two copies: NFU port A, store port B) |
//! | [`nfu`] | NFU datapath: [`nfu::nfu1`], [`nfu::nfu2`], [`nfu::nfu3`] |
//!
//! They are wired together by [`crate::top`]. Every width comes from
//! [`crate::widths`]. All control state is cleared synchronously while `clr`
//! is high (rust-hdl DFFs have no reset); the first cycle with `clr` low is
//! cycle 0 of the contract.

pub mod buffers;
pub mod cp;
pub mod dma;
pub mod fetch;
pub mod nfu;
pub mod nfu_seq;
pub mod port;
pub mod queue;
