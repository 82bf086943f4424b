"""The combined divergence of resampled units, from count vectors alone.

The stability bootstrap (:func:`divergence.families.cluster.bootstrap_stability`)
redraws each unit's cases and asks for the combined divergence again, tens
of times. Resampling changes only how many cases each variant has, never the
variants themselves, so everything that depends on the variants is computed
once here: per unit, sparse variant x edge and variant x activity matrices,
each variant's fitness on every unit's model, the language measure's kept
head of variants with the tail mapped to its nearest kept variant, and the
ground distances between heads. A resample is then a few sparse
matrix-vector products and one small transport problem per pair.

With the original counts, :class:`ResampledDistance` gives exactly the
``flow``, ``activities``, ``conformance`` and ``performance`` matrices, and
the ``language`` matrix on each unit's ``head`` most frequent variants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist
from scipy import sparse

from ..arrays import unique
from ..measures import compute as measures
from ..measures.conformance import variant_fitness
from ..profile import UnitProfile

__all__ = ["ResampledDistance"]


class ResampledDistance:
    """Callable ``distance(resampled_profiles) -> combined matrix``.

    Parameters
    ----------
    profiles : sequence of UnitProfile
        The units as observed, in matrix order.
    models : sequence of Model, optional
        One per unit; with ``methods`` (the ``.methods`` of the observed
        conformance matrix) the conformance measure is included.
    methods : array of str, optional
    weights : mapping, optional
        Weights of :func:`divergence.measures.compute.combine`.
    head : int, default 100
        Variants per unit the language measure compares exactly; the others
        move to their nearest kept variant.
    """

    def __init__(
        self,
        profiles: Sequence[UnitProfile],
        models: Sequence | None = None,
        methods: np.ndarray | None = None,
        *,
        weights: Mapping[str, float] | None = None,
        head: int = 100,
    ) -> None:
        self.units = [p.unit for p in profiles]
        #: each unit's observed throughput times on the performance measure's log10(1 + s) scale
        self.durations = [measures.log_duration(p.durations["duration_s"].to_numpy(dtype=float)) for p in profiles]
        self.weights = weights
        book = measures._codebook(profiles)
        a = len(book)
        start, end = a, a + 1
        self.index, self.edges, self.acts, self.maps, self.heads = [], [], [], [], []
        edge_keys = []
        per_unit = []
        encoded = []
        for p in profiles:
            variants = [tuple(v) for v in p.variants["variant"]]
            self.index.append({v: i for i, v in enumerate(variants)})
            codes, lengths = measures.flat_codes(variants, book)
            encoded.append(measures.strings_of_codes(codes, lengths))
            # each variant's edges: start -> first, each directly-follows pair, last -> end
            row = np.repeat(np.arange(len(variants), dtype=np.int64), lengths)
            first = np.zeros(len(codes), dtype=bool)
            ends = np.cumsum(lengths)
            first[(ends - lengths)[lengths > 0]] = True
            prev = np.empty_like(codes)
            if len(codes):
                prev[1:] = codes[:-1]
            prev[first] = start
            last = np.full(len(variants), start, dtype=np.int64)  # the empty variant: start -> end
            last[lengths > 0] = codes[ends[lengths > 0] - 1]
            e_rows = np.concatenate([row, np.arange(len(variants), dtype=np.int64)])
            e_keys = np.concatenate([prev * (a + 2) + codes, last * (a + 2) + end])
            per_unit.append((len(variants), [e_rows], [e_keys], [row], [codes]))
            edge_keys.append(e_keys)
        all_edges = unique(np.concatenate(edge_keys)) if edge_keys else np.zeros(0, np.int64)
        for n_var, e_rows, e_keys, a_rows, a_keys in per_unit:
            self.edges.append(_incidence(n_var, e_rows, e_keys, all_edges, count=True))
            self.acts.append(_incidence(n_var, a_rows, a_keys, np.arange(a), count=False))
        # language: the head of each unit's variants, the tail mapped onto it
        strings = []
        for p, enc in zip(profiles, encoded):
            cases = p.variants["cases"].to_numpy(dtype=float)
            order = np.lexsort((np.arange(len(cases)), -cases))
            k = min(head, len(cases))
            head_s = [enc[i] for i in order[:k]]
            mapping = np.empty(len(cases), dtype=np.int64)
            mapping[order[:k]] = np.arange(k)
            if len(cases) > k:
                tail = [enc[i] for i in order[k:]]
                near = cdist(tail, head_s, scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=-1)
                mapping[order[k:]] = np.argmin(near, axis=1)
            self.maps.append(mapping)
            strings.append(head_s)
        n = len(profiles)
        self.ground = {}
        for i in range(n):
            for j in range(i + 1, n):
                self.ground[i, j] = cdist(
                    strings[i], strings[j], scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=-1
                )
        self.fitness = None
        if models is not None and methods is not None:
            self.fitness = [
                [variant_fitness(profiles[i], models[j], method=methods[i][j]) for j in range(n)] for i in range(n)
            ]

    def counts(self, profiles: Sequence[UnitProfile]) -> list[np.ndarray]:
        """Each resampled unit's cases per observed variant."""
        out = []
        for idx, p in zip(self.index, profiles):
            c = np.zeros(len(idx))
            cases = p.variants["cases"].to_numpy(dtype=float)
            rows = p.variants.attrs.get("observed_rows")
            if rows is None or p.variants.attrs.get("observed_n") != len(idx) or len(rows) != len(cases):
                # not from the bootstrap's resampler: match the variants by name
                rows = [idx[tuple(v)] for v in p.variants["variant"]]
            np.add.at(c, rows, cases)
            out.append(c)
        return out

    def matrices(self, profiles: Sequence[UnitProfile]) -> dict[str, np.ndarray]:
        """Every measure's matrix for resampled profiles (same units, same order)."""
        return self.from_counts(self.counts(profiles), [p.durations for p in profiles])

    def from_counts(self, c: Sequence[np.ndarray], durations: Sequence) -> dict[str, np.ndarray]:
        """Every measure's matrix from each unit's cases per observed variant.

        ``durations``: per unit, a durations frame (``duration_s``, ``cases``)
        or the cases per observed duration (an array in the order of the
        unit's observed ``durations``).
        """
        n = len(c)
        flows = np.vstack([ci @ e for ci, e in zip(c, self.edges)]) if n else np.zeros((0, 0))
        acts = np.vstack([(ci @ a) / max(ci.sum(), 1e-300) for ci, a in zip(c, self.acts)])
        out = {"flow": measures._js_matrix(flows), "activities": _weighted_jaccard(acts)}
        lang = np.zeros((n, n))
        masses = [np.bincount(m, weights=ci, minlength=int(m.max()) + 1 if len(m) else 0) for m, ci in zip(self.maps, c)]
        masses = [m / m.sum() if m.sum() > 0 else m for m in masses]
        for (i, j), g in self.ground.items():
            if g.shape[0] == 1 or g.shape[1] == 1:
                value = float(masses[i] @ g @ masses[j])
            else:
                value = measures.transport(masses[i], masses[j], g)[0]
            lang[i, j] = lang[j, i] = value
        out["language"] = measures._finish(lang)
        vals, wts = [], []
        for k, d in enumerate(durations):
            if isinstance(d, np.ndarray):
                v, w = self.durations[k], d.astype(float)
            else:
                w = d["cases"].to_numpy(dtype=float)
                v = measures.log_duration(d["duration_s"].to_numpy(dtype=float))
            vals.append(v[w > 0])
            wts.append(w[w > 0])
        out["performance"] = measures.performance_matrix(vals, wts)
        if self.fitness is not None:
            conf = np.zeros((n, n))
            for i in range(n):
                tot = c[i].sum()
                for j in range(n):
                    if i != j and tot > 0:
                        conf[i, j] = 1.0 - float(np.dot(c[i], self.fitness[i][j]) / tot)
            out["conformance"] = np.clip(conf, 0.0, 1.0)
        return out

    def __call__(self, profiles: Sequence[UnitProfile]) -> np.ndarray:
        return measures.combine(self.matrices(profiles), self.weights)

    def combined_from_counts(self, c: Sequence[np.ndarray], durations: Sequence) -> np.ndarray:
        """The combined matrix from count vectors (see :meth:`from_counts`): the bootstrap's fast path."""
        return measures.combine(self.from_counts(c, durations), self.weights)


def _incidence(n_rows: int, rows: list, keys: list, columns: np.ndarray, *, count: bool) -> sparse.csr_matrix:
    if not keys or n_rows == 0:
        return sparse.csr_matrix((n_rows, len(columns)))
    r = np.concatenate(rows).astype(np.int64)
    k = np.searchsorted(columns, np.concatenate(keys))
    data = np.ones(len(r))
    m = sparse.coo_matrix((data, (r, k)), shape=(n_rows, len(columns))).tocsr()
    if not count:
        m.data[:] = 1.0
    return m


def _weighted_jaccard(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        lo = np.minimum(x[i], x).sum(axis=1)
        hi = np.maximum(x[i], x).sum(axis=1)
        out[i] = np.where(hi > 0, 1.0 - lo / np.where(hi > 0, hi, 1.0), 0.0)
    return measures._finish((out + out.T) / 2.0)
