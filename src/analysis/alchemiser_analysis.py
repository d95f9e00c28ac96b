#!/usr/bin/python3
"""Analysis of alchemiser outputs: session snapshots and backtest results.

Uses only Debian's python3-h5py, python3-pandas and python3-matplotlib
(run with /usr/bin/python3; matplotlib's Agg backend, no display needed).

    /usr/bin/python3 src/analysis/alchemiser_analysis.py session OUT/ --png-dir DIR
    /usr/bin/python3 src/analysis/alchemiser_analysis.py session A.h5 B.h5 ... --png-dir DIR
    /usr/bin/python3 src/analysis/alchemiser_analysis.py backtest BT.h5 --png-dir DIR

`session` takes snapshot files (<id>.h5, <id>.h5.partial) or folders of them
and writes, per session, <id>-timeline.png (batches per rank, a Gantt chart),
<id>-allocation.png (the consolidated portfolio, split by strategy) and
<id>-batch-durations.png; with two sessions or more, portfolio-over-time.png
(the consolidated weights by as-of date).  `backtest` writes
<stem>-equity.png, <stem>-drawdown.png and <stem>-weights.png.  Each prints
the paths it wrote.  Layouts: docs/session.md, docs/backtest.md; this
script: docs/analysis.md.

As a module (sys.path.insert(0, "src/analysis")):

    import alchemiser_analysis as aa
    s = aa.load_session("out/sess-....h5")      # dict of DataFrames
    s["batches"], s["portfolio"], s["strategies"], s["attrs"]
    many = aa.load_sessions(["out/"])          # the same, concatenated, + "sessions"
    bt = aa.load_backtest("out/backtest-....h5")
"""
import argparse
import glob
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import h5py  # noqa: E402


# ---------------------------------------------------------------- loading


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


def table(f, name):
    """A 1-D compound dataset as a DataFrame, strings decoded."""
    if name not in f:
        return pd.DataFrame()
    df = pd.DataFrame(f[name][()])
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(_text)
    return df


def _attrs(obj):
    out = {}
    for k, v in obj.attrs.items():
        v = _text(v)
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


def _epoch(iso):
    """Seconds since the epoch of the snapshot's UTC ISO 8601 times; NaN if empty."""
    if not iso:
        return float("nan")
    return pd.Timestamp(iso).timestamp()


def load_session(path):
    """One snapshot: dict with attrs (dict), batches, portfolio, strategies,
    attribution, counters, ranks (DataFrames).  A .partial snapshot has no
    portfolio / strategies / metrics tables: those come back empty, and
    attrs["partial"] is True."""
    with h5py.File(path, "r") as f:
        attrs = _attrs(f)
        if attrs.get("format") or "schema_version" not in attrs or "session_id" not in attrs:
            raise ValueError(f"{path}: not an alchemiser session snapshot")
        attrs["path"] = path
        attrs["partial"] = path.endswith(".partial")
        sid = attrs["session_id"]
        created = _epoch(attrs.get("created", ""))
        config = table(f, "batches/config")
        rows = []
        for _, b in config.iterrows():
            g = f["batches"].get(b["batch_id"])
            row = {"batch_id": b["batch_id"], "index": int(b["index"]),
                   "n_strategies": int(b["n_strategies"]), "weight": float(b["weight"]),
                   "recorded": g is not None, "status": "missing", "rank": -1, "attempt": 0,
                   "start": np.nan, "end": np.nan, "eval_ms": np.nan, "error": ""}
            if g is not None:
                ga = _attrs(g)
                t = table(g, "timings")
                row.update(status=ga.get("status", ""), rank=int(ga.get("rank", -1)),
                           attempt=int(ga.get("attempt", 0)), eval_ms=float(ga.get("eval_ms", 0.0)),
                           error=ga.get("error", ""))
                if len(t):
                    row.update(start=float(t["start"].iloc[0]), end=float(t["end"].iloc[0]))
            rows.append(row)
        batches = pd.DataFrame(rows, columns=["batch_id", "index", "n_strategies", "weight",
                                              "recorded", "status", "rank", "attempt", "start",
                                              "end", "eval_ms", "error"])
        metrics_b = table(f, "metrics/batches")
        if len(metrics_b):
            batches = batches.merge(metrics_b[["batch_id", "attempts", "wall_ms", "result_bytes"]],
                                    on="batch_id", how="left")
        else:
            batches["attempts"] = batches["attempt"]
            batches["wall_ms"] = (batches["end"] - batches["start"]) * 1e3
            batches["result_bytes"] = np.nan
        batches["start_s"] = batches["start"] - created
        batches["end_s"] = batches["end"] - created
        out = {"attrs": attrs, "batches": batches,
               "portfolio": table(f, "portfolio"), "strategies": table(f, "strategies"),
               "attribution": table(f, "attribution"),
               "counters": table(f, "metrics/counters"), "ranks": table(f, "metrics/ranks")}
        if not len(out["strategies"]):
            out["strategies"] = table(f, "job/strategies")
        attr = out["attribution"]
        if len(attr) and "strategy" not in attr.columns:
            # /attribution names strategies by index (a row of /job/strategies)
            files = table(f, "job/strategies")["file"].to_numpy()
            attr.insert(2, "strategy", files[attr["strategy_index"].to_numpy()])
    for k, df in out.items():
        if isinstance(df, pd.DataFrame):
            df.insert(0, "session_id", sid)
    return out


