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
  below the float32 rounding of the written weights, so the files come out the same in practice
  (checked with one BLAS thread, with OpenBLAS forced to another kernel and with numpy's SIMD
  dispatch disabled), but that is not guaranteed: the script prints a SHA-256 to compare.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import dataclass
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

# bench-heavy: the benchmarks' inference-bound model, ~4 M multiply-adds per row (a few
# thousand rows per second on one thread): heavy enough that the model dominates, light enough
# to measure in seconds.
BENCH_HEAVY_ITERATIONS = 256
BENCH_HEAVY_HIDDEN = 128

# One seed per model: changing one model never changes another.
SEEDS = {
    "ctr-logreg": 1001,
    "ctr-challenger": 1002,
    "ctr-cohort-a": 2001,
    "ctr-cohort-b": 2002,
    "ctr-cohort-c": 2003,
    "ctr-cohort-d": 2004,
    "heavy-mlp": 3001,
    "bench-heavy": 3002,
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
# the demo world: a hidden click model, a simulated log, and models trained on it
#
#   p(click | user u, region r, ad j) = sigmoid(bias + q_j + rho[r][category_j] + u^T W a_j)
#
# u: 8 user features, uniform on [-1, 1); r: one of 4 regions; a_j: ad j's 8 public features;
# q_j: ad j's hidden quality; rho: region x category affinity; W: the user x ad interaction.

DEMO_REGIONS = ("eu", "us", "apac", "latam")
DEMO_CATEGORIES = ("travel", "games", "finance", "fashion")
DEMO_USER_FEATURES = 8
DEMO_AD_FEATURES = 8
DEMO_ADS = 16  # ad-00 .. ad-15; ad j's category is DEMO_CATEGORIES[j % 4]
DEMO_GRID = 64  # every world parameter is a multiple of 1/64: exact in float32, short in JSON
DEMO_BIAS = -4.8125
DEMO_INTERACTION_STD = 0.35  # W [8, 8]
DEMO_AFFINITY_STD = 0.45  # rho [4 regions, 4 categories]
DEMO_QUALITY_STD = 0.25  # q [16]
DEMO_CENTROID_STD = 1.0  # a_j = centroid[category_j] + noise: ads of one category look alike
DEMO_AD_NOISE_STD = 0.5

# The world, the training log, the evaluation users and the held-out log each have their own seed.
DEMO_SEEDS = {"world": 6001, "log": 6002, "eval": 6003, "heldout": 6004}
DEMO_LOG_IMPRESSIONS = 200_000
DEMO_EVAL_USERS = 200_000
DEMO_SHORTLIST = 4  # the cascade's top-K

# Full-batch Adam on the mean log-loss, learning rate cosine-decayed from ADAM_LR to 0.
ADAM_STEPS = 1000
ADAM_LR = 0.05
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
CANDIDATES_L2 = 0.003  # ad-candidates: + CANDIDATES_L2/2 * ||V||^2 (a coarse, robust retrieval model)
INIT_STD = 0.01  # initial weights ~ N(0, INIT_STD^2), drawn with the model's seed; biases start at logit(the log's click rate)
CHECK_ROWS = 4096  # rows on which each ONNX graph is compared with the numpy forward pass
CHECK_TOLERANCE = 1e-5


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def grid(rng: np.random.Generator, std: float, shape: tuple[int, ...], mean: float = 0.0) -> np.ndarray:
    """float64 draws from N(mean, std^2), rounded to the 1/DEMO_GRID grid (exact in float32)."""
    return np.round((rng.standard_normal(shape) * std + mean) * DEMO_GRID) / DEMO_GRID


class DemoWorld:
    """The hidden truth. Every array holds float32-exact values, kept as float64 for the arithmetic."""

    def __init__(self) -> None:
        rng = np.random.default_rng(DEMO_SEEDS["world"])
        self.category = np.arange(DEMO_ADS) % len(DEMO_CATEGORIES)  # ad j -> category index
        centroids = rng.standard_normal((len(DEMO_CATEGORIES), DEMO_AD_FEATURES)) * DEMO_CENTROID_STD
        self.ad_features = grid(rng, DEMO_AD_NOISE_STD, (DEMO_ADS, DEMO_AD_FEATURES)) + np.round(centroids[self.category] * DEMO_GRID) / DEMO_GRID
        self.quality = grid(rng, DEMO_QUALITY_STD, (DEMO_ADS,))
        self.affinity = grid(rng, DEMO_AFFINITY_STD, (len(DEMO_REGIONS), len(DEMO_CATEGORIES)))
        self.interaction = grid(rng, DEMO_INTERACTION_STD, (DEMO_USER_FEATURES, DEMO_AD_FEATURES))
        self.bias = DEMO_BIAS
        for array in (self.ad_features, self.quality, self.affinity, self.interaction):
            assert np.array_equal(array.astype(np.float32).astype(np.float64), array)

    def logits(self, users: np.ndarray, regions: np.ndarray) -> np.ndarray:
        """[n, 16]: the true click logit of every ad for each (user, region)."""
        interaction = (users @ self.interaction) @ self.ad_features.T
        return self.bias + self.quality[None, :] + self.affinity[regions][:, self.category] + interaction

    def click_probability(self, users: np.ndarray, regions: np.ndarray, ads: np.ndarray) -> np.ndarray:
        """[n]: the true click probability of the ad shown to each (user, region)."""
        interaction = np.sum((users @ self.interaction) * self.ad_features[ads], axis=1)
        return sigmoid(self.bias + self.quality[ads] + self.affinity[regions, self.category[ads]] + interaction)

    def ad_id(self, j: int) -> str:
        return f"ad-{j:02d}"


def sample_users(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n users: 8 features uniform on [-1, 1) (float32, as a model sees them) and a uniform region."""
    users = rng.uniform(-1.0, 1.0, (n, DEMO_USER_FEATURES)).astype(np.float32).astype(np.float64)
    regions = rng.integers(0, len(DEMO_REGIONS), n)
    return users, regions


@dataclass(frozen=True)
class ImpressionLog:
    """Logged traffic: a uniform user in a uniform region is shown a uniformly random ad; click ~ Bernoulli(true p)."""

    users: np.ndarray  # [n, 8]
    regions: np.ndarray  # [n] region index
    ads: np.ndarray  # [n] ad index
    clicks: np.ndarray  # [n] 0.0 or 1.0
    ad_features: np.ndarray  # [n, 8] the shown ad's features

    @staticmethod
    def simulate(world: DemoWorld, seed: int, n: int) -> ImpressionLog:
        rng = np.random.default_rng(seed)
        users, regions = sample_users(rng, n)
        ads = rng.integers(0, DEMO_ADS, n)
        clicks = (rng.random(n) < world.click_probability(users, regions, ads)).astype(np.float64)
        return ImpressionLog(users, regions, ads, clicks, world.ad_features[ads])

    def subset(self, mask: np.ndarray) -> ImpressionLog:
        return ImpressionLog(self.users[mask], self.regions[mask], self.ads[mask], self.clicks[mask], self.ad_features[mask])


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def adam(params: dict[str, np.ndarray], gradients) -> dict[str, np.ndarray]:
    """ADAM_STEPS full-batch Adam steps on gradients(params), learning rate ADAM_LR * (1 + cos(pi (t - 1) / T)) / 2."""
    beta1, beta2 = ADAM_BETAS
    first = {key: np.zeros_like(value) for key, value in params.items()}
    second = {key: np.zeros_like(value) for key, value in params.items()}
    for step in range(1, ADAM_STEPS + 1):
        grads = gradients(params)
        rate = ADAM_LR * 0.5 * (1.0 + math.cos(math.pi * (step - 1) / ADAM_STEPS))
        for key in params:
            first[key] = beta1 * first[key] + (1.0 - beta1) * grads[key]
            second[key] = beta2 * second[key] + (1.0 - beta2) * grads[key] ** 2
            update = (first[key] / (1.0 - beta1**step)) / (np.sqrt(second[key] / (1.0 - beta2**step)) + ADAM_EPS)
            params[key] = params[key] - rate * update
    return params


def as_float32(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: np.asarray(value, dtype=np.float32) for key, value in params.items()}


def initial(name: str, shapes: dict[str, tuple[int, ...]], biases: tuple[str, ...], clicks: np.ndarray) -> dict[str, np.ndarray]:
    """Weights ~ N(0, INIT_STD^2) from the model's seed; biases at the logit of the click rate (so no step is spent finding it)."""
    rng = np.random.default_rng(SEEDS[name])
    rate = float(np.mean(clicks))
    start = math.log(rate / (1.0 - rate))
    return {key: np.full(shape, start) if key in biases else rng.standard_normal(shape) * INIT_STD for key, shape in shapes.items()}


# Forward passes in float32 with the float32 weights: what the ONNX graphs compute.


def candidates_forward(w: dict[str, np.ndarray], users: np.ndarray) -> np.ndarray:
    return sigmoid(users.astype(np.float32) @ w["V"] + w["c"]).astype(np.float32)


def ranker_forward(w: dict[str, np.ndarray], users: np.ndarray, ads: np.ndarray) -> np.ndarray:
    u, a = users.astype(np.float32), ads.astype(np.float32)
    logit = u @ w["wu"] + a @ w["wa"] + w["b"]
    if "M" in w:
        logit = logit + np.sum((u @ w["M"]) * a, axis=1)
    return sigmoid(logit).astype(np.float32)


def train_candidates(log: ImpressionLog) -> tuple[dict[str, np.ndarray], float]:
    """One logistic regression per ad on the user features, each fitted on that ad's impressions (all regions).

    Objective: the mean log-loss over the log's impressions (each scored by its shown ad's column)
    + CANDIDATES_L2 / 2 * ||V||^2. Returns the float32 weights and their training log-loss.
    """
    n = len(log.clicks)
    order = np.argsort(log.ads, kind="stable")  # impressions grouped by ad, for the per-ad gradient sums
    users, ads, clicks = log.users[order], log.ads[order], log.clicks[order]
    starts = np.searchsorted(ads, np.arange(DEMO_ADS))
    assert np.all(np.diff(np.append(starts, n)) > 0), "every ad needs impressions"

    def gradients(params):
        p = sigmoid(np.einsum("ni,ni->n", users, params["V"].T[ads]) + params["c"][ads])
        residual = (p - clicks) / n
        return {"V": np.add.reduceat(users * residual[:, None], starts, axis=0).T + CANDIDATES_L2 * params["V"], "c": np.add.reduceat(residual, starts)}

    params = adam(initial("ad-candidates", {"V": (DEMO_USER_FEATURES, DEMO_ADS), "c": (DEMO_ADS,)}, ("c",), clicks), gradients)
    weights = as_float32(params)
    return weights, log_loss(candidates_forward(weights, log.users)[np.arange(n), log.ads].astype(np.float64), log.clicks)


def train_ranker(name: str, log: ImpressionLog, bilinear: bool) -> tuple[dict[str, np.ndarray], float]:
    """sigmoid(u . wu + a . wa + b), plus u^T M a when bilinear, fitted on the log's impressions.

    Objective: the mean log-loss. Returns the float32 weights and their training log-loss.
    """
    n = len(log.clicks)
    u, a = log.users, log.ad_features

    def gradients(params):
        logit = u @ params["wu"] + a @ params["wa"] + params["b"]
        if bilinear:
            logit = logit + np.einsum("ni,ni->n", u @ params["M"], a)
        residual = (sigmoid(logit) - log.clicks) / n
        grads = {"wu": u.T @ residual, "wa": a.T @ residual, "b": np.sum(residual, keepdims=True)}
        if bilinear:
            grads["M"] = u.T @ (a * residual[:, None])
        return grads

    shapes = {"wu": (DEMO_USER_FEATURES,), "wa": (DEMO_AD_FEATURES,), "b": (1,)}
    if bilinear:
        shapes = {"M": (DEMO_USER_FEATURES, DEMO_AD_FEATURES), **shapes}
    params = adam(initial(name, shapes, ("b",), log.clicks), gradients)
    weights = as_float32(params)
    return weights, log_loss(ranker_forward(weights, u, a).astype(np.float64), log.clicks)


def candidates_graph(name: str, w: dict[str, np.ndarray], description: str) -> onnx.GraphProto:
    """scores [batch, 16] = sigmoid(user_features [batch, 8] . V [8, 16] + c [16])."""
    return helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["user_features", "V"], ["logits_no_bias"], name="matmul"),
            helper.make_node("Add", ["logits_no_bias", "c"], ["logits"], name="add_bias"),
            helper.make_node("Sigmoid", ["logits"], ["scores"], name="sigmoid"),
        ],
        name=name,
        inputs=[tensor_input("user_features", DEMO_USER_FEATURES)],
        outputs=[helper.make_tensor_value_info("scores", TensorProto.FLOAT, [BATCH, DEMO_ADS])],
        initializer=[initializer("V", w["V"]), initializer("c", w["c"])],
        doc_string=description,
    )


