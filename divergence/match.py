"""Activity alignment across units: propose one canonical name per activity of every unit.

Units name the same step differently ("Check budget", "Budget check",
"CHK BDGT", "check_budget"). :func:`propose_mapping` proposes, per process:

1. the *shared vocabulary*: names used by at least half of the units (at
   least two); with no such name, the names of the unit with the most
   activities;
2. for every other activity of a unit, the shared name it most likely is,
   by a score from 0 to 1 mixing
   - *lexical* similarity (0.6): names normalised (case, punctuation,
     ``snake_case``/``camelCase``, stop words), abbreviations recognised
     (a token that is a prefix of a word, or its consonant skeleton, e.g.
     ``bdgt`` for ``budget``), word order ignored, tokens with digits equal
     or nothing (codes such as ``01_HOOFD_140``); the best of rapidfuzz's
     ``token_set_ratio`` and a token-by-token alignment;
   - *behavioural* similarity (0.4): mean position in the unit's cases (0 =
     first, 1 = last), share of cases that do it, occurrences per case that
     does it, and directly-follows neighbours (compared through the lexical
     first pass);
3. one activity of a unit takes one shared name, and a shared name the unit
   already uses is not taken twice (an optimal assignment per unit, scipy's
   ``linear_sum_assignment``); a proposal below ``min_score`` is not made and
   the name is kept (status ``unmapped``);
4. 1:n: an unmapped name lexically close to a shared name its unit already
   uses ("Check budget (L2)" beside "Check budget") is reported in the
   evidence and candidates as a possible split step, not applied.

The result is a table (``mapping.csv``): process, unit, activity, canonical,
status (``same``, ``mapped``, ``unmapped``), score, lexical, behavioural,
evidence and the best three candidates. Deterministic: no randomness, ties
broken by name. :mod:`divergence.mapping` applies such a table at ingest
(``--mapping``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .profile import UnitProfile

__all__ = ["propose_mapping", "lexical_similarity", "tokens", "match_command", "COLUMNS", "DEFAULT_MIN_SCORE"]

DEFAULT_MIN_SCORE = 0.6
LEXICAL_WEIGHT = 0.6
#: A proposal needs at least this lexical similarity too (behaviour alone never renames).
MIN_LEXICAL = 0.4
#: An unmapped name this close to a shared name its unit already uses is reported as a possible 1:n split.
SPLIT_LEXICAL = 0.7
COLUMNS = ["process", "unit", "activity", "canonical", "status", "score", "lexical", "behavioural", "evidence",
           "candidates"]
_STOP = {"a", "an", "the", "of", "to", "for", "with", "and", "by", "in", "on", "at", "from"}
#: Common abbreviations of process vocabulary (extends the prefix and skeleton rules).
_ABBREV = {"req": "request", "reqs": "requests", "chk": "check", "chq": "cheque", "appr": "approve",
           "approv": "approve", "inv": "invoice", "po": "purchase order", "mgr": "manager", "mgmt": "management",
           "dept": "department", "hr": "hr", "it": "it", "acct": "account", "amt": "amount", "pymt": "payment",
           "pmt": "payment", "emp": "employment", "empl": "employment", "doc": "document", "docs": "documents",
           "info": "information", "reg": "register", "recv": "receive", "rcv": "receive", "rec": "receive",
           "cfm": "confirm", "conf": "confirm", "sched": "schedule", "admin": "administration"}


# ----------------------------------------------------------------------------- lexical


def tokens(name: str) -> list[str]:
    """Normalised tokens of an activity name: lower case, split on punctuation and case changes, no stop words."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    words = [w for w in re.split(r"[^0-9a-zA-Z]+", text.lower()) if w]
    out = []
    for w in words:
        w = _ABBREV.get(w, w)
        out.extend(x for x in w.split() if x not in _STOP)
    return out or words


def _skeleton(word: str) -> str:
    return word[0] + re.sub(r"[aeiou]", "", word[1:]) if word else word


def _token_sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 2 and long_.startswith(short):
        return 0.9
    if len(short) >= 3 and short[0] == long_[0] and _subsequence(short, long_):
        return 0.85 if short == _skeleton(long_)[: len(short)] or len(short) >= 4 else 0.8
    from rapidfuzz.distance import Levenshtein

    r = Levenshtein.normalized_similarity(a, b)
    return r if r >= 0.8 else 0.0


def _subsequence(short: str, long_: str) -> bool:
    it = iter(long_)
    return all(ch in it for ch in short)


