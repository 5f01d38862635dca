"""Fairness benchmark of the judging maths: how well each combining method recovers a known order.

    python bench/fairness.py [--rounds 200] [--entries 120] [--judges 24] [--per-entry 3]
                             [--regions 6] [--region-strength 8] [--seed 1] [--json]

Simulates --rounds judging rounds in which the truth is known, assigns judges with the app's own
``assign`` under two designs, combines the simulated totals with each of the app's ``combine``
methods and measures how close each method's values come to the true order.

One round:

* every entry has a true quality: normal around 55 + its region's strength offset, SD 15, clipped
  to 0–100. Entries fall into the --regions regions at random; the regions' offsets are spread
  evenly over ±--region-strength (−8, −4.8, −1.6, 1.6, 4.8, 8 with the defaults) and dealt to the
  regions in a random order, so some regions are stronger than others;
* every judge has a region (judge j is in region j mod --regions), a leniency uniform in ±15 and a
  scale uniform in 0.8–1.2 (how widely the judge spreads totals: harsh or generous differences);
* the judge's total for an entry is clip(50 + scale·(quality − 50) + leniency + noise, 0, 100) with
  noise normal, SD 6, drawn once per (judge, entry) pair so that both designs see the same totals
  for the same pair;
* designs: ``balanced`` is ``assign``'s default strategy (loads balanced, graph linked, pairs of
  judges spread); ``same_region`` is its simulation-only strategy in which an entry takes judges of
  its own region first, so judges see only (or mostly) their own region's entries — a stronger or
  weaker set than average — and the judge–entry graph falls apart into islands;
* for each design and method (``METHODS``): Kendall's tau-b between the method's values and the
  true qualities, and the precision of the top 10 (share of the true top 10 among the method's top
  10; ties at the tenth place count by their chance of being picked, i.e. fractionally).

Figures are means over the rounds with their standard errors (sample SD / √rounds); the rounds are
independent. ``judge_effect − zscore`` is the paired difference over the same rounds (same truths,
same totals), with its own standard error. Deterministic for a seed.

With --json the last line printed is one JSON object:
{"rounds": R, "entries": N, "judges": M, "per_entry": k, "regions": G, "region_strength": s, "seed": n,
 "designs": {design: {"disconnected_share": ..., "disconnected_share_se": ...,
                      "methods": {method: {"tau": ..., "tau_se": ..., "top10": ..., "top10_se": ...}},
                      "judge_effect_minus_zscore": {"tau": ..., "tau_se": ..., "top10": ..., "top10_se": ...}}}}
"""
import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventapp.judging.assignment import BALANCED, SAME_REGION, Entry, Judge, assign  # noqa: E402
from eventapp.judging.scoring import METHODS, Total, combine  # noqa: E402

DESIGNS = (BALANCED, SAME_REGION)
TOP = 10  # the top-k of the precision figure

# The simulated truth and judges.
QUALITY_MEAN = 55.0
QUALITY_SD = 15.0
LENIENCY = 15.0  # uniform in ±LENIENCY
SCALE_LOW, SCALE_HIGH = 0.8, 1.2
SCALE_CENTRE = 50.0  # a judge's scale stretches totals around this point
NOISE_SD = 6.0


def clip(value: float) -> float:
    return min(100.0, max(0.0, value))


# --- the figures of one round --------------------------------------------------------------------

def _merge_count(values: list) -> int:
    """Sort ``values`` in place (merge sort) and return the number of inversions (strict pairs
    i < j with values[i] > values[j])."""
    n = len(values)
    if n < 2:
        return 0
    swaps = 0
    buffer = list(values)
    width = 1
    source, target = values, buffer
    while width < n:
        for start in range(0, n, 2 * width):
            middle, end = min(start + width, n), min(start + 2 * width, n)
            i, j, k = start, middle, start
            while i < middle and j < end:
                if source[j] < source[i]:
                    target[k] = source[j]
                    swaps += middle - i
                    j += 1
                else:
                    target[k] = source[i]
                    i += 1
                k += 1
            target[k:end] = source[i:middle] if i < middle else source[j:end]
        source, target = target, source
        width *= 2
    if source is not values:
        values[:] = source
    return swaps


def _tied_pairs(sorted_values: list) -> int:
    """Pairs of equal values in a sorted list."""
    pairs, run = 0, 1
    for a, b in zip(sorted_values, sorted_values[1:]):
        if a == b:
            run += 1
        else:
            pairs += run * (run - 1) // 2
            run = 1
    return pairs + run * (run - 1) // 2