def ranker_graph(name: str, w: dict[str, np.ndarray], description: str) -> onnx.GraphProto:
    """probability [batch, 1] = sigmoid([u^T M a +] u . wu + a . wa + b); u = user_features, a = ad_features, [batch, 8] each."""
    nodes = [
        helper.make_node("MatMul", ["user_features", "wu"], ["user_term"], name="user_matmul"),
        helper.make_node("MatMul", ["ad_features", "wa"], ["ad_term"], name="ad_matmul"),
        helper.make_node("Add", ["user_term", "ad_term"], ["linear_no_bias"], name="add_terms"),
        helper.make_node("Add", ["linear_no_bias", "b"], ["linear"], name="add_bias"),
    ]
    initializers = [initializer("wu", w["wu"].reshape(DEMO_USER_FEATURES, 1)), initializer("wa", w["wa"].reshape(DEMO_AD_FEATURES, 1)), initializer("b", w["b"].reshape(1))]
    logit = "linear"
    if "M" in w:
        nodes += [
            helper.make_node("MatMul", ["user_features", "M"], ["user_projected"], name="interaction_matmul"),
            helper.make_node("Mul", ["user_projected", "ad_features"], ["interaction_products"], name="interaction_mul"),
            helper.make_node("ReduceSum", ["interaction_products", "sum_axes"], ["interaction"], name="interaction_sum", keepdims=1),
            helper.make_node("Add", ["interaction", "linear"], ["logit"], name="add_interaction"),
        ]
        initializers += [initializer("M", w["M"]), initializer("sum_axes", np.array([1], dtype=np.int64))]
        logit = "logit"
    nodes.append(helper.make_node("Sigmoid", [logit], ["probability"], name="sigmoid"))
    return helper.make_graph(
        nodes=nodes,
        name=name,
        inputs=[tensor_input("user_features", DEMO_USER_FEATURES), tensor_input("ad_features", DEMO_AD_FEATURES)],
        outputs=[helper.make_tensor_value_info("probability", TensorProto.FLOAT, [BATCH, 1])],
        initializer=initializers,
        doc_string=description,
    )


