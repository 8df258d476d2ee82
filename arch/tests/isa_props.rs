//! Property tests of the instruction set: encode/decode and print/parse
//! round trips over random valid instructions (drawn from the field table's
//! widths and the enums' `ALL` arrays), robustness of the decoders against
//! random input, and the exact error variant of specific bad inputs.

use arch::activation::Activation;
use arch::fixed::Rounding;
use arch::isa::asm::{parse_program, print_program};
use arch::isa::fields::{self, Word, F, INSTR_BITS, INSTR_BYTES, INSTR_WORDS, USED_BITS};
use arch::isa::program::{self, ProgramError, HEADER_BYTES, MAGIC, VERSION};
use arch::isa::{AccIn, Buffer, CpOp, DecodeError, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use proptest::prelude::*;

/// A value of field `f` (full range).
fn any_of(f: F) -> impl Strategy<Value = u32> {
    (0..=fields::max(f)).prop_map(|v| v as u32)
}

/// A loop count of field `f`: 1 ..= max.
fn count_of(f: F) -> impl Strategy<Value = u32> {
    (1..=fields::max(f)).prop_map(|v| v as u32)
}

fn dma_fields(b: Buffer) -> [F; 9] {
    match b {
        Buffer::Nbin => [
            F::NBIN_OP,
            F::NBIN_WAIT,
            F::NBIN_ROW,
            F::NBIN_DRAM,
            F::NBIN_N0,
            F::NBIN_N1,
            F::NBIN_S1,
            F::NBIN_N2,
            F::NBIN_S2,
        ],
        Buffer::Sb => [
            F::SB_OP,
            F::SB_WAIT,
            F::SB_ROW,
            F::SB_DRAM,
            F::SB_N0,
            F::SB_N1,
            F::SB_S1,
            F::SB_N2,
            F::SB_S2,
        ],
        Buffer::Nbout => [
            F::NBOUT_OP,
            F::NBOUT_WAIT,
            F::NBOUT_ROW,
            F::NBOUT_DRAM,
            F::NBOUT_N0,
            F::NBOUT_N1,
            F::NBOUT_S1,
            F::NBOUT_N2,
            F::NBOUT_S2,
        ],
    }
}

fn dma_slot(b: Buffer) -> impl Strategy<Value = DmaSlot> {
    let ops: Vec<DmaOp> = DmaOp::ALL.into_iter().filter(|o| b.allows(*o)).collect();
    let f = dma_fields(b);
    let active = (
        prop::sample::select(
            ops.into_iter()
                .filter(|o| *o != DmaOp::Nop)
                .collect::<Vec<_>>(),
        ),
        any_of(f[1]),
        any_of(f[2]),
        any_of(f[3]),
        count_of(f[4]),
        count_of(f[5]),
        any_of(f[6]),
        count_of(f[7]),
        any_of(f[8]),
    )
        .prop_map(|(op, wait, row, dram, n0, n1, s1, n2, s2)| DmaSlot {
            op,
            wait,
            row,
            dram,
            n0,
            n1,
            s1,
            n2,
            s2,
        });
    prop_oneof![1 => Just(DmaSlot::NOP), 3 => active]
}

fn nfu_slot() -> impl Strategy<Value = NfuSlot> {
    let active = (
        (
            prop::sample::select(
                NfuOp::ALL
                    .into_iter()
                    .filter(|o| *o != NfuOp::Nop)
                    .collect::<Vec<_>>(),
            ),
            prop::sample::select(AccIn::ALL.to_vec()),
            any::<bool>(),
            prop::sample::select(Activation::ALL.to_vec()),
            prop::sample::select(Rounding::ALL.to_vec()),
            any_of(F::NFU_WAIT),
            any::<bool>(),
        ),
        (any_of(F::NFU_NBIN), any_of(F::NFU_SB), any_of(F::NFU_NBOUT)),
        (
            count_of(F::NFU_NPY),
            any_of(F::NFU_SPY),
            count_of(F::NFU_NPX),
            any_of(F::NFU_SPX),
        ),
        (
            count_of(F::NFU_NKY),
            any_of(F::NFU_SKY),
            count_of(F::NFU_NI),
            any_of(F::NFU_SCALE),
        ),
    )
        .prop_map(
            |(
                (op, acc_in, activate, act, round, wait, transpose),
                (nbin, sb, nbout),
                (npy, spy, npx, spx),
                (nky, sky, ni, scale),
            )| NfuSlot {
                op,
                acc_in,
                activate,
                act,
                round,
                wait,
                transpose,
                nbin,
                sb,
                nbout,
                npy,
                spy,
                npx,
                spx,
                nky,
                sky,
                ni,
                scale,
            },
        );
    prop_oneof![1 => Just(NfuSlot::NOP), 3 => active]
}

fn instruction() -> impl Strategy<Value = Instruction> {
    (
        prop::sample::select(vec![CpOp::Nop, CpOp::End]),
        dma_slot(Buffer::Nbin),
        dma_slot(Buffer::Sb),
        dma_slot(Buffer::Nbout),
        nfu_slot(),
    )
        .prop_map(|(cp, nbin, sb, nbout, nfu)| Instruction {
            cp,
            nbin,
            sb,
            nbout,
            nfu,
        })
}

fn any_word() -> impl Strategy<Value = Word> {
    prop::array::uniform10(any::<u64>()).prop_map(|a| {
        let mut w: Word = [0; INSTR_WORDS];
        for (x, y) in w.iter_mut().zip(a.iter().cycle()) {
            *x = *y;
        }
        w
    })
}

/// Random words that mostly pass the reserved-bit and opcode checks, to reach
/// deeper decode paths.
fn plausible_word() -> impl Strategy<Value = Word> {
    (
        instruction(),
        prop::collection::vec((0usize..fields::NUM_FIELDS, any::<u64>()), 0..4),
    )
        .prop_map(|(i, flips)| {
            let mut v = i.field_values();
            for (idx, x) in flips {
                let w = fields::FIELDS[idx].width;
                v[idx] = if w >= 64 { x } else { x & ((1u64 << w) - 1) };
            }
            let mut w: Word = [0; INSTR_WORDS];
            for (idx, d) in fields::FIELDS.iter().enumerate() {
                fields::put(&mut w, fields::lsb_at(idx), d.width, v[idx]);
            }
            w
        })
}

const ASM_WORDS: &[&str] = &[
    "nbin.load",
    "sb.load",
    "nbout.load",
    "nbout.loadw",
    "nbout.store",
    "nbout.storen",
    "nfu.mac",
    "nfu.max",
    "nfu.avg",
    "nfu.nop",
    "nbin.nop",
    "end",
    "nop",
    ";",
    "#",
    "row=1",
    "dram=0x100",
    "n0=0",
    "n0=4095",
    "n1=2",
    "s1=64",
    "n2=4096",
    "wait=7",
    "wait=8",
    "in=bias",
    "out=act",
    "act=tanh",
    "round=stoch",
    "tr=1",
    "tr=2",
    "ni=3",
    "scale=65536",
    "x=",
    "=",
    "==",
    "0x",
    "row=-1",
    "nbin.store",
    "nfu",
    "nbin",
    ".",
    "\n",
    "  ",
    "\t",
    "é",
    "row=99999999999999999999999",
];

fn asm_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ASM_WORDS.to_vec()), 0..24).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_roundtrip(i in instruction()) {
        let w = i.encode().map_err(|e| TestCaseError::fail(format!("{i}: {e}")))?;
        prop_assert_eq!(Instruction::decode(&w), Ok(i));
        prop_assert_eq!(fields::get(&w, USED_BITS, INSTR_BITS - USED_BITS), 0);
    }

    #[test]
    fn print_parse_roundtrip(i in instruction()) {
        let text = i.to_string();
        prop_assert!(!text.contains('\n'));
        let back: Instruction = text.parse().map_err(|e| TestCaseError::fail(format!("`{text}`: {e}")))?;
        prop_assert_eq!(back, i);
    }

    #[test]
    fn program_roundtrips(p in prop::collection::vec(instruction(), 0..12)) {
        let bytes = program::to_bytes(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(bytes.len(), HEADER_BYTES + p.len() * INSTR_BYTES);
        prop_assert_eq!(program::from_bytes(&bytes), Ok(p.clone()));
        prop_assert_eq!(parse_program(&print_program(&p)), Ok(p));
    }

    #[test]
    fn decode_of_any_word_never_panics_and_is_canonical(w in prop_oneof![any_word(), plausible_word()]) {
        if let Ok(i) = Instruction::decode(&w) {
            // A word that decodes is the unique encoding of its instruction.
            prop_assert_eq!(i.encode(), Ok(w));
        }
    }

    #[test]
    fn from_bytes_never_panics(b in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = program::from_bytes(&b);
    }

    #[test]
    fn from_bytes_with_valid_header_never_panics(n in 0u32..4, body in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut b = Vec::new();
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&(INSTR_BYTES as u16).to_le_bytes());
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(&body);
        let r = program::from_bytes(&b);
        if body.len() != n as usize * INSTR_BYTES {
            let is_size_error = matches!(r, Err(ProgramError::Truncated { .. }) | Err(ProgramError::Trailing(_)));
            prop_assert!(is_size_error, "{:?}", r);
        }
    }

    #[test]
    fn parse_program_never_panics_on_any_text(t in ".{0,200}") {
        let _ = parse_program(&t);
    }

    #[test]
    fn parse_program_never_panics_on_asm_like_text(t in asm_text()) {
        if let Err(e) = parse_program(&t) {
            prop_assert!(e.line >= 1 && e.col >= 1, "{:?}", e);
            prop_assert!(e.line <= t.lines().count().max(1));
        }
    }
}

