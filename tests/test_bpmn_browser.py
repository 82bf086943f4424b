"""The exported BPMN opened by bpmn-js (the bpmn.io viewer) in headless Chromium, without network.

Needs ``bpmn-viewer.production.min.js`` of bpmn-js 17: the path in
``DIVERGENCE_BPMN_JS``, or ``tests/.cache/bpmn-viewer.production.min.js``
(``python3 .ci/fetch-bpmn-js`` fetches it from the npm registry; ``.ci/run`` does);
skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import pytest

from conftest import SAMPLE_LOGS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BUNDLE = Path(os.environ.get("DIVERGENCE_BPMN_JS", Path(__file__).parent / ".cache" / "bpmn-viewer.production.min.js"))
pytestmark = [pytest.mark.browser]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="viewer.js"></script></head>
<body><div id="canvas" style="width:1600px;height:600px"></div><script>
window.result = (async () => {
  const viewer = new BpmnJS({container: '#canvas'});
  const out = [];
  for (const xml of XMLS) {
    try {
      const {warnings} = await viewer.importXML(xml);
      const all = viewer.get('elementRegistry').getAll();
      out.push({warnings: warnings.map(w => w.message), shapes: all.filter(e => !e.waypoints && e.type !== 'bpmn:Process').length,
                edges: all.filter(e => e.waypoints).length, error: null});
    } catch (err) { out.push({error: String(err)}); }
  }
  return out;
})();
</script></body></html>"""


def test_bpmn_js_imports_every_model_without_warnings(tmp_path):
    if not CHROMIUM:
        pytest.skip("headless Chromium not installed")
    if not BUNDLE.is_file():
        pytest.skip(f"bpmn-js viewer bundle not found at {BUNDLE} (see this module's docstring)")
    sync_api = pytest.importorskip("playwright.sync_api")
    import divergence
    from divergence.report.bpmn import write_models

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr = divergence.analyse(SAMPLE_LOGS / "hr", bootstrap=0)["hr"]
    files = write_models(pr, tmp_path / "models")
    xmls = [p.read_text(encoding="utf-8") for p in files.values()]
    shutil.copy(BUNDLE, tmp_path / "viewer.js")
    page_file = tmp_path / "page.html"
    page_file.write_text(PAGE.replace("XMLS", json.dumps(xmls)), encoding="utf-8")
    requests = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            results = page.evaluate("window.result")
        finally:
            browser.close()
    assert len(results) == len(files) == len(pr.units) + 1
    assert all(u.startswith("file://") for u in requests), requests
    from lxml import etree

    for (name, path), res in zip(files.items(), results):
        assert res["error"] is None and res["warnings"] == [], (name, res)
        root = etree.parse(str(path)).getroot()
        n_shapes = len(root.findall(".//{*}BPMNShape"))
        n_edges = len(root.findall(".//{*}BPMNEdge"))
        assert (res["shapes"], res["edges"]) == (n_shapes, n_edges), name
