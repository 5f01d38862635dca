"""Automatic assignment of judges (eventapp.judging.assignment): pure functions, no database, no Flask."""
import math
import os
import random
import subprocess
import sys
from collections import Counter, deque
from itertools import combinations, product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventapp.judging import assignment as assignment_module
from eventapp.judging.assignment import (
    CONFLICTS,
    SAME_REGION,
    TOO_FEW_JUDGES,
    AssignmentPlan,
    Entry,
    Judge,
    Uncovered,
    assign,
    is_connected,
    pair_counts,
    rebalance,
    replacement_for,
)

CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- random rounds ---------------------------------------------------------------------------------

@st.composite
def rounds(draw, max_entries=40, max_judges=15, max_per_entry=4, with_conflicts=True, with_existing=True):
    """(entries, judges, per_entry, conflicts, existing, seed). Judge and entry ids may be equal
    (ints on both sides) to make sure the two kinds of node are never confused."""
    n = draw(st.integers(1, max_entries))
    m = draw(st.integers(1, max_judges))
    per_entry = draw(st.integers(1, max_per_entry))
    rnd = draw(st.randoms(use_true_random=False))
    regions = draw(st.integers(1, 4))
    entry_ids = list(range(n)) if draw(st.booleans()) else [f"team-{i}" for i in range(n)]
    entries = [Entry(i, rnd.randrange(regions)) for i in entry_ids]
    judges = [Judge(j, rnd.randrange(regions)) for j in range(m)]
    conflicts, existing = set(), set()
    if with_conflicts:
        density = draw(st.sampled_from([0.0, 0.05, 0.2, 0.5, 0.9, "own region"]))
        if density == "own region":  # the organiser's rule: no judge sees the entries of their region
            conflicts = {(judge.id, entry.id) for judge in judges for entry in entries if judge.region == entry.region}
        else:
            conflicts = {(judge.id, entry.id) for judge in judges for entry in entries if rnd.random() < density}
    if with_existing:
        density = draw(st.sampled_from([0.0, 0.05, 0.2]))
        existing = {(judge.id, entry.id) for judge in judges for entry in entries if rnd.random() < density}
        if existing and draw(st.booleans()):  # outside the round: unknown judge, unknown entry
            existing |= {("gone", entries[0].id), (judges[0].id, "withdrawn team")}
    seed = draw(st.integers(0, 2**32))
    return entries, judges, per_entry, conflicts, existing, seed


def kept_pairs(entries, judges, conflicts, existing):
    judge_ids, entry_ids = {j.id for j in judges}, {e.id for e in entries}
    return {(j, e) for j, e in existing if (j, e) not in conflicts and j in judge_ids and e in entry_ids}


def judges_on(pairs):
    on = {}
    for j, e in pairs:
        on.setdefault(e, set()).add(j)
    return on


def check_valid(result, entries, judges, per_entry, conflicts, existing):
    """Everything that must hold for any strategy, feasible or not."""
    judge_ids = {j.id for j in judges}
    entry_ids = {e.id for e in entries}
    kept = kept_pairs(entries, judges, conflicts, existing)
    assert isinstance(result, AssignmentPlan)
    assert all(j in judge_ids and e in entry_ids for j, e in result.pairs)
    assert not result.pairs & set(conflicts), "a conflicted pair was assigned"
    assert kept <= result.pairs, "an existing pair was dropped"
    assert result.removed == set(existing) - kept
    on = judges_on(result.pairs)
    for entry in entries:
        free = {j for j in judge_ids if (j, entry.id) not in conflicts}
        mine = on.get(entry.id, set())
        kept_here = {j for j, e in kept if e == entry.id}
        if len(free) >= per_entry:
            assert entry.id not in result.uncovered
            assert len(mine) == max(per_entry, len(kept_here))
        else:
            assert mine == free, "an uncoverable entry gets every conflict-free judge"
            assert result.uncovered[entry.id] == Uncovered(
                entry_id=entry.id, needed=per_entry, assigned=len(free),
                reason=TOO_FEW_JUDGES if len(judges) < per_entry else CONFLICTS,
                available=len(free), conflicted=len(judge_ids) - len(free))
    assert set(result.uncovered) <= entry_ids
    loads = Counter(j for j, _ in result.pairs)
    assert result.loads == {j: loads.get(j, 0) for j in judge_ids}
    values = list(result.loads.values())
    assert result.balanced == (max(values) - min(values) <= 1)
    assert result.connected == is_connected(result.pairs)


