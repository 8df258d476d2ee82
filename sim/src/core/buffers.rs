//! `buffers`: the three on-chip buffers (`nbin`, `sb`, `nbout`), row-addressed
//! (1 read port for the NFU, 1 write port for the DMA; NBout also has read
//! port B for the store DMA). All storage is read-first (a write at the end
//! of cycle t is seen from cycle t+1); the scheduler orders reads and writes.

use arch::AccelConfig;

/// Contents of NBin, SB and NBout. Rows persist across runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buffers {
    /// Tn (words per NBin row, entries per NBout row).
    pub tn: usize,
    /// NBin: `nbin_rows` rows of Tn data words.
    pub nbin: Vec<i16>,
    /// SB: `sb_rows` rows of Tn x Tn data words, row-major `[n][i]`.
    pub sb: Vec<i16>,
    /// NBout: `nbout_rows` rows of Tn 32-bit entries.
    pub nbout: Vec<i32>,
}

impl Buffers {
    /// All-zero buffers sized for `cfg`.
    pub fn new(cfg: &AccelConfig) -> Self {
        let tn = cfg.tn as usize;
        Buffers {
            tn,
            nbin: vec![0; cfg.nbin_rows() as usize * tn],
            sb: vec![0; cfg.sb_rows() as usize * tn * tn],
            nbout: vec![0; cfg.nbout_rows() as usize * tn],
        }
    }
    /// NBin row `r` (Tn words).
    #[inline(always)]
    pub fn nbin_row(&self, r: usize) -> &[i16] {
        &self.nbin[r * self.tn..(r + 1) * self.tn]
    }
    /// SB row `r` (Tn*Tn words).
    #[inline(always)]
    pub fn sb_row(&self, r: usize) -> &[i16] {
        let w = self.tn * self.tn;
        &self.sb[r * w..(r + 1) * w]
    }
    /// NBout row `r` (Tn entries).
    #[inline(always)]
    pub fn nbout_row(&self, r: usize) -> &[i32] {
        &self.nbout[r * self.tn..(r + 1) * self.tn]
    }
    /// Mutable NBin row `r`.
    pub fn nbin_row_mut(&mut self, r: usize) -> &mut [i16] {
        &mut self.nbin[r * self.tn..(r + 1) * self.tn]
    }
    /// Mutable SB row `r`.
    pub fn sb_row_mut(&mut self, r: usize) -> &mut [i16] {
        let w = self.tn * self.tn;
        &mut self.sb[r * w..(r + 1) * w]
    }
    /// Mutable NBout row `r`.
    pub fn nbout_row_mut(&mut self, r: usize) -> &mut [i32] {
        &mut self.nbout[r * self.tn..(r + 1) * self.tn]
    }
}
