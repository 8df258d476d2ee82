//! The instruction word's field table: every field's name, width and bit
//! position, defined once. Encoding, decoding, `docs/isa.md` and the HDL's
//! decoder all read this table.

/// Bits of a buffer row address (NBin, SB and NBout rows).
pub const ROW_BITS: u32 = 12;
/// Bits of a loop count or a row stride inside a buffer.
pub const COUNT_BITS: u32 = 12;
/// Bits of a DRAM byte address.
pub const DRAM_ADDR_BITS: u32 = 32;
/// Bits of a DRAM stride in bytes.
pub const DRAM_STRIDE_BITS: u32 = 32;
/// Bits of a dependency distance (`wait`).
pub const WAIT_BITS: u32 = 3;
/// Bits of a DMA opcode.
pub const DMA_OP_BITS: u32 = 3;
/// Bits of the control-processor opcode.
pub const CP_OP_BITS: u32 = 2;
/// Bits of the NFU opcode.
pub const NFU_OP_BITS: u32 = 3;
/// Bits of the activation-function selector.
pub const ACT_BITS: u32 = 4;
/// Bits of the rounding-mode selector.
pub const ROUND_BITS: u32 = 2;
/// Bits of the accumulator-initialisation selector.
pub const ACC_IN_BITS: u32 = 2;
/// Bits of the average-pool scale (unsigned Q1.15).
pub const SCALE_BITS: u32 = 16;

/// The instruction slot a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Control processor.
    Cp,
    /// NBin DMA.
    Nbin,
    /// SB DMA.
    Sb,
    /// NBout DMA.
    Nbout,
    /// Neural functional unit.
    Nfu,
}

impl Slot {
    /// Assembly prefix of the slot.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Cp => "cp",
            Slot::Nbin => "nbin",
            Slot::Sb => "sb",
            Slot::Nbout => "nbout",
            Slot::Nfu => "nfu",
        }
    }
}

/// One field of the instruction word.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Slot.
    pub slot: Slot,
    /// Name inside the slot (the assembly key where it has one).
    pub name: &'static str,
    /// Width in bits.
    pub width: u32,
    /// What it means, with units.
    pub doc: &'static str,
}

macro_rules! field_table {
    ($( $id:ident : $slot:ident . $name:literal = $width:expr ; $doc:literal ),* $(,)?) => {
        /// Index of every field in [`FIELDS`].
        #[allow(missing_docs, non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum F { $( $id ),* }
        /// The field table, least-significant field first.
        pub const FIELDS: &[FieldDef] = &[ $( FieldDef { slot: Slot::$slot, name: $name, width: $width, doc: $doc } ),* ];
    };
}

