//! Row conversions of the NBout DMA (`storen` narrowing, `loadw` widening).
//! Pure wiring, written as custom Verilog with an equivalent Rust model
//! (rust-hdl's kernels cannot pack slices selected by a loop index).

use rust_hdl::prelude::*;

/// `storen`: the low 16 bits of each 32-bit entry of `din`, packed into the
/// low `W/2` bits of `dout` (upper half zero).
#[derive(LogicBlock, Default)]
pub struct Narrow<const W: usize> {
    /// NBout row (W/32 entries).
    pub din: Signal<In, Bits<W>>,
    /// Packed 16-bit words.
    pub dout: Signal<Out, Bits<W>>,
}

impl<const W: usize> Logic for Narrow<W> {
    fn update(&mut self) {
        let x = self.din.val();
        let mut y = Bits::<W>::default();
        for n in 0..W / 32 {
            y.set_bits::<16>(16 * n, x.get_bits::<16>(32 * n));
        }
        self.dout.next = y;
    }
    fn connect(&mut self) {
        self.dout.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut s = String::from("always @(*) begin\n   dout = 0;\n");
        for n in 0..W / 32 {
            s += &format!(
                "   dout[{}:{}] = din[{}:{}];\n",
                16 * n + 15,
                16 * n,
                32 * n + 15,
                32 * n
            );
        }
        s += "end\n";
        Verilog::Custom(s)
    }
}

/// `loadw`: each 16-bit word of the low `W/2` bits of `din`, sign-extended to
/// 32 bits and shifted left by `frac`.
#[derive(LogicBlock, Default)]
pub struct Widen<const W: usize> {
    /// Packed 16-bit words.
    pub din: Signal<In, Bits<W>>,
    /// 32-bit entries.
    pub dout: Signal<Out, Bits<W>>,
    _frac: usize,
}

impl<const W: usize> Widen<W> {
    /// A widener shifting by `frac` bits.
    pub fn new(frac: usize) -> Self {
        Self {
            _frac: frac,
            ..Default::default()
        }
    }
}

impl<const W: usize> Logic for Widen<W> {
    fn update(&mut self) {
        let x = self.din.val();
        let mut y = Bits::<W>::default();
        for n in 0..W / 32 {
            let w = x.get_bits::<16>(16 * n).to_u64() as u16 as i16 as i32;
            let e = (w as u32).wrapping_shl(self._frac as u32) as u64;
            y.set_bits::<32>(32 * n, e.into());
        }
        self.dout.next = y;
    }
    fn connect(&mut self) {
        self.dout.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut s = String::from("always @(*) begin\n");
        for n in 0..W / 32 {
            let lo = 16 * n;
            s += &format!(
                "   dout[{}:{}] = {{ {{16{{din[{}]}}}}, din[{}:{}] }} << {};\n",
                32 * n + 31,
                32 * n,
                lo + 15,
                lo + 15,
                lo,
                self._frac
            );
        }
        s += "end\n";
        Verilog::Custom(s)
    }
}