def check_graph(name: str, model: onnx.ModelProto, feeds: dict[str, np.ndarray], expected: np.ndarray) -> float:
    """The ONNX graph (onnx's reference evaluator) against the numpy forward pass; returns the largest difference."""
    (actual,) = ReferenceEvaluator(model).run(None, {key: value.astype(np.float32) for key, value in feeds.items()})
    difference = float(np.max(np.abs(actual.astype(np.float64) - expected.reshape(actual.shape).astype(np.float64))))
    if not difference <= CHECK_TOLERANCE:
        raise SystemExit(f"{name}: the ONNX graph and the numpy forward pass differ by {difference:.3g}")
    return difference


def json_numbers(values: np.ndarray) -> str:
    return json.dumps(to_json_value(np.asarray(values, dtype=np.float32)), separators=(",", ":"))


def write_demo_world(world: DemoWorld) -> list[Path]:
    """models/demo-world.json (the hidden truth, for the click simulator) and topologies/data/ad-catalog.json (public)."""
    description = (
        "kascade's demo world, the hidden truth behind the demo's clicks (written by models/generate.py). "
        "p(click | user u, region r, ad j) = sigmoid(bias + ads[j].quality + regionCategoryAffinity[r][ads[j].category] + sum_i sum_k u[i] * interaction[i][k] * ads[j].features[k]). "
        "u: the user's userFeatures features, each uniform on [-1, 1); r: the user's region, uniform among regions. "
        "The models are trained on a simulated log drawn from this model; they never see quality or the affinities."
    )
    regions = ",\n".join(
        f"    {json.dumps(region)}: {{" + ", ".join(f"{json.dumps(category)}: {json_numbers(world.affinity[r, c])}" for c, category in enumerate(DEMO_CATEGORIES)) + "}"
        for r, region in enumerate(DEMO_REGIONS)
    )
    interaction = ",\n".join(f"    {json_numbers(row)}" for row in world.interaction)
    ads = ",\n".join(
        f'    {{"id": {json.dumps(world.ad_id(j))}, "category": {json.dumps(DEMO_CATEGORIES[world.category[j]])}, '
        f'"quality": {json_numbers(world.quality[j])}, "features": {json_numbers(world.ad_features[j])}}}'
        for j in range(DEMO_ADS)
    )
    text = (
        "{\n"
        f'  "description": {json.dumps(description)},\n'
        f'  "regions": {json.dumps(list(DEMO_REGIONS))},\n'
        f'  "categories": {json.dumps(list(DEMO_CATEGORIES))},\n'
        f'  "userFeatures": {DEMO_USER_FEATURES},\n'
        f'  "bias": {json_numbers(np.float32(world.bias))},\n'
        f'  "regionCategoryAffinity": {{\n{regions}\n  }},\n'
        f'  "interaction": [\n{interaction}\n  ],\n'
        f'  "ads": [\n{ads}\n  ]\n'
        "}\n"
    )
    catalog = (
        "[\n"
        + ",\n".join(
            f'  {{"id": {json.dumps(world.ad_id(j))}, "category": {json.dumps(DEMO_CATEGORIES[world.category[j]])}, "features": {json_numbers(world.ad_features[j])}}}'
            for j in range(DEMO_ADS)
        )
        + "\n]\n"
    )
    world_path = OUT_DIR / "demo-world.json"
    world_path.write_text(text, encoding="utf-8")
    CATALOG_PATH.parent.mkdir(parents=True, exist_ok=True)
    CATALOG_PATH.write_text(catalog, encoding="utf-8")
    # Both files parse back to exactly the world's values.
    parsed = json.loads(text)
    assert [ad["features"] for ad in parsed["ads"]] == world.ad_features.tolist()
    assert [ad["quality"] for ad in parsed["ads"]] == world.quality.tolist()
    assert parsed["interaction"] == world.interaction.tolist()
    assert [[parsed["regionCategoryAffinity"][r][c] for c in DEMO_CATEGORIES] for r in DEMO_REGIONS] == world.affinity.tolist()
    assert [ad["features"] for ad in json.loads(catalog)] == world.ad_features.tolist()
    return [world_path, CATALOG_PATH]


