"""The self-contained HTML report: inline CSS and SVG, no script, no network.

An SVG larger than :data:`INLINE_SVG_BYTES` is linked (it sits beside the
report in the process's ``graphs`` folder) rather than inlined; wide maps
are stacked rather than shown side by side.

Every piece of user data (unit, process and activity names, file names) goes
through :func:`html.escape`; the page also carries a Content-Security-Policy
that forbids scripts and any request, so even a missed escape could not run
code or fetch anything.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from ..departments import departments
from ..harmonise.changes import CHANGE_KINDS
from ..privacy import fold_profile
from . import uncertainty
from ..result import AnalysisResult, ProcessResult
from .text import money

__all__ = ["render_html"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root{--ink:#1d2433;--mute:#5b6478;--line:#d9dee8;--bg:#f6f7fb;--card:#fff;--accent:#0072B2;--warn:#D55E00;--ok:#009E73}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
header{background:#1d2433;color:#fff;padding:28px 40px}
header h1{margin:0;font-size:26px}
header p{margin:6px 0 0;color:#c9d1e3}
main{max-width:1200px;margin:0 auto;padding:24px 32px 64px}
h2{font-size:22px;margin:36px 0 12px;border-bottom:2px solid var(--line);padding-bottom:6px}
h3{font-size:18px;margin:24px 0 8px}
h4{font-size:15px;margin:16px 0 6px}
.exec{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:14px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.tile .big{font-size:28px;font-weight:700;color:var(--accent)}
.tile .lbl{color:var(--mute);font-size:13px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:14px 0}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin:8px 0}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f7;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;background:#eef1f7;margin:1px 2px}
.k-add{background:#e6f1f8}.k-drop{background:#fbe9df}.k-reorder{background:#f6eecf}.k-rework{background:#f3e3ee}
.warn{color:var(--warn)}
.mute{color:var(--mute)}
figure{margin:10px 0;overflow-x:auto}
figure svg{max-width:100%;height:auto}
figcaption{color:var(--mute);font-size:13px}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
footer{color:var(--mute);font-size:12.5px;margin-top:40px}
code{background:#eef1f7;padding:0 4px;border-radius:4px}
"""