def kendall_tau_b(xs: list, ys: list) -> float:
    """Kendall's tau-b of two equally long sequences, O(n log n) (Knight's algorithm).

    tau_b = (concordant − discordant) / √((n0 − ties in x)(n0 − ties in y)), n0 = n(n−1)/2; values
    are tied only when exactly equal. 0.0 when either side is constant (tau-b is undefined there).
    """
    n = len(xs)
    if n != len(ys):
        raise ValueError("xs and ys must be equally long")
    pairs = sorted(zip(xs, ys))
    n0 = n * (n - 1) // 2
    ties_x = _tied_pairs([x for x, _ in pairs])
    ties_xy = _tied_pairs(pairs)
    ys_by_x = [y for _, y in pairs]  # within a tie in x, sorted by y: those pairs count no inversion
    discordant = _merge_count(ys_by_x)  # now sorted
    ties_y = _tied_pairs(ys_by_x)
    denominator = (n0 - ties_x) * (n0 - ties_y)
    if denominator <= 0:
        return 0.0
    # concordant − discordant = pairs tied in neither − 2·discordant
    return (n0 - ties_x - ties_y + ties_xy - 2 * discordant) / math.sqrt(denominator)


def top_shares(values: dict, k: int) -> dict:
    """entry -> chance of being among the k highest values when ties at the k-th place are broken
    at random: 1 above the cut, r/t for each of the t entries tied at it with r places left."""
    ordered = sorted(values.values(), reverse=True)
    if k >= len(ordered):
        return dict.fromkeys(values, 1.0)
    cut = ordered[k - 1]
    above = sum(1 for v in ordered if v > cut)
    at = sum(1 for v in ordered if v == cut)
    share = (k - above) / at
    return {entry: 1.0 if v > cut else share for entry, v in values.items() if v >= cut}


def top_precision(values: dict, truth: dict, k: int) -> float:
    """Expected |top k by values ∩ true top k| / k (independent random tie-breaks on each side)."""
    mine, true = top_shares(values, k), top_shares(truth, k)
    k = min(k, len(values))
    return math.fsum(share * true.get(entry, 0.0) for entry, share in mine.items()) / k


# --- one simulated round ------------------------------------------------------------------------

def simulate_round(args, round_seed: int) -> dict:
    """design -> {"connected": bool, "methods": {method: (tau, top10)}} for one round."""
    rng = random.Random(round_seed)
    regions = args.regions
    if regions > 1:
        offsets = [-args.region_strength + 2 * args.region_strength * i / (regions - 1) for i in range(regions)]
    else:
        offsets = [0.0]
    rng.shuffle(offsets)

    entries = []
    quality = {}
    for e in range(args.entries):
        region = rng.randrange(regions)
        entries.append(Entry(e, region))
        quality[e] = clip(rng.gauss(QUALITY_MEAN + offsets[region], QUALITY_SD))
    judges = [Judge(j, j % regions) for j in range(args.judges)]
    leniency = [rng.uniform(-LENIENCY, LENIENCY) for _ in judges]
    scale = [rng.uniform(SCALE_LOW, SCALE_HIGH) for _ in judges]
    noise = [[rng.gauss(0.0, NOISE_SD) for _ in entries] for _ in judges]
    assign_seed = rng.randrange(2 ** 32)

    def total(j: int, e: int) -> float:
        return clip(SCALE_CENTRE + scale[j] * (quality[e] - SCALE_CENTRE) + leniency[j] + noise[j][e])

    outcome = {}
    for design in DESIGNS:
        assignment = assign(entries, judges, args.per_entry, seed=assign_seed, strategy=design)
        totals = [Total(e, j, total(j, e)) for j, e in sorted(assignment.pairs)]
        true_values = [quality[e] for e in range(args.entries)]
        methods = {}
        for method in METHODS:
            result = combine(totals, method)
            if result.connected != assignment.connected:  # the two modules must agree on the graph
                raise SystemExit(f"round seed {round_seed}, {design}: assign() says connected="
                                 f"{assignment.connected}, combine() says {result.connected}")
            values = {e: result.entries[e].value for e in range(args.entries)}
            tau = kendall_tau_b([values[e] for e in range(args.entries)], true_values)
            methods[method] = (tau, top_precision(values, quality, TOP))
        outcome[design] = {"connected": assignment.connected, "methods": methods}
    return outcome


# --- the whole run ------------------------------------------------------------------------------

def mean_se(samples: list) -> tuple[float, float | None]:
    """Mean and standard error of the mean (sample SD / √n); the error is None for one sample."""
    n = len(samples)
    mean = math.fsum(samples) / n
    if n < 2:
        return mean, None
    variance = math.fsum((s - mean) ** 2 for s in samples) / (n - 1)
    return mean, math.sqrt(variance / n)


