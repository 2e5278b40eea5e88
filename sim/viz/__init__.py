"""Browser visualization of the connection model (Mesa SolaraViz). See docs/viz.md.

``launch()`` is what ``lonesim viz`` calls: it starts ``solara run sim/viz/app.py`` with telemetry and
the version check off, bound to 127.0.0.1 unless told otherwise. Importing this package does not
import Solara.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP_PATH = Path(__file__).with_name("app.py")
#: Environment variable the CLI sets to the scenario file before starting the page.
SCENARIO_ENV = "LONESIM_VIZ_SCENARIO"

__all__ = ["APP_PATH", "SCENARIO_ENV", "launch", "solara_command", "viz_environment", "cdn_cache_ready"]


def viz_environment(scenario: str | os.PathLike | None, base: dict | None = None) -> dict:
    """Environment for the Solara process: the scenario file, telemetry off."""
    env = dict(os.environ if base is None else base)
    if scenario:
        env[SCENARIO_ENV] = str(Path(scenario).resolve())
    else:
        env.pop(SCENARIO_ENV, None)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    return env


def solara_command(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command line that serves the page (production mode, no version check)."""
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP_PATH),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
    ]
    if not open_browser:
        cmd.append("--no-open")
    return cmd


def cdn_cache_ready() -> bool:
    """Whether Solara's CDN cache holds its page app (filled by scripts/solara_offline.sh)."""
    cache = Path(os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR") or Path(sys.prefix) / "share" / "solara" / "cdn")
    return (cache / "@widgetti").is_dir() and any(cache.glob("vega@*"))


def launch(
    scenario: str | os.PathLike | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
) -> int:
    """Serve the page until interrupted. On POSIX the process becomes the Solara server (exec) and
    does not return; elsewhere the server's exit code is returned."""
    if scenario is not None and not Path(scenario).is_file():
        print(f"lonesim viz: {scenario}: file not found", file=sys.stderr)
        return 2
    if not cdn_cache_ready():
        print(
            "lonesim viz: Solara's JavaScript cache is empty; without internet the page stays blank. "
            "Fill it with: bash scripts/solara_offline.sh",
            file=sys.stderr,
        )
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    print(f"lonesim viz: {scenario or 'default settings'} at http://{shown}:{port}/  (Ctrl+C to stop)", flush=True)
    cmd = solara_command(host, port, open_browser)
    env = viz_environment(scenario)
    if os.name == "posix":
        # become the server: Ctrl+C and a terminate signal reach it directly, and no server can be
        # left running after `lonesim viz` has gone
        os.execve(cmd[0], cmd, env)
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
