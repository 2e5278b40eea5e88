"""The house style of every ``report.html`` (sweep, comparison, sensitivity analysis, validation study): one
self-contained page — styles inline, figures embedded as PNG data, no script and no request to the network —
that fits a 800-pixel-wide window without scrolling sideways (tables wrap their text; a table wider than the
page scrolls inside its own box).

Page order (the same for every batch): title, what was run (from the run's own resolved configuration),
warnings, the answer in plain words, then for each topic the figure before the table, then the glossary of
the statistics used and the caveats. Deterministic: no timestamps.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sim.config.display import GLOSSARY

STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; max-width: 1000px; margin: 1.5em auto;
       padding: 0 1em; color: #1d1d1d; line-height: 1.5; overflow-wrap: break-word; }
h1 { font-size: 1.55em; line-height: 1.25; margin-bottom: 0.3em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #d8d8d8; padding-bottom: 0.15em; }
h3 { font-size: 1.02em; margin-top: 1.2em; }
.facts { color: #444; font-size: 0.93em; }
.headline { background: #f2f6fd; border-left: 4px solid #3468c0; padding: 0.5em 1em; }
.headline li { margin: 0.3em 0; }
.warning { background: #fff6e0; border-left: 4px solid #d08700; padding: 0.5em 1em; margin: 0.8em 0; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.86em; margin: 0.5em 0 1em; width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: 4px 6px; text-align: right; vertical-align: top; }
th { hyphens: auto; }
th { background: #f1f1f1; font-weight: 600; }
td.l, th.l { text-align: left; }
td small { color: #666; }
figure { margin: 0.6em 0 1.2em; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.86em; color: #555; margin-top: 0.3em; }
dl.glossary dt { font-weight: 600; margin-top: 0.5em; }
dl.glossary dd { margin-left: 1.2em; }
.small { font-size: 0.86em; color: #555; }
code { font-size: 0.92em; background: #f4f4f4; padding: 0 0.2em; }
"""


def esc(text: Any) -> str:
    """HTML-escaped text."""
    return html.escape(str(text))


def num(x: Any, digits: int = 2) -> str:
    """A number for a table cell: thousands separators, ``digits`` decimals below 1,000, '–' when missing."""
    if x is None or (isinstance(x, (float, np.floating)) and not math.isfinite(float(x))):
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if abs(x) >= 1000 or (x == round(x) and abs(x) >= 10):
            return f"{x:,.0f}"
        return f"{x:.{digits}f}"
    return esc(x)


def interval(point: Any, low: Any, high: Any, digits: int = 2) -> str:
    """``point (low to high)``."""
    return f"{num(point, digits)} <small>({num(low, digits)} to {num(high, digits)})</small>"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1) -> str:
    """A table of already-formatted HTML cells; the first ``left`` columns are left-aligned (names)."""
    head = "".join(f'<th class="{"l" if i < left else ""}">{h}</th>' for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def figure(png: bytes | None, alt: str, caption: str = "") -> str:
    """An embedded PNG figure with its caption (nothing when there is no figure)."""
    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def warning(text: str) -> str:
    """A warning box (too few replicates, runs missing, ...)."""
    return f'<div class="warning" role="note"><b>Warning.</b> {text}</div>'


def headline(lines: Sequence[str]) -> str:
    """The plain-words findings box."""
    return "<h2>In plain words</h2><div class='headline'><ul>" + "".join(f"<li>{x}</li>" for x in lines) + "</ul></div>"


def glossary(terms: Sequence[str], extra: dict[str, str] | None = None) -> str:
    """The glossary section: each of ``terms`` from :data:`sim.config.display.GLOSSARY`, then ``extra``."""
    items = [(t, GLOSSARY[t]) for t in terms if t in GLOSSARY] + list((extra or {}).items())
    body = "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}</dd>" for t, d in items)
    return f"<h2>Glossary</h2><dl class='glossary'>{body}</dl>"


def bullets(title: str, items: Sequence[str]) -> str:
    """A section of escaped bullet points (the caveats)."""
    return f"<h2>{esc(title)}</h2><ul>" + "".join(f"<li>{esc(c)}</li>" for c in items) + "</ul>"


def page(title: str, facts: str, body: Sequence[str], footer: str) -> str:
    """The whole page: ``title``, the ``facts`` line (what was run), the ``body`` sections, the ``footer``."""
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{esc(title)}</h1>", f"<p class='facts'>{facts}</p>", *[b for b in body if b],
             f"<p class='small'>{footer}</p>", "</body></html>"]
    return "\n".join(parts) + "\n"


def replicate_warning(replicates: int, minimum: int = 5, option: str = "replicates") -> str:
    """A warning when ``replicates`` (per arm or point) are too few for the intervals shown, else nothing."""
    if replicates >= minimum:
        return ""
    return warning(f"only {replicates} replicate town{'s' if replicates != 1 else ''} per "
                   f"{'arm' if 'comparison' in option else 'point'}: the intervals below rest on an estimate of the "
                   f"chance variation from {replicates} value{'s' if replicates != 1 else ''} and can be far too narrow "
                   f"or too wide. Use at least {minimum} (set <code>{esc(option)}</code>) before acting on them.")
