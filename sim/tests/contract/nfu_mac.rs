//! `nfu.mac`: every `in=`, transposition, activation, rounding (stochastic
//! included) and the NFU's drain and store-wait stalls.

use super::*;

#[test]
fn mac_partial_each_acc_in_and_transpose_takes_9_or_10_cycles() {
    // Op alone: dispatch 1, start s = 2, N = 3 issues in 2..4 (bias: bias row
    // read in 2, issues 3..5). Output written at end of last + D; T = that + 1
    // = 2 + bias + N + D.
    for acc_in in AccIn::ALL {
        for tr in [false, true] {
            let (mut m, mut d) = setup();
            let nb = pseudo(4 * 4, 11, 3000);
            let sb = pseudo(4 * 16, 13, 3000);
            preload(&mut m, &mut d, &nb, &sb);
            // NBout row 2 := known partial sums
            d.write_i32s(0x500, &[100, -200, 300, 1 << 30]).unwrap();
            let mut i = end();
            i.nbout = dma(DmaOp::Load, 2, 0x500, 1);
            run(&mut m, &[i], &mut d).unwrap();
            let mut i = end();
            i.nfu = nfu(NfuOp::Mac, acc_in, 3);
            i.nfu.nbin = 1;
            i.nfu.sb = 0;
            i.nfu.nbout = 2;
            i.nfu.transpose = tr;
            let s = run(&mut m, &[i], &mut d).unwrap();
            let bias = (acc_in == AccIn::Bias) as u64;
            assert_eq!(s.cycles, fill(1) + 2 + bias + 3 + D, "{acc_in:?}");
            assert_eq!(get(&s, Event::NfuBusy), 3 + bias);
            assert_eq!(get(&s, Event::Macs), 3 * 16);
            let rows = [(1, 0), (2, 1), (3, 2)];
            let want: Vec<i32> = (0..4)
                .map(|n| {
                    let init = match acc_in {
                        AccIn::Zero => 0,
                        AccIn::Nbout => [100, -200, 300, 1 << 30][n],
                        AccIn::Bias => (sb[3 * 16 + n] as i32) << 8,
                    };
                    mac_ref(&nb, &sb, &rows, init, n, tr)
                })
                .collect();
            assert_eq!(m.buffers().nbout_row(2), &want[..], "{acc_in:?} tr={tr}");
        }
    }
}

#[test]
fn mac_act_each_activation_and_rounding_takes_8_cycles() {
    for act in Activation::ALL {
        for round in Rounding::ALL {
            let (mut m, mut d) = setup();
            let nb = pseudo(2 * 4, 21, 900);
            let sb = pseudo(2 * 16, 23, 900);
            preload(&mut m, &mut d, &nb, &sb);
            let seeds0 = m.lfsr_states();
            let mut i = end();
            i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 2);
            i.nfu.activate = true;
            i.nfu.act = act;
            i.nfu.round = round;
            i.nfu.nbout = 5;
            let s = run(&mut m, &[i], &mut d).unwrap();
            assert_eq!(s.cycles, fill(1) + 2 + 2 + D);
            assert_eq!(get(&s, Event::Nfu3Ops), 4);
            let table = Table::new(act, 8);
            let mut sats = 0;
            for n in 0..4 {
                let acc = mac_ref(&nb, &sb, &[(0, 0), (1, 1)], 0, n, false);
                let rnd = if round == Rounding::Stochastic {
                    let mut l = Lfsr(seeds0[n]);
                    l.step()
                } else {
                    0
                };
                let (x, s1) = convert(acc, 8, round, rnd);
                let (y, s2) = table.apply(x, 8);
                sats += (s1 || s2) as u64;
                assert_eq!(
                    m.buffers().nbout_row(5)[n],
                    y as i32,
                    "{act:?} {round:?} lane {n}"
                );
            }
            assert_eq!(get(&s, Event::Saturations), sats);
        }
    }
}