def e(text: object) -> str:
    """Escape user data for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def render_html(
    result: AnalysisResult,
    *,
    graphs: dict[str, dict[str, Path]],
    tables: dict[str, dict[str, str]],
    min_cases: int = 1,
    generated_at: str = "",
    models: dict[str, dict[str, str]] | None = None,
    workbook: str | None = None,
) -> str:
    """The report page as a string.

    ``graphs[process][name]`` is an SVG file to inline; ``tables[process][name]``
    a relative link to a CSV beside the report; ``models[process][name]`` to a
    BPMN file; ``workbook`` to the Excel workbook.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        "<title>Process divergence and harmonisation report</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>Process divergence and harmonisation</h1>",
        f"<p>{len(result.processes)} process(es), "
        f"{sum(len(p.units) for p in result.processes.values())} unit logs analysed · divergence {e(result.version)}</p></header>",
        "<main>",
        _executive(result),
    ]
    for p, pr in result.processes.items():
        parts.append(_process_section(pr, graphs.get(p, {}), tables.get(p, {}), min_cases, (models or {}).get(p, {})))
    parts.append(_method(result))
    book = f'the workbook <a href="{e(workbook)}">{e(workbook)}</a> (every table, one sheet each), ' if workbook else ""
    parts.append(
        "<footer><p>Files beside this report: "
        f'<a href="summary.json">summary.json</a>, {book}and one folder per process with CSV tables, graphs '
        f"(SVG, PNG) and BPMN models. Generated {e(generated_at)}.</p></footer>"
    )
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def _executive(result: AnalysisResult) -> str:
    out = ['<section id="summary"><h2>Executive summary</h2>']
    tiles = []
    total = {"low": 0.0, "central": 0.0, "high": 0.0}
    for pr in result.processes.values():
        for k in total:
            total[k] += pr.total_cost.total_cost_gbp[k]
    n_units = len({u for pr in result.processes.values() for u in pr.units})
    tiles.append(_tile(str(n_units), "units compared"))
    tiles.append(
        _tile(
            " · ".join(f"{len(pr.families.members)}" for pr in result.processes.values()),
            "process families in " + ", ".join(e(p) for p in result.processes),
        )
    )
    tiles.append(
        _tile(
            f"{money(total['low'])}–{money(total['high'])}",
            f"one-off harmonisation cost, all processes (central {money(total['central'])})",
        )
    )
    out.append('<div class="exec">' + "".join(tiles) + "</div>")
    # how many distinct processes each department runs, per process
    procs = list(result.processes)
    depts: dict[str, list[str]] = {}
    for pr in result.processes.values():
        for dept, units in departments(pr.units).items():
            depts.setdefault(dept, [])
            depts[dept] = sorted(set(depts[dept]) | set(units))
    head = "".join(f"<th class=num>{e(p)}</th>" for p in procs)
    rows = []
    for dept, units in depts.items():
        cells = []
        for p in procs:
            pr = result.processes[p]
            fam_of = pr.family_of
            mine = [u for u in units if u in fam_of]
            fams = sorted({fam_of[u] for u in mine})
            cells.append(
                f"<td class=num><b>{len(fams)}</b> " + "".join(f"<span class=pill>{e(f)}</span>" for f in fams) + "</td>"
                if mine
                else "<td class=num>—</td>"
            )
        rows.append(f"<tr><td>{e(dept)}</td><td>{', '.join(e(u) for u in units)}</td>{''.join(cells)}</tr>")
    out.append(
        "<h3>Distinct processes per department</h3>"
        f"<table><tr><th>department</th><th>units</th>{head}</tr>" + "".join(rows) + "</table>"
        "<p class=mute>Each figure counts the process families a department's units fall into; "
        "the pills name the families.</p>"
    )
    for p, pr in result.processes.items():
        out.append(f'<div class="card"><h3>{e(p)}</h3>')
        fam_txt = "; ".join(
            f"<b>{e(f)}</b>: {', '.join(e(u) for u in m)}" for f, m in pr.families.members.items()
        )
        t = pr.total_cost
        out.append(f"<p><b>{len(pr.families.members)} process families:</b> {fam_txt}</p>")
        out.append(
            f"<p><b>Recommended target:</b> {e(pr.target.name)} <span class=mute>({e(pr.target.kind)})</span> — "
            f"{e(pr.target.reason)}</p>"
        )
        out.append(
            f"<p><b>Harmonisation cost:</b> {money(t.total_cost_gbp['low'])} to {money(t.total_cost_gbp['high'])} one-off "
            f"(central {money(t.total_cost_gbp['central'])}, {t.effort_days['central']:,.0f} person-days); "
            f"annual effect {_effect(t.annual_effect_gbp)}.</p>"
        )
        waves = defaultdict(list)
        for row in pr.waves.sort_values(["wave", "unit"]).itertuples(index=False):
            waves[int(row.wave)].append(row.unit)
        out.append(
            "<p><b>Migration waves:</b> "
            + " → ".join(f"wave {w}: {', '.join(e(u) for u in us)}" for w, us in sorted(waves.items()))
            + "</p></div>"
        )
    out.extend(_ocel_note(o) for o in result.ocel_inputs())
    if result.warnings:
        out.append('<details class="card"><summary class="warn">Input warnings (' + str(len(result.warnings)) + ")</summary><ul>")
        out.extend(
            f"<li><code>{e(getattr(w, 'code', 'other'))}</code> {e(getattr(w, 'message', w))}</li>"
            for w in result.warnings
        )
        out.append("</ul></details>")
    out.append("</section>")
    return "\n".join(out)


def _ocel_note(o: dict) -> str:
    """How an OCEL 2.0 input was flattened (divergence.io.ocel)."""
    t = e(o["object_type"])
    return (f'<p class="card"><b>Object-centric input</b> {e(Path(o["path"]).name)}: object type <b>{t}</b> plays the '
            f'case ({o["objects"]:,} objects; other types: {e(", ".join(k for k in o["object_types"] if k != o["object_type"]) or "none")}). '
            f'Each event belongs to every {t} it relates to: {o["shared_events"]:,} of {o["events_used"]:,} events are '
            f'shared by several objects and counted in each; {o["unrelated_events"]:,} events relate to no {t} and are left out.</p>')


