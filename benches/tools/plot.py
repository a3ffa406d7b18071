#!/usr/bin/python3
"""Charts of one scripts/bench.sh run, from its CSV (columns: see the top of
scripts/bench.sh), as PNGs for docs/performance.md:

  bench-mpps.png    each rvsd scenario's packet rate (median of the rounds,
                    whiskers from the slowest to the fastest round) beside
                    its ceiling's (testpmd macswap fed by the same generator)
  bench-conns.png   new connections per second, counted by rvsd, against the
                    goal of 2 M/s per worker core
  bench-ratio.png   each scenario's median of its rounds' ratios (rate over the same round's ceiling)

  plot.py RESULTS.csv OUTDIR

Needs matplotlib (Debian: python3-matplotlib, installed by scripts/setup.sh).
"""
import csv
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display on a build machine
import matplotlib.pyplot as plt  # noqa: E402

CONNS_GOAL = 2.0  # M connections/s per worker core (the performance issue)
RATIO_GOAL = 0.7  # established many flows against their ceiling


def scenarios(rows):
    """The measured scenarios in the order of the run: name -> its rows."""
    out = {}
    for r in rows:
        out.setdefault(r["scenario"], []).append(r)
    return out


def summary(rows):
    """Median, slowest and fastest round of a scenario, its ceiling's median,
    and the median of its rounds' ratios, each round's rate over the ceiling of
    the same round (None where there is no ceiling): the machine drifts between
    rounds, so a median over another median mixes its states."""
    rates = [float(r["rate"]) for r in rows]
    ceilings = [float(r["ceiling"]) for r in rows if r["ceiling"]]
    ratios = [float(r["ratio"]) for r in rows if r["ratio"]]
    med = statistics.median(rates)
    ceil = statistics.median(ceilings) if ceilings else None
    return {
        "median": med,
        "low": min(rates),
        "high": max(rates),
        "ceiling": ceil,
        "ratio": statistics.median(ratios) if ratios else None,
    }


def barh(ax, names, values, lows=None, highs=None, **kw):
    ys = range(len(names))
    err = None
    if lows is not None:
        err = [[v - lo for v, lo in zip(values, lows)], [hi - v for v, hi in zip(values, highs)]]
    ax.barh(ys, values, xerr=err, capsize=2, **kw)
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()


def legend(ax):
    """Above the bars, never over them."""
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1), ncol=2, frameon=False)


def save(fig, outdir, name, title):
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(path)


def mpps_chart(named, outdir, title):
    rvsd = [(n, s) for n, s in named if s["unit"] == "Mpps" and s["forwarder"] != "testpmd"]
    if not rvsd:
        return
    names = [n for n, _ in rvsd]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(names) + 1.2))
    ceil = [s["ceiling"] or 0 for _, s in rvsd]
    ax.barh([y + 0.2 for y in range(len(names))], ceil, height=0.4, color="#bbbbbb",
            label="ceiling (testpmd macswap; 2 workers: 1 worker)")
    med = [s["median"] for _, s in rvsd]
    barh(ax, names, med, [s["low"] for _, s in rvsd], [s["high"] for _, s in rvsd],
         height=0.4, color="#3a6ea5", label="rvsd (median; rounds' range)")
    ax.set_xlabel("Mpps")
    legend(ax)
    save(fig, outdir, "bench-mpps.png", title)


def conns_chart(named, outdir, title):
    new = [(n, s) for n, s in named if s["unit"] == "Mconn/s"]
    if not new:
        return
    names = [n for n, _ in new]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(names) + 1.2))
    barh(ax, names, [s["median"] for _, s in new], [s["low"] for _, s in new],
         [s["high"] for _, s in new], color="#3a6ea5")
    ax.axvline(CONNS_GOAL, color="#c0392b", linestyle="--", label="goal: 2 M/s per worker")
    ax.set_xlabel("M new connections/s (rvsd's count)")
    legend(ax)
    save(fig, outdir, "bench-conns.png", title)


def ratio_chart(named, outdir, title):
    rated = [(n, s) for n, s in named
             if s["ratio"] is not None and s["unit"] == "Mpps" and s["forwarder"] != "testpmd"]
    if not rated:
        return
    names = [n for n, _ in rated]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(names) + 1.2))
    barh(ax, names, [s["ratio"] for _, s in rated], color="#3a6ea5")
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.axvline(RATIO_GOAL, color="#c0392b", linestyle="--", label="0.7 (many-flows goal)")
    ax.set_xlabel("median / ceiling's median (same generator, same rounds)")
    legend(ax)
    save(fig, outdir, "bench-ratio.png", title)


def main(path, outdir):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    named = []
    for name, rs in scenarios(rows).items():
        s = summary(rs)
        s["unit"] = rs[0]["unit"]
        s["forwarder"] = rs[0]["forwarder"]
        named.append((name, s))
    os.makedirs(outdir, exist_ok=True)
    title = os.path.basename(path)
    mpps_chart(named, outdir, title)
    conns_chart(named, outdir, title)
    ratio_chart(named, outdir, title)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