def lexical_similarity(a: str, b: str) -> float:
    """0..1: how alike two activity names are (word order, case, abbreviations ignored)."""
    from rapidfuzz import fuzz

    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    if sorted(t for t in ta if any(ch.isdigit() for ch in t)) != sorted(t for t in tb if any(ch.isdigit() for ch in t)):
        return 0.0  # numbers are identifiers: step 140 is not step 120, L1 is not L2
    set_ratio = fuzz.token_set_ratio(" ".join(ta), " ".join(tb)) / 100.0
    # token alignment: each token's best partner, averaged over the longer name
    best_a = [max(_token_sim(x, y) for y in tb) for x in ta]
    best_b = [max(_token_sim(x, y) for x in ta) for y in tb]
    aligned = (sum(best_a) + sum(best_b)) / (len(ta) + len(tb))
    # token_set_ratio is 1 whenever one name's tokens are a subset of the other's: damp it by coverage
    cover = min(len(ta), len(tb)) / max(len(ta), len(tb))
    return float(max(aligned, set_ratio * (0.5 + 0.5 * cover)))


def _split_similarity(a: str, b: str) -> float:
    """Lexical similarity with numbered tokens left out ("Approve L2" against "Approve")."""
    strip = lambda n: " ".join(t for t in tokens(n) if not any(ch.isdigit() for ch in t))  # noqa: E731
    sa, sb = strip(a), strip(b)
    return lexical_similarity(sa, sb) if sa and sb else 0.0


# ----------------------------------------------------------------------------- behavioural


def _features(p: UnitProfile) -> dict[str, dict]:
    """Per activity: mean relative position, share of cases, occurrences per case, predecessors, successors."""
    pos_sum: dict[str, float] = defaultdict(float)
    pos_n: dict[str, float] = defaultdict(float)
    for v, c in zip(p.variants["variant"], p.variants["cases"]):
        n = len(v)
        for i, a in enumerate(v):
            pos_sum[a] += c * (i / (n - 1) if n > 1 else 0.5)
            pos_n[a] += c
    out = {}
    pred: dict[str, Counter] = defaultdict(Counter)
    succ: dict[str, Counter] = defaultdict(Counter)
    for s, t, c in zip(p.edges["source"], p.edges["target"], p.edges["cases"]):
        succ[s][t] += int(c)
        pred[t][s] += int(c)
    for a, ev, cs in zip(p.activities["activity"], p.activities["events"], p.activities["cases"]):
        out[a] = {
            "position": pos_sum[a] / pos_n[a] if pos_n[a] else 0.5,
            "coverage": cs / max(p.cases, 1),
            "per_case": ev / max(cs, 1),
            "pred": _strong(pred[a]),
            "succ": _strong(succ[a]),
        }
    return out


def _strong(c: Counter) -> set[str]:
    """The neighbours carrying at least 10% of the flow."""
    total = sum(c.values())
    return {k for k, v in c.items() if total and v / total >= 0.1}


def _behaviour_sim(f: dict, g: dict, rename: dict[str, str]) -> tuple[float, str]:
    pos = 1 - min(abs(f["position"] - g["position"]) * 2, 1.0)
    cov = 1 - min(abs(f["coverage"] - g["coverage"]), 1.0)
    per = min(f["per_case"], g["per_case"]) / max(f["per_case"], g["per_case"])
    fp, fs = {rename.get(x, x) for x in f["pred"]}, {rename.get(x, x) for x in f["succ"]}
    nb = (_jaccard(fp, g["pred"]) + _jaccard(fs, g["succ"])) / 2
    score = 0.3 * pos + 0.2 * cov + 0.1 * per + 0.4 * nb
    return score, f"position {f['position']:.2f} vs {g['position']:.2f}, cases {f['coverage']:.0%} vs " \
                  f"{g['coverage']:.0%}, neighbours {nb:.2f}"


def _jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _merge_features(feats: list[dict]) -> dict:
    return {
        "position": float(np.mean([f["position"] for f in feats])),
        "coverage": float(np.mean([f["coverage"] for f in feats])),
        "per_case": float(np.mean([f["per_case"] for f in feats])),
        "pred": {x for f in feats for x in f["pred"] if sum(x in g["pred"] for g in feats) * 2 >= len(feats)},
        "succ": {x for f in feats for x in f["succ"] if sum(x in g["succ"] for g in feats) * 2 >= len(feats)},
    }


# ----------------------------------------------------------------------------- proposal


