//! `nfu.max`: max pooling and the unshifted bias.

use super::*;

#[test]
fn max_bias_is_not_shifted_takes_8_cycles() {
    let (mut m, mut d) = setup();
    let nb = vec![-5i16; 4];
    let mut sb = vec![0i16; 32];
    sb[16..20].copy_from_slice(&[-7, -3, 1, 2]);
    preload(&mut m, &mut d, &nb, &sb);
    let mut i = end();
    i.nfu = nfu(NfuOp::Max, AccIn::Bias, 1);
    i.nfu.sb = 0; // bias row = sb + nky*ni = 1
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, fill(1) + 2 + 1 + 1 + D);
    assert_eq!(m.buffers().nbout_row(0), &[-5, -3, 1, 2]);
}

#[test]
fn max_pool_2x2_window_2_outputs_takes_14_cycles() {
    pooling_takes_14_cycles(NfuOp::Max);
}
