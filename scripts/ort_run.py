#!/usr/bin/env python3
"""Run an ONNX model with onnxruntime (CPUExecutionProvider):

    python3 scripts/ort_run.py MODEL.onnx INPUT.npy OUTPUT.npy

INPUT.npy is fed (as float32) to the model's one input; the first output is
saved as float32 to OUTPUT.npy. Exits non-zero with one line on stderr when
numpy or onnxruntime is missing, the arguments are wrong, or the run fails.
"""

import sys


def fail(msg):
    print(f"ort_run.py: {msg}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    if len(argv) != 4:
        fail("usage: python3 scripts/ort_run.py MODEL.onnx INPUT.npy OUTPUT.npy")
    model, inp, out = argv[1:]
    try:
        import numpy as np
    except ImportError:
        fail("numpy is not installed (pip install numpy)")
    try:
        import onnxruntime as ort
    except ImportError:
        fail("onnxruntime is not installed (pip install onnxruntime)")
    try:
        x = np.load(inp).astype(np.float32)
    except Exception as e:  # noqa: BLE001 - one line for any read error
        fail(f"{inp}: cannot read: {e}")
    try:
        sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        inputs = sess.get_inputs()
        if len(inputs) != 1:
            fail(f"{model}: has {len(inputs)} inputs, one expected")
        y = sess.run(None, {inputs[0].name: x})[0]
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        fail(f"{model}: " + " ".join(str(e).split()))
    try:
        np.save(out, np.asarray(y, dtype=np.float32))
    except Exception as e:  # noqa: BLE001
        fail(f"{out}: cannot write: {e}")


if __name__ == "__main__":
    main(sys.argv)