field_table! {
    CP_OP: Cp."op" = CP_OP_BITS; "control-processor operation: nop, end",
    NBIN_OP: Nbin."op" = DMA_OP_BITS; "NBin DMA operation: nop, load",
    NBIN_WAIT: Nbin."wait" = WAIT_BITS; "start only after the NFU finished the op of instruction (this - wait); 0: no wait",
    NBIN_ROW: Nbin."row" = ROW_BITS; "first NBin row written",
    NBIN_DRAM: Nbin."dram" = DRAM_ADDR_BITS; "DRAM byte address of the first row",
    NBIN_N0: Nbin."n0" = COUNT_BITS; "rows in one contiguous DRAM run (innermost loop)",
    NBIN_N1: Nbin."n1" = COUNT_BITS; "runs in the middle loop",
    NBIN_S1: Nbin."s1" = DRAM_STRIDE_BITS; "DRAM bytes between middle-loop runs",
    NBIN_N2: Nbin."n2" = COUNT_BITS; "iterations of the outer loop",
    NBIN_S2: Nbin."s2" = DRAM_STRIDE_BITS; "DRAM bytes between outer-loop iterations",
    SB_OP: Sb."op" = DMA_OP_BITS; "SB DMA operation: nop, load",
    SB_WAIT: Sb."wait" = WAIT_BITS; "start only after the NFU finished the op of instruction (this - wait); 0: no wait",
    SB_ROW: Sb."row" = ROW_BITS; "first SB row written",
    SB_DRAM: Sb."dram" = DRAM_ADDR_BITS; "DRAM byte address of the first row",
    SB_N0: Sb."n0" = COUNT_BITS; "rows in one contiguous DRAM run (innermost loop)",
    SB_N1: Sb."n1" = COUNT_BITS; "runs in the middle loop",
    SB_S1: Sb."s1" = DRAM_STRIDE_BITS; "DRAM bytes between middle-loop runs",
    SB_N2: Sb."n2" = COUNT_BITS; "iterations of the outer loop",
    SB_S2: Sb."s2" = DRAM_STRIDE_BITS; "DRAM bytes between outer-loop iterations",
    NBOUT_OP: Nbout."op" = DMA_OP_BITS; "NBout DMA operation: nop, load, loadw, store, storen",
    NBOUT_WAIT: Nbout."wait" = WAIT_BITS; "start only after the NFU finished the op of instruction (this - wait); 0: no wait (stores always wait for their own instruction's NFU op)",
    NBOUT_ROW: Nbout."row" = ROW_BITS; "first NBout row read or written",
    NBOUT_DRAM: Nbout."dram" = DRAM_ADDR_BITS; "DRAM byte address of the first row",
    NBOUT_N0: Nbout."n0" = COUNT_BITS; "rows in one contiguous DRAM run (innermost loop)",
    NBOUT_N1: Nbout."n1" = COUNT_BITS; "runs in the middle loop",
    NBOUT_S1: Nbout."s1" = DRAM_STRIDE_BITS; "DRAM bytes between middle-loop runs",
    NBOUT_N2: Nbout."n2" = COUNT_BITS; "iterations of the outer loop",
    NBOUT_S2: Nbout."s2" = DRAM_STRIDE_BITS; "DRAM bytes between outer-loop iterations",
    NFU_OP: Nfu."op" = NFU_OP_BITS; "NFU operation: nop, mac, max, avg, mul",
    NFU_IN: Nfu."in" = ACC_IN_BITS; "NFU-2 initial value of each output: zero (max: most negative), nbout (the output's NBout entry), bias (word n of SB row sb + nky*ni, shifted left by frac for mac)",
    NFU_OUT: Nfu."out" = 1; "0 = partial: write the raw accumulator to NBout; 1 = act: convert, apply NFU-3, write the data word",
    NFU_ACT: Nfu."act" = ACT_BITS; "NFU-3 function (see the activation table)",
    NFU_ROUND: Nfu."round" = ROUND_BITS; "rounding of the output conversion: trunc, nearest, stoch",
    NFU_WAIT: Nfu."wait" = WAIT_BITS; "start only after the NBout DMA finished the slot of instruction (this - wait); 0: no wait",
    NFU_TR: Nfu."tr" = 1; "mac: read each SB row transposed (synapse [i][n] instead of [n][i])",
    NFU_NBIN: Nfu."nbin" = ROW_BITS; "NBin base row",
    NFU_SB: Nfu."sb" = ROW_BITS; "SB base row (mac)",
    NFU_NBOUT: Nfu."nbout" = ROW_BITS; "NBout row of the first output",
    NFU_NPY: Nfu."npy" = COUNT_BITS; "outputs, outer loop (e.g. output rows of a tile)",
    NFU_SPY: Nfu."spy" = COUNT_BITS; "NBin rows between outer-loop outputs",
    NFU_NPX: Nfu."npx" = COUNT_BITS; "outputs, inner loop (e.g. output columns of a tile)",
    NFU_SPX: Nfu."spx" = COUNT_BITS; "NBin rows between inner-loop outputs",
    NFU_NKY: Nfu."nky" = COUNT_BITS; "reduction, outer loop (e.g. kernel rows)",
    NFU_SKY: Nfu."sky" = COUNT_BITS; "NBin rows between outer reduction steps",
    NFU_NI: Nfu."ni" = COUNT_BITS; "reduction, inner loop: contiguous NBin rows",
    NFU_SCALE: Nfu."scale" = SCALE_BITS; "avg: output = sum * scale / 2^15 (scale = round(2^15 / window))",
}

/// Number of fields.
pub const NUM_FIELDS: usize = FIELDS.len();

/// Bits used by fields.
pub const USED_BITS: u32 = {
    let mut s = 0;
    let mut i = 0;
    while i < FIELDS.len() {
        s += FIELDS[i].width;
        i += 1;
    }
    s
};

/// Width of an instruction word: the used bits rounded up to whole 64-bit words.
pub const INSTR_BITS: u32 = USED_BITS.div_ceil(64) * 64;
/// 64-bit words per instruction.
pub const INSTR_WORDS: usize = (INSTR_BITS / 64) as usize;
/// Bytes per instruction.
pub const INSTR_BYTES: usize = INSTR_WORDS * 8;

/// Least-significant bit of the field at table index `idx`.
pub const fn lsb_at(idx: usize) -> u32 {
    let mut s = 0;
    let mut i = 0;
    while i < idx {
        s += FIELDS[i].width;
        i += 1;
    }
    s
}

