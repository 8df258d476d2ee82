//! Behavioural DRAM model with the contract's timing (docs/microarchitecture.md,
//! "DMAs and the memory port"): a beat command issued in cycle c is answered
//! in cycle c + L (read data, or the write acknowledgement); write data follows
//! its command by one cycle and is committed at the end of cycle c + L.
//! Written as custom Verilog plus an equivalent Rust model; used by the
//! testbenches, not part of `top`.

use rust_hdl::prelude::*;
use std::collections::BTreeMap;

/// One pipeline entry.
#[derive(Clone, Copy, Default)]
struct Cmd {
    valid: bool,
    write: bool,
    addr: u64,
    tag: u64,
    words: u64,
}

/// DRAM model: `BW`-bit beats (BW = 8 * bytes_per_cycle), 16-bit word
/// granularity (any 2-byte-aligned address), `2^AW` words (addresses wrap).
#[derive(LogicBlock)]
pub struct Dram<const BW: usize, const AW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A beat command this cycle.
    pub cmd_valid: Signal<In, bool>,
    /// Write (else read).
    pub cmd_write: Signal<In, bool>,
    /// Byte address of the beat.
    pub cmd_addr: Signal<In, Bits<32>>,
    /// Tag, returned with the response.
    pub cmd_tag: Signal<In, Bits<32>>,
    /// 16-bit words of a write beat to store (from the beat's low end).
    pub cmd_words: Signal<In, Bits<16>>,
    /// Write data of the write command of the previous cycle.
    pub wdata: Signal<In, Bits<BW>>,
    /// Response valid (cycle c + L).
    pub resp_valid: Signal<Out, bool>,
    /// Response tag.
    pub resp_tag: Signal<Out, Bits<32>>,
    /// Read data.
    pub resp_data: Signal<Out, Bits<BW>>,
    _latency: usize,
    _pipe: Vec<Cmd>,
    _wpipe: Vec<u64>,
    _wdata: Vec<Bits<BW>>,
    /// Contents: word address -> 16-bit word.
    pub _mem: BTreeMap<u64, u16>,
}

impl<const BW: usize, const AW: usize> Dram<BW, AW> {
    /// A model with latency `latency` cycles (at least 2) and initial contents.
    pub fn new(latency: usize, init: BTreeMap<u64, u16>) -> Self {
        assert!(latency >= 2, "DRAM model needs latency >= 2");
        assert!(BW % 16 == 0);
        Self {
            clock: Default::default(),
            cmd_valid: Default::default(),
            cmd_write: Default::default(),
            cmd_addr: Default::default(),
            cmd_tag: Default::default(),
            cmd_words: Default::default(),
            wdata: Default::default(),
            resp_valid: Default::default(),
            resp_tag: Default::default(),
            resp_data: Default::default(),
            _latency: latency,
            _pipe: vec![Cmd::default(); latency],
            _wpipe: vec![0; 0],
            _wdata: vec![Bits::default(); latency - 1],
            _mem: init,
        }
    }
    fn mask(&self) -> u64 {
        (1u64 << AW) - 1
    }
    /// Read a 16-bit word at byte address `a`.
    pub fn word(&self, a: u64) -> u16 {
        *self._mem.get(&((a >> 1) & self.mask())).unwrap_or(&0)
    }
    /// Every word the model holds, ascending: (word address = byte address / 2,
    /// 16-bit word); words not listed are zero.
    pub fn words(&self) -> impl Iterator<Item = (u64, u16)> + '_ {
        self._mem.iter().map(|(a, w)| (*a, *w))
    }
}

impl<const BW: usize, const AW: usize> Logic for Dram<BW, AW> {
    fn update(&mut self) {
        let l = self._latency;
        if self.clock.pos_edge() {
            let last = self._pipe[l - 1];
            if last.valid && last.write {
                let d = self._wdata[l - 2];
                for j in 0..(BW / 16).min(last.words as usize) {
                    let wa = ((last.addr >> 1) + j as u64) & self.mask();
                    self._mem
                        .insert(wa, d.get_bits::<16>(16 * j).to_u64() as u16);
                }
            }
            for i in (1..l).rev() {
                self._pipe[i] = self._pipe[i - 1];
            }
            self._pipe[0] = Cmd {
                valid: self.cmd_valid.val(),
                write: self.cmd_write.val(),
                addr: self.cmd_addr.val().to_u64(),
                tag: self.cmd_tag.val().to_u64(),
                words: self.cmd_words.val().to_u64(),
            };
            for i in (1..l - 1).rev() {
                self._wdata[i] = self._wdata[i - 1];
            }
            self._wdata[0] = self.wdata.val();
        }
        let last = self._pipe[l - 1];
        self.resp_valid.next = last.valid;
        self.resp_tag.next = last.tag.into();
        let mut d = Bits::<BW>::default();
        for j in 0..BW / 16 {
            let wa = ((last.addr >> 1) + j as u64) & self.mask();
            d.set_bits::<16>(16 * j, (*self._mem.get(&wa).unwrap_or(&0) as u64).into());
        }
        self.resp_data.next = d;
    }
    fn connect(&mut self) {
        self.resp_valid.connect();
        self.resp_tag.connect();
        self.resp_data.connect();
    }
    fn hdl(&self) -> Verilog {
        let l = self._latency;
        let nb = BW / 16;
        let mut init = String::new();
        for (a, v) in &self._mem {
            init += &format!("   mem[{a}] = 16'h{v:04x};\n");
        }
        Verilog::Custom(format!(
            "\
reg pv [0:{lm1}];
reg pw [0:{lm1}];
reg [31:0] pa [0:{lm1}];
reg [31:0] pt [0:{lm1}];
reg [15:0] pn [0:{lm1}];
reg [{bwm1}:0] pd [0:{lm2}];
reg [15:0] mem [0:{depth}];
integer i;
integer j;
initial begin
   for (i = 0; i <= {depth}; i = i + 1) mem[i] = 16'h0;
   for (i = 0; i <= {lm1}; i = i + 1) begin pv[i] = 0; pw[i] = 0; pa[i] = 0; pt[i] = 0; pn[i] = 0; end
   for (i = 0; i <= {lm2}; i = i + 1) pd[i] = 0;
{init}end
always @(posedge clock) begin
   if (pv[{lm1}] && pw[{lm1}]) begin
      for (j = 0; j < {nb}; j = j + 1) if (j < pn[{lm1}]) mem[((pa[{lm1}] >> 1) + j) & {mask}] <= pd[{lm2}][16*j +: 16];
   end
   for (i = {lm1}; i > 0; i = i - 1) begin pv[i] <= pv[i-1]; pw[i] <= pw[i-1]; pa[i] <= pa[i-1]; pt[i] <= pt[i-1]; pn[i] <= pn[i-1]; end
   pv[0] <= cmd_valid; pw[0] <= cmd_write; pa[0] <= cmd_addr; pt[0] <= cmd_tag; pn[0] <= cmd_words;
   for (i = {lm2}; i > 0; i = i - 1) pd[i] <= pd[i-1];
   pd[0] <= wdata;
end
always @(*) begin
   resp_valid = pv[{lm1}];
   resp_tag = pt[{lm1}];
   for (j = 0; j < {nb}; j = j + 1) resp_data[16*j +: 16] = mem[((pa[{lm1}] >> 1) + j) & {mask}];
end
",
            lm1 = l - 1,
            lm2 = l - 2,
            bwm1 = BW - 1,
            depth = (1u64 << AW) - 1,
            mask = (1u64 << AW) - 1,
            nb = nb,
            init = init
        ))
    }
}