def _process_section(pr: ProcessResult, graphs: dict[str, Path], tables: dict[str, str], min_cases: int,
                     models: dict[str, str] | None = None) -> str:
    p = pr.process
    out = [f'<section id="p-{e(p)}"><h2>{e(p)}: divergence, families and harmonisation</h2>']
    out.append(_figure(graphs.get("heatmap"), "Combined divergence between units (0 = same process, 1 = nothing in common), ordered by the family dendrogram."))
    fam_rows = "".join(
        f"<tr><td>{e(f)}{_tentative_pill(pr, f)}</td><td>{', '.join(e(u) for u in m)}</td><td>{e(pr.families.medoids[f])}</td>"
        f"<td class=num>{_num(pr.stability.get(f), '{:.2f}')}</td></tr>"
        for f, m in pr.families.members.items()
    )
    out.append(
        "<table><tr><th>family</th><th>units</th><th>medoid (most typical unit)</th>"
        "<th class=num>stability</th></tr>" + fam_rows + "</table>"
    )
    out.append(_stability_caveat(pr))
    out.append(_matrices_table(pr))
    out.append(_figure(graphs.get("coverage"), "Share of cases covered by each unit's most frequent variants."))
    out.append('<div class="grid2">')
    out.append(_figure(graphs.get("costs"), "One-off harmonisation cost per unit, stacked by change kind; whiskers show the low–high range."))
    out.append(_figure(graphs.get("waves"), "Migration waves: units ready first to those needing most change."))
    out.append("</div>")
    out.append(_cost_table(pr))
    out.append(uncertainty.html_section(pr, graphs.get("tornado"), _figure))
    out.append("<h3>Units</h3>")
    for u in pr.units:
        out.append(_unit_card(pr, u, graphs, min_cases))
    links = " · ".join(f'<a href="{e(href)}">{e(name)}.csv</a>' for name, href in sorted(tables.items()))
    out.append(f"<p class=mute>Tables: {links}</p>")
    if models:
        files = " · ".join(f'<a href="{e(href)}">{e(href.rsplit("/", 1)[-1])}</a>' for href in sorted(models.values(), key=lambda h: (not h.endswith("/target.bpmn"), h)))
        out.append(f"<p class=mute>Process models as BPMN 2.0 with layout (for bpmn.io, Camunda Modeler, Signavio): {files}</p>")
    out.append("</section>")
    return "\n".join(out)


def _tentative_pill(pr: ProcessResult, family: str) -> str:
    fb = pr.family_bootstrap
    return ' <span class="pill warn">tentative</span>' if fb is not None and fb.tentative(family) else ""


def _stability_caveat(pr: ProcessResult) -> str:
    """A caveat under the families table when a family, or the grouping as a whole, comes back in under half the resamples."""
    from ..families.stability import TENTATIVE_BELOW

    fb = pr.family_bootstrap
    if fb is None or not (fb.tentative_families or fb.chosen_share < TENTATIVE_BELOW):
        return ""
    if fb.tentative_families:
        weak = ", ".join(f"{e(f)} ({pr.stability[f]:.2f})" for f in fb.tentative_families)
        head = f"<b>Tentative families: {weak}.</b> "
    else:
        head = "<b>Tentative grouping.</b> "
    counts = ", ".join(f"{k} families in {v:.0%}" for k, v in fb.family_counts.items())
    runner = (
        f" The most frequent other grouping, in {fb.runner_up_share:.0%} of the resamples, is "
        + "; ".join("{" + ", ".join(e(u) for u in g) + "}" for g in fb.runner_up) + "."
        if fb.runner_up is not None else ""
    )
    return (
        f'<p class="card warn" id="tentative-{e(pr.process)}">{head}Stability is the share of {fb.n_resamples} '
        "bootstrap resamples of each unit's cases in which a family's members form a family again; below 0.5 a "
        "family depends on which cases happened to be logged, so treat its membership, and the waves and costs "
        f"grouped by it, as provisional. Chosen afresh on each resample, the grouping above came back in "
        f"{fb.chosen_share:.0%} of them ({counts}).{runner}</p>"
    )


