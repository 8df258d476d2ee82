#!/usr/bin/env bash
# Run the whole test suite: install the HDL tools it needs when they are
# missing (Verilator, Icarus Verilog, Yosys, from Debian's packages; and
# Debian's dataset-fashion-mnist), print
# their versions, then run `cargo test --workspace` and exit with its status.
# (Tests are built with opt-level 3: see [profile.test] in Cargo.toml.)
set -euo pipefail
cd "$(dirname "$0")/.."

# tool command -> Debian package
declare -A PACKAGE=([verilator]=verilator [iverilog]=iverilog [yosys]=yosys)
TOOLS=(verilator iverilog yosys)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "test.sh: need root or sudo to run: $*" >&2
        return 1
    fi
}

missing=()
for t in "${TOOLS[@]}"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done

if [ "${#missing[@]}" -gt 0 ]; then
    pkgs=()
    for t in "${missing[@]}"; do pkgs+=("${PACKAGE[$t]}"); done
    echo "test.sh: installing missing tools: ${missing[*]} (Debian packages: ${pkgs[*]})"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: cannot install ${missing[*]}: apt-get not found; install them by hand (packages: ${pkgs[*]})" >&2
        exit 1
    fi
    as_root apt-get update || { echo "test.sh: apt-get update failed; cannot install ${missing[*]}" >&2; exit 1; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" \
        || { echo "test.sh: apt-get install ${pkgs[*]} failed; cannot install ${missing[*]}" >&2; exit 1; }
    for t in "${missing[@]}"; do
        command -v "$t" >/dev/null 2>&1 || { echo "test.sh: $t is still missing after installing ${PACKAGE[$t]}" >&2; exit 1; }
    done
fi

version() {
    case "$1" in
        verilator) verilator --version ;;
        iverilog) iverilog -V 2>&1 | head -n 1 ;;
        yosys) yosys -V ;;
    esac
}
for t in "${TOOLS[@]}"; do
    v="$(version "$t" 2>&1 | head -n 1 || true)"
    if [ -z "$v" ]; then
        echo "test.sh: $t is installed but does not report a version" >&2
        exit 1
    fi
    echo "test.sh: $t: $v"
done

# Data: Fashion-MNIST (Zalando Research, MIT licence) from Debian's
# dataset-fashion-mnist package, for the `train --dataset fashion-mnist` test
fashion="${DIANNAO_FASHION_DATA:-/usr/share/datasets/fashion-mnist}"
if [ ! -d "$fashion" ]; then
    echo "test.sh: installing Fashion-MNIST (Debian package dataset-fashion-mnist, MIT licence)"
    command -v apt-get >/dev/null 2>&1 || { echo "test.sh: cannot install dataset-fashion-mnist: apt-get not found; set DIANNAO_FASHION_DATA to a folder of its IDX files" >&2; exit 1; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist \
        || { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist; } \
        || { echo "test.sh: apt-get install dataset-fashion-mnist failed" >&2; exit 1; }
    [ -d "$fashion" ] || { echo "test.sh: $fashion is still missing after installing dataset-fashion-mnist" >&2; exit 1; }
fi
echo "test.sh: Fashion-MNIST: $fashion"

# Python packages: onnxruntime (the independent ONNX runtime the `diannao run`
# tests compare against, scripts/ort_run.py), numpy, and onnx (the one-layer
# models of scripts/ort_compare.py)
command -v python3 >/dev/null 2>&1 || { echo "test.sh: python3 not found (install Debian's python3 and python3-pip)" >&2; exit 1; }
PYPKGS=(numpy onnxruntime onnx)
pymissing=()
for m in "${PYPKGS[@]}"; do
    python3 -c "import $m" >/dev/null 2>&1 || pymissing+=("$m")
done
if [ "${#pymissing[@]}" -gt 0 ]; then
    echo "test.sh: installing missing Python packages: ${pymissing[*]} (PyPI)"
    python3 -m pip install --quiet "${pymissing[@]}" \
        || python3 -m pip install --quiet --user "${pymissing[@]}" \
        || python3 -m pip install --quiet --user --break-system-packages "${pymissing[@]}" \
        || { echo "test.sh: pip install ${pymissing[*]} failed; install them by hand" >&2; exit 1; }
    for m in "${pymissing[@]}"; do
        python3 -c "import $m" >/dev/null 2>&1 || { echo "test.sh: Python package $m is still missing after pip install" >&2; exit 1; }
    done
fi
echo "test.sh: python: $(python3 -c 'import numpy, onnxruntime; print("numpy", numpy.__version__, "onnxruntime", onnxruntime.__version__)')"

command -v cargo >/dev/null 2>&1 || { echo "test.sh: cargo not found (install Rust from https://rustup.rs)" >&2; exit 1; }
echo "test.sh: $(cargo --version)"

# On CI (a clean checkout, CI=true): no incremental state and no debug line
# tables in test builds: both only slow a one-off cold build down
if [ -n "${CI:-}" ]; then
    export CARGO_INCREMENTAL=0 CARGO_PROFILE_TEST_DEBUG=0
    echo "test.sh: CI: CARGO_INCREMENTAL=0 CARGO_PROFILE_TEST_DEBUG=0"
fi

set +e
cargo test --workspace "$@"
status=$?
set -e
if [ "$status" -eq 0 ]; then
    echo "test.sh: all tests passed"
else
    echo "test.sh: cargo test failed (exit $status)" >&2
fi
exit "$status"
