//! The memory port: fixed-priority arbiter (NBout, then NBin, then SB, then
//! the instruction fetch unit) and
//! beat sequencer. A grant in cycle g occupies the port until g + beats - 1;
//! beat k's command is issued in cycle g + k with the owner, beat flags and
//! the DMA's tag (layout [`crate::widths::tag`]). Responses are routed back
//! by the owner field. Also the NBout DMA's row width converters [`Narrow`]
//! (`storen`) and [`Widen`] (`loadw`).

use crate::widths::*;
use rust_hdl::prelude::*;

/// Arbiter and beat sequencer. `BPC` bytes per beat.
#[derive(LogicBlock)]
pub struct Port {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous clear.
    pub clr: Signal<In, bool>,
    /// NBin request.
    pub req_nbin: Signal<In, bool>,
    /// SB request.
    pub req_sb: Signal<In, bool>,
    /// NBout request.
    pub req_nbout: Signal<In, bool>,
    /// Fetch-unit request (lowest priority).
    pub req_fetch: Signal<In, bool>,
    /// Fetch address.
    pub addr_fetch: Signal<In, DramAddr>,
    /// Fetch beats.
    pub beats_fetch: Signal<In, Beats>,
    /// Fetch last-beat words.
    pub words_fetch: Signal<In, Beats>,
    /// Fetch tag.
    pub tag_fetch: Signal<In, Tag>,
    /// Fetch grant.
    pub grant_fetch: Signal<Out, bool>,
    /// Request details, per DMA.
    pub addr_nbin: Signal<In, DramAddr>,
    /// SB address.
    pub addr_sb: Signal<In, DramAddr>,
    /// NBout address.
    pub addr_nbout: Signal<In, DramAddr>,
    /// Beats.
    pub beats_nbin: Signal<In, Beats>,
    /// SB beats.
    pub beats_sb: Signal<In, Beats>,
    /// NBout beats.
    pub beats_nbout: Signal<In, Beats>,
    /// 16-bit words of each requester's row in its last beat.
    pub words_nbin: Signal<In, Beats>,
    /// SB last-beat words.
    pub words_sb: Signal<In, Beats>,
    /// NBout last-beat words.
    pub words_nbout: Signal<In, Beats>,
    /// Tags.
    pub tag_nbin: Signal<In, Tag>,
    /// SB tag.
    pub tag_sb: Signal<In, Tag>,
    /// NBout tag.
    pub tag_nbout: Signal<In, Tag>,
    /// Grants.
    pub grant_nbin: Signal<Out, bool>,
    /// SB grant.
    pub grant_sb: Signal<Out, bool>,
    /// NBout grant.
    pub grant_nbout: Signal<Out, bool>,
    /// `port.grant`: 0 none, 1 nbin, 2 sb, 3 nbout, 4 fetch.
    pub grant: Signal<Out, Bits<OWNERW>>,
    /// A transfer is in progress or just granted (port not free next cycle).
    pub busy: Signal<Out, bool>,
    /// Beat command.
    pub cmd_valid: Signal<Out, bool>,
    /// Beat is a write.
    pub cmd_write: Signal<Out, bool>,
    /// Beat byte address.
    pub cmd_addr: Signal<Out, DramAddr>,
    /// Beat tag (layout [`crate::widths::tag`]).
    pub cmd_tag: Signal<Out, Tag>,
    /// 16-bit words of this beat that belong to the row (a write beat writes only these, from the beat's low end).
    pub cmd_words: Signal<Out, Beats>,
    left: DFF<Beats>,
    baddr: DFF<DramAddr>,
    btag: DFF<Tag>,
    bwords: DFF<Beats>,
    g_words: Signal<Local, Beats>,
    k_full: Constant<Beats>,
    free: Signal<Local, bool>,
    g_beats: Signal<Local, Beats>,
    g_addr: Signal<Local, DramAddr>,
    g_tag: Signal<Local, Tag>,
    any: Signal<Local, bool>,
    k_bpc: Constant<DramAddr>,
    k_owner_nbin: Constant<Bits<OWNERW>>,
    k_owner_sb: Constant<Bits<OWNERW>>,
    k_owner_nbout: Constant<Bits<OWNERW>>,
    k_owner_fetch: Constant<Bits<OWNERW>>,
}

