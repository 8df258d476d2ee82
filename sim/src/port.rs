//! `port`: the external memory port's arbiter.

use arch::isa::Buffer;

/// Arbitration order, highest priority first: NBout, then NBin, then SB.
pub const PRIORITY: [Buffer; 3] = [Buffer::Nbout, Buffer::Nbin, Buffer::Sb];

/// Index of a buffer's DMA in the machine's DMA array (slot order).
pub(crate) fn unit_index(b: Buffer) -> usize {
    match b {
        Buffer::Nbin => 0,
        Buffer::Sb => 1,
        Buffer::Nbout => 2,
    }
}

/// The `port.grant` VCD code: 0 none, 1 nbin, 2 sb, 3 nbout.
pub fn grant_code(b: Option<Buffer>) -> u64 {
    match b {
        None => 0,
        Some(Buffer::Nbin) => 1,
        Some(Buffer::Sb) => 2,
        Some(Buffer::Nbout) => 3,
    }
}
