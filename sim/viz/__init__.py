"""Browser visualization of the connection model (Mesa SolaraViz). See docs/viz.md.

``launch()`` is what ``lonesim viz`` calls: it starts ``solara run sim/viz/app.py`` with telemetry and
the version check off, bound to 127.0.0.1 unless told otherwise. Importing this package does not
import Solara.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

APP_PATH = Path(__file__).with_name("app.py")
#: Environment variable the CLI sets to the scenario file before starting the page.
SCENARIO_ENV = "LONESIM_VIZ_SCENARIO"

__all__ = ["APP_PATH", "SCENARIO_ENV", "check_address", "launch", "solara_command", "viz_environment", "cdn_cache_ready"]


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def check_address(host: str, port: int) -> tuple[list[str], str | None]:
    """Check that the page can be served on ``host:port`` before a server starts; return the URLs to
    print and a warning when the page would be reachable from other machines.

    Raises ValueError (one line) for a port out of range, a host that is not an address of this
    machine, a port in use, or a port that needs privileges.
    """
    if not 1 <= port <= 65535:
        raise ValueError(f"--port {port}: a port is a number from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise ValueError(f"--host {host}: not an address this machine can serve on ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server (uvicorn) does
        try:
            sock.bind(address)
        except PermissionError:
            raise ValueError(f"--port {port}: needs administrator rights (ports below 1024); choose a port above "
                             "1024") from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ValueError(f"--port {port}: already in use on {host} (another server is running there; "
                                 "choose another --port)") from None
            raise ValueError(f"--host {host}: cannot serve there ({exc.strerror or exc})") from None
    ips = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    if all(ip.is_loopback for ip in ips):
        return [_url(host, port)], None
    if all(ip.is_unspecified for ip in ips):
        urls = [_url("127.0.0.1", port) + " on this machine", _url(socket.gethostname(), port) + " from others"]
        scope = f"every network interface of this machine ({host})"
    else:
        urls = [_url(host, port)]
        scope = f"{host}, an address other machines can reach"
    warning = (f"--host {host}: the page is served on {scope}: anyone who can reach port {port} can watch and run "
               "simulations on this machine (there is no password). Leave --host out to keep it to this machine.")
    return urls, warning


def viz_environment(scenario: str | os.PathLike | None, base: dict | None = None) -> dict:
    """Environment for the Solara process: the scenario file, telemetry off."""
    env = dict(os.environ if base is None else base)
    if scenario:
        env[SCENARIO_ENV] = str(Path(scenario).resolve())
    else:
        env.pop(SCENARIO_ENV, None)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # Solara's "This website runs on Solara" banner sits in the bottom-right corner, over the page's
    # controls (it covered "Download YAML"); ThemeSettings.show_banner turns it off
    env["SOLARA_THEME_SHOW_BANNER"] = "False"
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


def wait_until_serving(url: str, proc: subprocess.Popen, timeout: float = 600.0, poll: float = 0.25) -> bool:
    """Wait until ``url`` answers HTTP 200 (True), or the server process ends or ``timeout`` s pass (False)."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(poll)
    return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the server gets SIGTERM when ``lonesim viz`` ends, however it ends (no orphaned server)."""
    try:
        import ctypes
        import signal as _signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(_signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def launch(
    scenario: str | os.PathLike | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    urls: list[str] | None = None,
) -> int:
    """Serve the page until interrupted; returns the server's exit code. ``urls`` (from :func:`check_address`)
    are the addresses printed — once the server answers there, not before (starting Solara takes seconds,
    and an address printed earlier leads to a browser's "unable to connect")."""
    if scenario is not None and not Path(scenario).is_file():
        print(f"lonesim viz: {scenario}: file not found", file=sys.stderr)
        return 2
    if not cdn_cache_ready():
        print(
            "lonesim viz: Solara's JavaScript cache is empty; without internet the page stays blank. "
            "Fill it with: bash scripts/solara_offline.sh",
            file=sys.stderr,
        )
    local = _url("127.0.0.1" if host in ("0.0.0.0", "::", "") else host, port)
    shown = " and ".join(urls or [local])
    print(f"lonesim viz: starting the server for {scenario or 'default settings'} ...", file=sys.stderr, flush=True)
    cmd = solara_command(host, port, open_browser)
    env = viz_environment(scenario)
    # Its own session: a Ctrl-C in the terminal reaches only this process, which stops the server itself
    # (the server's own "Aborted!" and exit status 1 would otherwise end the command).
    proc = subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                            start_new_session=True)
    try:
        if wait_until_serving(local, proc):
            print(f"lonesim viz: {scenario or 'default settings'} at {shown}  (Ctrl+C to stop)", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise  # the command ends as every interrupted command does: one line, status 130
