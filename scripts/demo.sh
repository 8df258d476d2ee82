#!/usr/bin/env bash
# The main job on built-in defaults: build the `diannao` program, list the
# accelerator presets, assemble and disassemble the example program, simulate
# LeNet-5 cycle by cycle on the DianNao preset, verify it bit for bit against
# the fixed-point reference, compare it with the CPU, and train a CNN on MNIST
# digits through the cycle-accurate simulator.
# Outputs go to out/demo/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null 2>&1 || { echo "demo.sh: cargo not found (install Rust from https://rustup.rs)" >&2; exit 1; }

echo "== building diannao"
cargo build --release -p diannao --bin diannao
DIANNAO="${CARGO_TARGET_DIR:-target}/release/diannao"

OUT=out/demo
mkdir -p "$OUT"

echo
echo "== diannao presets"
"$DIANNAO" presets

echo
echo "== diannao asm examples/hello.s -o $OUT/hello.bin --preset diannao"
"$DIANNAO" asm examples/hello.s -o "$OUT/hello.bin" --preset diannao
echo "wrote $OUT/hello.bin ($(wc -c < "$OUT/hello.bin") bytes)"

echo
echo "== diannao disasm $OUT/hello.bin"
"$DIANNAO" disasm "$OUT/hello.bin" | tee "$OUT/hello.dis.s"

echo
echo "== round trip: reassembling the disassembly gives the same bytes"
"$DIANNAO" asm "$OUT/hello.dis.s" -o "$OUT/hello2.bin" --preset diannao
cmp "$OUT/hello.bin" "$OUT/hello2.bin"
echo "ok: $OUT/hello.bin and $OUT/hello2.bin are identical"

echo
echo "== diannao simulate --preset diannao --model lenet5"
"$DIANNAO" simulate --preset diannao --model lenet5 --quiet

echo
echo "== diannao verify --preset tiny --model lenet5 (simulator vs fixed-point reference, bit for bit)"
"$DIANNAO" verify --preset tiny --model lenet5

echo
echo "== diannao compare --preset diannao --model lenet5 --out $OUT/compare"
rm -rf "$OUT/compare"
"$DIANNAO" compare --preset diannao --model lenet5 --out "$OUT/compare"
echo "wrote $OUT/compare/ (report.md, results.csv, results.json, speedup.svg, energy_ratio.svg)"

echo
echo "== diannao train --out $OUT/train (LeNet-5-class CNN on 8,000 real MNIST digits, every multiply-add on the cycle-accurate simulator; about a minute per epoch)"
"$DIANNAO" train --out "$OUT/train"
echo "wrote $OUT/train/ (metrics.csv, metrics.json, checkpoint.json)"
