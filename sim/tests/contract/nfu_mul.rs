//! `nfu.mul` (element-wise multiply): the steps of an output are numbered
//! `k = ky*ni + i`; an even k loads the hold register with its NBin row, an
//! odd k accumulates `hold[n] * NBin[n]`; a trailing even step only loads
//! `hold`. `in=bias` shifts the bias left by `frac` as for mac; `out=act`
//! rounds away `frac` bits. Counters: `macs` = Tn per odd step, `nfu2_ops`
//! = Tn per issue, no SB reads but the bias row.

use super::*;

/// Lane `n` of NBin row `r` in `nb` (Tn = 4).
fn x(nb: &[i16], r: usize, n: usize) -> i32 {
    nb[r * 4 + n] as i32
}

#[test]
fn mul_pairs_even_odd_steps_takes_10_cycles() {
    // ni = 4, one output: steps k = 0 (hold = row 0), 1 (acc += hold * row 1),
    // 2 (hold = row 2), 3 (acc += hold * row 3). Dispatch 1, start s = 2,
    // issues 2..5, output written at the end of 5 + D = 9; T = 10.
    for acc_in in [AccIn::Zero, AccIn::Nbout] {
        let (mut m, mut d) = setup();
        let nb = pseudo(4 * 4, 71, 30000);
        preload(&mut m, &mut d, &nb, &[]);
        let init = [7, -7, 1 << 30, i32::MIN + 5];
        d.write_i32s(0x500, &init).unwrap();
        let mut i = end();
        i.nbout = dma(DmaOp::Load, 0, 0x500, 1);
        run(&mut m, &[i], &mut d).unwrap();
        let mut i = end();
        i.nfu = nfu(NfuOp::Mul, acc_in, 4);
        let s = run(&mut m, &[i], &mut d).unwrap();
        assert_eq!(s.cycles, fill(1) + 10, "{acc_in:?}");
        assert_eq!(get(&s, Event::NfuBusy), 4);
        assert_eq!(get(&s, Event::NbinReads), 4);
        assert_eq!(get(&s, Event::SbReads), 0);
        assert_eq!(get(&s, Event::Macs), 2 * 4);
        assert_eq!(get(&s, Event::Nfu2Ops), 4 * 4);
        assert_eq!(get(&s, Event::NboutReads), (acc_in == AccIn::Nbout) as u64);
        let want: Vec<i32> = (0..4)
            .map(|n| {
                let a0 = if acc_in == AccIn::Nbout { init[n] } else { 0 };
                a0.wrapping_add(x(&nb, 0, n) * x(&nb, 1, n))
                    .wrapping_add(x(&nb, 2, n) * x(&nb, 3, n))
            })
            .collect();
        assert_eq!(m.buffers().nbout_row(0), &want[..], "{acc_in:?}");
    }
}

#[test]
fn mul_trailing_even_step_only_loads_hold_takes_12_cycles() {
    // ni = 3, npx = 2, spx = 3: output 0 reads rows 0, 1, 2 (k = 2 only loads
    // hold), output 1 rows 3, 4, 5 (its k = 0 loads hold afresh). N = 6
    // issues in 2..7; the last output is written at the end of 7 + D = 11;
    // T = 12. Two odd steps: macs = 2 * Tn.
    let (mut m, mut d) = setup();
    let nb = pseudo(6 * 4, 73, 30000);
    preload(&mut m, &mut d, &nb, &[]);
    let mut i = end();
    i.nfu = nfu(NfuOp::Mul, AccIn::Zero, 3);
    i.nfu.npx = 2;
    i.nfu.spx = 3;
    i.nfu.nbout = 4;
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, fill(1) + 12);
    assert_eq!(get(&s, Event::NfuBusy), 6);
    assert_eq!(get(&s, Event::Macs), 2 * 4);
    assert_eq!(get(&s, Event::Nfu2Ops), 6 * 4);
    for (o, r) in [(0usize, 0usize), (1, 3)] {
        let want: Vec<i32> = (0..4).map(|n| x(&nb, r, n) * x(&nb, r + 1, n)).collect();
        assert_eq!(m.buffers().nbout_row(4 + o), &want[..], "output {o}");
    }
}