def can_even_out(result, judges, conflicts, fixed):
    """Whether loads could be evened out: a chain of moves from a judge with load L to one with
    load <= L - 2 (judge A leaves an entry judge B may join, B leaves one C may join, ...)."""
    on = judges_on(result.pairs)
    entries_of = {}
    for j, e in result.pairs:
        entries_of.setdefault(j, set()).add(e)
    loads = result.loads
    judge_ids = [j.id for j in judges]
    for start in judge_ids:
        reached, queue = {start}, deque([start])
        while queue:
            a = queue.popleft()
            for e in entries_of.get(a, ()):
                if (a, e) in fixed:
                    continue
                for b in judge_ids:
                    if b in reached or b in on[e] or (b, e) in conflicts:
                        continue
                    if loads[b] <= loads[start] - 2:
                        return True
                    reached.add(b)
                    queue.append(b)
    return False


def graph_can_link(n_entries, loads):
    """Without conflicts or fixed pairs a simple bipartite graph with these degrees can be one
    component exactly when it has at least (nodes - 1) edges."""
    edges = sum(loads.values())
    nodes = n_entries + sum(1 for load in loads.values() if load)
    return edges >= nodes - 1


# --- the invariants --------------------------------------------------------------------------------

@CHECKS
@given(rounds())
def test_every_assignment_is_valid_and_its_loads_cannot_be_evened_out(case):
    entries, judges, per_entry, conflicts, existing, seed = case
    result = assign(entries, judges, per_entry, conflicts=conflicts, existing=existing, seed=seed)
    check_valid(result, entries, judges, per_entry, conflicts, existing)
    assert not can_even_out(result, judges, conflicts, kept_pairs(entries, judges, conflicts, existing))


@CHECKS
@given(rounds(with_conflicts=False, with_existing=False))
def test_without_conflicts_loads_differ_by_one_the_round_is_linked_and_pairs_are_spread(case):
    entries, judges, per_entry, _, _, seed = case
    result = assign(entries, judges, per_entry, seed=seed)
    check_valid(result, entries, judges, per_entry, set(), set())
    assert result.balanced
    assert max(result.loads.values()) - min(result.loads.values()) <= 1
    if len(judges) >= per_entry:
        assert not result.uncovered
        assert all(len(js) == per_entry for js in judges_on(result.pairs).values())
    if per_entry >= 2 and len(judges) >= 2:
        assert result.connected == graph_can_link(len(entries), result.loads)
    m = len(judges)
    if m >= 2:
        counts = pair_counts(result.pairs)
        average = sum(counts.values()) / (m * (m - 1) / 2)
        assert max(counts.values(), default=0) <= math.ceil(average) + 2


def exhaustive(entries, judges, per_entry, conflicts, existing):
    """Every valid assignment of a tiny round: the most balanced sorted loads, and whether one of
    the assignments with those loads is linked."""
    kept = kept_pairs(entries, judges, conflicts, existing)
    choices = []
    for entry in entries:
        here = {j for j, e in kept if e == entry.id}
        free = [j.id for j in judges if (j.id, entry.id) not in conflicts and j.id not in here]
        size = min(len(free), max(0, per_entry - len(here)))
        choices.append([[(j, entry.id) for j in chosen] for chosen in combinations(free, size)])
    best, linked = None, False
    for picks in product(*choices):
        pairs = set(kept).union(*picks)
        counts = Counter(j for j, _ in pairs)
        loads = sorted((counts.get(j.id, 0) for j in judges), reverse=True)
        if best is None or loads < best:
            best, linked = loads, is_connected(pairs)
        elif loads == best and not linked:
            linked = is_connected(pairs)
    return best, linked


