#!/usr/bin/env python3
"""Per-layer utilisation against the roofline, from `diannao simulate --json`.

    python3 scripts/roofline_table.py --preset diannao --model alexnet --model vgg16

For every layer: cycles, utilisation (useful / (peak * cycles)), the
compute bound (useful / peak), the memory bound (the port's busy cycles for
the layer's DRAM traffic), the roofline bound (the larger) and cycles as a
fraction of it ("of roof"), all from the `roofline` object of the JSON
report (`runtime::run::roofline`, the one definition). The last columns
check issue 15's targets: a compute-bound conv (compute > memory) at >= 90%
utilisation, every layer within 5% of its roofline bound (of roof >=
0.95), and the tiler's DRAM traffic against the least a search of every
tiling finds (`traffic_search`: the plan's bytes over the search's, within
10%: x <= 1.10; and the least bytes of a searched plan predicted no slower
than the tiler's; `-` for element-wise layers). Prints Markdown.
"""
import argparse
import json
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="diannao")
    ap.add_argument("--model", action="append", required=True)
    ap.add_argument("--diannao", default="target/release/diannao")
    a = ap.parse_args()
    for m in a.model:
        out = subprocess.run(
            [a.diannao, "simulate", "--preset", a.preset, "--model", m, "--json", "--quiet"],
            check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        print(f"\n{m} on {a.preset} (Tn = {r['tn']}), batch {r['batch']}:\n")
        print("| layer | type | cycles | util | compute bound | memory bound | bound | of roof | compute-bound conv >= 0.90 | within 5% of roof | DRAM bytes | least a search finds | x | within 10% | least at no more predicted time |")
        print("|---|---|---:|---:|---:|---:|---|---:|---|---|---:|---:|---:|---|---:|")
        n = met90 = need90 = met5 = nt = met10 = 0
        for l in r["layers"]:
            f = l["roofline"]
            c, mem = f["compute_cycles"], f["memory_cycles"]
            kind = "compute" if c >= mem else "memory"
            conv_cb = l["type"] == "conv" and c > mem
            ok90 = "-" if not conv_cb else ("yes" if l["utilisation"] >= 0.90 else "**no**")
            ok5 = "yes" if f["of_bound"] >= 0.95 else "**no**"
            n += 1
            need90 += conv_cb
            met90 += conv_cb and l["utilisation"] >= 0.90
            met5 += f["of_bound"] >= 0.95
            t = l.get("traffic_search")
            if t is None:
                traffic = "- | - | - | - | -"
            else:
                nt += 1
                met10 += t["ratio"] <= 1.10
                ok10 = "yes" if t["ratio"] <= 1.10 else "**no**"
                traffic = f"{t['plan_bytes']:,} | {t['least_bytes']:,} | {t['ratio']:.2f} | {ok10} | {t['least_bytes_as_fast']:,}"
            print(f"| {l['name']} | {l['type']} | {l['cycles']:,} | {l['utilisation']:.3f} | {c:,} | {mem:,} | {kind} | {f['of_bound']:.3f} | {ok90} | {ok5} | {traffic} |")
        t = r["total"]
        print(f"\n{m}: {t['cycles']:,} cycles, utilisation {t['utilisation']:.3f}; "
              f"compute-bound convolutions at >= 0.90: {met90} of {need90}; "
              f"layers within 5% of their roofline bound: {met5} of {n}; "
              f"traffic within 10% of the least a search finds: {met10} of {nt}")


if __name__ == "__main__":
    sys.exit(main())
