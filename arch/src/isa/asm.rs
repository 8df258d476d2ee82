//! The assembly text form of instructions.
//!
//! One instruction per line; its active slots separated by `;`; `#` starts a
//! comment. A slot is `unit.op` followed by `key=value` pairs (numbers in
//! decimal or `0x` hex). Omitted keys take their defaults (loop counts 1,
//! everything else 0). A line with no active slot is written `nop`.
//!
//! ```text
//! nbin.load row=0 dram=0x1000 n0=9 ; sb.load row=0 dram=0x8000 n0=9 ; nfu.mac nbin=0 sb=0 nbout=0 npy=1 npx=1 nky=1 ni=9 out=act act=relu
//! nbout.storen row=0 dram=0x20000 n0=1 wait=0 ; end
//! ```

use super::*;
use std::fmt;
use std::str::FromStr;

/// A syntax or range error in assembly text, with its position.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("line {line}, column {col}: {msg}")]
pub struct AsmError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub msg: String,
}

fn fmt_dma(f: &mut fmt::Formatter<'_>, b: Buffer, s: &DmaSlot) -> fmt::Result {
    write!(
        f,
        "{}.{} row={} dram={:#x} n0={}",
        b.name(),
        s.op.mnemonic(),
        s.row,
        s.dram,
        s.n0
    )?;
    if s.n1 != 1 {
        write!(f, " n1={}", s.n1)?;
    }
    if s.s1 != 0 {
        write!(f, " s1={}", s.s1)?;
    }
    if s.n2 != 1 {
        write!(f, " n2={}", s.n2)?;
    }
    if s.s2 != 0 {
        write!(f, " s2={}", s.s2)?;
    }
    if s.wait != 0 {
        write!(f, " wait={}", s.wait)?;
    }
    Ok(())
}

fn fmt_nfu(f: &mut fmt::Formatter<'_>, n: &NfuSlot) -> fmt::Result {
    write!(
        f,
        "nfu.{} nbin={} sb={} nbout={} npy={} npx={} nky={} ni={}",
        n.op.mnemonic(),
        n.nbin,
        n.sb,
        n.nbout,
        n.npy,
        n.npx,
        n.nky,
        n.ni
    )?;
    for (k, v) in [
        ("spy", n.spy),
        ("spx", n.spx),
        ("sky", n.sky),
        ("scale", n.scale),
        ("wait", n.wait),
    ] {
        if v != 0 {
            write!(f, " {k}={v}")?;
        }
    }
    if n.acc_in != AccIn::Zero {
        write!(f, " in={}", n.acc_in.mnemonic())?;
    }
    if n.activate {
        write!(f, " out=act")?;
    }
    if n.act != Activation::Identity {
        write!(f, " act={}", n.act.mnemonic())?;
    }
    if n.round != Rounding::Truncate {
        write!(f, " round={}", n.round.mnemonic())?;
    }
    if n.transpose {
        write!(f, " tr=1")?;
    }
    Ok(())
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            if !first {
                write!(f, " ; ")?;
            }
            first = false;
            Ok(())
        };
        for b in Buffer::ALL {
            let s = self.dma(b);
            if s.op != DmaOp::Nop || *s != DmaSlot::NOP {
                sep(f)?;
                fmt_dma(f, b, s)?;
            }
        }
        if self.nfu != NfuSlot::NOP {
            sep(f)?;
            fmt_nfu(f, &self.nfu)?;
        }
        if self.cp == CpOp::End {
            sep(f)?;
            write!(f, "end")?;
        }
        if first {
            write!(f, "nop")?;
        }
        Ok(())
    }
}