@settings(max_examples=200, deadline=None)
@given(rounds(max_entries=4, max_judges=4, max_per_entry=3))
def test_tiny_rounds_are_as_balanced_and_linked_as_an_exhaustive_search_finds(case):
    entries, judges, per_entry, conflicts, existing, seed = case
    result = assign(entries, judges, per_entry, conflicts=conflicts, existing=existing, seed=seed)
    check_valid(result, entries, judges, per_entry, conflicts, existing)
    best, linked = exhaustive(entries, judges, per_entry, conflicts, existing)
    assert sorted(result.loads.values(), reverse=True) == best
    if per_entry >= 2:
        assert result.connected == linked


# --- worked examples -------------------------------------------------------------------------------

def numbered(n_entries, n_judges):
    return [Entry(f"e{i:02}") for i in range(n_entries)], [Judge(f"j{i:02}") for i in range(n_judges)]


def test_a_round_without_conflicts():
    entries, judges = numbered(30, 9)
    result = assign(entries, judges, 3)
    assert len(result.pairs) == 90
    assert set(result.loads.values()) == {10}
    assert result.balanced and result.connected and not result.uncovered and not result.removed
    assert all(len(result.judges_of(entry.id)) == 3 for entry in entries)
    assert len(result.entries_of("j00")) == 10


def test_fewer_judges_than_per_entry():
    entries, judges = numbered(3, 2)
    result = assign(entries, judges, 3)
    assert result.uncovered == {
        entry.id: Uncovered(entry.id, needed=3, assigned=2, reason=TOO_FEW_JUDGES, available=2, conflicted=0)
        for entry in entries}
    assert len(result.pairs) == 6  # both judges on every entry: as much as can be done


def test_an_entry_with_too_many_conflicts_is_reported_and_the_others_are_covered():
    entries, judges = numbered(6, 4)
    conflicts = {("j00", "e03"), ("j01", "e03"), ("j02", "e03")}
    result = assign(entries, judges, 2, conflicts=conflicts)
    assert result.uncovered == {
        "e03": Uncovered("e03", needed=2, assigned=1, reason=CONFLICTS, available=1, conflicted=3)}
    assert result.judges_of("e03") == ["j03"]
    assert all(len(result.judges_of(f"e0{i}")) == 2 for i in (0, 1, 2, 4, 5))
    assert not result.pairs & conflicts
    assert result.balanced  # 11 pairs over 4 judges: 3, 3, 3, 2


def test_conflicts_that_force_unbalanced_loads_are_said_so_and_kept_as_even_as_possible():
    entries, judges = numbered(8, 3)
    # j02 may only judge e00: the other two carry everything else.
    conflicts = {("j02", entry.id) for entry in entries[1:]}
    result = assign(entries, judges, 2, conflicts=conflicts)
    assert not result.balanced and not result.uncovered
    assert result.loads == {"j00": 8, "j01": 7, "j02": 1} or result.loads == {"j00": 7, "j01": 8, "j02": 1}


def test_existing_pairs_are_kept_and_topped_up_and_conflicted_ones_removed():
    entries, judges = numbered(10, 6)
    existing = {("j00", "e00"), ("j01", "e00"), ("j02", "e00"), ("j03", "e00"),  # more than needed, by hand
                ("j04", "e01"),
                ("j05", "e02")}  # now a conflict
    conflicts = {("j05", "e02")}
    result = assign(entries, judges, 3, conflicts=conflicts, existing=existing)
    assert existing - conflicts <= result.pairs
    assert result.removed == {("j05", "e02")}
    assert ("j05", "e02") not in result.pairs
    assert len(result.judges_of("e00")) == 4
    assert "j04" in result.judges_of("e01") and len(result.judges_of("e01")) == 3
    assert len(result.judges_of("e02")) == 3
    assert result.balanced  # 31 pairs over 6 judges: 6 and 5