#[test]
fn mac_stoch_steps_each_lane_once_per_output_takes_9_cycles() {
    // 3 outputs (npx = 3) with round = stoch: every lane's LFSR steps 3 times;
    // a trunc op and a partial stoch op do not step it.
    let (mut m, mut d) = setup();
    let nb = pseudo(4 * 4, 31, 2000);
    let sb = pseudo(16, 37, 2000);
    preload(&mut m, &mut d, &nb, &sb);
    let cfg = tiny();
    let seeds: Vec<u32> = (0..4).map(|n| Lfsr::lane_seed(cfg.lfsr_seed, n)).collect();
    assert_eq!(m.lfsr_states(), seeds);
    let mut i = end();
    i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i.nfu.npx = 3;
    i.nfu.spx = 1;
    i.nfu.activate = true;
    i.nfu.round = Rounding::Stochastic;
    let s = run(&mut m, &[i], &mut d).unwrap();
    // N = 3: issues 2..4, last output written end of 8: T = 9.
    assert_eq!(s.cycles, fill(1) + 9);
    let mut lf: Vec<Lfsr> = seeds.iter().map(|s| Lfsr(*s)).collect();
    for px in 0..3 {
        for n in 0..4 {
            let r = lf[n].step();
            let acc = mac_ref(&nb, &sb, &[(px, 0)], 0, n, false);
            let (x, _) = convert(acc, 8, Rounding::Stochastic, r);
            assert_eq!(m.buffers().nbout_row(px)[n], x as i32);
        }
    }
    assert_eq!(m.lfsr_states(), lf.iter().map(|l| l.0).collect::<Vec<_>>());
    let mut i = end();
    i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i.nfu.round = Rounding::Stochastic; // partial: no conversion, no step
    run(&mut m, &[i], &mut d).unwrap();
    // and the next run started from the seeds again, not from where the
    // first run left the LFSRs
    assert_eq!(m.lfsr_states(), seeds);
}

#[test]
fn every_run_starts_the_lfsrs_from_the_machines_seed() {
    // The same stochastic op twice on one machine gives the same outputs
    // (the second run does not continue the first one's LFSRs); after
    // set_seed, the lanes start from lane_seed(new seed, n).
    let (mut m, mut d) = setup();
    let nb = pseudo(4 * 4, 41, 2000);
    let sb = pseudo(16, 43, 2000);
    preload(&mut m, &mut d, &nb, &sb);
    let mut i = end();
    i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i.nfu.npx = 3;
    i.nfu.spx = 1;
    i.nfu.activate = true;
    i.nfu.round = Rounding::Stochastic;
    let outs = |m: &sim::Machine| {
        (0..3)
            .map(|r| m.buffers().nbout_row(r).to_vec())
            .collect::<Vec<_>>()
    };
    let want = |seed: u32| {
        let mut lf: Vec<Lfsr> = (0..4).map(|n| Lfsr(Lfsr::lane_seed(seed, n))).collect();
        (0..3)
            .map(|px| {
                (0..4)
                    .map(|n| {
                        let r = lf[n].step();
                        let acc = mac_ref(&nb, &sb, &[(px, 0)], 0, n, false);
                        convert(acc, 8, Rounding::Stochastic, r).0 as i32
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let cfg = tiny();
    let s1 = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(outs(&m), want(cfg.lfsr_seed));
    let s2 = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(
        outs(&m),
        want(cfg.lfsr_seed),
        "the second run continued the LFSRs"
    );
    assert_eq!(s1, s2);
    m.set_seed(0xDEAD_BEEF);
    let s3 = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(outs(&m), want(0xDEAD_BEEF));
    assert_ne!(
        want(0xDEAD_BEEF),
        want(cfg.lfsr_seed),
        "the seeds give the same bits"
    );
    assert_eq!(s3.cycles, s1.cycles);
}

#[test]
fn mac_wait_on_store_stalls_takes_19_cycles() {
    // i0: mac N = 1 -> NBout row 0 (issue 2, written end of 6).
    // i1: storen row 0 (wait 0 -> after i0's op): wait-stalled 3..6, starts 7,
    //     granted 7, written end of 7 + 6 + 1 - 1 = 13, store done from 14.
    // i2: end + mac wait = 1 (after i1's store): dispatched 3, visible 4;
    //     the overlap rule holds from 3 (i0 issued its last row pair in 2;
    //     in=zero reads no NBout), so no drain stall: store-stalled 4..13,
    //     starts 14, writes end of 18; T = 19.
    let (mut m, mut d) = setup();
    let mut i0 = ins();
    i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    let mut i1 = ins();
    i1.nbout = dma(DmaOp::StoreNarrow, 0, 0x100, 1);
    let mut i2 = end();
    i2.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i2.nfu.wait = 1;
    let s = run(&mut m, &[i0, i1, i2], &mut d).unwrap();
    assert_eq!(s.cycles, fill(3) + 19);
    assert_eq!(get(&s, Event::NfuStallDrain), 0);
    assert_eq!(get(&s, Event::NfuStallStore), 10);
    assert_eq!(get(&s, Event::DmaStallWait), 4);
}
