"""Every batch's ``report.html`` in a real (headless) Chromium: a small sweep, comparison, sensitivity analysis
and validation folder are built as a user builds them (``lonesim sweep/compare/sensitivity``, ``lonesim report``),
then each page is opened at 1280 and 800 pixels wide. The page must not scroll sideways, must load nothing
from the network (it is self-contained), must show its figures, and must put the answer ("In plain words")
before the first table.

Artifacts: test-artifacts/report-<kind>-<width>.png; with LONESIM_UPDATE_SCREENSHOT=1 also
docs/img/report-comparison-1280.png and -800.png (the README's and docs/programmes.md's screenshots).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LONESIM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
WIDTHS = (1280, 800)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]

if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM}: install it with `bash scripts/install_chromium.sh`",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the [test] extra) is not installed")


def lonesim(*args) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return res


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """One small folder of each kind, each with its report.html."""
    from tests.test_compare import TINY as COMPARE
    from tests.test_sensitivity import TINY as SENSITIVITY
    from tests.test_sweep import SMALL as SWEEP

    base = tmp_path_factory.mktemp("reports")
    out: dict[str, Path] = {}
    for kind, command, text in (("sweep", "sweep", SWEEP), ("comparison", "compare", COMPARE),
                                ("sensitivity", "sensitivity", SENSITIVITY)):
        path = base / f"{kind}.yaml"
        path.write_text(text, encoding="utf-8")
        out[kind] = base / kind
        lonesim(command, path, "--workers", "2", "--out", out[kind], "--quiet")
    out["validation"] = base / "validation"  # the shipped validation results, rebuilt by lonesim report
    out["validation"].mkdir()
    shutil.copy(ROOT / "results" / "reference" / "validation.csv", out["validation"])
    shutil.copytree(ROOT / "results" / "reference" / "validation", out["validation"] / "validation")
    res = lonesim("report", out["validation"])
    assert "validation report:" in res.stderr
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
        yield b
        b.close()


@pytest.mark.parametrize("kind", ["sweep", "comparison", "sensitivity", "validation"])
def test_each_report_fits_1280_and_800_pixels_and_needs_no_network(folders, browser, kind):
    page_file = folders[kind] / "report.html"
    assert page_file.exists(), f"{kind}: no report.html"
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url) if not r.url.startswith(("file:", "data:"))
                else None)
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, f"{kind} report scrolls sideways at {width} px ({scroll} > {client})"
        wide = page.evaluate("Array.from(document.querySelectorAll('table, img, figure'))"
                             ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
                             ".length")
        assert wide == 0, f"{kind}: {wide} table(s) or figure(s) stick out of the page at {width} px"
        scrolled = page.evaluate("Array.from(document.querySelectorAll('.scroll'))"
                                 ".filter(e => e.scrollWidth > e.clientWidth + 1).length")
        assert scrolled == 0, f"{kind}: {scrolled} table(s) need sideways scrolling at {width} px"
        assert requests == [], f"{kind} report asked the network for {requests[:3]}"
        images = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
        assert images and all(w > 0 for w in images), f"{kind}: a figure did not load"
        order = page.evaluate("(() => { const h = Array.from(document.querySelectorAll('h2'))"
                              ".find(e => e.textContent === 'In plain words');"
                              " const t = document.querySelector('table');"
                              " return h && t ? h.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING : -1; })()")
        assert order > 0, f"{kind}: the plain-words answer must come before the first table"
        shot = page.screenshot(full_page=True)
        (ARTIFACTS / f"report-{kind}-{width}.png").write_bytes(shot)
        if kind == "comparison" and os.environ.get("LONESIM_UPDATE_SCREENSHOT"):
            (ROOT / "docs" / "img" / f"report-comparison-{width}.png").write_bytes(
                page.screenshot(full_page=False))
        page.close()
