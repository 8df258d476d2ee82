#!/usr/bin/env bash
# The long tier (docs/verification.md): every built-in model on every preset,
# simulator against the fixed-point reference bit for bit, and the full
# training runs on the simulator and in f32 (docs/training.md). These are the
# #[ignore]d tests of diannao/tests/long.rs, run one at a time with their wall
# times. An optional argument filters the test names, e.g.
# `bash scripts/long.sh verify_alexnet`.
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-}"
cargo test --release -p diannao --test long --no-run
names=$(cargo test --release -p diannao --test long -- --ignored --list 2>/dev/null \
    | sed -n 's/: test$//p' | grep -e "$filter" || true)
[ -n "$names" ] || { echo "long.sh: no long test matches \`$filter\`" >&2; exit 1; }
failed=0
for t in $names; do
    start=$(date +%s%N)
    if cargo test --release -q -p diannao --test long -- --ignored --exact "$t" >/tmp/long-$t.log 2>&1; then
        verdict=ok
    else
        verdict=FAILED; failed=$((failed + 1))
    fi
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '%-34s %-6s %6d.%01d s\n' "$t" "$verdict" $((ms / 1000)) $(((ms % 1000) / 100))
    [ "$verdict" = ok ] || tail -n 20 "/tmp/long-$t.log"
done
total=$(echo "$names" | wc -w)
echo "$((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