impl Port {
    /// A port moving `bpc` bytes per cycle.
    pub fn new(bpc: u32) -> Self {
        Self {
            clock: Default::default(),
            clr: Default::default(),
            req_nbin: Default::default(),
            req_sb: Default::default(),
            req_nbout: Default::default(),
            req_fetch: Default::default(),
            addr_fetch: Default::default(),
            beats_fetch: Default::default(),
            words_fetch: Default::default(),
            tag_fetch: Default::default(),
            grant_fetch: Default::default(),
            addr_nbin: Default::default(),
            addr_sb: Default::default(),
            addr_nbout: Default::default(),
            beats_nbin: Default::default(),
            beats_sb: Default::default(),
            beats_nbout: Default::default(),
            tag_nbin: Default::default(),
            tag_sb: Default::default(),
            tag_nbout: Default::default(),
            grant_nbin: Default::default(),
            grant_sb: Default::default(),
            grant_nbout: Default::default(),
            grant: Default::default(),
            busy: Default::default(),
            cmd_valid: Default::default(),
            cmd_write: Default::default(),
            cmd_addr: Default::default(),
            cmd_tag: Default::default(),
            cmd_words: Default::default(),
            words_nbin: Default::default(),
            words_sb: Default::default(),
            words_nbout: Default::default(),
            left: Default::default(),
            baddr: Default::default(),
            btag: Default::default(),
            bwords: Default::default(),
            g_words: Default::default(),
            k_full: Constant::new(((bpc / 2) as u64).into()),
            free: Default::default(),
            g_beats: Default::default(),
            g_addr: Default::default(),
            g_tag: Default::default(),
            any: Default::default(),
            k_bpc: Constant::new((bpc as u64).into()),
            k_owner_nbin: Constant::new(OWNER_NBIN.into()),
            k_owner_sb: Constant::new(OWNER_SB.into()),
            k_owner_nbout: Constant::new(OWNER_NBOUT.into()),
            k_owner_fetch: Constant::new(OWNER_FETCH.into()),
        }
    }
}

