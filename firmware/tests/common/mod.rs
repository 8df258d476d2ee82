//! Test helpers: a results-only interpreter of the ISA (program order, no
//! timing; its NFU is `sim::functional`), a race checker for the `wait`
//! fields, and random layer data.
#![allow(dead_code, clippy::needless_range_loop)]

use arch::fixed;
use arch::isa::{AccIn, Buffer, DmaOp, DmaSlot, Instruction, NfuOp};
use arch::AccelConfig;
use firmware::{CompiledLayer, LayerSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Machine state for the interpreter.
pub struct Interp<'a> {
    cfg: &'a AccelConfig,
    tn: usize,
    /// NBin, SB, NBout.
    bufs: sim::buffers::Buffers,
    /// LFSRs and NFU-3 tables.
    nfu: sim::nfu::NfuState,
    /// Lanes saturated by `out=act` outputs so far.
    pub saturations: u64,
}

fn rd(dram: &[u8], a: u64) -> i16 {
    i16::from_le_bytes([dram[a as usize], dram[a as usize + 1]])
}

impl<'a> Interp<'a> {
    pub fn new(cfg: &'a AccelConfig) -> Self {
        let tn = cfg.tn as usize;
        Interp {
            cfg,
            tn,
            bufs: sim::buffers::Buffers::new(cfg),
            nfu: sim::nfu::NfuState::new(cfg),
            saturations: 0,
        }
    }

    fn dma(&mut self, b: Buffer, s: &DmaSlot, dram: &mut [u8]) {
        if s.op == DmaOp::Nop {
            return;
        }
        let tn = self.tn;
        let rb = b.dram_row_bytes(s.op, self.cfg);
        for k in 0..s.rows() {
            let a = s.dram_addr(k, rb);
            let row = s.row as usize + k as usize;
            match (b, s.op) {
                (Buffer::Nbin, _) => {
                    (0..tn).for_each(|j| self.bufs.nbin[row * tn + j] = rd(dram, a + 2 * j as u64))
                }
                (Buffer::Sb, _) => (0..tn * tn)
                    .for_each(|j| self.bufs.sb[row * tn * tn + j] = rd(dram, a + 2 * j as u64)),
                (Buffer::Nbout, DmaOp::StoreNarrow) => {
                    for j in 0..tn {
                        let w = (self.bufs.nbout[row * tn + j] as i16).to_le_bytes();
                        dram[(a + 2 * j as u64) as usize..][..2].copy_from_slice(&w);
                    }
                }
                (Buffer::Nbout, DmaOp::Store) => {
                    for j in 0..tn {
                        let w = self.bufs.nbout[row * tn + j].to_le_bytes();
                        dram[(a + 4 * j as u64) as usize..][..4].copy_from_slice(&w);
                    }
                }
                (Buffer::Nbout, DmaOp::LoadWiden) => (0..tn).for_each(|j| {
                    self.bufs.nbout[row * tn + j] =
                        (rd(dram, a + 2 * j as u64) as i32) << self.cfg.frac_bits
                }),
                (Buffer::Nbout, DmaOp::Load) => (0..tn).for_each(|j| {
                    let p = (a + 4 * j as u64) as usize;
                    self.bufs.nbout[row * tn + j] =
                        i32::from_le_bytes(dram[p..p + 4].try_into().unwrap())
                }),
                _ => unreachable!(),
            }
        }
    }

    /// Execute instruction `ins` in program order: loads, then the NFU op
    /// (`sim::functional`, the simulator's own NFU semantics), then a store.
    pub fn step(&mut self, ins: &Instruction, dram: &mut [u8]) {
        for b in [Buffer::Nbin, Buffer::Sb] {
            self.dma(b, ins.dma(b), dram);
        }
        if !ins.nbout.op.is_store() {
            self.dma(Buffer::Nbout, &ins.nbout, dram);
        }
        let n = &ins.nfu;
        if n.op != NfuOp::Nop {
            assert!(
                n.round != fixed::Rounding::Stochastic || !n.activate,
                "interpreter: no stochastic rounding"
            );
            self.saturations += sim::functional::execute_into(n, &mut self.bufs, &mut self.nfu);
        }
        if ins.nbout.op.is_store() {
            self.dma(Buffer::Nbout, &ins.nbout, dram);
        }
    }

    pub fn run(&mut self, prog: &[Instruction], dram: &mut [u8]) {
        for ins in prog {
            self.step(ins, dram);
            if ins.cp == arch::isa::CpOp::End {
                break;
            }
        }
    }
}

