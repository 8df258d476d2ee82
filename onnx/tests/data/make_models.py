#!/usr/bin/env python3
"""Write the ONNX test models of the onnx-import crate (run from anywhere):

    python3 onnx/tests/data/make_models.py

Needs the `onnx` and `numpy` packages, and `onnxruntime` for the reference
outputs (pip install onnx numpy onnxruntime). Weights are drawn with a fixed
seed, normal with std 1/sqrt(fan_in), so every run writes the same files and
activations stay well inside [-4, 4] (a Q8.8 backend does not saturate);
the script checks that bound on every intermediate tensor with onnxruntime.

Good models: mlp.onnx, cnn.onnx, resblock.onnx, each with NAME.input.npy
(a fixed input of batch 2, float32) and NAME.expected.npy (onnxruntime's
output on it, CPUExecutionProvider). Bad models, one error each:
truncated.onnx, unsupported_op.onnx, dynamic_spatial.onnx,
missing_initializer.onnx, mismatched_shapes.onnx, huge.onnx.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240611)
IR = {11: 6, 12: 7, 13: 7, 17: 8}


def weight(*shape, fan_in=None):
    fan_in = fan_in or int(np.prod(shape[1:]))
    return (RNG.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


def bias(n):
    return (0.1 * RNG.standard_normal(n)).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inits, inp, out, opset, name):
    graph = helper.make_graph(nodes, name, [inp], [out], initializer=inits)
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="make_models.py",
    )
    m.ir_version = IR[opset]
    return m


def fvalue(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def mlp():
    nodes = [
        helper.make_node("Flatten", ["x"], ["x_flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["x_flat", "fc1_w", "fc1_b"], ["h1"], name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["h1_relu"], name="relu1"),
        # transB = 0: the weight is [ni, no]
        helper.make_node("Gemm", ["h1_relu", "fc2_w", "fc2_b"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
    ]
    inits = [
        init("fc1_w", weight(32, 64)),
        init("fc1_b", bias(32)),
        init("fc2_w", weight(32, 10, fan_in=32)),
        init("fc2_b", bias(10)),
    ]
    return model(nodes, inits, fvalue("x", ["N", 1, 8, 8]), fvalue("probs", ["N", 10]), 13, "mlp")


def cnn():
    nodes = [
        helper.make_node("Conv", ["x", "conv1_w", "conv1_b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn1_scale", "bn1_bias", "bn1_mean", "bn1_var"],
                         ["c1_bn"], name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["c1_bn"], ["c1_relu"], name="relu1"),
        helper.make_node("MaxPool", ["c1_relu"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2_w", "conv2_b"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c2"], ["c2_sig"], name="sig2"),
        helper.make_node("AveragePool", ["c2_sig"], ["p2"], name="pool2", kernel_shape=[2, 2],
                         strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1),
        helper.make_node("Reshape", ["p2", "flat_shape"], ["p2_flat"], name="reshape"),
        helper.make_node("MatMul", ["p2_flat", "fc_w"], ["fc_mm"], name="fc"),
        helper.make_node("Add", ["fc_mm", "fc_b"], ["fc_out"], name="fc_bias"),
        helper.make_node("Tanh", ["fc_out"], ["fc_tanh"], name="tanh"),
        helper.make_node("Dropout", ["fc_tanh"], ["drop"], name="dropout", ratio=0.5),
        helper.make_node("Identity", ["drop"], ["y"], name="identity"),
    ]
    inits = [
        init("conv1_w", weight(8, 3, 3, 3)),
        init("conv1_b", bias(8)),
        init("bn1_scale", RNG.uniform(0.5, 1.5, 8).astype(np.float32)),
        init("bn1_bias", bias(8)),
        init("bn1_mean", bias(8)),
        init("bn1_var", RNG.uniform(0.5, 1.5, 8).astype(np.float32)),
        init("conv2_w", weight(16, 8, 3, 3)),
        init("conv2_b", bias(16)),
        init("flat_shape", np.array([-1, 16 * 3 * 3], dtype=np.int64)),
        # MatMul's right operand is [ni, no]
        init("fc_w", weight(144, 10, fan_in=144)),
        init("fc_b", bias(10)),
    ]
    return model(nodes, inits, fvalue("x", ["N", 3, 16, 16]), fvalue("y", ["N", 10]), 11, "cnn")


def resblock():
    conv = lambda name, x, out, **kw: helper.make_node(  # noqa: E731
        "Conv", [x, name + "_w", name + "_b"], [out], name=name, **kw)
    nodes = [
        conv("stem", "x", "s", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["s"], ["s_relu"], name="stem_relu"),
        conv("a1", "s_relu", "a", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["a_relu"], name="a1_relu"),
        conv("b1", "s_relu", "b", kernel_shape=[1, 1]),
        helper.make_node("Add", ["a_relu", "b"], ["sum"], name="res_add"),
        helper.make_node("Relu", ["sum"], ["sum_relu"], name="res_relu"),
        conv("dw", "sum_relu", "d", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Relu", ["d"], ["d_relu"], name="dw_relu"),
        conv("c1", "d_relu", "e1", kernel_shape=[1, 1]),
        conv("c2", "d_relu", "e2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["e1", "e2"], ["cat"], name="cat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["g_flat"], name="flatten"),
        helper.make_node("Gemm", ["g_flat", "fc_w", "fc_b"], ["y"], name="fc", transB=1),
    ]
    inits = []
    for name, no, ni, k in [("stem", 8, 4, 3), ("a1", 8, 8, 3), ("b1", 8, 8, 1),
                            ("dw", 8, 1, 3), ("c1", 4, 8, 1), ("c2", 6, 8, 3)]:
        inits += [init(name + "_w", weight(no, ni, k, k)), init(name + "_b", bias(no))]
    inits += [init("fc_w", weight(5, 10)), init("fc_b", bias(5))]
    return model(nodes, inits, fvalue("x", [1, 4, 8, 8]), fvalue("y", [1, 5]), 17, "resblock")


def unsupported_op():
    nodes = [
        helper.make_node("Conv", ["x", "conv1_w"], ["c1"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("LRN", ["c1"], ["n1"], name="lrn1", size=3),
        helper.make_node("Relu", ["n1"], ["y"], name="relu1"),
    ]
    inits = [init("conv1_w", weight(4, 1, 3, 3))]
    return model(nodes, inits, fvalue("x", ["N", 1, 8, 8]), fvalue("y", ["N", 4, 6, 6]), 13,
                 "unsupported_op")


def dynamic_spatial():
    nodes = [helper.make_node("Conv", ["x", "conv1_w"], ["y"], name="conv1", kernel_shape=[3, 3])]
    inits = [init("conv1_w", weight(4, 3, 3, 3))]
    return model(nodes, inits, fvalue("x", ["N", 3, "H", 16]), fvalue("y", ["N", 4, "H2", 14]),
                 13, "dynamic_spatial")


def missing_initializer():
    # the Conv weight is a second graph input with no initializer
    nodes = [
        helper.make_node("Conv", ["x", "conv1_w"], ["c1"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c1"], ["y"], name="relu1"),
    ]
    graph = helper.make_graph(nodes, "missing_initializer",
                              [fvalue("x", ["N", 1, 8, 8]), fvalue("conv1_w", [4, 1, 3, 3])],
                              [fvalue("y", ["N", 4, 6, 6])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="make_models.py")
    m.ir_version = IR[13]
    return m


def mismatched_shapes():
    # 64 inputs after the Flatten, but the Gemm weight is [60, 10]
    nodes = [
        helper.make_node("Flatten", ["x"], ["x_flat"], name="flatten"),
        helper.make_node("Gemm", ["x_flat", "fc_w", "fc_b"], ["y"], name="fc"),
    ]
    inits = [init("fc_w", weight(60, 10, fan_in=60)), init("fc_b", bias(10))]
    return model(nodes, inits, fvalue("x", ["N", 1, 8, 8]), fvalue("y", ["N", 10]), 13,
                 "mismatched_shapes")


def huge():
    # a small weight on an input far beyond 32-bit DRAM addresses
    nodes = [helper.make_node("Conv", ["x", "conv1_w"], ["y"], name="conv1", kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1])]
    inits = [init("conv1_w", weight(4, 16, 3, 3))]
    return model(nodes, inits, fvalue("x", [1, 16, 65536, 65536]),
                 fvalue("y", [1, 4, 65536, 65536]), 13, "huge")


def check_range(m, x, bound=4.0):
    """Run every intermediate tensor through onnxruntime and check |v| < bound."""
    import onnxruntime as ort

    inferred = onnx.shape_inference.infer_shapes(m)
    dbg = onnx.ModelProto()
    dbg.CopyFrom(inferred)
    known = {v.name for v in dbg.graph.output}
    for vi in inferred.graph.value_info:
        if vi.name not in known:
            dbg.graph.output.append(vi)
    sess = ort.InferenceSession(dbg.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(None, {sess.get_inputs()[0].name: x})
    worst = max(((float(np.abs(v).max()), n) for n, v in zip(names, outs)), default=(0, ""))
    if worst[0] >= bound:
        sys.exit(f"make_models.py: {m.graph.name}: `{worst[1]}` reaches {worst[0]:.2f} (bound {bound})")
    return worst


def save(m, name, check=True):
    if check:
        onnx.checker.check_model(m)
    path = os.path.join(HERE, name)
    onnx.save(m, path)
    return path


def main():
    import onnxruntime as ort

    for make, batch in [(mlp, 2), (cnn, 2), (resblock, 1)]:
        m = make()
        name = m.graph.name
        save(m, name + ".onnx")
        dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim][1:]
        x = RNG.uniform(-1, 1, [batch] + dims).astype(np.float32)
        sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        (y,) = sess.run(None, {"x": x})
        np.save(os.path.join(HERE, name + ".input.npy"), x)
        np.save(os.path.join(HERE, name + ".expected.npy"), y.astype(np.float32))
        worst = check_range(m, x)
        print(f"{name}.onnx: output {list(y.shape)}, largest intermediate |{worst[1]}| = {worst[0]:.2f}")

    full = mlp().SerializeToString()
    with open(os.path.join(HERE, "truncated.onnx"), "wb") as f:
        f.write(full[: len(full) // 2])
    save(unsupported_op(), "unsupported_op.onnx")
    save(dynamic_spatial(), "dynamic_spatial.onnx")
    save(missing_initializer(), "missing_initializer.onnx")
    save(mismatched_shapes(), "mismatched_shapes.onnx")
    save(huge(), "huge.onnx")
    for f in sorted(os.listdir(HERE)):
        if f.endswith(".onnx") or f.endswith(".npy"):
            print(f"{f}: {os.path.getsize(os.path.join(HERE, f))} bytes")


if __name__ == "__main__":
    main()