impl Logic for Port {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, baddr, btag, bwords);
        self.free.next = self.left.q.val() == 0;
        self.grant_nbin.next = false;
        self.grant_sb.next = false;
        self.grant_nbout.next = false;
        self.grant_fetch.next = false;
        self.grant.next = 0.into();
        self.any.next = false;
        self.g_beats.next = self.beats_sb.val();
        self.g_addr.next = self.addr_sb.val();
        self.g_tag.next = self.tag_sb.val();
        self.g_tag.next.set_value_owner(self.k_owner_sb.val());
        self.g_words.next = self.words_sb.val();
        if self.free.val() {
            if self.req_nbout.val() {
                self.grant_nbout.next = true;
                self.grant.next = 3.into();
                self.any.next = true;
                self.g_beats.next = self.beats_nbout.val();
                self.g_addr.next = self.addr_nbout.val();
                self.g_tag.next = self.tag_nbout.val();
                self.g_tag.next.set_value_owner(self.k_owner_nbout.val());
                self.g_words.next = self.words_nbout.val();
            } else if self.req_nbin.val() {
                self.grant_nbin.next = true;
                self.grant.next = 1.into();
                self.any.next = true;
                self.g_beats.next = self.beats_nbin.val();
                self.g_addr.next = self.addr_nbin.val();
                self.g_tag.next = self.tag_nbin.val();
                self.g_tag.next.set_value_owner(self.k_owner_nbin.val());
                self.g_words.next = self.words_nbin.val();
            } else if self.req_sb.val() {
                self.grant_sb.next = true;
                self.grant.next = 2.into();
                self.any.next = true;
            } else if self.req_fetch.val() {
                self.grant_fetch.next = true;
                self.grant.next = self.k_owner_fetch.val();
                self.any.next = true;
                self.g_beats.next = self.beats_fetch.val();
                self.g_addr.next = self.addr_fetch.val();
                self.g_tag.next = self.tag_fetch.val();
                self.g_tag.next.set_value_owner(self.k_owner_fetch.val());
                self.g_words.next = self.words_fetch.val();
            }
        }
        // beat commands: beat 0 in the grant cycle, the rest from the registers
        self.cmd_valid.next = false;
        self.cmd_write.next = false;
        self.cmd_addr.next = self.baddr.q.val();
        self.cmd_tag.next = self.btag.q.val();
        self.cmd_words.next = self.k_full.val();
        if self.any.val() {
            self.cmd_valid.next = true;
            self.cmd_write.next = self.g_tag.val().get_value_write().any();
            self.cmd_addr.next = self.g_addr.val();
            self.cmd_tag.next = self.g_tag.val();
            if self.g_beats.val() == 1 {
                self.cmd_tag.next.set_value_last_beat(true.into());
                self.cmd_words.next = self.g_words.val();
            }
            self.bwords.d.next = self.g_words.val();
            self.left.d.next = self.g_beats.val() - 1;
            self.baddr.d.next = self.g_addr.val() + self.k_bpc.val();
            self.btag.d.next = self.g_tag.val();
        } else if !self.free.val() {
            self.cmd_valid.next = true;
            self.cmd_write.next = self.btag.q.val().get_value_write().any();
            if self.left.q.val() == 1 {
                self.cmd_tag.next.set_value_last_beat(true.into());
                self.cmd_words.next = self.bwords.q.val();
            }
            self.left.d.next = self.left.q.val() - 1;
            self.baddr.d.next = self.baddr.q.val() + self.k_bpc.val();
        }
        self.busy.next = !self.free.val();
        if self.clr.val() {
            self.left.d.next = 0.into();
        }
    }
}

// ---------------------------------------------------------------- width converters
// Row conversions of the NBout DMA (`storen` narrowing, `loadw` widening):
// pure wiring, written as custom Verilog with an equivalent Rust model
// (rust-hdl's kernels cannot pack slices selected by a loop index).

const _: () = assert!(
    DW == 16 && AW == 32,
    "the converters' Rust models use i16 words in i32 entries"
);

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
        for n in 0..W / AW {
            y.set_bits::<DW>(DW * n, x.get_bits::<DW>(AW * n));
        }
        self.dout.next = y;
    }
    fn connect(&mut self) {
        self.dout.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut s = String::from("always @(*) begin\n   dout = 0;\n");
        for n in 0..W / AW {
            s += &format!(
                "   dout[{}:{}] = din[{}:{}];\n",
                DW * n + DW - 1,
                DW * n,
                AW * n + DW - 1,
                AW * n
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
        for n in 0..W / AW {
            let w = x.get_bits::<DW>(DW * n).to_u64() as u16 as i16 as i32;
            let e = (w as u32).wrapping_shl(self._frac as u32) as u64;
            y.set_bits::<AW>(AW * n, e.into());
        }
        self.dout.next = y;
    }
    fn connect(&mut self) {
        self.dout.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut s = String::from("always @(*) begin\n");
        for n in 0..W / AW {
            let lo = DW * n;
            s += &format!(
                "   dout[{}:{}] = {{ {{{}{{din[{}]}}}}, din[{}:{}] }} << {};\n",
                AW * n + AW - 1,
                AW * n,
                AW - DW,
                lo + DW - 1,
                lo + DW - 1,
                lo,
                self._frac
            );
        }
        s += "end\n";
        Verilog::Custom(s)
    }
}