def run(args) -> dict:
    master = random.Random(args.seed)
    round_seeds = [master.randrange(2 ** 63) for _ in range(args.rounds)]
    outcomes = [simulate_round(args, s) for s in round_seeds]

    def rounded(value):
        return None if value is None else round(value, 4)

    designs = {}
    for design in DESIGNS:
        share, share_se = mean_se([0.0 if o[design]["connected"] else 1.0 for o in outcomes])
        methods = {}
        for method in METHODS:
            tau, tau_se = mean_se([o[design]["methods"][method][0] for o in outcomes])
            top, top_se = mean_se([o[design]["methods"][method][1] for o in outcomes])
            methods[method] = {"tau": rounded(tau), "tau_se": rounded(tau_se),
                               "top10": rounded(top), "top10_se": rounded(top_se)}
        d_tau, d_tau_se = mean_se([o[design]["methods"]["judge_effect"][0] - o[design]["methods"]["zscore"][0]
                                   for o in outcomes])
        d_top, d_top_se = mean_se([o[design]["methods"]["judge_effect"][1] - o[design]["methods"]["zscore"][1]
                                   for o in outcomes])
        designs[design] = {
            "disconnected_share": rounded(share), "disconnected_share_se": rounded(share_se),
            "methods": methods,
            "judge_effect_minus_zscore": {"tau": rounded(d_tau), "tau_se": rounded(d_tau_se),
                                          "top10": rounded(d_top), "top10_se": rounded(d_top_se)},
        }
    return {"rounds": args.rounds, "entries": args.entries, "judges": args.judges, "per_entry": args.per_entry,
            "regions": args.regions, "region_strength": args.region_strength, "seed": args.seed,
            "designs": designs}


def report(args, figures: dict, seconds: float) -> None:
    def pm(value, se):
        return f"{value:.4f} ± {se:.4f}" if se is not None else f"{value:.4f}"

    print(f"{args.rounds} rounds of {args.entries} entries, {args.judges} judges, {args.per_entry} judges per "
          f"entry, {args.regions} regions (strength ±{args.region_strength:g}), seed {args.seed}; "
          f"{seconds:.1f} s")
    print(f"truth: quality ~ N({QUALITY_MEAN:g} + region, {QUALITY_SD:g}) clipped 0–100; judges: leniency "
          f"U(±{LENIENCY:g}), scale U({SCALE_LOW:g}–{SCALE_HIGH:g}) around {SCALE_CENTRE:g}, noise SD {NOISE_SD:g}")
    print(f"figures: mean over the rounds ± standard error; top{TOP} = share of the true top {TOP} "
          f"in the method's top {TOP}")
    header = f"{'design':<12} {'method':<26} {'Kendall tau-b':>17} {f'top-{TOP} precision':>17}"
    for design in DESIGNS:
        block = figures["designs"][design]
        print()
        print(header)
        print("-" * len(header))
        best_tau = max(METHODS, key=lambda m: block["methods"][m]["tau"])
        best_top = max(METHODS, key=lambda m: block["methods"][m]["top10"])
        for method in METHODS:
            row = block["methods"][method]
            marks = ("  best tau" if method == best_tau else "") + ("  best top" if method == best_top else "")
            print(f"{design:<12} {method:<26} {pm(row['tau'], row['tau_se']):>17} "
                  f"{pm(row['top10'], row['top10_se']):>17}{marks}")
        diff = block["judge_effect_minus_zscore"]
        print(f"{design:<12} {'judge_effect − zscore':<26} {pm(diff['tau'], diff['tau_se']):>17} "
              f"{pm(diff['top10'], diff['top10_se']):>17}  (paired)")
        print(f"{design:<12} disconnected judge–entry graph in "
              f"{pm(block['disconnected_share'], block['disconnected_share_se'])} of the rounds")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="simulated rounds (default 200)")
    parser.add_argument("--entries", type=int, default=120, help="entries per round (default 120)")
    parser.add_argument("--judges", type=int, default=24, help="judges per round (default 24)")
    parser.add_argument("--per-entry", type=int, default=3, help="judges per entry (default 3)")
    parser.add_argument("--regions", type=int, default=6, help="regions of entries and judges (default 6)")
    parser.add_argument("--region-strength", type=float, default=8.0,
                        help="regions' mean quality offsets are spread evenly over ± this (default 8; 0: all alike)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the whole run (default 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.entries < 2 or args.judges < 1 or args.per_entry < 1 or args.regions < 1:
        parser.error("--rounds, --judges, --per-entry and --regions must be at least 1, --entries at least 2")
    if not math.isfinite(args.region_strength) or args.region_strength < 0:
        parser.error("--region-strength must be a finite number >= 0")
    started = time.perf_counter()
    figures = run(args)
    report(args, figures, time.perf_counter() - started)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