def test_existing_pairs_that_overload_a_judge_make_the_rest_as_even_as_possible():
    entries, judges = numbered(12, 4)
    existing = {("j00", entry.id) for entry in entries}  # j00 already judges every entry
    result = assign(entries, judges, 2, existing=existing)
    assert result.loads == {"j00": 12, "j01": 4, "j02": 4, "j03": 4}
    assert not result.balanced and result.connected


def test_the_same_seed_gives_the_same_assignment_and_other_seeds_other_ones():
    entries, judges = numbered(40, 12)
    conflicts = {("j00", "e01"), ("j03", "e07")}
    first = assign(entries, judges, 3, conflicts=conflicts, seed=7)
    assert assign(entries, judges, 3, conflicts=conflicts, seed=7) == first
    others = {assign(entries, judges, 3, conflicts=conflicts, seed=seed).pairs for seed in range(5)}
    assert len(others) > 1


def test_the_order_of_the_inputs_changes_nothing():
    entries, judges = numbered(25, 8)
    conflicts = {("j01", "e02"), ("j05", "e11")}
    expected = assign(entries, judges, 3, conflicts=conflicts, seed=3)
    rnd = random.Random(1)
    for _ in range(3):
        rnd.shuffle(entries)
        rnd.shuffle(judges)
        assert assign(entries, judges, 3, conflicts=list(conflicts), seed=3) == expected


def test_python_hash_seed_changes_nothing():
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('assignment', {assignment_module.__file__!r})\n"
        "a = importlib.util.module_from_spec(spec); sys.modules['assignment'] = a; spec.loader.exec_module(a)\n"
        "entries = [a.Entry(f'team {i}') for i in range(30)]\n"
        "judges = [a.Judge(f'judge {i}') for i in range(9)]\n"
        "conflicts = {(f'judge {i}', f'team {3 * i}') for i in range(9)}\n"
        "existing = {(f'judge {i}', f'team {i + 1}') for i in range(9)} | {('judge 0', 'team 0')}\n"
        "result = a.assign(entries, judges, 3, conflicts=conflicts, existing=existing, seed=11)\n"
        "print(sorted(result.pairs), sorted(result.removed))\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": str(hash_seed)}).stdout
        for hash_seed in (1, 2, 3)
    }
    assert len(outputs) == 1


def test_pairs_are_spread_far_better_than_a_naive_round_robin():
    entries, judges = numbered(60, 12)
    # round robin: entry i takes judges 3i, 3i+1, 3i+2 (mod 12): always the same four trios
    naive = {(judges[(3 * i + k) % 12].id, entry.id) for i, entry in enumerate(entries) for k in range(3)}
    assert max(pair_counts(naive).values()) == 15 and not is_connected(naive)
    result = assign(entries, judges, 3)
    counts = pair_counts(result.pairs)
    average = sum(counts.values()) / 66  # 180 shared seats over 66 judge pairs: 2.7
    assert max(counts.values()) <= math.ceil(average) + 1
    assert len(counts) >= 55  # most judge pairs meet at least once
    assert result.connected and result.balanced


def provinces(n_provinces=4, entries_each=10, judges_each=5):
    entries = [Entry(f"p{p}-e{i}", region=p) for p in range(n_provinces) for i in range(entries_each)]
    judges = [Judge(f"p{p}-j{i}", region=p) for p in range(n_provinces) for i in range(judges_each)]
    return entries, judges


def test_provinces_balanced_links_the_round_and_same_region_does_not():
    entries, judges = provinces()
    region = {j.id: j.region for j in judges} | {e.id: e.region for e in entries}

    fair = assign(entries, judges, 3, seed=5)
    assert fair.connected and fair.balanced
    assert any(region[j] != region[e] for j, e in fair.pairs)

    unfair = assign(entries, judges, 3, seed=5, strategy=SAME_REGION)
    check_valid(unfair, entries, judges, 3, set(), set())
    assert all(region[j] == region[e] for j, e in unfair.pairs)
    assert not unfair.connected
    labels = assignment_module._labels(unfair.pairs)
    assert len(set(labels.values())) == 4  # one island per province


