#!/usr/bin/env bash
# The long tier (docs/verification.md): every #[ignore]d test of the
# workspace, run one at a time in release with its wall time. They are every
# built-in model on every preset (simulator against the fixed-point
# reference, bit for bit), the full training runs on the simulator and in f32
# (docs/training.md) in diannao/tests/long.rs, and the runs too long for the
# default suite elsewhere (a LeNet-5 training step under Verilator, the
# zcu104 AXI board model). An optional argument filters the test names, e.g.
# `bash scripts/long.sh verify_alexnet`.
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-}"
cargo test --workspace --release --no-run
names=$(cargo test --workspace --release -- --ignored --list 2>/dev/null \
    | sed -n 's/: test$//p' | grep -e "$filter" | sort -u || true)
[ -n "$names" ] || { echo "long.sh: no long test matches \`$filter\`" >&2; exit 1; }
failed=0
for t in $names; do
    start=$(date +%s%N)
    if cargo test --workspace --release -q -- --ignored --exact "$t" >/tmp/long-$t.log 2>&1; then
        verdict=ok
    else
        verdict=FAILED; failed=$((failed + 1))
    fi
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '%-50s %-6s %6d.%01d s\n' "$t" "$verdict" $((ms / 1000)) $(((ms % 1000) / 100))
    [ "$verdict" = ok ] || tail -n 20 "/tmp/long-$t.log"
done
total=$(echo "$names" | wc -w)
echo "$((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
