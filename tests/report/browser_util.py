"""Open an HTML file in headless Chromium and report console errors, network use and drawn plots.

A probe script is injected at the top of a copy of the page. It records ``console.error`` calls,
uncaught errors and rejected promises, and every resource the page fetched (Resource Timing API;
``file:`` pages fetching nothing list none), then writes a JSON verdict into the DOM, which
``--dump-dom`` returns after the page's scripts have run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

PROBE = """<script>
window.__probe = {errors: [], warnings: 0};
(function () {
  const origError = console.error;
  console.error = function (...a) { window.__probe.errors.push(a.map(String).join(' ')); origError.apply(console, a); };
  window.addEventListener('error', e => window.__probe.errors.push('error: ' + (e.message || e.type)));
  window.addEventListener('unhandledrejection', e => window.__probe.errors.push('rejection: ' + String(e.reason)));
  window.addEventListener('load', () => setTimeout(() => {
    const res = performance.getEntriesByType('resource').map(r => r.name);
    const maps = {};
    document.querySelectorAll('.js-plotly-plot').forEach(d => {
      maps[d.id] = {svg: d.querySelectorAll('svg.main-svg').length,
                    traces: d.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length,
                    points: d.querySelectorAll('.scatterlayer .point').length,
                    lines: d.querySelectorAll('.scatterlayer .js-line').length};
    });
    const out = document.createElement('pre');
    out.id = '__probe_out';
    out.textContent = JSON.stringify({errors: window.__probe.errors, resources: res, plots: maps});
    document.body.appendChild(out);
  }, 500));
})();
</script>"""


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def probe_page(html_path: Path, timeout_s: float = 120.0) -> dict[str, Any]:
    """Load `html_path` (a copy with the probe injected) in headless Chromium; return the verdict."""
    exe = chromium_binary()
    if exe is None:
        raise RuntimeError("chromium not installed (scripts/test.sh installs the Debian package)")
    html = html_path.read_text(encoding="utf-8")
    probed = html.replace("<head>", "<head>" + PROBE, 1)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(probed, encoding="utf-8")
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={tmp}/profile",
            "--virtual-time-budget=20000", "--window-size=1280,2000", "--dump-dom", page.as_uri(),
        ]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    m = re.search(r'<pre id="__probe_out">(.*?)</pre>', r.stdout, re.S)
    if not m:
        raise RuntimeError(f"probe did not report; chromium exit {r.returncode}: {r.stderr[-2000:]}")
    text = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    out: dict[str, Any] = json.loads(text)
    return out