def _matrices_table(pr: ProcessResult) -> str:
    out = ["<details><summary>All divergence measures (matrices)</summary>"]
    for name, m in pr.matrices.items():
        head = "".join(f"<th class=num>{e(u)}</th>" for u in pr.units)
        body = "".join(
            f"<tr><th>{e(u)}</th>" + "".join(f"<td class=num>{m[i][j]:.2f}</td>" for j in range(len(pr.units))) + "</tr>"
            for i, u in enumerate(pr.units)
        )
        out.append(f"<h4>{e(name)}</h4><table><tr><th></th>{head}</tr>{body}</table>")
    out.append("</details>")
    return "\n".join(out)


def _cost_table(pr: ProcessResult) -> str:
    rows = []
    order = pr.waves.sort_values(["wave", "unit"])["unit"].tolist() + list(pr.excluded)
    wave_of = dict(zip(pr.waves["unit"], pr.waves["wave"]))
    for u in order:
        c = pr.costs[u]
        rows.append(
            f"<tr><td>{e(u)}</td><td>{e(pr.family_of.get(u, '—'))}</td><td class=num>{_num(wave_of.get(u), '{:.0f}')}</td>"
            f"<td class=num>{pr.alignments[u].fitness:.2f}</td>"
            f"<td class=num>{money(c.cost_gbp['central'])} <span class=mute>({money(c.cost_gbp['low'])}–{money(c.cost_gbp['high'])})</span></td>"
            f"<td class=num>{c.effort_days['central']:,.0f}</td>"
            f"<td class=num>{_effect(c.annual_effect_gbp)}</td>"
            f"<td class=num>{_payback(c.payback_months.get('central'))}</td>"
            f"<td class=num>{len(c.items)}</td></tr>"
        )
    return (
        "<table><tr><th>unit</th><th>family</th><th class=num>wave</th><th class=num>fitness to target</th>"
        "<th class=num>one-off cost (range)</th><th class=num>person-days</th><th class=num>annual effect</th>"
        "<th class=num>payback</th><th class=num>changes</th></tr>" + "".join(rows) + "</table>"
    )


