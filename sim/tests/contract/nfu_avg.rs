//! `nfu.avg`: average pooling (sum, then `acc * scale` rounded by 15 bits).

use super::*;

#[test]
fn avg_pool_2x2_window_2_outputs_takes_14_cycles() {
    pooling_takes_14_cycles(NfuOp::Avg);
}

#[test]
fn avg_bias_is_not_shifted_takes_8_cycles() {
    // in=bias: bias row sb + nky*ni = 1 read in cycle 2, one issue in 3,
    // written at end of 3 + D = 7; T = 8. The bias enters unshifted.
    let (mut m, mut d) = setup();
    let nb = vec![10i16, -20, 30, -40];
    let mut sb = vec![0i16; 32];
    sb[16..20].copy_from_slice(&[1, 2, -3, 4]);
    preload(&mut m, &mut d, &nb, &sb);
    let mut i = end();
    i.nfu = nfu(NfuOp::Avg, AccIn::Bias, 1);
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, fill(1) + 2 + 1 + 1 + D);
    assert_eq!(m.buffers().nbout_row(0), &[11, -18, 27, -36]);
}