def propose_mapping(profiles: dict[str, dict[str, UnitProfile]], *, min_score: float = DEFAULT_MIN_SCORE) -> pd.DataFrame:
    """The proposed mapping of every activity of every unit (columns :data:`COLUMNS`), sorted."""

    rows = []
    for process, units in sorted(profiles.items()):
        names = {u: list(p.activities["activity"]) for u, p in sorted(units.items())}
        feats = {u: _features(p) for u, p in sorted(units.items())}
        support = Counter(a for acts in names.values() for a in set(acts))
        need = max(2, (len(units) + 1) // 2)
        shared = sorted(a for a, n in support.items() if n >= need)
        if not shared:
            biggest = sorted(names, key=lambda u: (-len(names[u]), u))[0]
            shared = sorted(names[biggest])
        while True:  # names left unmapped in two or more units join the shared vocabulary; map again
            ref = {a: _merge_features([feats[u][a] for u in names if a in feats[u]]) for a in shared}
            proc_rows = [r for u in names for r in _assign_unit(process, u, names[u], feats[u], shared, ref, min_score)]
            left = Counter(r[2] for r in proc_rows if r[4] == "unmapped")
            add = sorted(a for a, n in left.items() if n >= 2)
            if not add:
                break
            shared = sorted(set(shared) | set(add))
        rows.extend(proc_rows)
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("score", "lexical", "behavioural"):
        out[col] = out[col].astype(float).round(4)
    return out.sort_values(["process", "unit", "activity"], kind="stable").reset_index(drop=True)


def _assign_unit(process: str, u: str, acts: list[str], feats: dict, shared: list[str], ref: dict,
                 min_score: float) -> list[tuple]:
    """The rows of one unit: its activities matched to the shared names by an optimal assignment."""
    from scipy.optimize import linear_sum_assignment

    rows = []
    own = [a for a in acts if a not in ref]
    free = [c for c in shared if c not in set(acts)]
    lex = np.array([[lexical_similarity(a, c) for c in free] for a in own]).reshape(len(own), len(free))
    # neighbours are compared in shared names: the unit's own names through the lexical first pass
    first = {a: free[int(np.argmax(lex[i]))] for i, a in enumerate(own) if free and lex[i].max() >= 0.5}
    beh = np.zeros_like(lex)
    why = [[""] * len(free) for _ in own]
    for i, a in enumerate(own):
        for j, c in enumerate(free):
            beh[i, j], why[i][j] = _behaviour_sim(feats[a], ref[c], first)
    score = LEXICAL_WEIGHT * lex + (1 - LEXICAL_WEIGHT) * beh
    chosen: dict[int, int] = {}
    if own and free:
        r, c = linear_sum_assignment(-np.round(score, 12))
        chosen = {int(i): int(j) for i, j in zip(r, c) if score[i, j] >= min_score and lex[i, j] >= MIN_LEXICAL}
    for a in acts:
        if a in ref:
            rows.append((process, u, a, a, "same", 1.0, 1.0, 1.0, "name shared by units", ""))
            continue
        i = own.index(a)
        order = sorted(range(len(free)), key=lambda j: (-score[i, j], free[j]))[:3]
        cands = "|".join(f"{free[j]}={score[i, j]:.3f}" for j in order)
        if i in chosen:
            j = chosen[i]
            ev = f"lexical {lex[i, j]:.2f} ({' '.join(tokens(a))} ~ {' '.join(tokens(free[j]))}); {why[i][j]}"
            rows.append((process, u, a, free[j], "mapped", score[i, j], lex[i, j], beh[i, j], ev, cands))
        else:
            best = order[0] if order else None
            sc = (score[i, best], lex[i, best], beh[i, best]) if best is not None else (0.0, 0.0, 0.0)
            ev = (f"no shared name scores {min_score} or more (lexical {MIN_LEXICAL} or more); kept" if free
                  else "no shared name left; kept")
            # 1:n: a shared name this unit already does under that name (or another of its names took it)
            taken = sorted({c for c in shared if c in set(acts)} | {free[j] for j in chosen.values()})
            near = sorted(((_split_similarity(a, t), t) for t in taken), key=lambda x: (-x[0], x[1]))
            near = [(x, t) for x, t in near if x >= SPLIT_LEXICAL][:2]
            if near:
                ev += "; possibly one step split in two in this unit: " + ", ".join(
                    f"{t!r} (lexical {x:.2f}, already taken)" for x, t in near) + "; set canonical to merge them"
                cands = "|".join([*(f"{t}={x:.3f}(taken)" for x, t in near), *([cands] if cands else [])])
            rows.append((process, u, a, a, "unmapped", *sc, ev, cands))
    return rows


def match_command(inputs, out, *, min_score: float | None = None, **options) -> list[str]:
    """``divergence match``: read, profile, propose and write the mapping CSV; the lines to print."""
    from .portable import read_profiles

    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise InputError(f"--min-score {min_score}: expected a number from 0 to 1")
    profiles, _ = read_profiles(inputs, **options)
    table = propose_mapping(profiles, min_score=DEFAULT_MIN_SCORE if min_score is None else min_score)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, lineterminator="\n")
    n = table["status"].value_counts()
    return [f"wrote {out}: {len(table)} activities of {table['unit'].nunique()} unit(s); "
            f"{int(n.get('same', 0))} already shared, {int(n.get('mapped', 0))} mapped, "
            f"{int(n.get('unmapped', 0))} kept unmapped (check the 'mapped' rows, then analyse with --mapping {out})"]