def shortlist(scores: np.ndarray, k: int) -> np.ndarray:
    """[n, k] ad indices: the k best scores, descending, ties by lower ad index."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def pick(shortlisted: np.ndarray, ranker_scores: np.ndarray) -> np.ndarray:
    """The shortlisted ad with the highest ranker score (ties by shortlist order: argmax takes the first)."""
    return shortlisted[np.arange(len(shortlisted)), np.argmax(ranker_scores, axis=1)]


def rank_shortlist(model: onnx.ModelProto, users: np.ndarray, shortlisted: np.ndarray, world: DemoWorld) -> np.ndarray:
    """[n, k] ranker probabilities, one row per (user, shortlisted ad), computed by the ONNX graph (what the pipeline runs)."""
    n, k = shortlisted.shape
    feeds = {
        "user_features": np.repeat(users, k, axis=0).astype(np.float32),
        "ad_features": world.ad_features[shortlisted.reshape(-1)].astype(np.float32),
    }
    (probability,) = ReferenceEvaluator(model).run(None, feeds)
    return probability.reshape(n, k)


def demo_world() -> tuple[list[Path], list[str]]:
    """Writes the world files and the trained models; returns the paths and the report lines."""
    world = DemoWorld()
    written = write_demo_world(world)
    log = ImpressionLog.simulate(world, DEMO_SEEDS["log"], DEMO_LOG_IMPRESSIONS)
    heldout = ImpressionLog.simulate(world, DEMO_SEEDS["heldout"], DEMO_LOG_IMPRESSIONS)
    base_rate = float(np.mean(log.clicks))
    report = [
        f"demo world: {DEMO_LOG_IMPRESSIONS} logged impressions, {int(log.clicks.sum())} clicks (CTR {base_rate:.4f}); "
        f"log-loss of the constant rate {log_loss(np.full_like(log.clicks, base_rate), log.clicks):.4f}",
        f"{'model':<16} {'impressions':>11} {'train log-loss':>15} {'held-out log-loss':>18} {'|onnx - numpy|':>15}",
    ]
    trained_on = f"simulated demo world (models/demo-world.json, world seed {DEMO_SEEDS['world']}): {{rows}} logged impressions (log seed {DEMO_SEEDS['log']}), {{which}}; full-batch Adam, {ADAM_STEPS} steps"
    check_rng = np.random.default_rng(0)
    check_users = check_rng.uniform(-1.0, 1.0, (CHECK_ROWS, DEMO_USER_FEATURES)).astype(np.float32)
    check_ads = check_rng.uniform(-2.5, 2.5, (CHECK_ROWS, DEMO_AD_FEATURES)).astype(np.float32)
    models: dict[str, onnx.ModelProto] = {}

    # 1. retrieval
    name = "ad-candidates"
    weights, loss = train_candidates(log)
    description = (
        "Demo-world retrieval model, trained: scores [batch, 16] = sigmoid(user_features [batch, 8] . V [8, 16] + c [16]), "
        "one logistic regression per ad (column j is ad-j's click probability, ads in id order ad-00..ad-15), all regions."
    )
    model = make_model(name, candidates_graph(name, weights, description), description, trained_on.format(rows=DEMO_LOG_IMPRESSIONS, which=f"all regions, each ad's column fitted on that ad's impressions, L2 {CANDIDATES_L2} on V"))
    difference = check_graph(name, model, {"user_features": check_users}, candidates_forward(weights, check_users))
    heldout_loss = log_loss(candidates_forward(weights, heldout.users)[np.arange(len(heldout.ads)), heldout.ads].astype(np.float64), heldout.clicks)
    written += [save(name, model), write_weights(name, {"weights": weights["V"], "bias": weights["c"]})]
    report.append(f"{name:<16} {len(log.clicks):>11} {loss:>15.4f} {heldout_loss:>18.4f} {difference:>15.2g}")
    models[name] = model

    # 2. champion rankers, one per region (no user x ad term); 3. the challenger (bilinear)
    for region_index, region in [(r, f"ranker-{region}") for r, region in enumerate(DEMO_REGIONS)] + [(None, "ranker-bilinear")]:
        name = region
        bilinear = region_index is None
        part = log if bilinear else log.subset(log.regions == region_index)
        held = heldout if bilinear else heldout.subset(heldout.regions == region_index)
        weights, loss = train_ranker(name, part, bilinear)
        if bilinear:
            description = (
                "Demo-world challenger ranker, trained on all regions: probability [batch, 1] = "
                "sigmoid(u^T M a + u . wu + a . wa + b), u = user_features [batch, 8], a = ad_features [batch, 8], M [8, 8]."
            )
            which = "all regions"
            fields = {"interaction": weights["M"], "user_weights": weights["wu"], "ad_weights": weights["wa"], "bias": weights["b"].reshape(())}
        else:
            description = (
                f"Demo-world champion ranker for region {DEMO_REGIONS[region_index]}, trained on that region's impressions: probability [batch, 1] = "
                "sigmoid(u . wu + a . wa + b), u = user_features [batch, 8], a = ad_features [batch, 8] (no user x ad term)."
            )
            which = f"region {DEMO_REGIONS[region_index]} only"
            fields = {"user_weights": weights["wu"], "ad_weights": weights["wa"], "bias": weights["b"].reshape(())}
        model = make_model(name, ranker_graph(name, weights, description), description, trained_on.format(rows=len(part.clicks), which=which))
        difference = check_graph(name, model, {"user_features": check_users, "ad_features": check_ads}, ranker_forward(weights, check_users, check_ads))
        heldout_loss = log_loss(ranker_forward(weights, held.users, held.ad_features).astype(np.float64), held.clicks)
        written += [save(name, model), write_weights(name, fields)]
        report.append(f"{name:<16} {len(part.clicks):>11} {loss:>15.4f} {heldout_loss:>18.4f} {difference:>15.2g}")
        models[name] = model

    # Evaluation: the expected true CTR of each serving policy on fresh users.
    users, regions = sample_users(np.random.default_rng(DEMO_SEEDS["eval"]), DEMO_EVAL_USERS)
    truth = sigmoid(world.logits(users, regions))
    rows = np.arange(DEMO_EVAL_USERS)
    (scores,) = ReferenceEvaluator(models["ad-candidates"]).run(None, {"user_features": users.astype(np.float32)})
    short = shortlist(scores, DEMO_SHORTLIST)
    champion = np.zeros(short.shape, dtype=np.float32)
    for r, region in enumerate(DEMO_REGIONS):
        mask = regions == r
        champion[mask] = rank_shortlist(models[f"ranker-{region}"], users[mask], short[mask], world)
    challenger = rank_shortlist(models["ranker-bilinear"], users, short, world)
    policies = [
        ("random ad", float(np.mean(truth))),
        ("candidates only (top-1 of ad-candidates)", float(np.mean(truth[rows, short[:, 0]]))),
        (f"champion: top-{DEMO_SHORTLIST} -> ranker-<region>", float(np.mean(truth[rows, pick(short, champion)]))),
        (f"challenger: top-{DEMO_SHORTLIST} -> ranker-bilinear", float(np.mean(truth[rows, pick(short, challenger)]))),
        (f"oracle within the top-{DEMO_SHORTLIST} shortlist", float(np.mean(truth[rows[:, None], short].max(axis=1)))),
        ("oracle over all 16 ads", float(np.mean(truth.max(axis=1)))),
    ]
    spread = {
        "interaction u^T W a_j": ((users @ world.interaction) @ world.ad_features.T).std(axis=1).mean(),
        "affinity rho[r][c_j]": world.affinity[regions][:, world.category].std(axis=1).mean(),
        "quality q_j": world.quality.std(),
    }
    report.append("how much each term moves the logit across the 16 ads, for one user (std over ads, mean over users): " + ", ".join(f"{term} {value:.2f}" for term, value in spread.items()))
    report.append(f"expected true CTR on {DEMO_EVAL_USERS} fresh simulated users (eval seed {DEMO_SEEDS['eval']}):")
    report += [f"  {label:<44} {ctr:.4f}" for label, ctr in policies]
    lift = policies[3][1] / policies[2][1] - 1.0
    report.append(f"  challenger over champion: {lift:+.1%}")
    digest = hashlib.sha256()
    for path in written:
        digest.update(path.read_bytes())
    report.append(f"sha256 of the demo-world files and trained models: {digest.hexdigest()}")
    return written, report


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
    written += heavy_mlp(
        "bench-heavy",
        32,
        BENCH_HEAVY_HIDDEN,
        BENCH_HEAVY_ITERATIONS,
        f"Synthetic inference-bound scorer for the benchmarks: tanh projection to {BENCH_HEAVY_HIDDEN}, a Loop of {BENCH_HEAVY_ITERATIONS} steps h = tanh(h . W2 + u), sigmoid head.",
    )
    written += logistic_regression("ranker", 8, "score", 0.5, 0.0, 0.25, "Synthetic second-stage cascade ranker: score = sigmoid(features . W + b), 8 float32 features.")
    written += softmax_scorer("ad-scorer", 32, 10, "Synthetic first-stage cascade scorer: scores = softmax(features . W + b) over 10 candidate ads, 32 float32 features.")

    demo_written, report = demo_world()
    written += demo_written

    for path in written:
        print(f"{path.stat().st_size:>9}  {path.relative_to(OUT_DIR.parent)}")
    print()
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