fn word_of(i: &Instruction) -> Word {
    i.encode().expect("valid instruction")
}

fn set(w: &mut Word, f: F, v: u64) {
    let lsb = fields::lsb(f);
    let width = fields::width(f);
    // clear, then write
    for b in 0..width {
        let pos = lsb + b;
        w[(pos / 64) as usize] &= !(1u64 << (pos % 64));
    }
    fields::put(w, lsb, width, v);
}

fn load(rows: u32) -> Instruction {
    Instruction {
        nbin: DmaSlot::contiguous(DmaOp::Load, 0, 0, rows),
        ..Default::default()
    }
}

#[test]
fn bad_opcode_is_bad_code() {
    let mut w = word_of(&Instruction::end());
    set(&mut w, F::NFU_OP, fields::max(F::NFU_OP));
    assert_eq!(
        Instruction::decode(&w),
        Err(DecodeError::BadCode {
            field: "nfu.op".into(),
            value: fields::max(F::NFU_OP)
        })
    );
    let mut w = word_of(&Instruction::end());
    set(&mut w, F::CP_OP, fields::max(F::CP_OP));
    assert!(
        matches!(Instruction::decode(&w), Err(DecodeError::BadCode { field, .. }) if field == "cp.op")
    );
}

#[test]
fn unsupported_dma_op_is_bad_dma_op() {
    let mut w = word_of(&load(1));
    let store = DmaOp::ALL.iter().position(|o| *o == DmaOp::Store).unwrap() as u64;
    set(&mut w, F::NBIN_OP, store);
    assert_eq!(
        Instruction::decode(&w),
        Err(DecodeError::BadDmaOp {
            buffer: "nbin",
            op: "store"
        })
    );
}

