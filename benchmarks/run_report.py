"""The scale benchmark's report (benchmarks/run.py): the machine, the table (scale.md), the ratios and the
figure (docs/img/scale.png), from the records the measuring subprocesses return."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# ============================================================================ reporting
def machine_info() -> dict:
    import numpy as np

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024**2
    except OSError:
        pass
    info = {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1) if mem_gb else None,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "numpy": np.__version__,
    }
    for mod in ("mesa", "networkx", "numba"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            info[mod] = "n/a"
    return info


def _rel(p: Path | None) -> str:
    if p is None:
        return "built-in defaults"
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def fmt_s(x) -> str:
    """Seconds for the table: 1,234 / 1.23 / 12.3 ms / 45 µs (– when missing)."""
    if x is None or x == "":
        return "–"
    x = float(x)
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 1e-3:
        return f"{x * 1e3:.1f} ms"
    return f"{x * 1e6:.0f} µs"


def ratios(records: list[dict]) -> dict:
    by = {(r["kind"], r["people"]): r for r in records if r.get("status") == "ok"}
    out = {}
    sizes = sorted({r["people"] for r in records if r.get("status") == "ok"})
    for n in sizes:
        s, m = by.get(("numpy_sis", n)), by.get(("mesa_sis", n))
        # Wall seconds per day: the full model runs its kernels on every core, so its CPU time is
        # not its cost; the one-thread rows give the like-for-like ratio (CPU in brackets there).
        for kind, suffix in (("full", ""), ("full_1t", "_1thread")):
            f = by.get((kind, n))
            if f and s:
                out[f"full_over_numpy_sis_{n}{suffix}"] = f["day_s_median"] / s["day_s_median"]
                out[f"full_over_numpy_sis_{n}{suffix}_cpu"] = f["day_cpu_s_median"] / s["day_cpu_s_median"]
            if f and m:
                out[f"mesa_sis_over_full_{n}{suffix}"] = m["day_s_median"] / f["day_s_median"]
                out[f"mesa_sis_over_full_{n}{suffix}_cpu"] = m["day_cpu_s_median"] / f["day_cpu_s_median"]
    return out


def write_markdown(records, info, rat, args, path: Path, scenario_file: Path | None = None) -> str:
    lines = [
        "# Scale benchmark",
        "",
        f"Command: `{args.command_line}`  ",
        f"Scenario: `{_rel(scenario_file)}` with `population.size` set per row.  ",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; {info['os']}; "
        f"Python {info['python']}, numpy {info['numpy']}, numba {info.get('numba')}, Mesa {info['mesa']}, "
        f"NetworkX {info['networkx']}.  ",
        f"Every row is the median over {args.repeats} fresh-process repeats below 1M people and "
        f"{args.repeats_large} at 1M and above; within a run, seconds per day = median over the days. "
        f"Full model: {args.days} simulated days per size; "
        f"bare numpy SIS: {args.sis_days} days; idiomatic Mesa SIS: {args.mesa_days} days, only up to "
        f"{args.mesa_max:,} people. Each measurement is a fresh process; peak memory is its high-water resident "
        "set (`VmHWM`; interpreter and imports included - importing `sim.simulation` alone (pandas, numba, "
        "NetworkX) costs ~280 MB; `import` column = RSS of the bare interpreter at start-up).",
        "",
        "| model | people | ties | graph build | set-up | s / day (median) | p10–p90 | CPU s / day | 365-day run* "
        "| peak MB | import MB | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = {"full": 0, "full_1t": 1, "numpy_sis": 2, "mesa_sis": 3}
    names = {"full": "lonesim (full, all cores)", "full_1t": "lonesim (full, 1 thread)", "numpy_sis": "bare numpy SIS",
             "mesa_sis": "idiomatic Mesa SIS"}
    for r in sorted(records, key=lambda r: (r["people"], order.get(r["kind"], 9))):
        if r.get("status") != "ok":
            lines.append(f"| {names.get(r['kind'], r['kind'])} | {r['people']:,} | | | | {r['status']} | | | | | | |")
            continue
        lines.append(
            f"| {names[r['kind']]} | {r['people']:,} | {r['ties']:,} | {fmt_s(r['graph_s'])} | {fmt_s(r['setup_s'])} "
            f"| {fmt_s(r['day_s_median'])} | {fmt_s(r['day_s_p10'])}–{fmt_s(r['day_s_p90'])} "
            f"| {fmt_s(r['day_cpu_s_median'])} | {fmt_s(r['run_365_s'])} | {r['peak_mb']:,.0f} "
            f"| {r['import_mb']:,.0f} | {r['load_avg_1m']:.1f} |"
        )
    lines += [
        "",
        "\\* 365-day run = graph build + set-up + (365 + burn-in days) x median day for the full model "
        "(the scenario's burn-in is simulated before day 0 in a normal run); graph + set-up + 365 x median "
        "day for the references.",
        "",
        "`CPU s / day` is the measuring process's own CPU time per day (median), all its threads "
        "together: the references and the one-thread rows run on one core (wall ≈ CPU on an idle "
        "machine); the full model's compiled kernels run on every core, so its CPU time exceeds its "
        "wall time (idle OpenMP threads also spin briefly between kernels). `load` is the 1-minute "
        "load average when the row finished.",
        "",
        "Ratios (same run, same graphs; wall seconds per day, CPU seconds in brackets):",
        "",
    ]
    for k, v in rat.items():
        if k.endswith("_cpu"):
            continue
        lines.append(f"- `{k}` = {v:,.1f}x (CPU: {rat.get(k + '_cpu', float('nan')):,.1f}x)")
    full = [r for r in records if r["kind"] == "full" and r.get("status") == "ok"]
    if full:
        lines += ["", "Scale does not change the science (full model, mean over the measured days; the binomial "
                  "standard error of one day's prevalence, sqrt(p(1-p)/n), is the smallest difference that "
                  "could be told apart - compare rows with the same number of days):", "",
                  "| people | days | loneliness prevalence | ± 2 SE | isolation prevalence | content share |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for r in sorted(full, key=lambda r: r["people"]):
            p_l = r["loneliness_prevalence"]
            se2 = 2 * (p_l * (1 - p_l) / r["people"]) ** 0.5
            lines.append(f"| {r['people']:,} | {r['days']} | {p_l:.4f} | {se2:.4f} | {r['isolation_prevalence']:.4f} "
                         f"| {r['content_share']:.4f} |")
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    return text


def write_figure(records, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ok = [r for r in records if r.get("status") == "ok"]
    style = {"full": ("lonesim full model (2 cores)", "C0", "o"), "full_1t": ("lonesim full model (1 thread)", "C1", "D"),
             "numpy_sis": ("bare numpy SIS", "C2", "s"), "mesa_sis": ("idiomatic Mesa SIS", "C3", "^")}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    for kind, (label, color, marker) in style.items():
        rs = sorted((r for r in ok if r["kind"] == kind), key=lambda r: r["people"])
        if not rs:
            continue
        x = np.array([r["people"] for r in rs], float)
        ax1.plot(x, [r["day_s_median"] for r in rs], marker=marker, color=color, label=f"{label}: s / day (wall)")
        if kind != "full" and all("day_cpu_s_median" in r for r in rs):  # multi-threaded: CPU > wall
            ax1.plot(x, [r["day_cpu_s_median"] for r in rs], marker=marker, color=color, ls="--", lw=0.8,
                     mfc="none", alpha=0.8, label=f"{label}: CPU s / day")
        ax2.plot(x, [r["peak_mb"] for r in rs], marker=marker, color=color, label=label)
        if kind == "full":
            ax1.plot(x, [r["graph_s"] for r in rs], ls=":", marker=".", color=color, alpha=0.7,
                     label="full model: graph build (once)")
            ax1.plot(x, [r["setup_s"] for r in rs], ls="--", marker=".", color=color, alpha=0.5,
                     label="full model: set-up (once)")
    xs = np.array(sorted({r["people"] for r in ok}), float)
    if xs.size:
        budget = 60.0 / 365
        ax1.axhline(budget, color="k", lw=0.8, ls="--")
        ax1.text(xs[-1], budget * 1.15, "target at 1M: 60 s / 365 days", fontsize=8, ha="right")
        ax2.axhline(2048, color="k", lw=0.8, ls="--")
        ax2.text(xs[-1], 2048 * 1.05, "target at 1M: 2 GB", fontsize=8, ha="right")
        full = sorted((r for r in ok if r["kind"] == "full"), key=lambda r: r["people"])
        if full:  # linear-scaling guide through the largest full-model point
            ref = full[-1]
            ax1.plot(xs, ref["day_s_median"] * xs / ref["people"], color="0.6", lw=0.8, label="∝ people (linear)")
    for ax, ylabel in ((ax1, "seconds (per simulated day, or once)"), (ax2, "peak resident memory (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("population (people)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.25)
    ax1.set_title("time")
    ax2.set_title("memory (whole process)")
    ax1.legend(fontsize=6.5, loc="upper left", framealpha=0.85)
    ax2.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