def session_paths(paths):
    """Snapshot files from files and folders (folders: *.h5 and *.h5.partial)."""
    found = []
    for p in paths:
        if os.path.isdir(p):
            found += sorted(glob.glob(os.path.join(p, "*.h5")) + glob.glob(os.path.join(p, "*.h5.partial")))
        else:
            found.append(p)
    return found


def load_sessions(paths, skip_other=True):
    """Several snapshots, each table concatenated over sessions (a
    session_id column tells them apart), plus "sessions": one row per session
    (its root attributes) sorted by as-of date then creation.  HDF5 files
    that are not session snapshots (a market, a backtest) are skipped when
    skip_other."""
    loaded = []
    for p in session_paths(paths):
        try:
            loaded.append(load_session(p))
        except (ValueError, OSError) as e:
            if not skip_other:
                raise
            print(f"skipped {p}: {e}", file=sys.stderr)
    if not loaded:
        raise ValueError("no session snapshot in " + ", ".join(paths))
    out = {"sessions": pd.DataFrame([s["attrs"] for s in loaded]).sort_values(["as_of", "created"],
                                                                              ignore_index=True)}
    for k in loaded[0]:
        if k != "attrs":
            out[k] = pd.concat([s[k] for s in loaded], ignore_index=True)
    out["each"] = loaded
    return out


def portfolio_by_date(many):
    """Wide DataFrame: one row per as-of date (the latest COMPLETED session of
    that date), one column per ticker, weights (0 when not held)."""
    s = many["sessions"]
    done = s[s["status"] == "COMPLETED"].sort_values(["as_of", "created"])
    latest = done.groupby("as_of").tail(1)
    p = many["portfolio"]
    p = p[p["session_id"].isin(latest["session_id"])].merge(latest[["session_id", "as_of"]], on="session_id")
    if not len(p):
        return pd.DataFrame()
    wide = p.pivot_table(index="as_of", columns="ticker", values="weight", aggfunc="sum").fillna(0.0)
    wide.index = pd.to_datetime(wide.index)
    return wide.sort_index()


def load_backtest(path):
    """A backtest result file: dict with attrs, summary, daily (long: one row
    per strategy and day, PORTFOLIO included, with a drawdown column) and
    weights (long: strategy, date, ticker, weight)."""
    with h5py.File(path, "r") as f:
        attrs = _attrs(f)
        if attrs.get("format") != "alchemiser-backtest":
            raise ValueError(f"{path}: not an alchemiser backtest result")
        summary = table(f, "summary")
        if len(summary):  # display name: the strategy's file, PORTFOLIO for the last row
            summary.insert(0, "name", [fl if fl else st for st, fl in zip(summary["strategy"], summary["file"])])
        daily, weights = [], []
        groups = [(_attrs(g).get("file", k), g) for k, g in sorted(f["strategies"].items())]
        groups.append(("PORTFOLIO", f["portfolio"]))
        for name, g in groups:
            d = table(g, "daily")
            d.insert(0, "strategy", name)
            daily.append(d)
            w = table(g, "weights")
            w.insert(0, "strategy", name)
            weights.append(w)
    daily = pd.concat(daily, ignore_index=True)
    daily["date"] = pd.to_datetime(daily["date"])
    daily["drawdown"] = daily["equity"] / daily.groupby("strategy")["equity"].cummax() - 1.0
    weights = pd.concat(weights, ignore_index=True)
    weights["date"] = pd.to_datetime(weights["date"])
    return {"attrs": attrs, "summary": summary, "daily": daily, "weights": weights}


