#!/usr/bin/env bash
# The long training runs recorded in docs/training.md: the default network on
# the full 8,000 / 2,000 digits through the cycle-accurate simulator and in f32
# on the CPU, same seed and schedule. Outputs in out/train-long/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p diannao --bin diannao
DIANNAO="${CARGO_TARGET_DIR:-target}/release/diannao"
OUT=out/train-long
mkdir -p "$OUT"
for backend in sim cpu; do
  echo "== diannao train --backend $backend --out $OUT/$backend"
  "$DIANNAO" train --backend "$backend" --out "$OUT/$backend" --quiet --json > "$OUT/$backend.json"
  cat "$OUT/$backend/metrics.csv"
done