def test_same_region_fills_up_from_other_regions_and_respects_conflicts():
    entries, judges = provinces(n_provinces=2, entries_each=4, judges_each=2)
    conflicts = {("p0-j0", "p0-e0")}
    result = assign(entries, judges, 3, conflicts=conflicts, strategy=SAME_REGION)
    check_valid(result, entries, judges, 3, conflicts, set())
    for entry in entries:
        own = [j for j in result.judges_of(entry.id) if j.startswith(f"p{entry.region}-")]
        assert len(own) == (1 if entry.id == "p0-e0" else 2)


@settings(max_examples=100, deadline=None)
@given(rounds())
def test_same_region_respects_conflicts_coverage_and_existing_pairs(case):
    entries, judges, per_entry, conflicts, existing, seed = case
    result = assign(entries, judges, per_entry, conflicts=conflicts, existing=existing, seed=seed,
                    strategy=SAME_REGION)
    check_valid(result, entries, judges, per_entry, conflicts, existing)
    # an entry takes another region's judge only when its own region has no free judge left
    on = judges_on(result.pairs)
    region = {judge.id: judge.region for judge in judges}
    for entry in entries:
        mine = on.get(entry.id, set())
        own_free = {j.id for j in judges if j.region == entry.region and (j.id, entry.id) not in conflicts}
        if any(region[j] != entry.region for j in mine - {j for j, e in existing if e == entry.id}):
            assert own_free <= mine


@pytest.mark.parametrize("call", [
    lambda e, j: assign(e, j, 2, strategy="alphabetical"),
    lambda e, j: assign(e, j, -1),
    lambda e, j: assign(e + e[:1], j, 2),
    lambda e, j: assign(e, j + j[:1], 2),
])
def test_bad_arguments_are_refused(call):
    entries, judges = numbered(3, 3)
    with pytest.raises(ValueError):
        call(entries, judges)


def test_nothing_to_assign():
    assert assign([], [], 3) == AssignmentPlan(frozenset(), {}, {})
    entries, judges = numbered(3, 3)
    assert assign(entries, judges, 0).pairs == frozenset()
    no_judges = assign(entries, [], 2)
    assert {u.reason for u in no_judges.uncovered.values()} == {TOO_FEW_JUDGES}


# --- helpers ---------------------------------------------------------------------------------------

def test_pair_counts_and_is_connected():
    pairs = {("a", 1), ("b", 1), ("c", 1), ("a", 2), ("b", 2), ("d", 3)}
    assert pair_counts(pairs) == Counter({frozenset("ab"): 2, frozenset("ac"): 1, frozenset("bc"): 1})
    assert not is_connected(pairs)
    assert is_connected(pairs | {("d", 2)})
    assert is_connected(set())
    # a judge and an entry with the same id are two different nodes
    assert not is_connected({(1, 2), (3, 1)})


# --- replacement_for -------------------------------------------------------------------------------

@CHECKS
@given(rounds(with_existing=False), st.data())
def test_a_replacement_is_free_of_conflicts_not_on_the_entry_and_among_the_least_loaded(case, data):
    entries, judges, per_entry, conflicts, _, seed = case
    pairs = set(assign(entries, judges, per_entry, conflicts=conflicts, seed=seed).pairs)
    leaving, entry_id = data.draw(st.sampled_from(sorted(pairs, key=repr))) if pairs else (judges[0].id, entries[0].id)
    declared = conflicts | {(leaving, entry_id)}
    chosen = replacement_for(leaving, entry_id, pairs, judges, declared, seed=seed)
    remaining = pairs - {(leaving, entry_id)}
    on_entry = {j for j, e in remaining if e == entry_id}
    eligible = [j.id for j in judges if j.id != leaving and j.id not in on_entry and (j.id, entry_id) not in declared]
    if not eligible:
        assert chosen is None
        return
    assert chosen in eligible
    loads = Counter(j for j, _ in remaining)
    assert loads[chosen] == min(loads[j] for j in eligible)
    # the conflict need not be listed: the leaving judge is never chosen
    assert replacement_for(leaving, entry_id, pairs, judges, conflicts, seed=seed) != leaving


