#!/usr/bin/env python3
"""The project's CPU baseline beside onnxruntime, layer by layer.

For every layer of a model, `diannao bench --json` times the host f32
baseline (`baseline/src/lib.rs`: im2col + SGEMM, pooling loops) on one
thread and on all cores. This script builds the same layer as a one-node
ONNX model (Conv + Relu, MaxPool, AveragePool, Gemm + Relu; random
weights), times it in onnxruntime with `intra_op_num_threads` = 1 and =
the core count, and prints a Markdown table of both with their ratio
(baseline time / onnxruntime time: above 1 the baseline is slower).

    python3 scripts/ort_compare.py --model alexnet --batch 1 --repeat 7

Needs `numpy`, `onnx` and `onnxruntime` (pip) and a release build of
`diannao` (`cargo build --release -p diannao`, or `--diannao PATH`).
Layers that are not Conv, pooling or classifiers (adds, global pools) are
left out and named on stderr.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def parse_spec(spec):
    kind, _, rest = spec.partition(":")
    fields = dict(kv.split("=", 1) for kv in rest.split(",") if kv)
    return kind, fields


def layer_model(kind, f, inp, out, batch, rng):
    """A one-node ONNX model of the layer, its input name and input array."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    act = f.get("act", "identity")
    nodes, inits = [], []
    if kind == "conv":
        ni, no = int(f["ni"]), int(f["no"])
        groups = int(f.get("groups", 1))
        kx, ky = int(f["kx"]), int(f["ky"])
        w = rng.standard_normal((no, ni // groups, ky, kx), dtype=np.float32) * 0.05
        b = rng.standard_normal(no, dtype=np.float32) * 0.05
        inits += [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
        pad = int(f.get("pad", 0))
        nodes.append(
            helper.make_node(
                "Conv", ["x", "w", "b"], ["z"], kernel_shape=[ky, kx],
                strides=[int(f["sy"]), int(f["sx"])], pads=[pad] * 4, group=groups,
            )
        )
        x_shape = [batch] + list(inp)
    elif kind == "pool":
        op = "MaxPool" if f.get("kind", "max") == "max" else "AveragePool"
        pad = int(f.get("pad", 0))
        nodes.append(
            helper.make_node(
                op, ["x"], ["z"], kernel_shape=[int(f["ky"]), int(f["kx"])],
                strides=[int(f["sy"]), int(f["sx"])], pads=[pad] * 4,
            )
        )
        act = "identity"
        x_shape = [batch] + list(inp)
    elif kind == "class":
        ni, no = int(f["ni"]), int(f["no"])
        w = rng.standard_normal((no, ni), dtype=np.float32) * 0.01
        b = rng.standard_normal(no, dtype=np.float32) * 0.01
        inits += [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
        nodes.append(helper.make_node("Gemm", ["x", "w", "b"], ["z"], transB=1))
        x_shape = [batch, ni]
    else:
        return None
    if act == "relu":
        nodes.append(helper.make_node("Relu", ["z"], ["y"]))
    elif act in ("sigmoid", "tanh"):
        nodes.append(helper.make_node(act.capitalize(), ["z"], ["y"]))
    else:
        nodes.append(helper.make_node("Identity", ["z"], ["y"]))
    graph = helper.make_graph(
        nodes, "layer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    x = rng.standard_normal(x_shape, dtype=np.float32)
    return model.SerializeToString(), x


def time_ort(model_bytes, x, threads, repeat, want):
    """Median seconds of `repeat` runs; the output must hold `want` values."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {"x": x})  # warm-up
    if y.size != want:
        raise SystemExit(f"ort_compare.py: onnxruntime gave {y.size} values, the layer has {want}")
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        sess.run(None, {"x": x})
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="alexnet")
    ap.add_argument("--preset", default="diannao")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--diannao", default=os.path.join(
        os.path.dirname(__file__), "..", "target", "release", "diannao"))
    ap.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    a = ap.parse_args()
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        sys.exit(f"ort_compare.py: {e.name} is missing: pip install numpy onnx onnxruntime")
    if not os.path.exists(a.diannao):
        sys.exit(f"ort_compare.py: {a.diannao} not found: cargo build --release -p diannao")
    threads = os.cpu_count() or 1
    bench = subprocess.run(
        [a.diannao, "bench", "--preset", a.preset, "--model", a.model,
         "--batch", str(a.batch), "--repeat", str(a.repeat), "--json"],
        check=True, capture_output=True, text=True,
    )
    b = json.loads(bench.stdout)
    sim = subprocess.run(
        [a.diannao, "simulate", "--preset", a.preset, "--model", a.model,
         "--batch", "1", "--json", "--quiet"],
        check=True, capture_output=True, text=True,
    )
    specs = {l["name"]: l for l in json.loads(sim.stdout)["layers"]}
    rng = np.random.default_rng(1)
    rows = []
    for l in b["layers"]:
        s = specs[l["name"]]
        kind, f = parse_spec(s["spec"])
        built = layer_model(kind, f, s["input"], s["output"], a.batch, rng)
        if built is None:
            print(f"ort_compare.py: {l['name']} ({kind}) left out", file=sys.stderr)
            continue
        mb, x = built
        want = a.batch * s["output"][0] * s["output"][1] * s["output"][2]
        o1 = time_ort(mb, x, 1, a.repeat, want)
        on = time_ort(mb, x, threads, a.repeat, want)
        h1, hn = l["host_1t"]["median_s"], l["host_all"]["median_s"]
        rows.append(dict(layer=l["name"], kind=kind, macs=l["macs"], ours_1t_s=h1,
                         ort_1t_s=o1, ours_all_s=hn, ort_all_s=on))
    tot = {k: sum(r[k] for r in rows) for k in ("ours_1t_s", "ort_1t_s", "ours_all_s", "ort_all_s")}
    if a.json:
        print(json.dumps(dict(model=a.model, batch=a.batch, threads=threads,
                              onnxruntime=ort.__version__, layers=rows, total=tot), indent=1))
        return
    print(f"{a.model}, batch {a.batch}, median of {a.repeat}; onnxruntime {ort.__version__}; "
          f"all = {threads} threads; ratio = ours / onnxruntime (above 1.5: marked)")
    print()
    print("| layer | kind | MACs | ours 1t ms | ort 1t ms | ratio 1t | ours all ms | ort all ms | ratio all |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")

    def cell(r):
        return f"**{r:.2f}**" if r > 1.5 else f"{r:.2f}"

    for r in rows + [dict(layer="total", kind="", macs=sum(r["macs"] for r in rows), **tot)]:
        r1 = r["ours_1t_s"] / r["ort_1t_s"]
        rn = r["ours_all_s"] / r["ort_all_s"]
        print(f"| {r['layer']} | {r['kind']} | {r['macs']:,} | {r['ours_1t_s']*1e3:.2f} | "
              f"{r['ort_1t_s']*1e3:.2f} | {cell(r1)} | {r['ours_all_s']*1e3:.2f} | "
              f"{r['ort_all_s']*1e3:.2f} | {cell(rn)} |")


if __name__ == "__main__":
    main()