#[test]
fn zero_count_is_zero_count() {
    let mut w = word_of(&load(3));
    set(&mut w, F::NBIN_N1, 0);
    assert_eq!(
        Instruction::decode(&w),
        Err(DecodeError::ZeroCount {
            field: "nbin.n1".into()
        })
    );
    let mac = Instruction {
        nfu: NfuSlot {
            op: NfuOp::Mac,
            npy: 1,
            npx: 1,
            nky: 1,
            ni: 1,
            ..NfuSlot::NOP
        },
        ..Default::default()
    };
    let mut w = word_of(&mac);
    set(&mut w, F::NFU_NI, 0);
    assert_eq!(
        Instruction::decode(&w),
        Err(DecodeError::ZeroCount {
            field: "nfu.ni".into()
        })
    );
}

#[test]
fn nonzero_field_of_nop_slot_is_non_zero() {
    let mut w = word_of(&Instruction::end());
    set(&mut w, F::SB_ROW, 5);
    assert!(
        matches!(Instruction::decode(&w), Err(DecodeError::NonZero { field, .. }) if field == "sb.row")
    );
    let mut w = word_of(&Instruction::end());
    set(&mut w, F::NFU_SCALE, 1);
    assert!(
        matches!(Instruction::decode(&w), Err(DecodeError::NonZero { field, .. }) if field == "nfu.scale")
    );
}