def _unit_card(pr: ProcessResult, u: str, graphs: dict[str, Path], min_cases: int) -> str:
    prof = fold_profile(pr.profiles[u], min_cases)
    raw = pr.profiles[u]
    c = pr.costs[u]
    low = ' <span class="pill warn">low evidence</span>' if raw.low_evidence else ""
    if u in pr.excluded:
        low += ' <span class="pill warn">too few cases: no family, wave or target role</span>'
    out = [f'<details class="card" id="u-{e(pr.process)}-{e(u)}"><summary>{e(u)} <span class=pill>{e(pr.family_of.get(u, "—"))}</span>{low} '
           f'<span class=mute>· {raw.cases:,} cases · fitness to target {pr.alignments[u].fitness:.2f} · '
           f'{money(c.cost_gbp["central"])}</span></summary>']
    out.append(
        f"<p>{raw.cases:,} cases, {raw.events:,} events, {len(raw.variants):,} variants "
        f"(top 10 cover {raw.top_variant_coverage(10):.0%}), {len(raw.activities)} activities, "
        f"{raw.first:%d %b %Y} to {raw.last:%d %b %Y}.</p>"
    )
    maps = [(graphs.get(f"map:{u}"), f"Process map of {u}."),
            (graphs.get(f"diff:{u}"), f"Difference between {u} and the target: the strongest differences first.")]
    if pr.target.kind == "unit" and pr.target.name == u:
        maps[1] = (None, "")
        note = "<p class=mute>No difference map: this unit is the target.</p>"
    elif maps[1][0] is None and graphs.get(f"map:{u}") is not None:
        note = "<p class=mute>No difference map: this unit's behaviour does not differ from the target's.</p>"
    else:
        note = ""
    shown = [(path, cap) for path, cap in maps if path is not None and Path(path).exists()]
    side_by_side = len(shown) == 2 and all(_fits_half(path) for path, _ in shown)
    out.append('<div class="grid2">' if side_by_side else "<div>")
    out.extend(_figure(path, cap) for path, cap in shown)
    out.append("</div>" + note)
    v = prof.variants.head(8)
    vrows = "".join(
        f"<tr><td class=num>{int(r.cases):,}</td><td class=num>{r.share:.1%}</td><td>{e(' → '.join(r.variant))}</td></tr>"
        for r in v.itertuples(index=False)
    )
    out.append(f"<h4>Most frequent variants</h4><table><tr><th class=num>cases</th><th class=num>share</th><th>variant</th></tr>{vrows}</table>")
    local = pr.common.local_edges
    local = local[(local["unit"] == u) & (local["cases"] >= min_cases)].head(10)
    if len(local):
        lrows = "".join(
            f"<tr><td>{e(r['source'])} → {e(r['target'])}</td><td class=num>{int(r['cases']):,}</td>"
            f"<td class=num>{r['share']:.1%}</td></tr>"
            for r in local.to_dict("records")
        )
        out.append(
            "<h4>What only this unit does</h4><table><tr><th>transition no other unit has</th>"
            f"<th class=num>cases</th><th class=num>share</th></tr>{lrows}</table>"
        )
    items = c.items
    if min_cases > 1 and len(items):
        items = items[items["cases"] >= min_cases]
    if len(items):
        brows = "".join(
            f"<tr><td><span class='pill k-{e(r['kind'])}'>{e(r['kind'])}</span></td>"
            f"<td>{e(r['activities'] if isinstance(r['activities'], str) else ' → '.join(r['activities']))}</td>"
            f"<td class=num>{int(r['cases']):,}</td><td class=num>{r['share']:.1%}</td>"
            f"<td class=num>{int(r['staff'])}</td><td class=num>{money(r['cost_gbp'])}</td>"
            f"<td class=num title=\"{e(r['evidence'])}\">{_num(r['q_value'], '{:.1g}')}</td></tr>"
            for r in items.to_dict("records")
        )
        out.append(
            "<h4>Change backlog</h4><table><tr><th>kind</th><th>activities</th><th class=num>cases</th>"
            "<th class=num>share</th><th class=num>staff</th><th class=num>cost</th>"
            f"<th class=num>q-value</th></tr>{brows}</table>"
            "<p class=mute>q-value: the chance-adjusted significance of the difference from the target "
            "(Benjamini–Hochberg over all items of the process); hover for the test.</p>"
        )
    elif pr.target.kind == "unit" and pr.target.name == u:
        out.append("<p class=mute>This unit is the target: it runs the target process by definition.</p>")
    else:
        out.append("<p class=mute>No change needed: this unit already runs the target process.</p>")
    exc = [it for it in pr.exceptions.get(u, []) if it.cases >= min_cases]
    if exc:
        erows = "".join(
            f"<tr><td>{e(it.kind)}</td><td>{e(' → '.join(it.activities))}</td><td class=num>{it.cases:,}</td>"
            f"<td class=num>{it.share:.1%}</td><td>{e(it.note)}</td></tr>"
            for it in exc[:30]
        )
        more = f"<p class=mute>… and {len(exc) - 30} more in change_exceptions.csv.</p>" if len(exc) > 30 else ""
        out.append(
            f"<details><summary>Exceptions: {len(exc)} difference(s) listed but not priced</summary>"
            "<table><tr><th>kind</th><th>activities</th><th class=num>cases</th><th class=num>share</th>"
            f"<th>why not priced</th></tr>{erows}</table>{more}</details>"
        )
    out.append("</details>")
    return "\n".join(out)