# ---------------------------------------------------------------- plots


def _save(fig, png_dir, name, written):
    path = os.path.join(png_dir, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)


def _title(a):
    extra = " (.partial: still running, or died)" if a.get("partial") else ""
    return f"{a['session_id']}  {a.get('status', '')}  as of {a.get('as_of', '')}{extra}"


STATUS_COLOURS = {"ok": "tab:green", "failed": "tab:red"}


def plot_timeline(s, png_dir, written):
    """Gantt chart: one row per rank, one bar per accepted batch result."""
    a, b = s["attrs"], s["batches"]
    rec = b[b["recorded"]].copy()
    fig, ax = plt.subplots(figsize=(11, 2.2 + 0.6 * max(1, int(a.get("n_ranks", 1)))))
    if len(rec):
        t0 = rec["start"].min()
        span = max(rec["end"].max() - t0, 1e-6)
        cmap = plt.get_cmap("tab20")
        for i, (_, r) in enumerate(rec.iterrows()):
            x = (r["start"] - t0) * 1e3
            w = max((r["end"] - r["start"]) * 1e3, span * 1e3 * 0.002)
            edge = STATUS_COLOURS.get(r["status"], "black")
            ax.barh(r["rank"], w, left=x, height=0.6, color=cmap(i % 20), edgecolor=edge,
                    linewidth=2 if r["status"] != "ok" else 0.8)
            if len(rec) <= 40:
                ax.text(x + w / 2, r["rank"], r["batch_id"].split("-of-")[0].replace("batch-", "#"),
                        ha="center", va="center", fontsize=7)
        ax.set_xlim(-span * 1e3 * 0.02, span * 1e3 * 1.02)
        ranks = sorted(set(rec["rank"]) | set(range(int(a.get("n_ranks", 1)))))
        ax.set_yticks(ranks)
        ax.set_yticklabels([f"rank {r}" for r in ranks])
        ax.invert_yaxis()
        ax.set_xlabel(f"ms after the first batch started ({rec['start_s'].min():.3f} s after the session was created)")
    else:
        ax.text(0.5, 0.5, "no batch result recorded", ha="center", va="center", transform=ax.transAxes)
    missing = int((~b["recorded"]).sum())
    ax.set_title(_title(a) + (f"\n{missing} batch(es) without a result" if missing else ""), fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _save(fig, png_dir, f"{a['session_id']}-timeline.png", written)


def plot_allocation(s, png_dir, written):
    """Consolidated weights per ticker, each bar split by contributing strategy."""
    a, p, attr = s["attrs"], s["portfolio"], s["attribution"]
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.35 * max(4, len(p))))
    if len(p):
        p = p.sort_values("weight")
        order = list(p["ticker"])
        if len(attr):
            wide = attr.pivot_table(index="ticker", columns="strategy", values="weight",
                                    aggfunc="sum").reindex(order).fillna(0.0)
            left = np.zeros(len(order))
            cmap = plt.get_cmap("tab20")
            for i, col in enumerate(wide.columns):
                v = wide[col].to_numpy() * 100
                ax.barh(order, v, left=left, color=cmap(i % 20),
                        label=os.path.basename(col) if len(wide.columns) <= 20 else None)
                left += v
            if len(wide.columns) <= 20:
                ax.legend(fontsize=7, loc="lower right", title="strategy", title_fontsize=7)
        else:
            ax.barh(order, p["weight"] * 100, color="tab:blue")
        for y, w in enumerate(p["weight"]):
            ax.text(w * 100, y, f" {w * 100:.2f}%", va="center", fontsize=8)
        ax.set_xlim(0, p["weight"].max() * 100 * 1.18)
        ax.set_xlabel("weight (%)")
    else:
        ax.text(0.5, 0.5, "no consolidated portfolio", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(_title(a) + f"\nconsolidated portfolio, {len(p)} tickers", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _save(fig, png_dir, f"{a['session_id']}-allocation.png", written)


def plot_batch_durations(s, png_dir, written):
    """Wall time and evaluation time of every batch, coloured by rank."""
    a, b = s["attrs"], s["batches"]
    fig, ax = plt.subplots(figsize=(max(7, 0.35 * len(b) + 3), 4.5))
    rec = b[b["recorded"]]
    if len(rec):
        x = np.arange(len(rec))
        cmap = plt.get_cmap("tab10")
        colours = [cmap(int(r) % 10) for r in rec["rank"]]
        ax.bar(x, rec["wall_ms"], color=colours, alpha=0.45)
        ax.bar(x, rec["eval_ms"], width=0.45, color=colours)
        handles = [Patch(color="grey", alpha=0.45, label="wall (worker start to end)"),
                   Patch(color="grey", label="evaluation (narrow bar)")]
        handles += [Patch(color=cmap(int(r) % 10), label=f"rank {r}") for r in sorted(set(rec["rank"]))]
        ax.set_xticks(x)
        ax.set_xticklabels([i.split("-of-")[0].replace("batch-", "") for i in rec["batch_id"]],
                           fontsize=7, rotation=90 if len(rec) > 30 else 0)
        failed = rec["status"] != "ok"
        for xi in x[failed.to_numpy()]:
            ax.annotate("failed", (xi, rec["wall_ms"].iloc[xi]), ha="center", va="bottom",
                        color="tab:red", fontsize=7)
        ax.set_xlabel("batch number")
        ax.set_ylabel("ms")
        ax.legend(handles=handles, fontsize=7)
    else:
        ax.text(0.5, 0.5, "no batch result recorded", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(_title(a) + "\nbatch durations", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    _save(fig, png_dir, f"{a['session_id']}-batch-durations.png", written)


def plot_portfolio_over_time(many, png_dir, written):
    wide = portfolio_by_date(many)
    if len(wide) < 1:
        return
    fig, ax = plt.subplots(figsize=(11, 5.5))
    cmap = plt.get_cmap("tab20")
    cols = list(wide.sum().sort_values(ascending=False).index)
    labels = [d.strftime("%Y-%m-%d") for d in wide.index]
    if len(wide) <= 24:
        bottom = np.zeros(len(wide))
        for i, c in enumerate(cols):
            v = wide[c].to_numpy() * 100
            ax.bar(labels, v, bottom=bottom, color=cmap(i % 20), label=c)
            bottom += v
        ax.tick_params(axis="x", rotation=45)
    else:
        ax.stackplot(wide.index, *(wide[c].to_numpy() * 100 for c in cols),
                     labels=cols, colors=[cmap(i % 20) for i in range(len(cols))])
    ax.set_ylabel("weight (%)")
    ax.set_xlabel("as-of date")
    ax.set_title(f"consolidated portfolio over {len(wide)} as-of date(s) (latest COMPLETED session of each)",
                 fontsize=9)
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    _save(fig, png_dir, "portfolio-over-time.png", written)


def plot_backtest(bt, stem, png_dir, written):
    daily = bt["daily"]
    names = [n for n in daily["strategy"].unique() if n != "PORTFOLIO"]
    cmap = plt.get_cmap("tab20")
    a = bt["attrs"]
    title = f"backtest {a.get('from', '')} .. {a.get('to', '')}, {a.get('strategies', len(names))} strategies"
    port = daily[daily["strategy"] == "PORTFOLIO"]
    summary = bt["summary"].set_index("name") if len(bt["summary"]) else None

    fig, ax = plt.subplots(figsize=(11, 6))
    for i, n in enumerate(names):
        d = daily[daily["strategy"] == n]
        ax.plot(d["date"], d["equity"], color=cmap(i % 20), lw=1, alpha=0.8, label=os.path.basename(n))
    label = "PORTFOLIO"
    if summary is not None and "PORTFOLIO" in summary.index:
        r = summary.loc["PORTFOLIO"]
        label += f" (CAGR {r['cagr'] * 100:.1f}%, Sharpe {r['sharpe']:.2f}, max DD {r['max_drawdown'] * 100:.1f}%)"
    ax.plot(port["date"], port["equity"], color="black", lw=2.2, label=label)
    ax.set_yscale("log")
    ax.set_ylabel("equity (log scale, starts at 1)")
    ax.set_title(title + ": equity curves", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2 if len(names) > 10 else 1, loc="upper left")
    fig.tight_layout()
    _save(fig, png_dir, f"{stem}-equity.png", written)

    fig, ax = plt.subplots(figsize=(11, 5))
    for i, n in enumerate(names):
        d = daily[daily["strategy"] == n]
        ax.plot(d["date"], d["drawdown"] * 100, color=cmap(i % 20), lw=0.8, alpha=0.6,
                label=os.path.basename(n))
    ax.fill_between(port["date"], port["drawdown"] * 100, 0, color="black", alpha=0.35, label="PORTFOLIO")
    ax.plot(port["date"], port["drawdown"] * 100, color="black", lw=1.2)
    if summary is not None and "PORTFOLIO" in summary.index:
        r = summary.loc["PORTFOLIO"]
        if r["drawdown_trough"]:
            t = pd.Timestamp(r["drawdown_trough"])
            ax.annotate(f"max {r['max_drawdown'] * 100:.1f}% ({r['drawdown_peak']} .. {r['drawdown_trough']})",
                        (t, -r["max_drawdown"] * 100), xytext=(10, -10), textcoords="offset points",
                        fontsize=8, arrowprops={"arrowstyle": "->"})
    ax.set_ylabel("drawdown from the running peak (%)")
    ax.set_title(title + ": drawdowns", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(names) > 10 else 1, loc="lower left")
    fig.tight_layout()
    _save(fig, png_dir, f"{stem}-drawdown.png", written)

    w = bt["weights"]
    w = w[w["strategy"] == "PORTFOLIO"]
    if len(w):
        wide = w.pivot_table(index="date", columns="ticker", values="weight", aggfunc="sum").fillna(0.0)
        cols = list(wide.sum().sort_values(ascending=False).index)
        fig, ax = plt.subplots(figsize=(11, 5.5))
        ax.stackplot(wide.index, *(wide[c].to_numpy() * 100 for c in cols), labels=cols,
                     colors=[cmap(i % 20) for i in range(len(cols))])
        ax.set_ylabel("weight (%)")
        ax.set_ylim(0, 100)
        ax.set_title(title + ": consolidated daily allocation", fontsize=10)
        ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        _save(fig, png_dir, f"{stem}-weights.png", written)


# ---------------------------------------------------------------- CLI


def cmd_session(args):
    many = load_sessions(args.paths)
    written = []
    for s in many["each"]:
        plot_timeline(s, args.png_dir, written)
        plot_allocation(s, args.png_dir, written)
        plot_batch_durations(s, args.png_dir, written)
    if len(many["each"]) >= 2:
        plot_portfolio_over_time(many, args.png_dir, written)
    for _, r in many["sessions"].iterrows():
        print(f"{r['session_id']}  {r['status']}  as of {r['as_of']}  {r['path']}")
    return written


def cmd_backtest(args):
    written = []
    for p in args.paths:
        bt = load_backtest(p)
        stem = os.path.basename(p)
        stem = stem[:-3] if stem.endswith(".h5") else stem
        plot_backtest(bt, stem, args.png_dir, written)
        s = bt["summary"]
        if len(s):
            cols = ["name", "total_return", "cagr", "volatility", "sharpe", "max_drawdown", "turnover"]
            print(s[cols].to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description="Plots of alchemiser session snapshots and backtest results.")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, helptext in (("session", "session snapshots (.h5, .h5.partial) or folders of them"),
                           ("backtest", "backtest result files")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("paths", nargs="+")
        p.add_argument("--png-dir", required=True, help="folder for the PNG files (created)")
    args = ap.parse_args(argv)
    try:
        os.makedirs(args.png_dir, exist_ok=True)
        written = cmd_session(args) if args.command == "session" else cmd_backtest(args)
    except (OSError, ValueError, KeyError) as e:
        print(f"alchemiser_analysis: {e}", file=sys.stderr)
        return 1
    for w in written:
        print("wrote", w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
