#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare Crewdesk's assignment solver with scipy on the same batch.

    bench/match.py BUILD_DIR [--runs N] [--seed S] [--tickets N] [--crews N]

Runs BUILD_DIR/bench/bench-match, which times the batch matcher and dumps
its cost matrix, then solves that matrix with
scipy.optimize.linear_sum_assignment (median of as many runs) and prints
both side by side. Exits 1 when the optimal costs differ by more than
1e-6 relative, or the numbers of assigned tickets differ.

Uses Debian's python3-numpy and python3-scipy, hence /usr/bin/python3.
"""
import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import linear_sum_assignment


def load_matrix(path):
    with open(path, "rb") as f:
        magic = f.read(8)
        if magic != b"CDCOST01":
            raise SystemExit(f"{path}: not a bench-match cost matrix")
        rows, cols = struct.unpack("<QQ", f.read(16))
        data = np.fromfile(f, dtype="<f8", count=rows * cols)
    if data.size != rows * cols:
        raise SystemExit(f"{path}: truncated matrix")
    return data.reshape(rows, cols)


def solve_scipy(cost):
    """Maximum cardinality, then minimum cost, as cd_lap_solve defines it.

    scipy accepts infinite entries only when a matching covering the
    shorter side exists. Otherwise every infeasible pair gets a price so
    high that one more assigned pair always outweighs any saving, which is
    the same problem; the priced pairs are then dropped from the answer."""
    try:
        rows, cols = linear_sum_assignment(cost)
        return rows, cols, "inf entries as given"
    except ValueError:
        finite = cost[np.isfinite(cost)]
        if finite.size == 0:
            return np.array([], int), np.array([], int), "nothing feasible"
        lo, hi = finite.min(), finite.max()
        big = hi + (hi - lo + 1.0) * (min(cost.shape) + 1)
        priced = np.where(np.isfinite(cost), cost, big)
        rows, cols = linear_sum_assignment(priced)
        keep = np.isfinite(cost[rows, cols])
        return rows[keep], cols[keep], "no full matching: inf priced as big M"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--crews", type=int)
    args = parser.parse_args()

    exe = os.path.join(args.build_dir, "bench", "bench-match")
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "cost.bin")
        cmd = [exe, "--dump", dump, "--runs", str(args.runs)]
        for opt in ("seed", "tickets", "crews"):
            if getattr(args, opt) is not None:
                cmd += [f"--{opt}", str(getattr(args, opt))]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        cost = load_matrix(dump)

    ours = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        ours[key.strip()] = value.strip()

    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        rows, cols, how = solve_scipy(cost)
        times.append((time.perf_counter() - start) * 1000.0)
    scipy_ms = statistics.median(times)
    scipy_cost = float(cost[rows, cols].sum())
    scipy_assigned = len(rows)

    our_ms = float(ours["lap_ms"])
    our_cost = float(ours["lap_total_cost"])
    our_assigned = int(ours["assigned"])
    equal = (our_assigned == scipy_assigned and
             abs(our_cost - scipy_cost) <= 1e-6 * max(1.0, abs(scipy_cost)))

    print(f"instance: {ours['tickets']} tickets, {ours['crews']} crews, seed {ours['seed']}; "
          f"matrix {cost.shape[0]} x {cost.shape[1]}, "
          f"{int(np.isfinite(cost).sum())} feasible pairs; median of {args.runs} runs")
    print(f"scipy {__import__('scipy').__version__}: {how}")
    print()
    print(f"{'':24}{'crewdesk':>16}{'scipy':>16}{'ratio':>8}")
    print(f"{'solve (ms)':24}{our_ms:16.3f}{scipy_ms:16.3f}{our_ms / scipy_ms:8.2f}")
    print(f"{'batch incl. matrix (ms)':24}{float(ours['batch_ms']):16.3f}{'':>16}")
    print(f"{'matrix build (ms)':24}{float(ours['build_ms']):16.3f}{'':>16}")
    print(f"{'rank 1 of N crews (us)':24}{float(ours['rank_us']):16.2f}{'':>16}")
    print(f"{'total cost':24}{our_cost:16.6f}{scipy_cost:16.6f}")
    print(f"{'assigned':24}{our_assigned:16d}{scipy_assigned:16d}")
    print(f"costs equal: {'yes' if equal else 'no'}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
