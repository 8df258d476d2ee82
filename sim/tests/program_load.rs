//! A program given as instructions is loaded exactly as its encoded words
//! are: same base, same DRAM bytes, same run; and an instruction that
//! cannot be encoded is an error naming its index, with DRAM left as it was.

mod common;
use arch::isa::fields::INSTR_BYTES;
use arch::isa::{AccIn, DmaOp, Instruction, NfuOp};
use common::*;
use sim::{Dram, Encoded, Machine, SimError};

/// 300 instructions (the loader writes 128 at a time): SB and NBin loads
/// from changing addresses, MACs, then `end`.
fn program() -> Vec<Instruction> {
    let cfg = tiny();
    let mut p = Vec::new();
    for k in 0..299u32 {
        let mut i = ins();
        match k % 3 {
            0 => i.sb = dma(DmaOp::Load, 0, 64 * (k % 50), 2),
            1 => i.nbin = dma(DmaOp::Load, 0, 0x2000 + 32 * (k % 40), 1),
            _ => i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1),
        }
        assert!(i.encode().is_ok(), "instruction {k}");
        p.push(i);
    }
    p.push(end());
    assert!(p.len() * INSTR_BYTES > 2 * 4096, "{}", cfg.name);
    p
}

fn data() -> Dram {
    let mut d = Dram::new(tiny().dram.size_bytes);
    let bytes: Vec<u8> = (0..0x3000u32).map(|i| (i * 7 + 3) as u8).collect();
    d.write(0, &bytes).unwrap();
    d
}

#[test]
fn instructions_load_as_their_words() {
    let prog = program();
    let words: Vec<_> = prog.iter().map(|i| i.encode().unwrap()).collect();
    let m = Machine::new(tiny()).unwrap();
    let (mut a, mut b) = (data(), data());
    let base_a = m.load_instructions(&prog, &mut a).unwrap();
    let base_b = m.load_program(&words, &mut b).unwrap();
    assert_eq!(base_a, base_b);
    assert_eq!(a.first_difference(&b), None);
    let mut got = vec![0u8; words.len() * INSTR_BYTES];
    a.read(base_a, &mut got).unwrap();
    assert_eq!(got, arch::isa::program::image(&words));
}

#[test]
fn instructions_run_as_their_words() {
    let prog = program();
    let words: Vec<_> = prog.iter().map(|i| i.encode().unwrap()).collect();
    let (mut ma, mut mb) = (Machine::new(tiny()).unwrap(), Machine::new(tiny()).unwrap());
    let (mut a, mut b) = (data(), data());
    let sa = ma.run(&prog, &mut a).unwrap();
    let sb = mb.run_words(&words, &mut b).unwrap();
    assert_eq!(sa, sb);
    assert!(sa.cycles > prog.len() as u64);
    assert_eq!(a.first_difference(&b), None);
    assert_eq!(ma.buffers(), mb.buffers());
}

#[test]
fn an_encoded_program_runs_as_its_instructions_every_time() {
    let prog = program();
    let enc = Encoded::new(&tiny(), &prog).unwrap();
    assert_eq!(enc.len(), prog.len());
    let words: Vec<_> = prog.iter().map(|i| i.encode().unwrap()).collect();
    assert_eq!(enc.bytes(), &arch::isa::program::image(&words)[..]);
    let (mut ma, mut mb) = (Machine::new(tiny()).unwrap(), Machine::new(tiny()).unwrap());
    // twice on one machine and one DRAM: the second run sees the first's
    // buffers and results, and must still load at the same base
    let (mut a, mut b) = (data(), data());
    for _ in 0..2 {
        let sa = ma.run(&prog, &mut a).unwrap();
        let sb = mb.run_encoded(&enc, &mut b).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(a.first_difference(&b), None);
        assert_eq!(ma.buffers(), mb.buffers());
    }
}

#[test]
fn an_unencodable_instruction_is_an_error_and_dram_is_unchanged() {
    let mut prog = program();
    // a zero loop count in an active NFU slot does not encode
    prog[200].nfu = nfu(NfuOp::Mac, AccIn::Zero, 0);
    assert!(prog[200].encode().is_err());
    let m = Machine::new(tiny()).unwrap();
    let mut d = data();
    match m.load_instructions(&prog, &mut d) {
        Err(SimError::Encode { index: 200, .. }) => {}
        other => panic!("expected an encode error at 200: {other:?}"),
    }
    assert_eq!(d.first_difference(&data()), None);
    let mut m = Machine::new(tiny()).unwrap();
    assert!(matches!(
        m.run(&prog, &mut d),
        Err(SimError::Encode { index: 200, .. })
    ));
    assert_eq!(d.first_difference(&data()), None);
    let mut bad = program();
    bad[7].nfu = nfu(NfuOp::Mac, AccIn::Zero, 0);
    assert!(matches!(
        Encoded::new(&tiny(), &bad),
        Err(SimError::Encode { index: 7, .. })
    ));
}
