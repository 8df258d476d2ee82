//! `diannao asm` and `diannao disasm`: assembly files to binary programs and
//! back, with errors that name the file and the line.

use arch::isa::asm::{parse_program, print_program};
use arch::isa::program::{self, ProgramError};
use arch::isa::{CpOp, Instruction, RangeError};
use arch::AccelConfig;
use thiserror::Error;

/// Why an assembly file does not give a program that can run.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AsmFileError {
    /// A syntax or field error.
    #[error("{path}:{line}:{col}: {msg}")]
    Syntax {
        /// Source file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        msg: String,
    },
    /// An instruction that the configuration cannot run (buffer rows, DRAM range, alignment).
    #[error("{path}:{line}: {err} (preset `{preset}`)")]
    Range {
        /// Source file.
        path: String,
        /// 1-based line of the instruction.
        line: usize,
        /// Configuration name.
        preset: String,
        /// The failed check.
        err: RangeError,
    },
    /// No instruction at all.
    #[error("{path}: no instructions")]
    Empty {
        /// Source file.
        path: String,
    },
    /// The program has no `end` (it would stop with the `no_end` error).
    #[error("{path}: the program has no `end` instruction (add `end` to the last line)")]
    NoEnd {
        /// Source file.
        path: String,
    },
    /// Instructions after `end` would never run.
    #[error("{path}:{line}: instruction after `end` (line {end_line}) would never run")]
    AfterEnd {
        /// Source file.
        path: String,
        /// Line of the first instruction after `end`.
        line: usize,
        /// Line of the `end`.
        end_line: usize,
    },
    /// More instructions than the instruction memory holds.
    /// The program could not be encoded (not expected after a successful parse).
    #[error("{path}: {err}")]
    Encode {
        /// Source file.
        path: String,
        /// The encoding error.
        err: ProgramError,
    },
}

/// Parse assembly text into instructions with their 1-based source lines.
/// `path` only names the source in messages.
pub fn parse_with_lines(text: &str, path: &str) -> Result<Vec<(usize, Instruction)>, AsmFileError> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let line = i + 1;
        let p = parse_program(l).map_err(|e| AsmFileError::Syntax {
            path: path.into(),
            line,
            col: e.col,
            msg: e.msg,
        })?;
        out.extend(p.into_iter().map(|ins| (line, ins)));
    }
    Ok(out)
}

/// Assemble `text` for `cfg`: parse, check every instruction against the
/// configuration, check that the program ends with `end` and fits the
/// instruction memory. Returns the program.
pub fn assemble(
    text: &str,
    path: &str,
    cfg: &AccelConfig,
) -> Result<Vec<Instruction>, AsmFileError> {
    let lines = parse_with_lines(text, path)?;
    if lines.is_empty() {
        return Err(AsmFileError::Empty { path: path.into() });
    }
    for (line, ins) in &lines {
        ins.check(cfg).map_err(|err| AsmFileError::Range {
            path: path.into(),
            line: *line,
            preset: cfg.name.clone(),
            err,
        })?;
    }
    match lines.iter().position(|(_, i)| i.cp == CpOp::End) {
        None => return Err(AsmFileError::NoEnd { path: path.into() }),
        Some(k) if k + 1 < lines.len() => {
            return Err(AsmFileError::AfterEnd {
                path: path.into(),
                line: lines[k + 1].0,
                end_line: lines[k].0,
            });
        }
        Some(_) => {}
    }
    Ok(lines.into_iter().map(|(_, i)| i).collect())
}

/// Assemble `text` for `cfg` into the bytes of a program file.
pub fn assemble_to_bytes(
    text: &str,
    path: &str,
    cfg: &AccelConfig,
) -> Result<Vec<u8>, AsmFileError> {
    let prog = assemble(text, path, cfg)?;
    program::to_bytes(&prog).map_err(|err| AsmFileError::Encode {
        path: path.into(),
        err,
    })
}

/// Why a binary program cannot be disassembled.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{path}: {err}")]
pub struct DisasmError {
    /// Binary file.
    pub path: String,
    /// What is wrong with it.
    pub err: ProgramError,
}

/// Disassemble the bytes of a program file into assembly text (one line per
/// instruction; `diannao asm` reads it back to the same bytes).
pub fn disassemble(bytes: &[u8], path: &str) -> Result<String, DisasmError> {
    let prog = program::from_bytes(bytes).map_err(|err| DisasmError {
        path: path.into(),
        err,
    })?;
    Ok(print_program(&prog))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &str = "nbin.load row=0 dram=0x1000 n0=4 ; sb.load row=0 dram=0x8000 n0=4\n\
                         nfu.mac nbin=0 sb=0 nbout=0 ni=4 out=act act=relu\n\
                         nbout.storen row=0 dram=0x20000 n0=1 ; end\n";

    #[test]
    fn roundtrip() {
        let cfg = AccelConfig::tiny();
        let bin = assemble_to_bytes(HELLO, "h.s", &cfg).unwrap();
        let text = disassemble(&bin, "h.bin").unwrap();
        assert_eq!(assemble_to_bytes(&text, "h2.s", &cfg).unwrap(), bin);
    }

    #[test]
    fn errors_name_file_line_column() {
        let cfg = AccelConfig::tiny();
        let e = assemble("end\nnbin.load row=zz\n", "p.s", &cfg)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "p.s:2:15: `zz` is not a number");
        let e = assemble("nop\nnbin.load row=40 ; end\n", "p.s", &cfg).unwrap_err();
        assert!(matches!(e, AsmFileError::Range { line: 2, .. }), "{e}");
        assert!(matches!(
            assemble("nop\n", "p.s", &cfg),
            Err(AsmFileError::NoEnd { .. })
        ));
        assert!(matches!(
            assemble("end\nnop\n", "p.s", &cfg),
            Err(AsmFileError::AfterEnd {
                line: 2,
                end_line: 1,
                ..
            })
        ));
        assert!(matches!(
            assemble("# nothing\n", "p.s", &cfg),
            Err(AsmFileError::Empty { .. })
        ));
        let long = "nop\n".repeat(cfg.imem_depth as usize) + "end\n";
        // longer than the instruction memory: fine, the machine fetches it from DRAM
        assert_eq!(
            assemble(&long, "p.s", &cfg).unwrap().len(),
            cfg.imem_depth as usize + 1
        );
    }

    #[test]
    fn disasm_errors_name_the_file() {
        let e = disassemble(b"DNNP", "x.bin").unwrap_err().to_string();
        assert!(e.starts_with("x.bin: truncated"), "{e}");
    }
}