fn parse_num(s: &str) -> Option<u64> {
    let s = s.replace('_', "");
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// Parse one line (without comment) starting at column `col0` (1-based) of `line`.
fn parse_line(text: &str, line: usize) -> Result<Option<Instruction>, AsmError> {
    let code = text.split('#').next().unwrap_or("");
    let err = |col: usize, msg: String| AsmError { line, col, msg };
    let mut ins = Instruction::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut any = false;
    let mut offset = 0usize;
    for part in code.split(';') {
        let part_start = offset;
        offset += part.len() + 1;
        let mut toks = Vec::new();
        let mut pos = 0;
        for t in part.split_whitespace() {
            let at = part[pos..].find(t).map(|p| p + pos).unwrap_or(pos);
            pos = at + t.len();
            toks.push((part_start + at + 1, t));
        }
        if toks.is_empty() {
            if code.trim().is_empty() {
                continue;
            }
            return Err(err(part_start + 1, "empty slot between `;`".into()));
        }
        any = true;
        let (col, head) = toks[0];
        let (unit, op) = match head.split_once('.') {
            Some((u, o)) => (u, o),
            None => (head, ""),
        };
        if seen.contains(&unit) {
            return Err(err(col, format!("slot `{unit}` given twice")));
        }
        seen.push(unit);
        let kv: Vec<(usize, &str, &str, usize)> = toks[1..]
            .iter()
            .map(|&(c, t)| match t.split_once('=') {
                Some((k, v)) => Ok((c, k, v, c + k.len() + 1)),
                None => Err(err(c, format!("expected key=value, found `{t}`"))),
            })
            .collect::<Result<_, _>>()?;
        let mut keys_seen: Vec<&str> = Vec::new();
        for &(c, k, _, _) in &kv {
            if keys_seen.contains(&k) {
                return Err(err(c, format!("key `{k}` given twice")));
            }
            keys_seen.push(k);
        }
        match (unit, op) {
            ("nop", "") | ("cp.nop", "") => {
                if let Some(&(c, k, _, _)) = kv.first() {
                    return Err(err(c, format!("`nop` takes no keys, found `{k}`")));
                }
            }
            ("end", "") => {
                if let Some(&(c, k, _, _)) = kv.first() {
                    return Err(err(c, format!("`end` takes no keys, found `{k}`")));
                }
                ins.cp = CpOp::End;
            }
            ("nbin" | "sb" | "nbout", _) => {
                let b = match unit {
                    "nbin" => Buffer::Nbin,
                    "sb" => Buffer::Sb,
                    _ => Buffer::Nbout,
                };
                let dop = DmaOp::ALL
                    .into_iter()
                    .find(|o| o.mnemonic() == op)
                    .ok_or_else(|| {
                        err(
                            col + unit.len() + 1,
                            format!("unknown {unit} operation `{op}`"),
                        )
                    })?;
                if !b.allows(dop) {
                    return Err(err(
                        col + unit.len() + 1,
                        format!("the {unit} DMA cannot `{op}`"),
                    ));
                }
                let mut s = if dop == DmaOp::Nop {
                    DmaSlot::NOP
                } else {
                    DmaSlot {
                        op: dop,
                        n0: 1,
                        n1: 1,
                        n2: 1,
                        ..DmaSlot::NOP
                    }
                };
                for &(c, k, v, vc) in &kv {
                    let n =
                        parse_num(v).ok_or_else(|| err(vc, format!("`{v}` is not a number")))?;
                    let (fid, slot_field): (usize, &mut u32) = match k {
                        "wait" => (1, &mut s.wait),
                        "row" => (2, &mut s.row),
                        "dram" => (3, &mut s.dram),
                        "n0" => (4, &mut s.n0),
                        "n1" => (5, &mut s.n1),
                        "s1" => (6, &mut s.s1),
                        "n2" => (7, &mut s.n2),
                        "s2" => (8, &mut s.s2),
                        _ => return Err(err(c, format!("unknown key `{k}` for {unit} (row, dram, n0, n1, s1, n2, s2, wait)"))),
                    };
                    let bi = Buffer::ALL.iter().position(|x| *x == b).unwrap_or(0);
                    let f = DMA_FIELDS[bi][fid];
                    if n > fields::max(f) {
                        return Err(err(
                            vc,
                            format!("{unit}.{k}={n} does not fit in {} bits", fields::width(f)),
                        ));
                    }
                    *slot_field = n as u32;
                }
                *ins.dma_mut(b) = s;
            }
            ("nfu", _) => {
                let nop = NfuOp::ALL
                    .into_iter()
                    .find(|o| o.mnemonic() == op)
                    .ok_or_else(|| err(col + 4, format!("unknown nfu operation `{op}`")))?;
                let mut n = if nop == NfuOp::Nop {
                    NfuSlot::NOP
                } else {
                    NfuSlot {
                        op: nop,
                        npy: 1,
                        npx: 1,
                        nky: 1,
                        ni: 1,
                        ..NfuSlot::NOP
                    }
                };
                for &(c, k, v, vc) in &kv {
                    match k {
                        "in" => {
                            n.acc_in = AccIn::ALL
                                .into_iter()
                                .find(|a| a.mnemonic() == v)
                                .ok_or_else(|| {
                                    err(vc, format!("in= takes zero, nbout or bias, found `{v}`"))
                                })?
                        }
                        "out" => {
                            n.activate = match v {
                                "partial" => false,
                                "act" => true,
                                _ => {
                                    return Err(err(
                                        vc,
                                        format!("out= takes partial or act, found `{v}`"),
                                    ))
                                }
                            }
                        }
                        "act" => {
                            n.act = Activation::from_mnemonic(v)
                                .ok_or_else(|| err(vc, format!("unknown activation `{v}`")))?
                        }
                        "round" => {
                            n.round = Rounding::ALL
                                .into_iter()
                                .find(|r| r.mnemonic() == v)
                                .ok_or_else(|| {
                                    err(
                                        vc,
                                        format!("unknown rounding `{v}` (trunc, nearest, stoch)"),
                                    )
                                })?
                        }
                        _ => {
                            let num = parse_num(v)
                                .ok_or_else(|| err(vc, format!("`{v}` is not a number")))?;
                            let (f, slot_field): (F, &mut u32) = match k {
                                "wait" => (F::NFU_WAIT, &mut n.wait),
                                "nbin" => (F::NFU_NBIN, &mut n.nbin),
                                "sb" => (F::NFU_SB, &mut n.sb),
                                "nbout" => (F::NFU_NBOUT, &mut n.nbout),
                                "npy" => (F::NFU_NPY, &mut n.npy),
                                "spy" => (F::NFU_SPY, &mut n.spy),
                                "npx" => (F::NFU_NPX, &mut n.npx),
                                "spx" => (F::NFU_SPX, &mut n.spx),
                                "nky" => (F::NFU_NKY, &mut n.nky),
                                "sky" => (F::NFU_SKY, &mut n.sky),
                                "ni" => (F::NFU_NI, &mut n.ni),
                                "scale" => (F::NFU_SCALE, &mut n.scale),
                                "tr" => {
                                    if num > 1 {
                                        return Err(err(vc, "tr= takes 0 or 1".into()));
                                    }
                                    n.transpose = num == 1;
                                    continue;
                                }
                                _ => return Err(err(c, format!("unknown key `{k}` for nfu"))),
                            };
                            if num > fields::max(f) {
                                return Err(err(
                                    vc,
                                    format!(
                                        "nfu.{k}={num} does not fit in {} bits",
                                        fields::width(f)
                                    ),
                                ));
                            }
                            *slot_field = num as u32;
                        }
                    }
                }
                ins.nfu = n;
            }
            _ => {
                return Err(err(
                    col,
                    format!("unknown slot `{head}` (nbin, sb, nbout, nfu, end, nop)"),
                ))
            }
        }
        if let Err(e) = Instruction::from_field_values(&ins.field_values()) {
            return Err(err(col, e.to_string()));
        }
    }
    Ok(if any { Some(ins) } else { None })
}

impl FromStr for Instruction {
    type Err = AsmError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_line(s, 1)? {
            Some(i) => Ok(i),
            None => Err(AsmError {
                line: 1,
                col: 1,
                msg: "empty instruction".into(),
            }),
        }
    }
}

/// Parse a whole assembly file: one instruction per non-empty line.
pub fn parse_program(text: &str) -> Result<Vec<Instruction>, AsmError> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if let Some(ins) = parse_line(l, i + 1)? {
            out.push(ins);
        }
    }
    Ok(out)
}

/// Print a program, one instruction per line.
pub fn print_program(prog: &[Instruction]) -> String {
    let mut s = String::new();
    for i in prog {
        s.push_str(&i.to_string());
        s.push('\n');
    }
    s
}
