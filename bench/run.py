#!/usr/bin/env python3
"""Benchmark driver (bench/README.md): engine, session matrix, strong and weak
scaling, backtest throughput.  Prints readable tables and writes every
measurement with the machine description to one JSON file.

Run through bench/run.sh (which picks a Python with h5py); usage:
    bench/run.sh [--quick|--full] [--build DIR] [--repeat N] [--out FILE]
                 [--sections engine,session,scaling,backtest] [--keep DIR]
    bench/run.sh --compare A.json B.json
Needs: a built tree (build/alchemiser, build/bench/*), mpirun, h5py.
Only the standard library besides h5py and numpy (numpy comes with h5py).
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKET = os.path.join(ROOT, "data", "market.h5")  # --market

# ------------------------------------------------------------------ helpers


def sh(cmd, **kw):
    """Output of a command, or '' when it fails (machine description only)."""
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30,
                              cwd=ROOT, **kw).stdout.strip()
    except Exception:
        return ""


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return []


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else None


SPIN = "import time\nt = time.monotonic()\nx = 0\nfor i in range(6_000_000):\n    x += i\nprint(time.monotonic() - t)\n"


def parallel_capacity():
    """How many cores this machine gives us right now: the same CPU-bound
    loop alone, then once per core at the same time; capacity = cores x
    t(alone) / t(together).  About `cores` on a quiet machine; near 1 when
    other processes take the CPU (then scaling figures mean nothing)."""
    n = os.cpu_count() or 1
    try:
        def run(k):
            ps = [subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
                  for _ in range(k)]
            return max(float(p.communicate()[0]) for p in ps)
        alone = min(run(1) for _ in range(2))
        together = min(run(n) for _ in range(2))
        return round(n * alone / together, 2)
    except Exception:
        return None


def machine(build):
    cache = {}
    try:
        for line in open(os.path.join(build, "CMakeCache.txt")):
            m = re.match(r"^([A-Za-z_]+):[A-Z]+=(.*)$", line.rstrip("\n"))
            if m:
                cache[m.group(1)] = m.group(2)
    except OSError:
        pass
    btype = cache.get("CMAKE_BUILD_TYPE", "")
    cc = cache.get("CMAKE_C_COMPILER", "cc")
    flags = " ".join(x for x in [cache.get("CMAKE_C_FLAGS", ""),
                                 cache.get("CMAKE_C_FLAGS_" + btype.upper(), "")] if x)
    mem_kb = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dirty = sh("git status --porcelain --untracked-files=no")
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hostname": platform.node(),
        "os": sh("sh -c '. /etc/os-release && echo $PRETTY_NAME'"),
        "kernel": platform.release(),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1048576, 1),
        "mpi": sh("mpirun --version 2>&1 | head -1"),
        "hdf5": sh("h5dump --version 2>&1 | head -1"),
        "compiler": sh(f"{cc} --version 2>&1 | head -1"),
        "c_flags": flags,
        "build_type": btype,
        "commit": sh("git rev-parse --short HEAD") + ("-dirty" if dirty else ""),
        "branch": sh("git rev-parse --abbrev-ref HEAD"),
        "loadavg_start": loadavg(),
        "parallel_capacity_start": parallel_capacity(),
    }


# ------------------------------------------------------------------ engine


def engine_section(b, quick, tmp):
    log("== engine")
    market = MARKET
    gen = os.path.join(b, "bench", "gen_strategies")
    eng = os.path.join(b, "bench", "bench_engine")
    sizes = [10000, 100000, 1000000] if quick else [10000, 100000, 1000000, 2000000, 5000000]
    files = []
    for size in sizes:
        for groups in (False, True):
            f = os.path.join(tmp, f"{'groups' if groups else 'plain'}_{size}.clj")
            subprocess.run([gen, "--size", str(size), "--seed", "7", "--quiet", "--out", f]
                           + (["--groups"] if groups else []), check=True)
            files.append(f)

    def run(args):
        out = subprocess.run([eng] + args, capture_output=True, text=True, cwd=ROOT, timeout=900)
        if out.returncode not in (0, 1):  # 1: some evaluation failed (the conformance suite has expected errors)
            raise RuntimeError(f"bench_engine failed: {out.stderr[-2000:]}")
        return json.loads(out.stdout)

    res = {
        "project": run(["--market", market, "--dates", "5" if quick else "20", "strategies"]),
        "generated": run(["--market", market, "--dates", "3" if quick else "10", "--min-time",
                          "0.2" if quick else "1"] + files),
    }
    if not quick:
        dates = ",".join(open(os.path.join(ROOT, "tests/conformance/dates.txt")).read().split())
        res["conformance"] = run(["--market", "tests/conformance/market", "--date", dates,
                                  "tests/conformance/strategies"])
    for rec in res["generated"]["strategies"]:
        rec["file"] = os.path.basename(rec["file"])
    return res


def print_engine(e):
    print("\nEngine: parse throughput and evaluation time per strategy-date")
    print(f"{'strategy':36s} {'bytes':>9s} {'nodes':>8s} {'parse MB/s':>10s} {'eval ms mean':>12s} {'min':>8s} {'max':>8s}")
    for key in ("project", "generated"):
        for s in e[key]["strategies"]:
            print(f"{os.path.basename(s['file']):36s} {s['bytes']:9d} {s['nodes']:8d} {s['parse_mb_s']:10.1f} "
                  f"{s['eval_ms_mean']:12.3f} {s['eval_ms_min']:8.3f} {s['eval_ms_max']:8.3f}")
        t = e[key]["total"]
        print(f"  {key}: {t['files']} files, {t['strategy_dates']} strategy-dates, "
              f"{t['eval_ms_per_strategy_date']:.4f} ms per strategy-date, parse {t['parse_mb_s']:.1f} MB/s")
    if "conformance" in e:
        t = e["conformance"]["total"]
        print(f"  conformance: {t['files']} strategies x {e['conformance']['dates']} dates, "
              f"{t['eval_ms_per_strategy_date']:.4f} ms per strategy-date")


# ------------------------------------------------------------------ session


MPI_ENV = {"OMPI_MCA_pml": "ob1"}
if os.geteuid() == 0:
    MPI_ENV.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def write_job(dirpath, n, market):
    """job_<n>.json over the first n generated files (equal allocations, the
    last the remainder, exactly like gen_strategies)."""
    a = 1.0 / n
    alloc = [a] * (n - 1)
    alloc.append(1.0 - sum(alloc) if n > 1 else 1.0)
    s = 0.0
    for x in alloc:
        s += x
    assert abs(s - 1.0) < 1e-12
    job = {"description": f"bench: {n} generated strategies (mix real)", "market": market,
           "as_of": None, "batch_size": 10, "timeout_seconds": 3600,
           "strategies": [{"file": f"s{i:05d}.clj", "allocation": alloc[i]} for i in range(n)]}
    path = os.path.join(dirpath, f"job_{n}.json")
    with open(path, "w") as f:
        json.dump(job, f)
    return path


def counters(h5):
    with h5py.File(h5, "r") as f:
        c = {r["name"].decode(): float(r["value"]) for r in f["metrics/counters"][()]}
        ranks = f["metrics/ranks"][()]
        names = ranks.dtype.names
        rk = [{n: (int(r[n]) if n != "eval_ms" else float(r[n])) for n in names} for r in ranks]
        status = f.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else str(status)
    return c, rk, status


def run_session(b, job, n, np_, batch, sched, tmp):
    out = tempfile.mkdtemp(prefix="sess", dir=tmp)
    cmd = ["mpirun", "--oversubscribe", "-np", str(np_), os.path.join(b, "alchemiser"), "run", job,
           "--out", out, "--batch-size", str(batch), "--scheduling", sched]
    env = dict(os.environ, **MPI_ENV)
    env.pop("ALC_FAULT", None)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(["timeout", "600"] + cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    rec = {"strategies": n, "np": np_, "batch_size": batch, "scheduling": sched, "wall_s": wall,
           "cpu_s": cpu, "load": loadavg()[:1], "rc": p.returncode}
    h5s = [f for f in os.listdir(out) if f.endswith(".h5")]
    pj = [f for f in os.listdir(out) if f.endswith(".portfolio.json")]
    if p.returncode != 0 or not h5s:
        rec["error"] = (p.stderr or p.stdout)[-1500:]
        shutil.rmtree(out, ignore_errors=True)
        return rec, None
    c, rk, status = counters(os.path.join(out, h5s[0]))
    rec["status"] = status
    rec["counters"] = c
    rec["ranks"] = rk
    portfolio = None
    if pj:
        with open(os.path.join(out, pj[0])) as f:
            portfolio = "".join(l for l in f if not l.startswith('  "session": '))
    shutil.rmtree(out, ignore_errors=True)
    return rec, portfolio


def utilisation(r):
    """Fraction of the dispatch phase the evaluating ranks spent evaluating
    (np 1: rank 0; static: the workers; dynamic: the workers and rank 0)."""
    ev = 1 if r["np"] == 1 else r["np"] - 1 if r["scheduling"] == "static" else r["np"]
    return r["evaluation_s"] / (ev * (r["dispatch_seconds"] or 1.0))


def summarise(samples):
    """Median of every figure over the repeated samples of one configuration."""
    ok = [s for s in samples if "counters" in s]
    first = samples[0]
    r = {k: first[k] for k in ("strategies", "np", "batch_size", "scheduling")}
    if first.get("copies"):
        r["copies"] = first["copies"]
    r["samples"] = len(samples)
    r["failures"] = len(samples) - len(ok)
    if not ok:
        r["error"] = samples[0].get("error", "")
        return r
    def med(f):
        return median([f(s) for s in ok])
    c = lambda k: (lambda s: s["counters"].get(k, 0.0))
    r["wall_s"] = med(lambda s: s["wall_s"])
    r["wall_s_all"] = [round(s["wall_s"], 3) for s in ok]
    r["cpu_s"] = med(lambda s: s["cpu_s"])
    for k in ("total_seconds", "job_seconds", "market_seconds", "setup_seconds", "dispatch_seconds",
              "snapshot_batches_seconds", "stop_seconds", "aggregate_seconds", "output_seconds"):
        r[k] = med(c(k))
    r["evaluation_s"] = med(lambda s: s["counters"].get("evaluation_ms", 0.0) / 1000.0)
    r["strategies_per_s"] = r["strategies"] / r["total_seconds"] if r["total_seconds"] else None
    r["strategies_per_s_wall"] = r["strategies"] / r["wall_s"]
    nr = len(ok[0]["ranks"])
    r["max_rss_mib_per_rank"] = [med(lambda s, i=i: s["ranks"][i].get("max_rss_kb", 0) / 1024.0)
                                 for i in range(nr)]
    r["strategies_per_rank"] = [med(lambda s, i=i: s["ranks"][i]["strategies"]) for i in range(nr)]
    r["eval_s_per_rank"] = [med(lambda s, i=i: s["ranks"][i]["eval_ms"] / 1000.0) for i in range(nr)]
    tot = r["total_seconds"] or 1.0
    r["rank_utilisation"] = utilisation(r)
    r["final_share"] = (r["aggregate_seconds"] + r["output_seconds"]) / tot
    r["snapshot_share"] = (r["aggregate_seconds"] + r["output_seconds"]
                           + r["snapshot_batches_seconds"]) / tot
    return r


class Jobs:
    """Generated strategies (mix real, seed 1) and job files over prefixes."""

    def __init__(self, b, tmp, n_max):
        self.dir = os.path.join(tmp, "jobs")
        self.market = MARKET
        log(f"== generating {n_max} strategies (mix real) in {self.dir}")
        subprocess.run([os.path.join(b, "bench", "gen_strategies"), "--job", str(n_max), "--dir",
                        self.dir, "--seed", "1", "--mix", "real", "--market", self.market],
                       check=True)
        self.paths = {}
        self.bytes = {}
        sizes = sorted(os.path.getsize(os.path.join(self.dir, f"s{i:05d}.clj")) for i in range(n_max))
        self.size_stats = {"files": n_max, "bytes": sum(sizes), "median_bytes": sizes[n_max // 2],
                           "p99_bytes": sizes[int(n_max * 0.99)], "max_bytes": sizes[-1],
                           "over_1mb": sum(1 for s in sizes if s >= 1000000)}

    def job(self, n, copies=0):
        """The first n strategies; with copies = k, k copies (hard links) of
        the first n / k, so that every rank of a weak-scaling run gets the
        same work."""
        if (n, copies) in self.paths:
            return self.paths[(n, copies)]
        if not copies:
            self.paths[(n, 0)] = write_job(self.dir, n, self.market)
            return self.paths[(n, 0)]
        per = n // copies
        d = os.path.join(self.dir, f"weak_{per}x{copies}")
        os.makedirs(d, exist_ok=True)
        k = 0
        for c in range(copies):
            for i in range(per):
                dst = os.path.join(d, f"s{k:05d}.clj")
                k += 1
                if not os.path.exists(dst):
                    src = os.path.join(self.dir, f"s{i:05d}.clj")
                    try:
                        os.link(src, dst)
                    except OSError:
                        shutil.copyfile(src, dst)
        self.paths[(n, copies)] = write_job(d, n, self.market)
        return self.paths[(n, copies)]


def measure_all(b, jobs, cfgs, repeat, tmp, portfolios, results):
    """Runs every configuration not measured yet `repeat` times, round robin
    (sample k of every configuration before sample k + 1 of any), so that a
    change of the machine's load spreads over all of them instead of biasing
    some; then stores the medians in results[(n, np, batch, scheduling)]."""
    pending = [c for i, c in enumerate(cfgs) if c not in results and c not in cfgs[:i]]
    samples = {c: [] for c in pending}
    for k in range(repeat):
        for c in pending:
            if samples[c] and "error" in samples[c][-1]:
                continue  # failed once: not again
            n, np_, batch, sched = c[:4]
            copies = c[4] if len(c) > 4 else 0
            rec, pf = run_session(b, jobs.job(n, copies), n, np_, batch, sched, tmp)
            rec["copies"] = copies
            samples[c].append(rec)
            if pf is not None:
                portfolios.setdefault(f"{n // copies}x{copies}" if copies else str(n), set()).add(pf)
            if "error" in rec:
                log(f"   FAILED: {n} strategies np {np_} batch {batch} {sched}: {rec['error'][-300:]}")
            else:
                log(f"   [{k + 1}/{repeat}] {n:6d} strategies np {np_} batch {batch:3d} {sched:7s}: "
                    f"wall {rec['wall_s']:.2f} s (session {rec['counters']['total_seconds']:.2f} s), "
                    f"load {rec['load'][0]:.1f}")
    for c in pending:
        r = summarise(samples[c])
        r["load"] = median([x["load"][0] for x in samples[c] if x.get("load")])
        results[c] = r
    return [results[c] for c in cfgs]


def measure(b, jobs, n, np_, batch, sched, repeat, tmp, portfolios, results):
    return measure_all(b, jobs, [(n, np_, batch, sched)], repeat, tmp, portfolios, results)[0]


def session_matrix(quick, smoke=False):
    if smoke:
        return [(100, 1, 10, "dynamic"), (100, 2, 10, "dynamic"), (100, 2, 10, "static")]
    if quick:
        return [(n, np_, batch, sched) for n in (100, 1000) for np_ in (1, 2) for batch in (10,)
                for sched in (("dynamic",) if np_ == 1 else ("dynamic", "static"))]
    out = []
    for n in (100, 1000, 10000):
        for np_ in (1, 2, 4):
            for batch in (1, 10, 100):
                # np 1: rank 0 evaluates every batch itself, static and dynamic are the same run
                for sched in (("dynamic",) if np_ == 1 else ("static", "dynamic")):
                    out.append((n, np_, batch, sched))
    return out


def print_session(rows):
    print("\nSession: end-to-end wall (mpirun), in-session phases (s), medians")
    print(f"{'strat':>6s} {'np':>2s} {'batch':>5s} {'sched':7s} {'wall':>6s} {'total':>6s} {'job':>5s} {'market':>6s} "
          f"{'dispatch':>8s} {'eval(sum)':>9s} {'snap/b':>6s} {'aggr':>5s} {'write':>5s} {'strat/s':>7s} "
          f"{'RSS MiB r0/max':>14s} {'agg+snap':>8s} {'util':>5s} {'cpu s':>6s}")
    for r in rows:
        if "total_seconds" not in r:
            print(f"{r['strategies']:6d} {r['np']:2d} {r['batch_size']:5d} {r['scheduling']:7s} FAILED")
            continue
        rss = r["max_rss_mib_per_rank"]
        print(f"{r['strategies']:6d} {r['np']:2d} {r['batch_size']:5d} {r['scheduling']:7s} {r['wall_s']:6.2f} "
              f"{r['total_seconds']:6.2f} {r['job_seconds']:5.2f} {r['market_seconds']:6.3f} {r['dispatch_seconds']:8.2f} "
              f"{r['evaluation_s']:9.2f} {r['snapshot_batches_seconds']:6.2f} {r['aggregate_seconds']:5.3f} "
              f"{r['output_seconds']:5.2f} {r['strategies_per_s']:7.0f} {rss[0]:6.0f}/{max(rss):<7.0f} "
              f"{100 * r['final_share']:7.1f}% {100 * r['rank_utilisation']:4.0f}% {r['cpu_s']:6.1f}")
    print("wall: mpirun start to exit; total: alc_session_run on rank 0 (job read .. snapshot written);"
          " eval(sum): evaluation time summed over ranks; snap/b: recording accepted batches in the"
          " snapshot (part of dispatch); write: events + portfolio + final snapshot tables;"
          " agg+snap: (aggregate + write) / total; util: evaluation time / (evaluating ranks x dispatch);"
          " cpu s: CPU seconds of mpirun and every rank")


def scaling(b, jobs, quick, repeat, tmp, portfolios, results, cores, smoke=False):
    strong_n = 100 if smoke else 1000 if quick else 10000
    weak_per_rank = 50 if smoke else 500 if quick else 2500
    batch = 10
    # every sample of both tables interleaved (measure_all), then the tables
    measure_all(b, jobs, [(strong_n, np_, batch, "dynamic") for np_ in (1, 2, 4)]
                + [(weak_per_rank * np_, np_, batch, "dynamic", np_) for np_ in (1, 2, 4)],
                repeat, tmp, portfolios, results)
    strong = []
    for np_ in (1, 2, 4):
        r = measure(b, jobs, strong_n, np_, batch, "dynamic", repeat, tmp, portfolios, results)
        strong.append(r)
    weak = []
    for np_ in (1, 2, 4):
        weak.append(results[(weak_per_rank * np_, np_, batch, "dynamic", np_)])

    def table(rows, kind):
        out = []
        base = rows[0]
        for r in rows:
            if "total_seconds" not in r or "total_seconds" not in base:
                out.append({"np": r["np"], "error": True})
                continue
            row = {"np": r["np"], "strategies": r["strategies"], "wall_s": r["wall_s"],
                   "session_s": r["total_seconds"]}
            for t in ("wall_s", "session_s"):
                t1 = base["wall_s"] if t == "wall_s" else base["total_seconds"]
                tn = row[t]
                if kind == "strong":
                    sp = t1 / tn
                    row[f"speedup_{t}"] = sp
                    row[f"efficiency_{t}"] = sp / r["np"]
                    row[f"efficiency_per_core_{t}"] = sp / min(r["np"], cores)
                else:
                    # weak: work grows with np; ideal time stays constant (on min(np, cores) cores)
                    row[f"efficiency_{t}"] = t1 / tn
                    row[f"efficiency_per_core_{t}"] = t1 / tn * r["np"] / min(r["np"], cores)
            out.append(row)
        return out
    return {"strong": {"strategies": strong_n, "batch_size": batch, "scheduling": "dynamic",
                       "rows": table(strong, "strong")},
            "weak": {"strategies_per_rank": weak_per_rank, "batch_size": batch, "scheduling": "dynamic",
                     "rows": table(weak, "weak")}}


def print_scaling(sc, cores):
    s = sc["strong"]
    print(f"\nStrong scaling: {s['strategies']} strategies, batch {s['batch_size']}, {s['scheduling']}"
          f" (efficiency = speedup / np; per core = speedup / min(np, {cores} cores))")
    print(f"{'np':>3s} {'wall s':>7s} {'speedup':>7s} {'eff':>6s} {'eff/core':>8s} | {'session s':>9s} {'speedup':>7s} {'eff':>6s} {'eff/core':>8s}")
    for r in s["rows"]:
        if r.get("error"):
            print(f"{r['np']:3d} FAILED")
            continue
        print(f"{r['np']:3d} {r['wall_s']:7.2f} {r['speedup_wall_s']:7.2f} {100*r['efficiency_wall_s']:5.1f}% "
              f"{100*r['efficiency_per_core_wall_s']:7.1f}% | {r['session_s']:9.2f} {r['speedup_session_s']:7.2f} "
              f"{100*r['efficiency_session_s']:5.1f}% {100*r['efficiency_per_core_session_s']:7.1f}%")
    w = sc["weak"]
    print(f"\nWeak scaling: {w['strategies_per_rank']} strategies per rank (np copies of the first {w['strategies_per_rank']}), batch {w['batch_size']}, {w['scheduling']}"
          f" (efficiency = T(1) / T(np); per core: the same with the work of np ranks on min(np, {cores}) cores)")
    print(f"{'np':>3s} {'strat':>6s} {'wall s':>7s} {'eff':>6s} {'eff/core':>8s} | {'session s':>9s} {'eff':>6s} {'eff/core':>8s}")
    for r in w["rows"]:
        if r.get("error"):
            print(f"{r['np']:3d} FAILED")
            continue
        print(f"{r['np']:3d} {r['strategies']:6d} {r['wall_s']:7.2f} {100*r['efficiency_wall_s']:5.1f}% "
              f"{100*r['efficiency_per_core_wall_s']:7.1f}% | {r['session_s']:9.2f} {100*r['efficiency_session_s']:5.1f}% "
              f"{100*r['efficiency_per_core_session_s']:7.1f}%")


# ------------------------------------------------------------------ backtest


def backtest_section(b, quick, repeat, tmp):
    log("== backtest")
    frm, to = ("2025-01-01", "2025-12-31") if quick else ("2021-01-01", "2025-12-31")
    rows = []
    for np_ in (1, 2):
        samples = []
        for _ in range(repeat):
            out = tempfile.mkdtemp(prefix="bt", dir=tmp)
            env = dict(os.environ, **MPI_ENV)
            t0 = time.monotonic()
            p = subprocess.run(["timeout", "600", "mpirun", "--oversubscribe", "-np", str(np_),
                                os.path.join(b, "alchemiser"), "backtest", "jobs/daily.json", "--from", frm,
                                "--to", to, "--out", out, "--json", "--no-progress"],
                               capture_output=True, text=True, env=env, cwd=ROOT)
            wall = time.monotonic() - t0
            shutil.rmtree(out, ignore_errors=True)
            if p.returncode != 0:
                rows.append({"np": np_, "error": p.stderr[-1500:]})
                break
            d = json.loads(p.stdout)
            samples.append({"wall_s": wall, "seconds": d["seconds"], "days": d["days"],
                            "strategies": len(d["strategies"]),
                            "strategy_days_per_second": d["strategy_days_per_second"]})
        if samples:
            rows.append({"np": np_, "from": frm, "to": to, "strategies": samples[0]["strategies"],
                         "days": samples[0]["days"], "samples": len(samples),
                         "strategy_days": samples[0]["strategies"] * samples[0]["days"],
                         "seconds": median([s["seconds"] for s in samples]),
                         "wall_s": median([s["wall_s"] for s in samples]),
                         "strategy_days_per_second": median([s["strategy_days_per_second"] for s in samples])})
    return rows


def print_backtest(rows):
    print("\nBacktest: the project's strategies (jobs/daily.json) on every trading day")
    for r in rows:
        if "error" in r:
            print(f"np {r['np']}: FAILED")
            continue
        print(f"np {r['np']}: {r['strategies']} strategies x {r['days']} days ({r['from']} .. {r['to']}) = "
              f"{r['strategy_days']} strategy-days: evaluation {r['seconds']:.2f} s, "
              f"{r['strategy_days_per_second']:.0f} strategy-days/s; wall {r['wall_s']:.2f} s")


# ------------------------------------------------------------------ targets


def targets(res):
    t = {}
    rows = res.get("session", {}).get("rows", [])
    ten = [r for r in rows if r["strategies"] == 10000 and "wall_s" in r]
    if ten:
        best = min(ten, key=lambda r: r["wall_s"])
        t["10k_best_wall_s"] = {"value": best["wall_s"], "target": "< 10 s", "met": best["wall_s"] < 10,
                                "config": f"np {best['np']} batch {best['batch_size']} {best['scheduling']}"}
    sc = res.get("scaling", {}).get("strong", {}).get("rows", [])
    two = [r for r in sc if r.get("np") == 2 and not r.get("error")]
    if two:
        e = two[0]["efficiency_wall_s"]
        t["efficiency_np2"] = {"value": e, "target": ">= 0.90", "met": e >= 0.90,
                               "session_value": two[0]["efficiency_session_s"]}
    if rows:
        worst = max((r for r in rows if "final_share" in r), key=lambda r: r["final_share"])
        t["aggregate_and_snapshot_share"] = {
            "value": worst["final_share"], "target": "< 0.05", "met": worst["final_share"] < 0.05,
            "config": f"{worst['strategies']} strategies np {worst['np']} batch {worst['batch_size']} {worst['scheduling']}",
            "with_batch_recording": max(r["snapshot_share"] for r in rows if "snapshot_share" in r)}
    return t


def print_targets(t):
    if not t:
        return
    print("\nTargets")
    for k, v in t.items():
        extra = ", ".join(f"{a} {b if not isinstance(b, float) else round(b, 3)}"
                          for a, b in v.items() if a not in ("value", "target", "met"))
        print(f"  {k}: {v['value']:.3f} (target {v['target']}): {'met' if v['met'] else 'MISSED'}"
              f"{' (' + extra + ')' if extra else ''}")


# ------------------------------------------------------------------ compare


def compare(a_path, b_path):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    print(f"A: {a_path}: {a['machine']['date_utc']} commit {a['machine']['commit']} load {a['machine'].get('loadavg_start')}")
    print(f"B: {b_path}: {b['machine']['date_utc']} commit {b['machine']['commit']} load {b['machine'].get('loadavg_start')}")
    key = lambda r: (r["strategies"], r["np"], r["batch_size"], r["scheduling"])
    ra = {key(r): r for r in a.get("session", {}).get("rows", []) if "wall_s" in r}
    rb = {key(r): r for r in b.get("session", {}).get("rows", []) if "wall_s" in r}
    print(f"{'strat':>6s} {'np':>2s} {'batch':>5s} {'sched':7s} {'A wall':>7s} {'B wall':>7s} {'B/A':>6s}")
    for k in sorted(set(ra) & set(rb)):
        print(f"{k[0]:6d} {k[1]:2d} {k[2]:5d} {k[3]:7s} {ra[k]['wall_s']:7.2f} {rb[k]['wall_s']:7.2f} "
              f"{rb[k]['wall_s'] / ra[k]['wall_s']:6.2f}")
    for name, e in (("A", a), ("B", b)):
        print(f"\n{name}:", end="")
        print_targets(e.get("targets", {}))


# ------------------------------------------------------------------ markdown


def markdown(path):
    """The figures of a result file as the markdown tables of bench/README.md."""
    d = json.load(open(path))
    m = d["machine"]
    print(f"Command `{d.get('command', 'bench/run.sh')}`, {m['date_utc']}, commit {m['commit']}: "
          f"{m['cores']} cores {m['cpu']}, {m['memory_gib']} GiB, {m['os']}, {m['mpi']}, {m['compiler']} "
          f"`{m['c_flags']}` ({m['build_type']}); load average {m['loadavg_start'][0]:.1f} at the start, "
          f"{m.get('loadavg_end', [0])[0]:.1f} at the end; parallel capacity (bench/run.py) "
          f"{m.get('parallel_capacity_start', 'n/a')} -> {m.get('parallel_capacity_end', 'n/a')} of {m['cores']} cores; "
          f"medians of {d['repeat']} samples.\n")
    if "session" in d:
        print("| strategies | np | batch | scheduling | wall s | session s | job s | dispatch s | batch recording s "
              "| aggregate s | outputs s | strategies/s | peak RSS MiB rank 0 / max | (aggregate + outputs) / session "
              "| rank utilisation | CPU s |")
        print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in d["session"]["rows"]:
            if "total_seconds" not in r:
                print(f"| {r['strategies']} | {r['np']} | {r['batch_size']} | {r['scheduling']} | failed |||||||||")
                continue
            rss = r["max_rss_mib_per_rank"]
            print(f"| {r['strategies']:,} | {r['np']} | {r['batch_size']} | {r['scheduling']} | {r['wall_s']:.2f} "
                  f"| {r['total_seconds']:.2f} | {r['job_seconds']:.2f} | {r['dispatch_seconds']:.2f} "
                  f"| {r['snapshot_batches_seconds']:.2f} | {r['aggregate_seconds']:.3f} | {r['output_seconds']:.2f} "
                  f"| {r['strategies_per_s']:.0f} | {rss[0]:.0f} / {max(rss):.0f} | {100 * r['final_share']:.1f} % "
                  f"| {100 * utilisation(r):.0f} % | {r.get('cpu_s', 0):.1f} |")
        print()
    if "scaling" in d:
        sc = d["scaling"]
        print(f"Strong scaling, {sc['strong']['strategies']:,} strategies, batch {sc['strong']['batch_size']}, dynamic:\n")
        print("| np | wall s | speedup | efficiency | per core | session s | speedup | efficiency | per core |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in sc["strong"]["rows"]:
            if r.get("error"):
                continue
            print(f"| {r['np']} | {r['wall_s']:.2f} | {r['speedup_wall_s']:.2f} | {100*r['efficiency_wall_s']:.0f} % "
                  f"| {100*r['efficiency_per_core_wall_s']:.0f} % | {r['session_s']:.2f} | {r['speedup_session_s']:.2f} "
                  f"| {100*r['efficiency_session_s']:.0f} % | {100*r['efficiency_per_core_session_s']:.0f} % |")
        print(f"\nWeak scaling, {sc['weak']['strategies_per_rank']:,} strategies per rank, batch {sc['weak']['batch_size']}, dynamic:\n")
        print("| np | strategies | wall s | efficiency | per core | session s | efficiency | per core |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in sc["weak"]["rows"]:
            if r.get("error"):
                continue
            print(f"| {r['np']} | {r['strategies']:,} | {r['wall_s']:.2f} | {100*r['efficiency_wall_s']:.0f} % "
                  f"| {100*r['efficiency_per_core_wall_s']:.0f} % | {r['session_s']:.2f} | {100*r['efficiency_session_s']:.0f} % "
                  f"| {100*r['efficiency_per_core_session_s']:.0f} % |")
        print()
    if "backtest" in d:
        print("| backtest | strategies x days | evaluation s | strategy-days/s | wall s |")
        print("|---|---:|---:|---:|---:|")
        for r in d["backtest"]:
            if "error" in r:
                continue
            print(f"| np {r['np']}, {r['from']} .. {r['to']} | {r['strategies']} x {r['days']} | {r['seconds']:.2f} "
                  f"| {r['strategy_days_per_second']:,.0f} | {r['wall_s']:.2f} |")
        print()
    if d.get("targets"):
        print("| target | measured | met |")
        print("|---|---|---|")
        for k, v in d["targets"].items():
            extra = ", ".join(f"{a} {round(b, 3) if isinstance(b, float) else b}" for a, b in v.items()
                              if a not in ("value", "target", "met"))
            print(f"| {k} {v['target']} | {v['value']:.3f} ({extra}) | {'yes' if v['met'] else 'no'} |")


# ------------------------------------------------------------------ main


def main():
    global MARKET
    ap = argparse.ArgumentParser(description="alchemiser benchmarks (bench/README.md)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="small subset, about a minute (default)")
    g.add_argument("--full", action="store_true", help="the whole matrix, for the recorded figures")
    g.add_argument("--smoke", action="store_true", help="a few seconds: checks the driver itself (ctest)")
    ap.add_argument("--market", default=MARKET, help="market file (default data/market.h5, created when missing)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=None, help="samples per configuration (quick 3, full 3)")
    ap.add_argument("--sections", default="engine,session,scaling,backtest")
    ap.add_argument("--out", default=None, help="result file (default bench/results/<mode>-<UTC>.json)")
    ap.add_argument("--keep", default=None, help="work folder to keep (default: a temporary one, removed)")
    ap.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"))
    ap.add_argument("--markdown", metavar="RESULT.json", help="print a result file as markdown tables")
    a = ap.parse_args()
    if a.compare:
        compare(*a.compare)
        return 0
    if a.markdown:
        markdown(a.markdown)
        return 0
    MARKET = os.path.abspath(a.market)
    quick = not a.full
    mode = "smoke" if a.smoke else "quick" if quick else "full"
    repeat = a.repeat or (1 if a.smoke else 3)
    b = os.path.abspath(a.build)
    for exe in ("alchemiser", "bench/bench_engine", "bench/gen_strategies"):
        if not os.access(os.path.join(b, exe), os.X_OK):
            log(f"bench/run.sh: {os.path.join(b, exe)} is missing: build first (bash src/scripts/build.sh)")
            return 2
    if not shutil.which("mpirun"):
        log("bench/run.sh: mpirun not found")
        return 2
    sections = [s.strip() for s in a.sections.split(",") if s.strip()]
    market = MARKET
    if not os.path.exists(market):
        os.makedirs(os.path.dirname(market), exist_ok=True)
        subprocess.run([os.path.join(b, "alchemiser"), "data", "synth", "--out", market], check=True,
                       stdout=subprocess.DEVNULL)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_path = a.out or os.path.join(ROOT, "bench", "results", f"{mode}-{stamp}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = a.keep or tempfile.mkdtemp(prefix="alc-bench-")
    os.makedirs(tmp, exist_ok=True)
    t_start = time.monotonic()
    res = {"mode": mode, "repeat": repeat, "command": " ".join(["bench/run.sh"] + sys.argv[1:]),
           "machine": machine(b)}
    failed = False
    try:
        if "engine" in sections:
            res["engine"] = engine_section(b, quick, tmp)
        results, portfolios = {}, {}
        jobs = None
        if "session" in sections or "scaling" in sections:
            jobs = Jobs(b, tmp, 200 if a.smoke else 10000)
            res["jobs"] = jobs.size_stats
        if "session" in sections:
            log("== session matrix")
            rows = measure_all(b, jobs, session_matrix(quick, a.smoke), repeat, tmp, portfolios, results)
            if quick and not a.smoke:  # the headline: 10,000 strategies in one session
                rows.append(measure(b, jobs, 10000, 2, 10, "dynamic", 1, tmp, portfolios, results))
            res["session"] = {"rows": rows}
        if "scaling" in sections:
            log("== scaling")
            res["scaling"] = scaling(b, jobs, quick, repeat, tmp, portfolios, results, os.cpu_count() or 1,
                                     a.smoke)
        if portfolios:
            res["portfolios_identical"] = {n: len(p) == 1 for n, p in portfolios.items()}
        if "backtest" in sections:
            res["backtest"] = backtest_section(b, quick, 1 if quick else repeat, tmp)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    res["targets"] = targets(res)
    res["machine"]["loadavg_end"] = loadavg()
    res["machine"]["parallel_capacity_end"] = parallel_capacity()
    res["elapsed_s"] = time.monotonic() - t_start
    with open(out_path, "w") as f:
        json.dump(res, f, indent=1)

    m = res["machine"]
    print(f"alchemiser benchmarks ({mode}, {repeat} samples per configuration, medians), {m['date_utc']}")
    print(f"machine: {m['cores']} cores {m['cpu']}, {m['memory_gib']} GiB, {m['os']}; {m['mpi']}; {m['compiler']} "
          f"{m['c_flags']} ({m['build_type']}); commit {m['commit']}; load {m['loadavg_start']} -> {m['loadavg_end']}; "
          f"parallel capacity {m.get('parallel_capacity_start')} -> {m.get('parallel_capacity_end')} of {m['cores']} cores")
    if "jobs" in res:
        j = res["jobs"]
        print(f"generated job: {j['files']} strategies, {j['bytes'] / 1e6:.0f} MB, median {j['median_bytes']} B, "
              f"p99 {j['p99_bytes']} B, {j['over_1mb']} of 1 MB or more (max {j['max_bytes']} B)")
    if "engine" in res:
        print_engine(res["engine"])
    if "session" in res:
        print_session(res["session"]["rows"])
    if "scaling" in res:
        print_scaling(res["scaling"], m["cores"])
    if "portfolios_identical" in res:
        print("\nportfolio byte-identical across every configuration of the same job: "
              + ", ".join(f"{n}: {'yes' if v else 'NO'}" for n, v in res["portfolios_identical"].items()))
        failed |= not all(res["portfolios_identical"].values())
    if "backtest" in res:
        print_backtest(res["backtest"])
        failed |= any("error" in r for r in res["backtest"])
    print_targets(res["targets"])
    for sec in ("session",):
        failed |= any(r.get("failures") for r in res.get(sec, {}).get("rows", []))
    print(f"\nresults: {os.path.relpath(out_path, ROOT) if out_path.startswith(ROOT) else out_path}"
          f" ({res['elapsed_s']:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
