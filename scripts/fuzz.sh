#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser with cargo-afl (docs/reliability.md).
#
#   bash scripts/fuzz.sh [TARGET[,TARGET...]|all] [SECONDS]   (default: all, 60 s each)
#   FUZZ_EXECS=N bash scripts/fuzz.sh [TARGET|all]  (N executions each, no time limit)
#   FUZZ_RESUME=1 ...   continue a target's earlier campaign in $FUZZ_OUT (its
#                       queue and execution count) instead of starting over
#   FUZZ_MAX_LEN=N ...  mutants of at most N bytes (AFL++ -G): keeps a target
#                       whose queue grows large inputs (idx_gz) fast
#
# Installs cargo-afl (crates.io) and builds AFL++ on first use, writes each
# target's seeds (fuzz-seeds), runs `cargo afl fuzz` for SECONDS per target
# with a 1 s timeout per input (a hang) and the 1 GiB allocation guard of
# fuzz-afl (a crash), then prints one line per target: executions,
# executions per second, crashes, hangs. A crash's input is copied to
# fuzz/regressions/<target>/ (the corpus test replays it) and the script
# exits 1. Targets: see fuzz/src/lib.rs (TARGETS).
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
secs="${2:-60}"
out="${FUZZ_OUT:-target/fuzz}"

if ! cargo afl --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-afl (crates.io)"
    cargo install --locked cargo-afl
fi
# AFL++ itself is built once per cargo-afl and rustc version
if ! msg=$(cargo afl config --build 2>&1); then
    case "$msg" in
        *"already built"*) ;;
        *) echo "$msg" >&2; echo "fuzz.sh: cargo afl config --build failed" >&2; exit 1 ;;
    esac
fi

cargo build --release -q -p fuzz-targets --bin fuzz-seeds
# instrumented build in its own target directory, so it never invalidates
# the ordinary build's artefacts
afl_target="${FUZZ_TARGET_DIR:-target/afl}"
CARGO_TARGET_DIR="$afl_target" cargo afl build --release -q -p fuzz-targets --features afl --bin fuzz-afl
exe="$afl_target/release/fuzz-afl"
rm -rf "$out/seeds"
target/release/fuzz-seeds "$out/seeds"

if [ "$which" = all ]; then
    targets=$(ls "$out/seeds")
else
    targets=$(echo "$which" | tr ',' ' ')
    for t in $targets; do
        [ -d "$out/seeds/$t" ] || { echo "fuzz.sh: no target \`$t\` (have: $(ls "$out/seeds" | tr '\n' ' '))" >&2; exit 2; }
    done
fi

export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_QUIET=1
failed=0
printf '%-14s %14s %10s %8s %6s\n' target executions exec/s crashes hangs
for t in $targets; do
    in="$out/seeds/$t"
    if [ -d "fuzz/regressions/$t" ]; then cp fuzz/regressions/"$t"/* "$in"/ 2>/dev/null || true; fi
    mkdir -p "$out/run"
    src=(-i "$in")
    if [ -n "${FUZZ_RESUME:-}" ] && [ -f "$out/run/$t/default/fuzzer_stats" ]; then
        # continue the campaign: AFL++ keeps its queue and execution count
        src=(-i -)
    else
        rm -rf "$out/run/$t"
    fi
    if [ -n "${FUZZ_EXECS:-}" ]; then stop=(-E "$FUZZ_EXECS"); else stop=(-V "$secs"); fi
    maxlen=()
    if [ -n "${FUZZ_MAX_LEN:-}" ]; then maxlen=(-G "$FUZZ_MAX_LEN"); fi
    cargo afl fuzz "${stop[@]}" "${maxlen[@]}" -t 1000 -m none "${src[@]}" -o "$out/run/$t" -- "$exe" "$t" \
        >"$out/run/$t.log" 2>&1 || true
    stats="$out/run/$t/default/fuzzer_stats"
    if [ ! -f "$stats" ]; then
        echo "fuzz.sh: $t: afl did not run; see $out/run/$t.log" >&2
        tail -n 20 "$out/run/$t.log" >&2
        failed=1
        continue
    fi
    get() { sed -n "s/^$1 *: *//p" "$stats"; }
    crashes=$(get saved_crashes)
    hangs=$(get saved_hangs)
    printf '%-14s %14s %10s %8s %6s\n' "$t" "$(get execs_done)" "$(get execs_per_sec)" "$crashes" "$hangs"
    if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
        failed=1
        mkdir -p "fuzz/regressions/$t"
        for f in "$out/run/$t"/default/crashes/id:* "$out/run/$t"/default/hangs/id:*; do
            [ -f "$f" ] || continue
            cp "$f" "fuzz/regressions/$t/$(sha1sum "$f" | cut -c1-16)"
        done
    fi
done
[ "$failed" -eq 0 ] || { echo "fuzz.sh: crashes or hangs found; inputs kept in fuzz/regressions/" >&2; exit 1; }
