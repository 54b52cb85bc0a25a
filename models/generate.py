#!/usr/bin/env python3
"""Build the small ONNX models kascade's examples and tests use, deterministically.

    pip install -r models/requirements.txt && python3 models/generate.py

Every model is written next to this script as <name>.onnx together with <name>.weights.json,
which holds the exact float32 values in the model (each JSON number is the float32 value
itself, written as the shortest decimal that parses back to that same double), so a test can
recompute the model's output independently of onnxruntime.

Two families of models:

- synthetic (ctr-*, heavy-mlp, ranker, ad-scorer): weights drawn from numpy's PCG64 generator with
  a fixed seed per model, no training involved. Running this script twice gives byte-identical
  files (no timestamps, no dictionaries in the protobufs, weights stored as little-endian raw
  data, and no BLAS/LAPACK call on the path from the random draws to the bytes written).
- the demo world (ad-candidates, ranker-<region>, ranker-bilinear): a hidden click model over 16
  ads, written to demo-world.json (and its public half to topologies/data/ad-catalog.json); a
  simulated log of 200,000 impressions drawn from it; models trained on that log with full-batch
  Adam for a fixed number of steps, then evaluated as serving policies on fresh simulated users.
  The world files are exact (random draws on a 1/64 grid, no arithmetic that can differ between
  machines). Training uses numpy matmul (BLAS) and exp/log (SIMD): the same machine always gives
  the same bytes; another machine can differ in the last bits of float64 intermediates, far
  below the float32 rounding of the written weights, so the files come out the same in practice,
  but that is not guaranteed (the script prints a SHA-256 of the trained files to compare).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

OUT_DIR = Path(__file__).resolve().parent
CATALOG_PATH = OUT_DIR.parent / "topologies" / "data" / "ad-catalog.json"

# Opset 17 with IR version 8 (the pair onnx 1.12 introduced), well within what onnxruntime 1.30 reads.
OPSET = 17
IR_VERSION = 8
BATCH = "batch"  # symbolic first dimension of every input and output
PRODUCER = "kascade models/generate.py"
MAX_MODEL_BYTES = 1_000_000

# Trip count of heavy-mlp's Loop: tuned so that one run on a batch of 64 rows takes about
# 1.0-2.0 s with onnxruntime-node 1.30 and intraOpNumThreads=1 (see README.md, "heavy-mlp").
HEAVY_ITERATIONS = 18000
HEAVY_HIDDEN = 256

# One seed per model: changing one model never changes another.
SEEDS = {
    "ctr-logreg": 1001,
    "ctr-challenger": 1002,
    "ctr-cohort-a": 2001,
    "ctr-cohort-b": 2002,
    "ctr-cohort-c": 2003,
    "ctr-cohort-d": 2004,
    "heavy-mlp": 3001,
    "ranker": 4001,
    "ad-scorer": 5001,
    # the demo world's trained models: the seed draws the small random initial weights
    "ad-candidates": 6101,
    "ranker-eu": 6201,
    "ranker-us": 6202,
    "ranker-apac": 6203,
    "ranker-latam": 6204,
    "ranker-bilinear": 6301,
}


# ---------------------------------------------------------------------------------------------
# helpers


def normal(rng: np.random.Generator, std: float, shape: tuple[int, ...], mean: float = 0.0) -> np.ndarray:
    """float32 draws from N(mean, std^2); the float64 draws are rounded once to float32."""
    return (rng.standard_normal(shape) * std + mean).astype(np.float32)


def tensor_input(name: str, width: int) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [BATCH, width])


def initializer(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.ascontiguousarray(array), name)


def make_model(name: str, graph: onnx.GraphProto, description: str, trained_on: str | None = None) -> onnx.ModelProto:
    """trained_on=None: a synthetic model (random weights); otherwise what the model was trained on."""
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER,
        producer_version="1",
        doc_string=description,
    )
    model.ir_version = IR_VERSION
    model.model_version = 1
    if trained_on is None:
        props = {"kascade.model_id": name, "kascade.seed": str(SEEDS[name]), "kascade.synthetic": "true"}
    else:
        props = {"kascade.model_id": name, "kascade.seed": str(SEEDS[name]), "kascade.synthetic": "false", "kascade.trained_on": trained_on}
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    return model


def as_json_number(value: np.float32) -> float:
    """The float32 value as a Python float (exact: every float32 is a double); repr() round-trips it."""
    number = float(value)
    assert np.float32(number) == value
    return number


def to_json_value(array: np.ndarray | np.float32 | int) -> object:
    if isinstance(array, int):
        return array
    if isinstance(array, np.float32):
        return as_json_number(array)
    if array.ndim == 0:
        return as_json_number(array[()])
    return [to_json_value(item) for item in array]


def write_weights(name: str, fields: dict[str, np.ndarray | np.float32 | int]) -> Path:
    """One top-level key per line, each value compact: small diffs, readable heads."""
    lines = [f"  {json.dumps(key)}: {json.dumps(to_json_value(value), separators=(',', ':'))}" for key, value in fields.items()]
    path = OUT_DIR / f"{name}.weights.json"
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    return path


def save(name: str, model: onnx.ModelProto) -> Path:
    path = OUT_DIR / f"{name}.onnx"
    path.write_bytes(model.SerializeToString(deterministic=True))
    size = path.stat().st_size
    if size >= MAX_MODEL_BYTES:
        raise SystemExit(f"{path.name} is {size} bytes, over the {MAX_MODEL_BYTES}-byte budget")
    return path


# ---------------------------------------------------------------------------------------------
# model families


def logistic_regression(name: str, width: int, output: str, weight_std: float, bias_mean: float, bias_std: float, description: str) -> list[Path]:
    """output [batch, 1] = sigmoid(features [batch, width] . W [width, 1] + b [1])."""
    rng = np.random.default_rng(SEEDS[name])
    weights = normal(rng, weight_std, (width,))
    bias = normal(rng, bias_std, (), mean=bias_mean)

    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["features", "W"], ["logit_no_bias"], name="matmul"),
            helper.make_node("Add", ["logit_no_bias", "b"], ["logit"], name="add_bias"),
            helper.make_node("Sigmoid", ["logit"], [output], name="sigmoid"),
        ],
        name=name,
        inputs=[tensor_input("features", width)],
        outputs=[helper.make_tensor_value_info(output, TensorProto.FLOAT, [BATCH, 1])],
        initializer=[initializer("W", weights.reshape(width, 1)), initializer("b", bias.reshape(1))],
        doc_string=description,
    )
    model = make_model(name, graph, description)
    return [save(name, model), write_weights(name, {"weights": weights, "bias": bias})]


def softmax_scorer(name: str, width: int, classes: int, description: str) -> list[Path]:
    """scores [batch, classes] = softmax(features [batch, width] . W [width, classes] + b [classes]) over the last axis."""
    rng = np.random.default_rng(SEEDS[name])
    weights = normal(rng, 0.3, (width, classes))
    bias = normal(rng, 0.1, (classes,))

    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["features", "W"], ["logits_no_bias"], name="matmul"),
            helper.make_node("Add", ["logits_no_bias", "b"], ["logits"], name="add_bias"),
            helper.make_node("Softmax", ["logits"], ["scores"], name="softmax", axis=-1),
        ],
        name=name,
        inputs=[tensor_input("features", width)],
        outputs=[helper.make_tensor_value_info("scores", TensorProto.FLOAT, [BATCH, classes])],
        initializer=[initializer("W", weights), initializer("b", bias)],
        doc_string=description,
    )
    model = make_model(name, graph, description)
    return [save(name, model), write_weights(name, {"weights": weights, "bias": bias})]


def heavy_mlp(name: str, width: int, hidden: int, iterations: int, description: str) -> list[Path]:
    """A small file that is slow to run.

    u = features . W1 + b1            [batch, hidden]
    h = tanh(u)
    repeat `iterations` times (an ONNX Loop whose trip count is an initializer):
        h = tanh(h . W2 + u)          W2 [hidden, hidden]; u is re-injected every step
    score = sigmoid(h . w3 + b3)      [batch, 1]

    W2's spectral norm is about 0.5, so the step is a contraction: h converges to an
    input-dependent fixed point and float32 rounding is damped rather than amplified, so the
    output matches a float64 recomputation to ~1e-7. (Without re-injecting u, a contractive loop
    decays to h = 0 and the output no longer depends on the input; an expansive one is chaotic
    and float32 and float64 results drift apart.)
    """
    rng = np.random.default_rng(SEEDS[name])
    w1 = normal(rng, 0.3, (width, hidden))
    b1 = normal(rng, 0.1, (hidden,))
    # A Gaussian n x n matrix with entry std s has spectral norm ~ 2 s sqrt(n): s = 0.25 / sqrt(n) gives ~0.5.
    w2 = normal(rng, 0.25 / np.sqrt(hidden), (hidden, hidden))
    w3 = normal(rng, 0.125, (hidden,))
    b3 = normal(rng, 0.1, ())

    spectral_norm = float(np.linalg.norm(w2.astype(np.float64), 2))  # a check only: never written anywhere
    if not spectral_norm < 0.75:
        raise SystemExit(f"{name}: W2's spectral norm {spectral_norm:.3f} is not comfortably below 1")

    body = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["h_in", "W2"], ["recurrent"], name="body_matmul"),
            helper.make_node("Add", ["recurrent", "u"], ["pre_activation"], name="body_add_input"),
            helper.make_node("Tanh", ["pre_activation"], ["h_out"], name="body_tanh"),
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="body_cond"),
        ],
        name=f"{name}_loop_body",
        inputs=[
            helper.make_tensor_value_info("iteration", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [BATCH, hidden]),
        ],
        outputs=[
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [BATCH, hidden]),
        ],
    )
    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["features", "W1"], ["u_no_bias"], name="project_matmul"),
            helper.make_node("Add", ["u_no_bias", "b1"], ["u"], name="project_add_bias"),
            helper.make_node("Tanh", ["u"], ["h0"], name="project_tanh"),
            helper.make_node("Loop", ["iterations", "", "h0"], ["h_final"], name="recurrence", body=body),
            helper.make_node("MatMul", ["h_final", "W3"], ["score_no_bias"], name="head_matmul"),
            helper.make_node("Add", ["score_no_bias", "b3"], ["logit"], name="head_add_bias"),
            helper.make_node("Sigmoid", ["logit"], ["score"], name="head_sigmoid"),
        ],
        name=name,
        inputs=[tensor_input("features", width)],
        outputs=[helper.make_tensor_value_info("score", TensorProto.FLOAT, [BATCH, 1])],
        initializer=[
            initializer("W1", w1),
            initializer("b1", b1),
            initializer("W2", w2),
            initializer("W3", w3.reshape(hidden, 1)),
            initializer("b3", b3.reshape(1)),
            initializer("iterations", np.array(iterations, dtype=np.int64)),
        ],
        value_info=[
            helper.make_tensor_value_info("u", TensorProto.FLOAT, [BATCH, hidden]),
            helper.make_tensor_value_info("h0", TensorProto.FLOAT, [BATCH, hidden]),
        ],
        doc_string=description,
    )
    model = make_model(name, graph, description)
    return [save(name, model), write_weights(name, {"w1": w1, "b1": b1, "w2": w2, "w3": w3, "b3": b3, "iterations": iterations})]


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ctr = "Synthetic click-through-rate logistic regression: probability = sigmoid(features . W + b), 32 float32 features."
    written: list[Path] = []
    written += logistic_regression("ctr-logreg", 32, "probability", 0.25, -2.0, 0.25, f"{ctr} The A/B champion.")
    written += logistic_regression("ctr-challenger", 32, "probability", 0.25, -2.0, 0.25, f"{ctr} The A/B challenger.")
    for cohort in "abcd":
        written += logistic_regression(f"ctr-cohort-{cohort}", 32, "probability", 0.25, -2.0, 0.25, f"{ctr} Cohort {cohort} of a keyed-model pipeline.")
    written += heavy_mlp(
        "heavy-mlp",
        32,
        HEAVY_HIDDEN,
        HEAVY_ITERATIONS,
        f"Synthetic, deliberately compute-heavy scorer: tanh projection to {HEAVY_HIDDEN}, a Loop of {HEAVY_ITERATIONS} steps h = tanh(h . W2 + u), sigmoid head.",
    )
    written += logistic_regression("ranker", 8, "score", 0.5, 0.0, 0.25, "Synthetic second-stage cascade ranker: score = sigmoid(features . W + b), 8 float32 features.")
    written += softmax_scorer("ad-scorer", 32, 10, "Synthetic first-stage cascade scorer: scores = softmax(features . W + b) over 10 candidate ads, 32 float32 features.")

    for path in written:
        print(f"{path.stat().st_size:>9}  {path.relative_to(OUT_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
