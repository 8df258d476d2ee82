//! The memory port: fixed-priority arbiter (NBout, then NBin, then SB) and
//! beat sequencer. A grant in cycle g occupies the port until g + beats - 1;
//! beat k's command is issued in cycle g + k with the owner, beat flags and
//! the DMA's tag. Responses are routed back by the owner field.

use super::TAG_BITS;
use rust_hdl::prelude::*;

/// Owner codes (also `port.grant` in the VCD): 1 nbin, 2 sb, 3 nbout.
pub const OWNER_NBIN: u64 = 1;

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
    /// Request details, per DMA.
    pub addr_nbin: Signal<In, Bits<32>>,
    /// SB address.
    pub addr_sb: Signal<In, Bits<32>>,
    /// NBout address.
    pub addr_nbout: Signal<In, Bits<32>>,
    /// Beats.
    pub beats_nbin: Signal<In, Bits<16>>,
    /// SB beats.
    pub beats_sb: Signal<In, Bits<16>>,
    /// NBout beats.
    pub beats_nbout: Signal<In, Bits<16>>,
    /// 16-bit words of each requester's row in its last beat.
    pub words_nbin: Signal<In, Bits<16>>,
    /// SB last-beat words.
    pub words_sb: Signal<In, Bits<16>>,
    /// NBout last-beat words.
    pub words_nbout: Signal<In, Bits<16>>,
    /// Tags.
    pub tag_nbin: Signal<In, Bits<TAG_BITS>>,
    /// SB tag.
    pub tag_sb: Signal<In, Bits<TAG_BITS>>,
    /// NBout tag.
    pub tag_nbout: Signal<In, Bits<TAG_BITS>>,
    /// Grants.
    pub grant_nbin: Signal<Out, bool>,
    /// SB grant.
    pub grant_sb: Signal<Out, bool>,
    /// NBout grant.
    pub grant_nbout: Signal<Out, bool>,
    /// `port.grant`: 0 none, 1 nbin, 2 sb, 3 nbout.
    pub grant: Signal<Out, Bits<2>>,
    /// A transfer is in progress or just granted (port not free next cycle).
    pub busy: Signal<Out, bool>,
    /// Beat command.
    pub cmd_valid: Signal<Out, bool>,
    /// Beat is a write.
    pub cmd_write: Signal<Out, bool>,
    /// Beat byte address.
    pub cmd_addr: Signal<Out, Bits<32>>,
    /// Beat tag: owner@0(2) write@2 last_beat@3 last_row@4 narrow@5 row@6(12).
    pub cmd_tag: Signal<Out, Bits<TAG_BITS>>,
    /// 16-bit words of this beat that belong to the row (a write beat writes only these, from the beat's low end).
    pub cmd_words: Signal<Out, Bits<16>>,
    left: DFF<Bits<16>>,
    baddr: DFF<Bits<32>>,
    btag: DFF<Bits<TAG_BITS>>,
    bwords: DFF<Bits<16>>,
    g_words: Signal<Local, Bits<16>>,
    k_full: Constant<Bits<16>>,
    free: Signal<Local, bool>,
    g_beats: Signal<Local, Bits<16>>,
    g_addr: Signal<Local, Bits<32>>,
    g_tag: Signal<Local, Bits<TAG_BITS>>,
    any: Signal<Local, bool>,
    k_bpc: Constant<Bits<32>>,
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
        self.grant.next = 0.into();
        self.any.next = false;
        self.g_beats.next = self.beats_sb.val();
        self.g_addr.next = self.addr_sb.val();
        self.g_tag.next = self.tag_sb.val() | 2;
        self.g_words.next = self.words_sb.val();
        if self.free.val() {
            if self.req_nbout.val() {
                self.grant_nbout.next = true;
                self.grant.next = 3.into();
                self.any.next = true;
                self.g_beats.next = self.beats_nbout.val();
                self.g_addr.next = self.addr_nbout.val();
                self.g_tag.next = self.tag_nbout.val() | 3;
                self.g_words.next = self.words_nbout.val();
            } else if self.req_nbin.val() {
                self.grant_nbin.next = true;
                self.grant.next = 1.into();
                self.any.next = true;
                self.g_beats.next = self.beats_nbin.val();
                self.g_addr.next = self.addr_nbin.val();
                self.g_tag.next = self.tag_nbin.val() | 1;
                self.g_words.next = self.words_nbin.val();
            } else if self.req_sb.val() {
                self.grant_sb.next = true;
                self.grant.next = 2.into();
                self.any.next = true;
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
            self.cmd_write.next = self.g_tag.val().get_bit(2);
            self.cmd_addr.next = self.g_addr.val();
            self.cmd_tag.next = self.g_tag.val();
            if self.g_beats.val() == 1 {
                self.cmd_tag.next = self.g_tag.val() | 8;
                self.cmd_words.next = self.g_words.val();
            }
            self.bwords.d.next = self.g_words.val();
            self.left.d.next = self.g_beats.val() - 1;
            self.baddr.d.next = self.g_addr.val() + self.k_bpc.val();
            self.btag.d.next = self.g_tag.val();
        } else if !self.free.val() {
            self.cmd_valid.next = true;
            self.cmd_write.next = self.btag.q.val().get_bit(2);
            if self.left.q.val() == 1 {
                self.cmd_tag.next = self.btag.q.val() | 8;
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
