//! The public paths other crates use keep resolving after the move to
//! `hdl::core` / `hdl::flow` / `hdl::tb` (compile-time check), and the
//! re-exports are the same items as the new paths.

#[allow(unused_imports)]
use hdl::axi::regmap::{self, counter_offset, ID_MAGIC};
#[allow(unused_imports)]
use hdl::board::{board, emit_board, Board, BOARDS};
#[allow(unused_imports)]
use hdl::emit::{self, Design, HdlError};
#[allow(unused_imports)]
use hdl::parts::{self, Part};
#[allow(unused_imports)]
use hdl::synth::{self, Resources, SynthOptions, Usage};
#[allow(unused_imports)]
use hdl::top::{DiannaoTop, TinyTop};

#[test]
fn old_paths_are_the_new_items() {
    assert_eq!(hdl::emit::TOP_MODULE, hdl::flow::emit::TOP_MODULE);
    assert_eq!(hdl::axi::regmap::ID_MAGIC, arch::regmap::ID_MAGIC);
    assert_eq!(hdl::parts::PARTS.len(), hdl::flow::parts::PARTS.len());
    assert_eq!(hdl::board::BOARDS.len(), hdl::flow::board::BOARDS.len());
    let _: fn(&str) -> SynthOptions = hdl::flow::synth::SynthOptions::new;
}
