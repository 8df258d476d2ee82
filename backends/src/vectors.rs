//! Test vectors named NVDLA-style (`unit_shape_operation_type`) and built
//! from the code generators, so every backend replays the same layer.

use crate::Vector;
use arch::isa::fields::Word;
use arch::AccelConfig;
use firmware::{LayerSpec, PoolKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The NVDLA-style name of a layer vector, e.g. `conv_8x8x4_k3s1p1_o8_relu_i16`.
pub fn layer_name(spec: &LayerSpec, batch: u32) -> String {
    let b = if batch > 1 {
        format!("_b{batch}")
    } else {
        String::new()
    };
    match spec {
        LayerSpec::Conv(c) => format!(
            "conv_{}x{}x{}_k{}x{}s{}x{}p{}_o{}_{}{}_i16",
            c.nx,
            c.ny,
            c.ni,
            c.kx,
            c.ky,
            c.sx,
            c.sy,
            c.pad,
            c.no,
            c.act.mnemonic(),
            if c.groups > 1 {
                format!("_g{}{b}", c.groups)
            } else {
                b
            }
        ),
        LayerSpec::Pool(p) => format!(
            "pool_{}x{}x{}_k{}x{}s{}x{}p{}_{}{}_i16",
            p.nx,
            p.ny,
            p.ni,
            p.kx,
            p.ky,
            p.sx,
            p.sy,
            p.pad,
            if p.kind == PoolKind::Max {
                "max"
            } else {
                "avg"
            },
            b
        ),
        LayerSpec::Classifier(c) => {
            format!("class_{}x{}_{}{}_i16", c.ni, c.no, c.act.mnemonic(), b)
        }
        LayerSpec::Eltwise(e) => format!(
            "{}_{}x{}x{}_{}{}_i16",
            spec.kind_name(),
            e.w,
            e.h,
            e.c,
            e.act.mnemonic(),
            b
        ),
    }
}

/// Seeded random data words in `[-amp, amp]`.
pub fn random_words(n: usize, amp: i16, rng: &mut ChaCha8Rng) -> Vec<i16> {
    (0..n).map(|_| rng.gen_range(-amp..=amp)).collect()
}

/// A vector that runs one compiled layer on random data. The compared
/// window covers the layer's output region.
pub fn layer_vector(
    cfg: &AccelConfig,
    spec: &LayerSpec,
    batch: u32,
    seed: u64,
) -> Result<Vector, String> {
    let c = firmware::compile(cfg, spec, batch).map_err(|e| e.to_string())?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let input = random_words((spec.input_len() * batch as u64) as usize, 255, &mut rng);
    let weights = random_words(spec.weight_len() as usize, 64, &mut rng);
    let bias = random_words(spec.bias_len() as usize, 255, &mut rng);
    let mut image = c.layout.pack_input(&input).map_err(|e| e.to_string())?;
    image.extend(
        c.layout
            .pack_params(&weights, &bias)
            .map_err(|e| e.to_string())?,
    );
    let program: Vec<Word> = c
        .program
        .iter()
        .map(|i| i.encode().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    Ok(Vector {
        name: layer_name(spec, batch),
        cfg: cfg.clone(),
        program,
        prog_base: None,
        seed: cfg.lfsr_seed,
        image,
        window: (c.layout.output.addr, c.layout.output.bytes),
    })
}

/// Bytes of random DRAM image a [`random_program_vector`] loads from (from address 0).
pub const RANDOM_IMAGE_BYTES: u64 = 0x800;
/// Bytes of the DRAM window a [`random_program_vector`] stores into (right after the image).
pub const RANDOM_WINDOW_BYTES: u64 = 0x400;

/// A random valid program of `len` instructions, a store of NBout and a
/// final `end`, on configuration `cfg`: random loads of every kind, NFU ops
/// of every opcode, init, activation, rounding (stochastic included) and
/// transposition with small loop counts and strides, stores into the
/// window, random `wait` distances. Every instruction passes
/// `Instruction::check`. The first instruction also fills NBin and SB from
/// the image (as many rows as it holds), so NFU ops compute on data rather
/// than on the zeros of unloaded rows; the store before `end` writes NBout's
/// rows (as many as the window holds) after every NFU op, so the run leaves
/// its results in DRAM (with random ops alone, four in five short programs
/// stored nothing but zeros).
///
/// The waits are random, so the result may depend on the contract's exact
/// memory timing (a load overwriting NBin rows an earlier NFU op still
/// reads, a store reading an NBout row an earlier load still writes); for a
/// backend with other memory timing use [`race_free_program_vector`].
pub fn random_program_vector(cfg: &AccelConfig, len: usize, seed: u64) -> Vector {
    random_program(cfg, len, seed, false)
}

/// A [`random_program_vector`] whose result does not depend on memory
/// timing (for the AXI wrapper's randomised timing): NBin and SB loads wait
/// for the previous instruction's NFU op (`wait = 1`), NFU ops for the
/// previous instruction's stores (`wait = 1`), stores for every NFU op so far
/// (`wait = 0`), and an NBout load comes only with an NFU op (which waits
/// for it, so every later store does too). Loads read only the image and
/// stores write only the window, so DRAM itself has no hazard. Named
/// `random_rf_...`.
pub fn race_free_program_vector(cfg: &AccelConfig, len: usize, seed: u64) -> Vector {
    random_program(cfg, len, seed, true)
}

fn random_program(cfg: &AccelConfig, len: usize, seed: u64, race_free: bool) -> Vector {
    use arch::activation::Activation;
    use arch::fixed::Rounding;
    use arch::isa::{AccIn, CpOp, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let (nbin_rows, sb_rows, nbout_rows) = (cfg.nbin_rows(), cfg.sb_rows(), cfg.nbout_rows());
    let narrow = cfg.tn * cfg.data_bytes();
    // a contiguous slot of up to `max` rows of `rb` bytes into a buffer of `rows` rows, DRAM in [base, base + span)
    let slot =
        |r: &mut ChaCha8Rng, op: DmaOp, rows: u32, rb: u32, base: u64, span: u64, max: u32| {
            let n0 = r.gen_range(1..=max.min(rows));
            let row = r.gen_range(0..=rows - n0);
            let words = (span - (n0 * rb) as u64) / 2;
            let dram = (base + 2 * r.gen_range(0..=words)) as u32;
            DmaSlot {
                wait: r.gen_range(0..=2),
                ..DmaSlot::contiguous(op, row, dram, n0)
            }
        };
    // a load of as many leading rows of `rows` as the image holds, from a random even address
    let fill = |r: &mut ChaCha8Rng, rows: u32, rb: u32| {
        let n = rows.min((RANDOM_IMAGE_BYTES / rb as u64) as u32);
        let dram = 2 * r.gen_range(0..=(RANDOM_IMAGE_BYTES - (n * rb) as u64) / 2);
        DmaSlot::contiguous(DmaOp::Load, 0, dram as u32, n)
    };
    let fill_nbin = fill(&mut r, nbin_rows, cfg.nbin_row_bytes());
    let fill_sb = fill(&mut r, sb_rows, cfg.sb_row_bytes());
    let mut prog = Vec::new();
    for k in 0..=len + 1 {
        let mut i = Instruction::default();
        if k == len {
            // wait = 0: after every NFU op dispatched so far
            let (op, rb) = if r.gen_bool(0.5) {
                (DmaOp::Store, cfg.nbout_row_bytes())
            } else {
                (DmaOp::StoreNarrow, narrow)
            };
            let n = nbout_rows.min((RANDOM_WINDOW_BYTES / rb as u64) as u32);
            let dram = RANDOM_IMAGE_BYTES
                + 2 * r.gen_range(0..=(RANDOM_WINDOW_BYTES - (n * rb) as u64) / 2);
            i.nbout = DmaSlot::contiguous(op, 0, dram as u32, n);
            prog.push(i);
            continue;
        }
        if k == len + 1 {
            i.cp = CpOp::End;
            prog.push(i);
            break;
        }
        if r.gen_bool(0.5) {
            i.nbin = slot(
                &mut r,
                DmaOp::Load,
                nbin_rows,
                cfg.nbin_row_bytes(),
                0,
                RANDOM_IMAGE_BYTES,
                4,
            );
        }
        if r.gen_bool(0.4) {
            i.sb = slot(
                &mut r,
                DmaOp::Load,
                sb_rows,
                cfg.sb_row_bytes(),
                0,
                RANDOM_IMAGE_BYTES,
                3,
            );
        }
        if r.gen_bool(0.4) {
            let op = [
                DmaOp::Load,
                DmaOp::LoadWiden,
                DmaOp::Store,
                DmaOp::StoreNarrow,
            ][r.gen_range(0..4)];
            let rb = if matches!(op, DmaOp::LoadWiden | DmaOp::StoreNarrow) {
                narrow
            } else {
                cfg.nbout_row_bytes()
            };
            let (base, span) = if op.is_store() {
                (RANDOM_IMAGE_BYTES, RANDOM_WINDOW_BYTES)
            } else {
                (0, RANDOM_IMAGE_BYTES)
            };
            i.nbout = slot(&mut r, op, nbout_rows, rb, base, span, 3);
        }
        if r.gen_bool(0.6) {
            let op =
                [NfuOp::Mac, NfuOp::Mac, NfuOp::Max, NfuOp::Avg, NfuOp::Mul][r.gen_range(0..5)];
            let acc_in = AccIn::ALL[r.gen_range(0..AccIn::ALL.len())];
            let (npy, npx, nky, ni) = (
                r.gen_range(1..=2),
                r.gen_range(1..=2),
                r.gen_range(1..=2),
                r.gen_range(1..=3),
            );
            let (spy, spx, sky) = (r.gen_range(0..=3), r.gen_range(0..=3), r.gen_range(0..=3));
            let span = (npy - 1) * spy + (npx - 1) * spx + (nky - 1) * sky + ni;
            let used = if op == NfuOp::Mac { nky * ni } else { 0 } + (acc_in == AccIn::Bias) as u32;
            i.nfu = NfuSlot {
                op,
                acc_in,
                activate: r.gen_bool(0.7),
                act: Activation::ALL[r.gen_range(0..Activation::ALL.len())],
                round: Rounding::ALL[r.gen_range(0..Rounding::ALL.len())],
                wait: r.gen_range(0..=2),
                transpose: r.gen_bool(0.3),
                nbin: r.gen_range(0..=nbin_rows - span),
                sb: r.gen_range(0..=sb_rows - used.max(1)),
                nbout: r.gen_range(0..=nbout_rows - npy * npx),
                npy,
                spy,
                npx,
                spx,
                nky,
                sky,
                ni,
                scale: if op == NfuOp::Avg {
                    r.gen_range(0..=u16::MAX as u32)
                } else {
                    0
                },
            };
        }
        if k == 0 {
            (i.nbin, i.sb) = (fill_nbin, fill_sb);
        }
        if race_free {
            for s in [&mut i.nbin, &mut i.sb] {
                if s.op != DmaOp::Nop {
                    s.wait = 1;
                }
            }
            if i.nbout.op.is_store() {
                i.nbout.wait = 0;
            } else if i.nfu.op == NfuOp::Nop {
                i.nbout = DmaSlot::NOP;
            }
            if i.nfu.op != NfuOp::Nop {
                i.nfu.wait = 1;
            }
        }
        if i.check(cfg).is_err() {
            i = Instruction::default();
            if k == 0 {
                (i.nbin, i.sb) = (fill_nbin, fill_sb);
            }
        }
        prog.push(i);
    }
    let image: Vec<u8> = random_words(RANDOM_IMAGE_BYTES as usize / 2, i16::MAX, &mut r)
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    Vector {
        name: format!(
            "random_{}{len}i_s{seed}",
            if race_free { "rf_" } else { "" }
        ),
        cfg: cfg.clone(),
        program: prog
            .iter()
            .map(|i| i.encode().expect("generated instructions encode"))
            .collect(),
        prog_base: None,
        seed: cfg.lfsr_seed,
        image: vec![(0, image)],
        window: (RANDOM_IMAGE_BYTES, RANDOM_WINDOW_BYTES),
    }
}

/// The small `tiny` layers every backend replays (spec, batch): each pool
/// kind, classifiers with an activation and a batch, a batched conv, a conv
/// without bias.
pub const TINY_LAYERS: &[(&str, u32)] = &[
    ("pool:nx=4,ny=4,k=2,ni=4,kind=max", 1),
    ("pool:nx=5,ny=5,k=3,s=2,ni=5,kind=avg", 1),
    ("class:ni=10,no=6,act=tanh", 1),
    ("class:ni=9,no=5,act=relu", 2),
    ("conv:nx=3,ny=3,k=2,ni=3,no=5,act=sigmoid", 2),
    ("conv:nx=3,ny=3,k=2,ni=4,no=4,bias=false", 1),
];

/// An element-wise multiply (`nfu.mul`) vector: see [`ew_mul_vector`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EwMul {
    /// Output rows (Tn lanes each); one NFU output per row.
    pub rows: u32,
    /// Reduction steps per output come as `nky` planes of `ni` adjacent rows
    /// (`nky = 2, ni = 1`: the product of two planes of `rows` rows).
    pub nky: u32,
    /// Adjacent NBin rows per plane (odd `nky * ni`: a trailing even step).
    pub ni: u32,
    /// Accumulator init (`bias` loads an SB bias row; `nbout` loads 32-bit entries).
    pub acc_in: arch::isa::AccIn,
    /// `out=act` (stored narrow, 16-bit) or `out=partial` (stored 32-bit).
    pub activate: bool,
    /// Activation applied with `out=act`.
    pub act: arch::activation::Activation,
    /// Rounding with `out=act`.
    pub round: arch::fixed::Rounding,
}

impl EwMul {
    /// The product of two planes of `rows` rows, `out=act`, identity, no init.
    pub fn planes(rows: u32) -> Self {
        EwMul {
            rows,
            nky: 2,
            ni: 1,
            acc_in: arch::isa::AccIn::Zero,
            activate: true,
            act: arch::activation::Activation::Identity,
            round: arch::fixed::Rounding::Truncate,
        }
    }

    /// The hand-written cases every backend replays: planes, `in=nbout`
    /// partials, `in=bias` with stochastic rounding, a trailing even step
    /// with an activation, kernel-row pairing.
    pub fn cases() -> [EwMul; 5] {
        use arch::activation::Activation;
        use arch::fixed::Rounding;
        use arch::isa::AccIn;
        let p = EwMul::planes;
        [
            p(16),
            EwMul {
                activate: false,
                acc_in: AccIn::Nbout,
                ..p(8)
            },
            EwMul {
                acc_in: AccIn::Bias,
                round: Rounding::Stochastic,
                ..p(16)
            },
            EwMul {
                nky: 1,
                ni: 3,
                acc_in: AccIn::Bias,
                act: Activation::ALL[1],
                round: Rounding::Nearest,
                ..p(6)
            },
            EwMul {
                nky: 2,
                ni: 2,
                activate: false,
                ..p(5)
            },
        ]
    }

    /// NVDLA-style name, e.g. `ew_mul_16x4_act_i16`,
    /// `ew_mul_8x4_k1x3_partial_nbout_i16`, `ew_mul_16x4_act_bias_stoch_i16`.
    pub fn name(&self, tn: u32) -> String {
        use arch::activation::Activation;
        use arch::fixed::Rounding;
        use arch::isa::AccIn;
        let mut s = format!("ew_mul_{}x{}", self.rows, tn);
        if (self.nky, self.ni) != (2, 1) {
            s += &format!("_k{}x{}", self.nky, self.ni);
        }
        if self.activate {
            s += if self.act == Activation::Identity {
                "_act"
            } else {
                "_"
            };
            if self.act != Activation::Identity {
                s += self.act.mnemonic();
            }
        } else {
            s += "_partial";
        }
        if self.acc_in != AccIn::Zero {
            s += "_";
            s += self.acc_in.mnemonic();
        }
        if self.activate && self.round != Rounding::Truncate {
            s += "_";
            s += self.round.mnemonic();
        }
        s + "_i16"
    }
}

/// A hand-built program that multiplies NBin rows element-wise with `nfu.mul`
/// (docs/microarchitecture.md, "mul step"): instruction 0 loads `nky*ni*rows`
/// NBin rows of random words (plus, per `acc_in`, `nky*ni` unused random SB
/// rows then the bias row, or `rows` random 32-bit NBout entries); instruction 1
/// runs `mul` with `npx = rows`, `spx = ni`, `sky = rows*ni` (output j, step
/// `(ky, i)` reads NBin row `j*ni + ky*rows*ni + i`) and stores the outputs
/// (`storen` for `out=act`, `store` for `out=partial`); then `end`.
pub fn ew_mul_vector(cfg: &AccelConfig, m: &EwMul, seed: u64) -> Result<Vector, String> {
    use arch::isa::{AccIn, CpOp, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
    let steps = m.nky * m.ni;
    let in_rows = steps * m.rows;
    if m.rows == 0 || steps == 0 || in_rows > cfg.nbin_rows() || m.rows > cfg.nbout_rows() {
        return Err(format!(
            "ew_mul: {} rows x {} steps do not fit NBin ({}) / NBout ({})",
            m.rows,
            steps,
            cfg.nbin_rows(),
            cfg.nbout_rows()
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (nb_bytes, sb_bytes, wide) = (
        cfg.nbin_row_bytes(),
        cfg.sb_row_bytes(),
        cfg.nbout_row_bytes(),
    );
    // DRAM: NBin rows at 0, SB rows, NBout entries, then the output window (64-byte aligned)
    let align = |x: u64| x.div_ceil(64) * 64;
    let a_sb = align(in_rows as u64 * nb_bytes as u64);
    let sb_rows = steps + 1;
    let a_nbo = align(a_sb + sb_rows as u64 * sb_bytes as u64);
    let a_out = align(a_nbo + m.rows as u64 * wide as u64);
    let out_row = if m.activate { nb_bytes } else { wide };
    let bytes = |w: &[i16]| w.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let tn = cfg.tn as usize;
    // a mix of small and large words, so some act outputs saturate and most do not
    let x: Vec<i16> = (0..in_rows as usize * tn)
        .map(|k| {
            if k % 5 == 0 {
                rng.gen()
            } else {
                rng.gen_range(-2000..=2000)
            }
        })
        .collect();
    let mut image = vec![(0u64, bytes(&x))];
    let mut load = Instruction {
        nbin: DmaSlot::contiguous(DmaOp::Load, 0, 0, in_rows),
        ..Default::default()
    };
    match m.acc_in {
        AccIn::Bias => {
            let w = random_words(sb_rows as usize * tn * tn, 2000, &mut rng);
            image.push((a_sb, bytes(&w)));
            load.sb = DmaSlot::contiguous(DmaOp::Load, 0, a_sb as u32, sb_rows);
        }
        AccIn::Nbout => {
            let e: Vec<u8> = (0..m.rows as usize * tn)
                .flat_map(|_| rng.gen_range(-3_000_000i32..=3_000_000).to_le_bytes())
                .collect();
            image.push((a_nbo, e));
            load.nbout = DmaSlot::contiguous(DmaOp::Load, 0, a_nbo as u32, m.rows);
        }
        AccIn::Zero => {}
    }
    let run = Instruction {
        nfu: NfuSlot {
            op: NfuOp::Mul,
            acc_in: m.acc_in,
            activate: m.activate,
            act: m.act,
            round: m.round,
            npy: 1,
            npx: m.rows,
            spx: m.ni,
            // the bias row is SB row sb + nky*ni = steps (rows 0..steps: unused random rows)
            sb: 0,
            nky: m.nky,
            sky: m.rows * m.ni,
            ni: m.ni,
            ..NfuSlot::NOP
        },
        nbout: DmaSlot::contiguous(
            if m.activate {
                DmaOp::StoreNarrow
            } else {
                DmaOp::Store
            },
            0,
            a_out as u32,
            m.rows,
        ),
        ..Default::default()
    };
    let end = Instruction {
        cp: CpOp::End,
        ..Default::default()
    };
    let program = [load, run, end]
        .iter()
        .map(|i| {
            i.check(cfg).map_err(|e| e.to_string())?;
            i.encode().map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<Word>, String>>()?;
    Ok(Vector {
        name: m.name(cfg.tn),
        cfg: cfg.clone(),
        program,
        prog_base: None,
        seed: cfg.lfsr_seed,
        image,
        window: (a_out, m.rows as u64 * out_row as u64),
    })
}
