"""The edits of many transported variant pairs, aggregated at once.

:func:`aggregate_edits` gives the same ``cases``, ``occ`` and ``neighbours``
as summing :func:`divergence.harmonise.observed.pair_edits` (flattened by
``backlog._flat_edits``) over the pairs one at a time, but computes the
optimal indel edit scripts on one-character-per-activity strings and does
the per-activity classification of the edits (reorders, rework, deletions,
insertions, the neighbours of inserted steps) with array operations over
all the edit operations of all pairs.

The rules are exactly those of :func:`~divergence.harmonise.observed.pair_edits`:
per pair and activity X, the i-th unmatched X of ``v`` pairs with the i-th
unmatched X of ``w`` (a reorder, named by the matched steps of ``w`` around
the target's position); the extra unmatched X of ``v`` are rework when ``w``
does X, else deletions; the missing ones are insertions when ``v`` does not
do X (else target repeats, which are not aggregated), with the matched steps
of ``w`` next to them as neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rapidfuzz.distance import Indel

from ..arrays import unique
from ..measures.emd import strings_of_codes

__all__ = ["aggregate_edits"]

_KINDS = ("reorder", "rework", "del", "ins")


def aggregate_edits(v_list: Sequence, w_list: Sequence, mass) -> tuple[dict, dict, dict]:
    """``cases``, ``occ`` and ``neighbours`` of many pairs, as the loop over ``pair_edits``.

    Parameters
    ----------
    v_list, w_list : sequences of variants
        The unit's and the target's variant of each pair (tuples, lists or
        arrays of activity names).
    mass : array of float
        The cases moved along each pair.

    Returns
    -------
    (cases, occ, neighbours) : dicts
        ``cases[key]``: sum of the masses of the pairs with edit ``key``;
        ``occ[key]``: sum of mass times occurrences of ``key`` in the pair;
        keys ``("reorder", (X, Y))``, ``("rework", (X,))``, ``("del", (X,))``,
        ``("ins", (X,))``. ``neighbours[X]``: the set of matched activities
        next to where an inserted X goes. A key is present iff some pair has
        the edit (also with zero mass). Identical pairs contribute nothing.

    Examples
    --------
    >>> cases, occ, nb = aggregate_edits([("A", "C", "B")], [("A", "B", "C")], [2.0])
    >>> cases, occ
    ({('reorder', ('B', 'C')): 2.0}, {('reorder', ('B', 'C')): 2.0})
    """
    mass = np.asarray(mass, dtype=float).reshape(-1)
    n = len(mass)
    if len(v_list) != n or len(w_list) != n:
        raise ValueError(f"v_list, w_list and mass differ in length: {len(v_list)}, {len(w_list)}, {n}")
    # ------------------------------------------------ unique variants, activity codes
    index: dict[tuple, int] = {}
    vid = np.fromiter((index.setdefault(tuple(v), len(index)) for v in v_list), dtype=np.int64, count=n)
    wid = np.fromiter((index.setdefault(tuple(w), len(index)) for w in w_list), dtype=np.int64, count=n)
    variants = list(index)
    var_len = np.fromiter((len(var) for var in variants), dtype=np.int64, count=len(variants))
    var_off = np.cumsum(var_len) - var_len
    flat = [a for var in variants for a in var]
    codes, uniques = pd.factorize(np.array(flat, dtype=object), sort=False) if flat else (np.zeros(0, np.int64), [])
    codes = codes.astype(np.int64)
    names = [str(a) for a in uniques]
    n_act = max(len(names), 1)
    strings = strings_of_codes(codes, var_len)  # one character per activity
    # ------------------------------------------------ the edit scripts (C-fast, one call per pair)
    tags: list = []
    ps: list = []
    qs: list = []
    n_ops = np.zeros(n, dtype=np.int64)
    editops = Indel.editops
    for k in range(n):
        i, j = vid[k], wid[k]
        if i == j:
            continue
        ops = editops(strings[i], strings[j]).as_list()
        if ops:
            t, p, q = zip(*ops)
            tags += t
            ps += p
            qs += q
            n_ops[k] = len(ops)
    if not tags:
        return {}, {}, {}
    pid = np.repeat(np.arange(n, dtype=np.int64), n_ops)
    is_del = np.array(tags) == "delete"
    p_all = np.array(ps, dtype=np.int64)
    q_all = np.array(qs, dtype=np.int64)
    # deletions: activity, and matched steps of v before each (p minus earlier deletions of the pair)
    pid_d = pid[is_del]
    p_d = p_all[is_del]
    x_d = codes[var_off[vid[pid_d]] + p_d]
    a_d = p_d - _rank_in_runs(pid_d)
    # insertions: activity, position q in w, matched steps of w before it
    pid_i = pid[~is_del]
    q_i = q_all[~is_del]
    x_i = codes[var_off[wid[pid_i]] + q_i]
    b_i = q_i - _rank_in_runs(pid_i)
    # the matched steps of each pair's w, laid out pair after pair
    w_len = var_len[wid]
    w_start = np.cumsum(w_len) - w_len
    inserted = np.zeros(int(w_len.sum()), dtype=bool)
    inserted[w_start[pid_i] + q_i] = True
    n_ins = np.bincount(pid_i, minlength=n)
    n_matched = w_len - n_ins
    m_start = np.cumsum(n_matched) - n_matched
    matched_codes = codes[_gather(var_off[wid], w_len)[~inserted]]

    def matched_w(pp: np.ndarray, bb: np.ndarray, valid: np.ndarray) -> np.ndarray:
        out = np.full(len(pp), -1, dtype=np.int64)
        out[valid] = matched_codes[m_start[pp[valid]] + bb[valid]]
        return out

    # ------------------------------------------------ per (pair, activity): pair the i-th deletion with the i-th insertion
    g_d = pid_d * n_act + x_d
    g_i = pid_i * n_act + x_i
    od = np.argsort(g_d, kind="stable")  # by group, then edit order
    oi = np.argsort(g_i, kind="stable")
    g_d, pid_d, x_d, a_d = g_d[od], pid_d[od], x_d[od], a_d[od]
    g_i, pid_i, x_i, b_i, q_i = g_i[oi], pid_i[oi], x_i[oi], b_i[oi], q_i[oi]
    r_d = _rank_in_runs(g_d)
    r_i = _rank_in_runs(g_i)
    groups = unique(np.concatenate([g_d, g_i]))
    inv_d = np.searchsorted(groups, g_d)
    inv_i = np.searchsorted(groups, g_i)
    nd_g = np.bincount(inv_d, minlength=len(groups))
    ni_g = np.bincount(inv_i, minlength=len(groups))
    k_g = np.minimum(nd_g, ni_g)
    sel_d = r_d < k_g[inv_d]
    sel_i = r_i < k_g[inv_i]
    # reorders (both selections are sorted by group and rank: they align)
    rp, rx, ra = pid_d[sel_d], x_d[sel_d], a_d[sel_d]
    rb, rq = b_i[sel_i], q_i[sel_i]
    nm = n_matched[rp]
    nw = w_len[rp]
    c1 = (ra > rb) & (rb < nm)
    c2 = ~c1 & (ra < rb) & (rb > 0)
    c3 = ~(c1 | c2)
    first = rx.copy()
    second = rx.copy()
    second[c1] = matched_w(rp, rb, c1)[c1]
    first[c2] = matched_w(rp, rb - 1, c2)[c2]
    w_base = var_off[wid[rp]]
    after = c3 & (rq + 1 < nw)  # named by the target's next step
    second[after] = codes[w_base[after] + rq[after] + 1]
    before = c3 & ~(rq + 1 < nw) & (rq > 0)  # by its previous step (x itself when w is just x)
    first[before] = codes[w_base[before] + rq[before] - 1]
    # rework / deletions, insertions
    g_pid = groups // n_act
    g_x = groups % n_act
    keys_of_var = unique(np.repeat(np.arange(len(variants), dtype=np.int64), var_len) * n_act + codes)
    extra = nd_g - k_g
    missing = ni_g - k_g
    ge = np.flatnonzero(extra > 0)
    w_has = _member(wid[g_pid[ge]] * n_act + g_x[ge], keys_of_var)
    gm = np.flatnonzero(missing > 0)
    v_has = _member(vid[g_pid[gm]] * n_act + g_x[gm], keys_of_var)
    gins = gm[~v_has]
    # ------------------------------------------------ aggregate by (pair, key), weighted by mass
    sq = n_act * n_act
    ev_pid = np.concatenate([rp, g_pid[ge], g_pid[gins]])
    ev_key = np.concatenate([
        first * n_act + second,
        np.where(w_has, 1 * sq, 2 * sq) + g_x[ge],
        3 * sq + g_x[gins],
    ])
    ev_cnt = np.concatenate([np.ones(len(rp), dtype=np.int64), extra[ge], missing[gins]])
    keys, kinv = np.unique(ev_key, return_inverse=True)
    cell, cinv = np.unique(ev_pid * len(keys) + kinv.reshape(-1), return_inverse=True)  # sorted by pair
    cnt = np.bincount(cinv.reshape(-1), weights=ev_cnt, minlength=len(cell))
    c_pid = cell // len(keys)
    c_key = cell % len(keys)
    m = mass[c_pid]
    cases_v = np.bincount(c_key, weights=m, minlength=len(keys))
    occ_v = np.bincount(c_key, weights=m * cnt, minlength=len(keys))
    cases: dict = {}
    occ: dict = {}
    for key, c, o in zip(keys.tolist(), cases_v.tolist(), occ_v.tolist()):
        kind, rest = divmod(key, sq)
        if kind == 0:
            name = (_KINDS[0], (names[rest // n_act], names[rest % n_act]))
        else:
            name = (_KINDS[kind], (names[rest],))
        cases[name] = c
        occ[name] = o
    # neighbours of inserted steps: the matched steps of w around each unplaced insertion
    unplaced = ~sel_i
    ins_group = np.zeros(len(groups), dtype=bool)
    ins_group[gins] = True
    unplaced &= ins_group[inv_i]
    up, ux, ub = pid_i[unplaced], x_i[unplaced], b_i[unplaced]
    left = ub > 0
    right = ub < n_matched[up]
    nb = np.concatenate([
        ux[left] * n_act + matched_w(up, ub - 1, left)[left],
        ux[right] * n_act + matched_w(up, ub, right)[right],
    ])
    neighbours: dict = {}
    for xn in unique(nb).tolist():
        x, y = divmod(xn, n_act)
        neighbours.setdefault(names[x], set()).add(names[y])
    return cases, occ, neighbours


def _rank_in_runs(g: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal values (``g`` grouped)."""
    if len(g) == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.arange(len(g), dtype=np.int64)
    start = np.zeros(len(g), dtype=bool)
    start[0] = True
    start[1:] = g[1:] != g[:-1]
    return idx - np.maximum.accumulate(np.where(start, idx, 0))


def _gather(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` over the (start, length) pairs."""
    total = int(lengths.sum())
    out_start = np.cumsum(lengths) - lengths
    return np.repeat(starts - out_start, lengths) + np.arange(total, dtype=np.int64)


def _member(x: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each element of ``x`` is in the sorted unique array ``sorted_keys``."""
    if len(sorted_keys) == 0 or len(x) == 0:
        return np.zeros(len(x), dtype=bool)
    pos = np.searchsorted(sorted_keys, x)
    pos[pos == len(sorted_keys)] = 0
    return sorted_keys[pos] == x