def _method(result: AnalysisResult) -> str:
    kinds = "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in CHANGE_KINDS.items())
    return f"""<section id="method"><h2>Method and assumptions</h2>
<div class="card">
<p><b>Divergence measures</b> (each 0 to 1 between every pair of units): <i>language</i>, the earth mover's
distance between the units' variant distributions with normalised Levenshtein ground distance (Leemans et al.);
<i>flow</i>, the Jensen–Shannon distance between directly-follows distributions; <i>activities</i>, weighted Jaccard
distance over the share of cases doing each activity; <i>conformance</i>, 1 − fitness of one unit's variants replayed
on the other's discovered model (averaged both ways); <i>performance</i>, the Wasserstein distance between
throughput-time distributions on the log10(1 + seconds) scale, in decades (a unit whose cases take 3× as long
reads about 0.48, 10× or more reads 1). <i>Combined</i> is their weighted mix and drives the families.</p>
<p><b>Families</b>: average-linkage clustering of the combined divergence; the number of families is chosen by
silhouette unless given; stability is the share of bootstrap resamples of cases in which a family's members stay together; a family below
0.5 is marked tentative, with the grouping the resamples give most often instead.</p>
<p><b>Harmonisation</b>: when the target is a unit (or the behaviour most units share), each unit's variants are
transported at least edit cost onto the variants the target really runs (a unit may run each target variant up to
twice as often as the target: case mix), and each transported pair is split into edits; against a model file each
variant is aligned to the model. The edits become change items, each tested against the target (Fisher exact test
on the share of cases showing it, Benjamini–Hochberg over all items); items that are not significant, or in under
the minimum share of cases, are listed as exceptions and not priced:</p>
<ul>{kinds}</ul>
<p><b>Cost model</b>: one-off cost = redesign effort per change item + retraining of the staff affected + a per-unit
migration overhead; the annual effect comes from the change in work per case. Low, central and high figures use the
low, central and high values of every parameter (see the README for each default and its rationale).</p>
</div></section>"""


def _tile(big: str, label: str) -> str:
    return f'<div class="tile"><div class="big">{big}</div><div class="lbl">{label}</div></div>'


#: An SVG file larger than this is linked from the report, not inlined.
INLINE_SVG_BYTES = 1_500_000
#: Maps wider than this (points) are stacked, not put side by side.
HALF_WIDTH_PT = 560.0


def _figure(path: Path | None, caption: str) -> str:
    if path is None or not Path(path).exists():
        return ""
    links = f"<a href=\"{e(_rel(path))}\">SVG</a>"
    png = Path(path).with_suffix(".png")
    if png.exists():  # charts have a PNG too; maps are SVG only
        links += f" · <a href=\"{e(_rel(png))}\">{e(png.name)}</a>"
    size = Path(path).stat().st_size
    if size > INLINE_SVG_BYTES:
        return (f"<figure><p class=mute>This drawing ({size / 1e6:.1f} MB) is too large to include in the page; "
                f"open it beside the report.</p><figcaption>{e(caption)} {links}</figcaption></figure>")
    svg = Path(path).read_text(encoding="utf-8")
    svg = svg[svg.find("<svg") :] if "<svg" in svg else ""
    return f"<figure>{svg}<figcaption>{e(caption)} {links}</figcaption></figure>"


def _fits_half(path: Path) -> bool:
    """Whether a drawing is narrow enough to share the page's width with another."""
    from ..render.bounds import PX_PER_PT, svg_size_px

    with open(path, encoding="utf-8") as fh:
        head = fh.read(2048)
    try:
        return svg_size_px(head)[0] <= HALF_WIDTH_PT * PX_PER_PT
    except ValueError:
        return False


def _rel(path: Path) -> str:
    parts = Path(path).parts
    return "/".join(parts[-3:]) if len(parts) >= 3 else Path(path).name


def _effect(d: dict) -> str:
    c = d["central"]
    word = "saving" if c >= 0 else "extra cost"
    return f"{money(abs(c))}/yr {word} <span class=mute>({money(d['low'])} to {money(d['high'])})</span>"


def _payback(m: float | None) -> str:
    if m is None or m != m or m == float("inf"):
        return "—"
    return f"{m:.0f} mo"


def _num(x, fmt: str) -> str:
    return "—" if x is None else fmt.format(x)