def test_replacement_keeps_the_round_linked():
    # two islands; entry x on the left loses judge a. b (left) and d (right) have the same load:
    # handing x to d links the islands, handing it to b would not.
    pairs = {("a", "x"), ("b", "x"), ("b", "y"), ("a", "y"), ("c", "z"), ("d", "z"), ("c", "w"), ("d", "w"),
             ("e", "x"), ("e", "y")}
    judges = [Judge(j) for j in "abcde"]
    assert replacement_for("a", "x", pairs, judges, {("a", "x")}) in {"c", "d"}


def test_replacement_avoids_repeating_a_pair():
    # j1 is on e0; j2 has already sat with j1 twice, j3 never: same loads, j3 is chosen
    pairs = {("j0", "e0"), ("j1", "e0"),
             ("j1", "e1"), ("j2", "e1"), ("j1", "e2"), ("j2", "e2"),
             ("j3", "e3"), ("j4", "e3"), ("j3", "e4"), ("j4", "e4"), ("j0", "e5"), ("j4", "e5")}
    judges = [Judge(f"j{i}") for i in range(5)]
    assert replacement_for("j0", "e0", pairs, judges, {("j0", "e0")}) == "j3"


def test_replacement_prefers_the_lowest_load_and_none_when_nobody_can_take_it():
    pairs = {("a", "x"), ("b", "x"), ("c", "y"), ("c", "z")}
    judges = [Judge(j) for j in "abcd"]
    assert replacement_for("a", "x", pairs, judges, {("a", "x")}) == "d"
    assert replacement_for("a", "x", pairs, judges, {("a", "x"), ("d", "x")}) == "c"
    assert replacement_for("a", "x", pairs, judges, {("a", "x"), ("d", "x"), ("c", "x")}) is None
    assert replacement_for("a", "x", pairs, ["a", "b", "d"], {("a", "x")}) == "d"  # plain ids work too


# --- rebalance (after conflicts) -------------------------------------------------------------------

def declare_conflicts(pairs, judges, conflicts, declared, scored):
    """What the app does for each declared conflict, in turn: the pair leaves (unless scored), the entry
    goes to `replacement_for`'s judge, then `rebalance`'s moves are made. Checks each move on the way."""
    pairs, conflicts = set(pairs), set(conflicts)
    for leaving, entry_id in declared:
        conflicts.add((leaving, entry_id))
        if (leaving, entry_id) not in pairs or (leaving, entry_id) in scored:
            continue
        substitute = replacement_for(leaving, entry_id, pairs, judges, conflicts)
        pairs.discard((leaving, entry_id))
        if substitute is not None:
            pairs.add((substitute, entry_id))
        for judge_id, moved_entry, to_judge in rebalance(pairs, judges, conflicts, scored):
            assert (judge_id, moved_entry) in pairs and (judge_id, moved_entry) not in scored
            assert (to_judge, moved_entry) not in pairs and (to_judge, moved_entry) not in conflicts
            pairs.remove((judge_id, moved_entry))
            pairs.add((to_judge, moved_entry))
    return pairs, conflicts


def most_balanced_with_the_same_counts(pairs, judges, conflicts, fixed):
    """Exhaustive: the best sorted loads of any assignment where every entry keeps its number of judges
    and its fixed pairs, free of (unfixed) conflicts."""
    choices = []
    for entry_id, on in judges_on(pairs).items():
        here = [(j, entry_id) for j in on if (j, entry_id) in fixed]
        free = [j.id for j in judges if (j.id, entry_id) not in conflicts and (j.id, entry_id) not in fixed]
        choices.append([here + [(j, entry_id) for j in chosen] for chosen in combinations(free, len(on) - len(here))])
    best = None
    for picks in product(*choices):
        counts = Counter(j for pick in picks for j, _ in pick)
        loads = sorted((counts.get(j.id, 0) for j in judges), reverse=True)
        best = loads if best is None or loads < best else best
    return best