/// Rows an NFU op reads in NBin (exact set).
fn nfu_nbin_rows(ins: &Instruction) -> Vec<u32> {
    let n = &ins.nfu;
    let mut v = Vec::new();
    for py in 0..n.npy {
        for px in 0..n.npx {
            for ky in 0..n.nky {
                for i in 0..n.ni {
                    v.push(n.nbin + py * n.spy + px * n.spx + ky * n.sky + i);
                }
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Check that the `wait` fields order every pair of conflicting accesses the
/// way program order does (so the concurrent machine computes what the
/// sequential interpreter computes).
pub fn check_races(cfg: &AccelConfig, prog: &[Instruction]) -> Result<(), String> {
    let mut nbin_reader = vec![None::<usize>; cfg.nbin_rows() as usize];
    let mut sb_reader = vec![None::<usize>; cfg.sb_rows() as usize];
    let mut nbout_writer = vec![None::<usize>; cfg.nbout_rows() as usize];
    // stores not yet known complete: (instruction, first row, rows)
    let mut pending: Vec<(usize, u32, u32)> = Vec::new();
    for (i, ins) in prog.iter().enumerate() {
        // loads
        for (b, readers) in [(Buffer::Nbin, &nbin_reader), (Buffer::Sb, &sb_reader)] {
            let s = ins.dma(b);
            if s.op == DmaOp::Nop {
                continue;
            }
            for r in s.row..s.row + s.rows() as u32 {
                if let Some(j) = readers[r as usize] {
                    if s.wait == 0 || j + s.wait as usize > i {
                        return Err(format!("instr {i}: {} load of row {r} may overtake the op of instr {j} that reads it (wait {})", b.name(), s.wait));
                    }
                }
            }
        }
        if ins.nbout.op != DmaOp::Nop && !ins.nbout.op.is_store() {
            return Err(format!("instr {i}: unexpected NBout load"));
        }
        let n = &ins.nfu;
        if n.op != NfuOp::Nop {
            if n.wait > 0 {
                let lim = i as i64 - n.wait as i64;
                pending.retain(|&(s, _, _)| s as i64 > lim);
            }
            let (lo, hi) = (n.nbout, n.nbout + n.npy * n.npx);
            for &(s, r0, rn) in &pending {
                if s < i && r0 < hi && lo < r0 + rn {
                    return Err(format!("instr {i}: NFU op writes NBout rows {lo}..{hi} that the store of instr {s} may not have read yet"));
                }
            }
            for r in nfu_nbin_rows(ins) {
                nbin_reader[r as usize] = Some(i);
            }
            if n.op == NfuOp::Mac {
                let rows = n.nky * n.ni + (n.acc_in == AccIn::Bias) as u32;
                for r in n.sb..n.sb + rows {
                    sb_reader[r as usize] = Some(i);
                }
            }
            for r in lo..hi {
                nbout_writer[r as usize] = Some(i);
            }
        }
        if ins.nbout.op.is_store() {
            let s = &ins.nbout;
            let eff = if s.wait == 0 {
                i as i64
            } else {
                i as i64 - s.wait as i64
            };
            for r in s.row..s.row + s.rows() as u32 {
                if let Some(w) = nbout_writer[r as usize] {
                    if w as i64 > eff {
                        return Err(format!("instr {i}: store of NBout row {r} may run before the op of instr {w} writes it (wait {})", s.wait));
                    }
                }
            }
            pending.push((i, s.row, s.rows() as u32));
        }
    }
    Ok(())
}

/// Random tensors for a layer: (input, weights, bias).
pub fn random_data(
    layer: &LayerSpec,
    batch: u32,
    seed: u64,
    wide: bool,
) -> (Vec<i16>, Vec<i16>, Vec<i16>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (ia, wa) = if wide {
        (i16::MIN as i32, i16::MIN as i32)
    } else {
        (-600, -80)
    };
    let input = (0..layer.input_len() * batch as u64)
        .map(|_| rng.gen_range(ia..-ia) as i16)
        .collect();
    let weights = (0..layer.weight_len())
        .map(|_| rng.gen_range(wa..-wa) as i16)
        .collect();
    let bias = (0..layer.bias_len())
        .map(|_| rng.gen_range(-700..700) as i16)
        .collect();
    (input, weights, bias)
}

/// DRAM image of a compiled layer with its tensors packed.
pub fn dram_image(c: &CompiledLayer, input: &[i16], w: &[i16], b: &[i16]) -> Vec<u8> {
    let mut dram = vec![0xA5u8; c.layout.total_bytes() as usize];
    for (a, bytes) in c
        .layout
        .pack_input(input)
        .unwrap()
        .into_iter()
        .chain(c.layout.pack_params(w, b).unwrap())
    {
        dram[a as usize..a as usize + bytes.len()].copy_from_slice(&bytes);
    }
    dram
}

/// DRAM rows moved by a program, per buffer: (nbin, sb, nbout).
pub fn counted_rows(prog: &[Instruction]) -> (u64, u64, u64) {
    let mut c = (0, 0, 0);
    for i in prog {
        c.0 += i.nbin.rows();
        c.1 += i.sb.rows();
        c.2 += i.nbout.rows();
    }
    c
}