#[test]
fn reserved_bits_are_non_zero_reserved() {
    for bit in [USED_BITS, INSTR_BITS - 1] {
        let mut w = word_of(&Instruction::end());
        fields::put(&mut w, bit, 1, 1);
        assert!(
            matches!(Instruction::decode(&w), Err(DecodeError::NonZero { field, .. }) if field == "reserved"),
            "bit {bit}"
        );
    }
}

#[test]
fn too_wide_value_fails_to_encode() {
    let mut i = load(1);
    i.nbin.row = fields::max(F::NBIN_ROW) as u32 + 1;
    assert!(matches!(i.encode(), Err(DecodeError::TooWide { field, .. }) if field == "nbin.row"));
}

fn two_instruction_file() -> Vec<u8> {
    program::to_bytes(&[load(2), Instruction::end()]).expect("valid program")
}

#[test]
fn truncated_file_is_truncated() {
    let b = two_instruction_file();
    assert_eq!(
        program::from_bytes(&b[..b.len() - 1]),
        Err(ProgramError::Truncated {
            expected: b.len(),
            found: b.len() - 1
        })
    );
    assert_eq!(
        program::from_bytes(&b[..5]),
        Err(ProgramError::Truncated {
            expected: HEADER_BYTES,
            found: 5
        })
    );
    assert!(matches!(
        program::from_bytes(&[]),
        Err(ProgramError::Truncated { .. })
    ));
}

#[test]
fn bad_magic_is_bad_magic() {
    let mut b = two_instruction_file();
    b[0] = b'X';
    assert!(matches!(program::from_bytes(&b), Err(ProgramError::BadMagic(m)) if m[0] == b'X'));
    assert!(matches!(
        program::from_bytes(b"ELF\x7f\x02"),
        Err(ProgramError::BadMagic(_))
    ));
}

#[test]
fn trailing_bytes_are_trailing() {
    let mut b = two_instruction_file();
    b.extend_from_slice(&[0, 0, 0]);
    assert_eq!(program::from_bytes(&b), Err(ProgramError::Trailing(3)));
}

#[test]
fn other_version_is_format_error() {
    let mut b = two_instruction_file();
    b[4] = b[4].wrapping_add(1);
    assert!(matches!(
        program::from_bytes(&b),
        Err(ProgramError::Format { .. })
    ));
}

#[test]
fn corrupt_instruction_names_index_and_offset() {
    let mut b = two_instruction_file();
    // Corrupt the second instruction's NFU opcode.
    let off = HEADER_BYTES + INSTR_BYTES;
    let mut w: Word = [0; INSTR_WORDS];
    for (k, x) in w.iter_mut().enumerate() {
        *x = u64::from_le_bytes(b[off + 8 * k..off + 8 * k + 8].try_into().unwrap());
    }
    set(&mut w, F::NFU_OP, fields::max(F::NFU_OP));
    for (k, x) in w.iter().enumerate() {
        b[off + 8 * k..off + 8 * k + 8].copy_from_slice(&x.to_le_bytes());
    }
    match program::from_bytes(&b) {
        Err(ProgramError::Decode {
            index: 1,
            offset,
            err: DecodeError::BadCode { field, .. },
        }) => {
            assert_eq!(offset, off);
            assert_eq!(field, "nfu.op");
        }
        other => panic!("expected a decode error at instruction 1, got {other:?}"),
    }
}

#[test]
fn asm_errors_give_line_and_column() {
    let e = parse_program("end\n\nnbin.load row=x\n").unwrap_err();
    assert_eq!((e.line, e.col), (3, 15), "{e}");
    let e = parse_program("nbin.frob row=1").unwrap_err();
    assert_eq!((e.line, e.col), (1, 6), "{e}");
    let e = parse_program("nfu.mac ni=0").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.msg.contains("nfu.ni"), "{e}");
    let e = parse_program("nbin.load n0=1 ; nbin.load n0=2").unwrap_err();
    assert!(e.msg.contains("twice"), "{e}");
    let e = parse_program(&format!("nbin.load row={}", fields::max(F::NBIN_ROW) + 1)).unwrap_err();
    assert!(e.msg.contains("does not fit"), "{e}");
}