#[test]
fn mul_pairs_across_kernel_rows_takes_8_cycles() {
    // nky = 2, ni = 1, sky = 3: k = ky*ni + i, so k = 0 is row 0 (even: hold)
    // and k = 1 is row 3 (odd: multiply). Issues 2, 3; written at the end of
    // 3 + D = 7; T = 8.
    let (mut m, mut d) = setup();
    let nb = pseudo(4 * 4, 79, 30000);
    preload(&mut m, &mut d, &nb, &[]);
    let mut i = end();
    i.nfu = nfu(NfuOp::Mul, AccIn::Zero, 1);
    i.nfu.nky = 2;
    i.nfu.sky = 3;
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, fill(1) + 8);
    let want: Vec<i32> = (0..4).map(|n| x(&nb, 0, n) * x(&nb, 3, n)).collect();
    assert_eq!(m.buffers().nbout_row(0), &want[..]);
}

#[test]
fn mul_bias_is_shifted_by_frac_takes_9_cycles() {
    // in=bias, ni = 2, sb = 0: the bias row sb + nky*ni = 2 is read in cycle
    // 2, issues in 3, 4; written at the end of 4 + D = 8; T = 9.
    // acc = (bias << 8) + row0 * row1. nfu_busy counts the bias cycle;
    // sb_reads counts only the bias row.
    let (mut m, mut d) = setup();
    let nb = pseudo(2 * 4, 83, 3000);
    let mut sb = vec![0i16; 3 * 16];
    sb[32..36].copy_from_slice(&[3, -3, 127, -128]);
    preload(&mut m, &mut d, &nb, &sb);
    let mut i = end();
    i.nfu = nfu(NfuOp::Mul, AccIn::Bias, 2);
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, fill(1) + 9);
    assert_eq!(get(&s, Event::NfuBusy), 3);
    assert_eq!(get(&s, Event::SbReads), 1);
    let want: Vec<i32> = (0..4)
        .map(|n| ((sb[32 + n] as i32) << 8) + x(&nb, 0, n) * x(&nb, 1, n))
        .collect();
    assert_eq!(m.buffers().nbout_row(0), &want[..]);
}

#[test]
fn mul_act_rounds_away_frac_then_activates_takes_10_cycles() {
    // npx = 2, spx = 2, ni = 2: output 0 = row0 * row1, output 1 = row2 * row3.
    // N = 4 issues in 2..5; T = 2 + 4 + D = 10. out=act: convert (round away
    // frac = 8 bits, saturate), then the activation; stoch steps each lane's
    // LFSR once per output.
    for act in Activation::ALL {
        for round in Rounding::ALL {
            let (mut m, mut d) = setup();
            let nb = pseudo(4 * 4, 89, 3000);
            preload(&mut m, &mut d, &nb, &[]);
            let mut lf: Vec<Lfsr> = m.lfsr_states().into_iter().map(Lfsr).collect();
            let mut i = end();
            i.nfu = nfu(NfuOp::Mul, AccIn::Zero, 2);
            i.nfu.npx = 2;
            i.nfu.spx = 2;
            i.nfu.activate = true;
            i.nfu.act = act;
            i.nfu.round = round;
            let s = run(&mut m, &[i], &mut d).unwrap();
            assert_eq!(s.cycles, fill(1) + 10);
            assert_eq!(get(&s, Event::Nfu3Ops), 2 * 4);
            let table = Table::new(act, 8);
            let mut sats = 0;
            for o in 0..2 {
                for n in 0..4 {
                    let acc = x(&nb, 2 * o, n) * x(&nb, 2 * o + 1, n);
                    let rnd = if round == Rounding::Stochastic {
                        lf[n].step()
                    } else {
                        0
                    };
                    let (w, s1) = convert(acc, 8, round, rnd);
                    let (y, s2) = table.apply(w, 8);
                    sats += (s1 || s2) as u64;
                    assert_eq!(
                        m.buffers().nbout_row(o)[n],
                        y as i32,
                        "{act:?} {round:?} output {o} lane {n}"
                    );
                }
            }
            assert_eq!(get(&s, Event::Saturations), sats, "{act:?} {round:?}");
            assert_eq!(m.lfsr_states(), lf.iter().map(|l| l.0).collect::<Vec<_>>());
        }
    }
}