@st.composite
def conflicts_after_assigning(draw, **limits):
    """A round assigned automatically, some of its pairs scored, then conflicts declared on assigned pairs
    (scored ones included) and on others."""
    entries, judges, per_entry, conflicts, _, seed = draw(rounds(with_existing=False, **limits))
    pairs = assign(entries, judges, per_entry, conflicts=conflicts, seed=seed).pairs
    ordered = sorted(pairs, key=repr)
    scored = set(draw(st.lists(st.sampled_from(ordered), max_size=len(ordered) // 2))) if ordered else set()
    anywhere = st.tuples(st.sampled_from([j.id for j in judges]), st.sampled_from([e.id for e in entries]))
    declared = draw(st.lists(st.sampled_from(ordered) | anywhere if ordered else anywhere, min_size=1, max_size=6))
    return judges, pairs, conflicts, scored, declared


@CHECKS
@given(conflicts_after_assigning())
def test_after_conflicts_loads_cannot_be_evened_out_and_scored_pairs_stay(case):
    judges, pairs, conflicts, scored, declared = case
    after, conflicts = declare_conflicts(pairs, judges, conflicts, declared, scored)
    assert scored & pairs <= after, "a scored pair moved"
    assert not (after - scored) & conflicts, "an unscored conflicted pair was kept or made"
    before_counts = Counter(e for _, e in pairs)
    after_counts = Counter(e for _, e in after)
    assert all(after_counts[e] <= count for e, count in before_counts.items())
    loads = Counter(j for j, _ in after)
    plan = AssignmentPlan(pairs=frozenset(after), uncovered={}, loads={j.id: loads.get(j.id, 0) for j in judges})
    assert not can_even_out(plan, judges, conflicts, scored)


@settings(max_examples=200, deadline=None)
@given(conflicts_after_assigning(max_entries=5, max_judges=4, max_per_entry=2))
def test_after_conflicts_tiny_rounds_are_as_balanced_as_an_exhaustive_search_finds(case):
    judges, pairs, conflicts, scored, declared = case
    after, conflicts = declare_conflicts(pairs, judges, conflicts, declared, scored)
    loads = Counter(j for j, _ in after)
    assert sorted((loads.get(j.id, 0) for j in judges), reverse=True) == most_balanced_with_the_same_counts(
        after, judges, conflicts, scored & after)


def test_a_conflict_in_a_round_of_fifty_entries_and_two_judges_leaves_loads_at_25_and_25():
    entries, judges = numbered(50, 2)
    pairs = assign(entries, judges, 1).pairs
    assert Counter(j for j, _ in pairs) == {"j00": 25, "j01": 25}
    leaving_entry = next(e for j, e in sorted(pairs) if j == "j00")
    after, _ = declare_conflicts(pairs, judges, set(), [("j00", leaving_entry)], set())
    assert Counter(j for j, _ in after) == {"j00": 25, "j01": 25}
    assert ("j01", leaving_entry) in after
    assert len(after ^ pairs) == 4  # the entry went to j01, and one of j01's went to j00: two moves


def test_rebalance_never_moves_scored_pairs_nor_to_a_conflict():
    entries, judges = numbered(50, 2)
    pairs = assign(entries, judges, 1).pairs
    leaving_entry = next(e for j, e in sorted(pairs) if j == "j00")
    others = {(j, e) for j, e in pairs if j == "j01"}
    # every entry of j01 scored: nothing can move, 24-26 is the best there is
    after, _ = declare_conflicts(pairs, judges, set(), [("j00", leaving_entry)], others)
    assert Counter(j for j, _ in after) == {"j00": 24, "j01": 26}
    # j00 in conflict with every entry of j01 but one, unscored: that one moves
    free = sorted(others)[0]
    conflicts = {("j00", e) for _, e in others - {free}}
    after, _ = declare_conflicts(pairs, judges, conflicts, [("j00", leaving_entry)], set())
    assert Counter(j for j, _ in after) == {"j00": 25, "j01": 25} and ("j00", free[1]) in after
    assert rebalance(after, judges, conflicts) == []  # balanced: no moves