/// Least-significant bit of every field, by table index (`lsb_at`, computed once).
pub const LSBS: [u32; NUM_FIELDS] = {
    let mut a = [0u32; NUM_FIELDS];
    let mut i = 0;
    while i < NUM_FIELDS {
        a[i] = lsb_at(i);
        i += 1;
    }
    a
};

/// Least-significant bit of field `f`.
pub const fn lsb(f: F) -> u32 {
    lsb_at(f as usize)
}

/// Width of field `f` in bits.
pub const fn width(f: F) -> u32 {
    FIELDS[f as usize].width
}

/// Largest value field `f` holds.
pub const fn max(f: F) -> u64 {
    if width(f) >= 64 {
        u64::MAX
    } else {
        (1u64 << width(f)) - 1
    }
}

/// The instruction word: little-endian 64-bit words.
pub type Word = [u64; INSTR_WORDS];

/// OR the low `width` bits of `v` into bits `[lsb, lsb + width)` of `w`
/// (`width <= 64`; higher bits of `v` are ignored): at most two 64-bit
/// words shifted and masked.
#[inline]
pub fn put(w: &mut Word, lsb: u32, width: u32, v: u64) {
    debug_assert!(width <= 64);
    if width == 0 {
        return;
    }
    let v = if width < 64 {
        v & ((1u64 << width) - 1)
    } else {
        v
    };
    let (i, s) = ((lsb / 64) as usize, lsb % 64);
    w[i] |= v << s;
    if s != 0 && s + width > 64 {
        w[i + 1] |= v >> (64 - s);
    }
}

/// [`put`] bit by bit (the reference it is tested against).
#[cfg(test)]
fn put_bitwise(w: &mut Word, lsb: u32, width: u32, v: u64) {
    for b in 0..width {
        let bit = (v >> b) & 1;
        let pos = lsb + b;
        w[(pos / 64) as usize] |= bit << (pos % 64);
    }
}

/// Read bits `[lsb, lsb + width)` of `w` (`width <= 64`): at most two
/// 64-bit words shifted and masked.
#[inline]
pub fn get(w: &Word, lsb: u32, width: u32) -> u64 {
    debug_assert!(width <= 64);
    if width == 0 {
        return 0;
    }
    let (i, s) = ((lsb / 64) as usize, lsb % 64);
    let mut v = w[i] >> s;
    if s != 0 && s + width > 64 {
        v |= w[i + 1] << (64 - s);
    }
    if width < 64 {
        v &= (1u64 << width) - 1;
    }
    v
}

/// [`get`] bit by bit (the reference it is tested against).
#[cfg(test)]
fn get_bitwise(w: &Word, lsb: u32, width: u32) -> u64 {
    let mut v = 0;
    for b in 0..width {
        let pos = lsb + b;
        v |= ((w[(pos / 64) as usize] >> (pos % 64)) & 1) << b;
    }
    v
}

#[cfg(test)]
mod get_tests {
    use super::*;

    /// The word-wise `get` equals the bit-by-bit one for every in-range
    /// (lsb, width), on random and all-ones words; `LSBS` equals `lsb_at`.
    #[test]
    fn get_equals_bitwise() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut words = vec![[u64::MAX; INSTR_WORDS], [0; INSTR_WORDS]];
        for _ in 0..8 {
            let mut w = [0u64; INSTR_WORDS];
            for e in w.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *e = x;
            }
            words.push(w);
        }
        for w in &words {
            for lsb in 0..INSTR_BITS {
                for width in 0..=64.min(INSTR_BITS - lsb) {
                    assert_eq!(
                        get(w, lsb, width),
                        get_bitwise(w, lsb, width),
                        "{lsb} {width}"
                    );
                }
            }
        }
        for (i, l) in LSBS.iter().enumerate() {
            assert_eq!(*l, lsb_at(i));
        }
    }

    /// The word-wise `put` equals the bit-by-bit one for every in-range
    /// (lsb, width), values wider than the field included, onto zero and
    /// random words.
    #[test]
    fn put_equals_bitwise() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..6 {
            let base: Word = if round == 0 {
                [0; INSTR_WORDS]
            } else {
                std::array::from_fn(|_| next() & next())
            };
            let v = if round == 1 { u64::MAX } else { next() };
            for lsb in 0..INSTR_BITS {
                for width in 0..=64.min(INSTR_BITS - lsb) {
                    let (mut a, mut b) = (base, base);
                    put(&mut a, lsb, width, v);
                    put_bitwise(&mut b, lsb, width, v);
                    assert_eq!(a, b, "{lsb} {width} {v:#x}");
                }
            }
        }
    }
}
