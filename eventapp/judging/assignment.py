"""Automatic assignment of judges to entries: pure functions, standard library only.

No database, no Flask: the app turns its rows into `Judge`, `Entry` and (judge id, entry id) pairs,
calls `assign`, `replacement_for` or `rebalance`, and stores and words the result itself. Ids are any hashable
values; everything is put in a canonical order by `repr(id)` first, so that a run depends only on
its inputs and its seed (not on the order of the sequences, nor on Python's hash seed).

Conflicts of interest are (judge id, entry id) pairs: a judge's own team, a conflict the judge
declared, one the organiser added (same organisation, same county, ...). The app turns all of them
into pairs; this module never assigns a conflicted pair, not even when it is among `existing`.

Strategy "balanced" (the default) guarantees, for every entry that can be covered:

* exactly `per_entry` distinct, conflict-free judges (more only when the organiser already put more
  there by hand: valid `existing` pairs are never removed);
* judge loads, counting the kept `existing` pairs, as balanced as possible: they differ by at most
  one whenever that is possible at all, and otherwise the sorted loads are the lexicographically
  smallest any valid assignment can reach (the largest load is as small as it can be, then the
  next, ...). `AssignmentPlan.balanced` says whether the loads differ by at most one;
* the judge–entry graph is linked (one component) whenever per_entry >= 2 and the repair described
  below can reach it; without conflicts and `existing` pairs that is exactly when the graph has
  enough edges for it (pairs >= entries + judges with a load - 1). `AssignmentPlan.connected` says
  whether it is;
* judge pairs are spread: the most entries any two judges share is brought down towards its floor
  (the average over all judge pairs, or over one judge's pairs, rounded up), within a work limit.
  Without conflicts it stays within one of that floor in practice (the tests allow two);
  5,000 entries x 200 judges x 5 reach the floor, 3.

Loads are balanced exactly (step 2 has no work limit); linking and spreading never change the
sorted loads, and give up after a fixed amount of work on rounds whose conflicts tie their hands.

How:

1. Greedy: entries in a seeded random order, the most constrained first; each takes, one at a
   time, the conflict-free judge with the lowest load, ties broken by the smallest co-occurrence
   with the judges already on the entry, then at random.
2. Balance: while some judge with load L can hand an entry, through a chain of moves (judge A leaves
   an entry that judge B may take, B leaves another that C may take, ...), to a judge with load
   <= L - 2, do it. When no such chain exists the loads minimise the sum of squares, which for this
   kind of problem (load vectors of a bipartite assignment form an M-convex set) is the
   lexicographically most balanced vector.
3. Link: while the graph has several components, swap a judge on an edge that lies on a cycle of
   one component with a judge of another component (or move that edge to a judge of the other
   component whose load is one lower). Loads keep their sorted values; the components merge.
4. Spread: while some judge pair sits together more often than needed, swap one of them out of a
   shared entry with a judge of another entry (or move it to a judge whose load is one lower) when
   no pair reaches the current maximum by it and the graph stays as linked as it was.

Strategy "same_region" exists only for simulations (the fairness benchmark): every entry takes
judges of its own region first, then the least loaded others; no balancing, linking or spreading.
It is the unfair design that the benchmark contrasts with "balanced"; never use it for a real round.
"""
from __future__ import annotations

import math
import random
from collections import Counter, deque
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from operator import add

BALANCED = "balanced"
SAME_REGION = "same_region"
STRATEGIES = (BALANCED, SAME_REGION)

# Uncovered.reason: machine keys; the app words them.
TOO_FEW_JUDGES = "too_few_judges"  # the round has fewer judges than per_entry
CONFLICTS = "conflicts"  # enough judges, but fewer than per_entry without a conflict with the entry

# Work limits of the spreading step (candidate moves and swaps looked at): in all, and for one judge
# pair, so that pairs that cannot be spread any further are not searched for long. Counted, not
# timed, so that runs stay deterministic. (5,000 entries x 200 judges x 5 need about 25,000.)
SPREAD_BUDGET = 300_000
RELIEVE_BUDGET = 5_000
# Work limit of the linking step (candidate swaps and moves looked at), for rounds whose conflicts
# keep them apart: there every candidate fails and the search could otherwise be long.
LINK_BUDGET = 500_000


@dataclass(frozen=True)
class Judge:
    id: Hashable
    region: object = None


@dataclass(frozen=True)
class Entry:
    id: Hashable
    region: object = None


@dataclass(frozen=True)
class Uncovered:
    """An entry that cannot get `needed` judges.

    `assigned` judges it has in the result (every conflict-free judge of the round), `available`
    conflict-free judges the round has for it, `conflicted` judges of the round in conflict with it.
    """
    entry_id: Hashable
    needed: int
    assigned: int
    reason: str
    available: int = 0
    conflicted: int = 0


@dataclass(frozen=True)
class AssignmentPlan:
    """The result of `assign`.

    pairs: every (judge id, entry id) of the round, kept `existing` pairs included.
    uncovered: entry id -> Uncovered, for the entries that cannot get per_entry judges.
    loads: judge id -> number of entries, for every judge of the round (0 included).
    balanced: the loads differ by at most one.
    connected: the judge–entry graph of `pairs` is one component (see `is_connected`).
    removed: the `existing` pairs that were not kept (a conflict, or a judge or entry not in the
        round); their entries were topped up again.
    """
    pairs: frozenset
    uncovered: dict
    loads: dict
    balanced: bool = True
    connected: bool = True
    removed: frozenset = field(default_factory=frozenset)

    def judges_of(self, entry_id) -> list:
        return sorted((j for j, e in self.pairs if e == entry_id), key=repr)

    def entries_of(self, judge_id) -> list:
        return sorted((e for j, e in self.pairs if j == judge_id), key=repr)

    @property
    def max_pair(self) -> int:
        """How many entries the two judges who sit together most often share (0 if no pair)."""
        counts = pair_counts(self.pairs)
        return max(counts.values(), default=0)


# --- helpers on plain pairs ------------------------------------------------------------------------

def pair_counts(pairs: Iterable[tuple]) -> Counter:
    """frozenset({judge a, judge b}) -> number of entries both judge."""
    by_entry: dict = {}
    for judge_id, entry_id in set(pairs):
        by_entry.setdefault(entry_id, []).append(judge_id)
    counts: Counter = Counter()
    for judge_ids in by_entry.values():
        for a, b in combinations(judge_ids, 2):
            counts[frozenset((a, b))] += 1
    return counts


def _labels(pairs: Iterable[tuple]) -> dict:
    """Node -> component number, nodes being ('j', judge id) and ('e', entry id)."""
    adjacency: dict = {}
    for judge_id, entry_id in pairs:
        j, e = ("j", judge_id), ("e", entry_id)
        adjacency.setdefault(j, []).append(e)
        adjacency.setdefault(e, []).append(j)
    label: dict = {}
    number = -1
    for start in adjacency:
        if start in label:
            continue
        number += 1
        label[start] = number
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for other in adjacency[node]:
                if other not in label:
                    label[other] = number
                    queue.append(other)
    return label


def is_connected(pairs: Iterable[tuple]) -> bool:
    """Whether the judge–entry graph of the pairs is one component.

    Its nodes are the judges and entries that appear in a pair (a judge without entries, or an
    entry without judges, is not part of it); no pairs at all count as linked.
    """
    label = _labels(pairs)
    return len(set(label.values())) <= 1


# --- the working state -----------------------------------------------------------------------------

def _canonical(items: Sequence, what: str) -> list:
    ordered = sorted(items, key=lambda item: repr(item.id))
    ids = [item.id for item in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate {what} ids")
    return ordered


class _State:
    """Judges 0..m-1 and entries 0..n-1 by index, with everything the steps need kept current."""

    def __init__(self, n: int, m: int, conflicted: list[set], fixed: set, rng: random.Random):
        self.n, self.m = n, m
        self.conflicted = conflicted  # entry -> judge indices in conflict with it
        self.fixed = fixed  # (judge, entry) pairs that must stay (kept existing pairs)
        self.rng = rng
        self.on_entry: list[set] = [set() for _ in range(n)]
        self.of_judge: list[set] = [set() for _ in range(m)]
        self.load = [0] * m
        self.cooc = [[0] * m for _ in range(m)]

    def add(self, j: int, e: int) -> None:
        row = self.cooc[j]
        for x in self.on_entry[e]:
            row[x] += 1
            self.cooc[x][j] += 1
        self.on_entry[e].add(j)
        self.of_judge[j].add(e)
        self.load[j] += 1

    def remove(self, j: int, e: int) -> None:
        self.on_entry[e].discard(j)
        self.of_judge[j].discard(e)
        self.load[j] -= 1
        row = self.cooc[j]
        for x in self.on_entry[e]:
            row[x] -= 1
            self.cooc[x][j] -= 1

    def may_take(self, j: int, e: int) -> bool:
        return j not in self.conflicted[e] and j not in self.on_entry[e]

    def max_pair(self) -> int:
        return max((max(row) for row in self.cooc), default=0)

    # graph structure; nodes: judge j -> j, entry e -> m + e

    def _neighbours(self, node: int):
        if node < self.m:
            return [self.m + e for e in self.of_judge[node]]
        return list(self.on_entry[node - self.m])

    def _nodes(self) -> list[int]:
        return [j for j in range(self.m) if self.of_judge[j]] + [
            self.m + e for e in range(self.n) if self.on_entry[e]]

    def components(self) -> list[list[int]]:
        seen: set = set()
        parts = []
        for start in self._nodes():
            if start in seen:
                continue
            seen.add(start)
            part, queue = [start], deque([start])
            while queue:
                for other in self._neighbours(queue.popleft()):
                    if other not in seen:
                        seen.add(other)
                        part.append(other)
                        queue.append(other)
            parts.append(part)
        return parts

    def bridges(self) -> set:
        """(judge, entry) edges whose removal splits their component (iterative Tarjan)."""
        disc: dict = {}
        low: dict = {}
        found: set = set()
        clock = 0
        for start in self._nodes():
            if start in disc:
                continue
            disc[start] = low[start] = clock
            clock += 1
            stack = [(start, -1, iter(self._neighbours(start)))]
            while stack:
                node, parent, children = stack[-1]
                for child in children:
                    if child == parent:
                        continue
                    if child in disc:
                        low[node] = min(low[node], disc[child])
                    else:
                        disc[child] = low[child] = clock
                        clock += 1
                        stack.append((child, node, iter(self._neighbours(child))))
                        break
                else:
                    stack.pop()
                    if stack:
                        up = stack[-1][0]
                        low[up] = min(low[up], low[node])
                        if low[node] > disc[up]:
                            found.add((min(up, node), max(up, node) - self.m))
        return found

    def linked(self, j: int, e: int) -> bool:
        """Whether judge j and entry e are (still) in one component; True if j has no entries."""
        if not self.of_judge[j]:
            return True
        judges_here = self.on_entry[e]
        for other in self.of_judge[j]:
            if not self.on_entry[other].isdisjoint(judges_here):
                return True  # j - other - a judge of e - e
        target = self.m + e
        seen, queue = {j}, deque([j])
        while queue:
            for node in self._neighbours(queue.popleft()):
                if node == target:
                    return True
                if node not in seen:
                    seen.add(node)
                    queue.append(node)
        return False


# --- the steps -------------------------------------------------------------------------------------

def _greedy(state: _State, order: list[int], per_entry: int, preference: list | None) -> None:
    """Fill every entry up to per_entry (or with every conflict-free judge, if fewer).

    preference None: lowest load, then least co-occurrence with the entry's judges, then random.
    preference given (entry -> list of 0/1 per judge, 0 = preferred): that first, then lowest
    load, then random.
    """
    m, n = state.m, state.n
    load, cooc, rand = state.load, state.cooc, state.rng.random
    inf = math.inf
    big = float(m * (n + 1) + 2)  # more than any co-occurrence sum
    huge = big * (n + len(state.fixed) + 2)  # more than any load term
    judges = range(m)
    if not m:
        return
    for e in order:
        missing = per_entry - len(state.on_entry[e])
        if missing <= 0:
            continue
        if preference is None:
            key = [load[j] * big + rand() for j in judges]
        else:
            rank = preference[e]
            key = [rank[j] * huge + load[j] * big + rand() for j in judges]
        for j in state.conflicted[e]:
            key[j] = inf
        for j in state.on_entry[e]:
            key[j] = inf
            if preference is None:
                key = list(map(add, key, cooc[j]))
        for _ in range(missing):
            j = min(judges, key=key.__getitem__)
            if key[j] == inf:
                break
            state.add(j, e)
            key[j] = inf
            if preference is None:
                key = list(map(add, key, cooc[j]))


def _rebalance(state: _State) -> None:
    """Move entries along chains from a judge with load L to one with load <= L - 2 until none is
    left: then the sorted loads are the most balanced the conflicts and fixed pairs allow."""
    load = state.load
    while state.m and max(load) - min(load) > 1:
        lowest = min(load)
        for level in sorted(set(load), reverse=True):
            if level - 2 < lowest:
                return
            chain = _chain_from(state, level)
            if chain:
                for leaving, e, taking in chain:
                    state.remove(leaving, e)
                    state.add(taking, e)
                break
        else:
            return


def _chain_from(state: _State, level: int) -> list | None:
    """Breadth-first search from the judges with this load for a judge with load <= level - 2."""
    m, load = state.m, state.load
    sources = [j for j in range(m) if load[j] == level]
    reached = set(sources)
    came_from: dict = {}
    expanded: set = set()
    queue = deque(sources)
    while queue:
        a = queue.popleft()
        for e in sorted(state.of_judge[a]):
            if (a, e) in state.fixed or e in expanded:
                continue
            expanded.add(e)
            for b in range(m):
                if b in reached or not state.may_take(b, e):
                    continue
                came_from[b] = (a, e)
                if load[b] <= level - 2:
                    chain = []
                    while b in came_from:
                        a, e = came_from[b]
                        chain.append((a, e, b))
                        b = a
                    return chain
                reached.add(b)
                queue.append(b)
    return None


def _swap_cost(state: _State, a: int, e1: int, b: int, e2: int) -> int:
    """Highest pair count created by a leaving e1 for e2 and b leaving e2 for e1 (different
    components, so the entries share no judge)."""
    cooc = state.cooc
    worst = 0
    for y in state.on_entry[e2]:
        if y != b:
            worst = max(worst, cooc[a][y] + 1)
    for y in state.on_entry[e1]:
        if y != a:
            worst = max(worst, cooc[b][y] + 1)
    return worst


def _move_cost(state: _State, a: int, e1: int, b: int) -> int:
    cooc = state.cooc
    return max((cooc[b][y] + 1 for y in state.on_entry[e1] if y != a), default=0)


def _link(state: _State, budget: int) -> None:
    """Merge components by load-preserving swaps and moves until one is left or none helps.

    A swap takes an edge (a, e1) on a cycle of one component and an edge (b, e2) of another: a goes
    to e2 and b to e1. The first component stays linked (the edge was on a cycle) and both halves
    of the second are tied to it. A move hands (a, e1) to a judge b of another component whose load
    is one lower. Among the candidates, the first that creates no pair above the current highest
    is taken, else the one that creates the lowest among the first `budget` looked at (or the first
    valid one after them). The search gives up after 2 * `budget` candidates in all: only conflicts
    that keep the components apart make every candidate fail.
    """
    m = state.m
    work = budget
    while True:
        parts = state.components()
        if len(parts) <= 1:
            return
        bridges = state.bridges()
        ceiling = state.max_pair()
        members, movable = [], []
        for part in parts:
            judges = sorted(node for node in part if node < m)
            members.append(judges)
            movable.append([(j, e) for j in judges for e in sorted(state.of_judge[j]) if (j, e) not in state.fixed])
        best = None

        def consider(cost, operation):
            nonlocal best
            if best is None or cost < best[0]:
                best = (cost, operation)
            return cost <= ceiling

        def search():
            nonlocal work
            for i, edges in enumerate(movable):
                for a, e1 in edges:
                    if (a, e1) in bridges:
                        continue
                    barred = state.conflicted[e1]
                    for k, other_edges in enumerate(movable):
                        if k == i:
                            continue
                        for b, e2 in other_edges:
                            work -= 1
                            if a not in state.conflicted[e2] and b not in barred:
                                if consider(_swap_cost(state, a, e1, b, e2), ("swap", a, e1, b, e2)):
                                    return
                            if (work <= 0 and best is not None) or work <= -budget:
                                return
                        for b in members[k]:
                            work -= 1
                            if state.load[b] == state.load[a] - 1 and b not in barred:
                                if consider(_move_cost(state, a, e1, b), ("move", a, e1, b, None)):
                                    return
                            if (work <= 0 and best is not None) or work <= -budget:
                                return

        search()
        if best is None:
            return
        kind, a, e1, b, e2 = best[1]
        state.remove(a, e1)
        state.add(b, e1)
        if kind == "swap":
            state.remove(b, e2)
            state.add(a, e2)
        if work <= -budget:
            return


def _spread(state: _State, budget: int) -> None:
    """Lower the number of pairs at the highest co-occurrence, level by level, with load-preserving
    swaps and moves that keep every judge and entry as linked as before."""
    m, cooc, rng = state.m, state.cooc, state.rng
    if m < 3:
        return
    # No maximum can be below the average pair, nor below the average pair of any one judge.
    total = sum(sum(row) for row in cooc) // 2
    floor = max(1, math.ceil(total / (m * (m - 1) // 2)),
                max(math.ceil(sum(row) / (m - 1)) for row in cooc))
    top = state.max_pair()
    work = [budget]
    while top > floor and work[0] > 0:
        hot = [(a, b) for a in range(m) for b in range(a + 1, m) if cooc[a][b] == top]
        rng.shuffle(hot)
        progress = False
        for a, b in hot:
            if work[0] <= 0:
                return
            if cooc[a][b] == top and _relieve(state, a, b, top, work):
                progress = True
        if not any(cooc[a][b] == top for a, b in hot):
            top -= 1
        elif not progress:
            return


def _relieve(state: _State, a: int, b: int, top: int, work: list) -> bool:
    """One load-preserving change that makes a and b share one entry fewer, creates no pair at
    `top` and keeps the graph as linked as it was."""
    m, n, cooc, rng, load = state.m, state.n, state.cooc, state.rng, state.load
    limit = top - 2  # a pair that gains one must stay below top
    stop = max(0, work[0] - RELIEVE_BUDGET)
    shared = sorted(state.of_judge[a] & state.of_judge[b])
    rng.shuffle(shared)
    for e in shared:
        pair = [(a, b), (b, a)]
        rng.shuffle(pair)
        for x, other in pair:
            if (x, e) in state.fixed:
                continue
            rest = state.on_entry[e] - {x}
            # a move to a judge whose load is one lower keeps the sorted loads
            start = rng.randrange(m)
            for i in range(m):
                c = (start + i) % m
                if load[c] != load[x] - 1 or not state.may_take(c, e):
                    continue
                row = cooc[c]
                work[0] -= 1
                if all(row[y] <= limit for y in rest):
                    state.remove(x, e)
                    state.add(c, e)
                    if state.linked(x, e):
                        return True
                    state.remove(c, e)
                    state.add(x, e)
            # a swap with a judge of another entry
            row_x = cooc[x]
            start = rng.randrange(n)
            for i in range(n):
                if work[0] <= stop:
                    return False
                e2 = (start + i) % n
                judges2 = state.on_entry[e2]
                if x in judges2 or other in judges2 or x in state.conflicted[e2]:
                    continue
                for c in judges2:
                    work[0] -= 1
                    if c in state.on_entry[e] or (c, e2) in state.fixed or c in state.conflicted[e]:
                        continue
                    row_c = cooc[c]
                    if any(row_c[y] > limit for y in rest if y not in judges2):
                        continue
                    if any(row_x[y] > limit for y in judges2 if y != c and y not in rest):
                        continue
                    state.remove(x, e)
                    state.remove(c, e2)
                    state.add(c, e)
                    state.add(x, e2)
                    if state.linked(x, e) and state.linked(c, e2):
                        return True
                    state.remove(c, e)
                    state.remove(x, e2)
                    state.add(x, e)
                    state.add(c, e2)
                    break  # judges2 changed order; try the next entry
    return False


# --- the API ---------------------------------------------------------------------------------------

def assign(
    entries: Sequence[Entry],
    judges: Sequence[Judge],
    per_entry: int,
    conflicts: Collection[tuple] = (),
    existing: Collection[tuple] = (),
    seed: int = 0,
    strategy: str = BALANCED,
) -> AssignmentPlan:
    """Give every entry `per_entry` conflict-free judges (see the module's docstring).

    conflicts: (judge id, entry id) pairs never to assign (a judge's own team included).
    existing: (judge id, entry id) pairs already made (earlier runs, organisers' moves by hand);
        they are kept, unless a conflict or outside the round, and entries are topped up.
    Entries that cannot get per_entry judges get every conflict-free judge and are listed in
    `uncovered`. Deterministic for a given seed; another seed may give another valid assignment.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    if isinstance(per_entry, bool) or not isinstance(per_entry, int) or per_entry < 0:
        raise ValueError("per_entry must be a whole number >= 0")
    entry_list = _canonical(entries, "entry")
    judge_list = _canonical(judges, "judge")
    n, m = len(entry_list), len(judge_list)
    entry_index = {entry.id: i for i, entry in enumerate(entry_list)}
    judge_index = {judge.id: i for i, judge in enumerate(judge_list)}

    conflicted: list[set] = [set() for _ in range(n)]
    conflict_set = set(conflicts)
    for judge_id, entry_id in conflict_set:
        if judge_id in judge_index and entry_id in entry_index:
            conflicted[entry_index[entry_id]].add(judge_index[judge_id])

    kept, removed = set(), set()
    for pair in set(existing):
        judge_id, entry_id = pair
        if pair in conflict_set or judge_id not in judge_index or entry_id not in entry_index:
            removed.add(pair)
        else:
            kept.add((judge_index[judge_id], entry_index[entry_id]))

    rng = random.Random(seed)
    state = _State(n, m, conflicted, kept, rng)
    for j, e in sorted(kept):
        state.add(j, e)

    noise = [rng.random() for _ in range(n)]
    order = sorted(range(n), key=lambda e: (m - len(conflicted[e]) - per_entry, noise[e]))
    if strategy == SAME_REGION:
        preference = [[0 if entry.region is not None and judge.region == entry.region else 1
                       for judge in judge_list] for entry in entry_list]
        _greedy(state, order, per_entry, preference)
    else:
        _greedy(state, order, per_entry, None)
        _rebalance(state)
        if per_entry >= 2:
            _link(state, LINK_BUDGET)
        _spread(state, SPREAD_BUDGET)

    pairs = frozenset((judge_list[j].id, entry_list[e].id)
                      for e in range(n) for j in state.on_entry[e])
    uncovered = {}
    for e, entry in enumerate(entry_list):
        available = m - len(conflicted[e])
        if available < per_entry:
            uncovered[entry.id] = Uncovered(
                entry_id=entry.id,
                needed=per_entry,
                assigned=len(state.on_entry[e]),
                reason=TOO_FEW_JUDGES if m < per_entry else CONFLICTS,
                available=available,
                conflicted=len(conflicted[e]),
            )
    loads = {judge.id: state.load[j] for j, judge in enumerate(judge_list)}
    return AssignmentPlan(
        pairs=pairs,
        uncovered=uncovered,
        loads=loads,
        balanced=not loads or max(loads.values()) - min(loads.values()) <= 1,
        connected=is_connected(pairs),
        removed=frozenset(removed),
    )


def replacement_for(judge_id, entry_id, pairs: Collection[tuple], judges: Sequence,
                    conflicts: Collection[tuple] = (), seed: int = 0):
    """The judge to hand `entry_id` to when `judge_id` leaves it (a declared conflict), or None.

    Candidates: judges of the round (Judge objects or plain ids) other than judge_id, not on the
    entry and without a conflict with it. Among them: the lowest load (counted on `pairs` without
    the leaving pair), then the one that leaves the fewest components, then the lowest highest
    co-occurrence with the entry's other judges, then the lowest total co-occurrence, then seeded
    chance. None when nobody can take the entry: the app then reports it uncovered.
    """
    ids = sorted({getattr(judge, "id", judge) for judge in judges}, key=repr)
    remaining = set(pairs) - {(judge_id, entry_id)}
    on_entry = {j for j, e in remaining if e == entry_id}
    barred = {j for j, e in conflicts if e == entry_id}
    candidates = [j for j in ids if j != judge_id and j not in on_entry and j not in barred]
    if not candidates:
        return None
    loads = Counter(j for j, _ in remaining)
    entries_of: dict = {}
    for j, e in remaining:
        entries_of.setdefault(j, set()).add(e)
    label = _labels(remaining)
    parts = len(set(label.values()))
    entry_part = label.get(("e", entry_id))
    rng = random.Random(seed)

    def key(candidate):
        part = label.get(("j", candidate))
        if entry_part is None:  # the entry has no other judge: it joins the candidate or is alone
            after = parts if part is not None else parts + 1
        elif part is None or part == entry_part:
            after = parts
        else:
            after = parts - 1
        mine = entries_of.get(candidate, set())
        shared = [len(mine & entries_of[y]) for y in on_entry]
        return (loads[candidate], after, max(shared, default=0), sum(shared), rng.random())

    return min(candidates, key=key)


def rebalance(pairs: Collection[tuple], judges: Sequence, conflicts: Collection[tuple] = (),
              fixed: Collection[tuple] = ()) -> list[tuple]:
    """The moves that make the loads of a round as balanced as possible again (after a conflict handed an
    entry to another judge, for instance): [(judge id, entry id, new judge id), ...], none if they are.

    judges: the round's judges (Judge objects or plain ids); pairs of other judges are left alone and not
    counted. Only pairs outside `fixed` (the scored ones) move, never to a conflicted or duplicate pair,
    and every entry keeps its number of judges. The loads then differ by at most one whenever that is
    possible, and are otherwise the most balanced the conflicts and fixed pairs allow (step 2 of the
    module's docstring, on shortest chains: as few moves as it can).
    """
    judge_list = sorted({getattr(judge, "id", judge) for judge in judges}, key=repr)
    judge_index = {judge_id: j for j, judge_id in enumerate(judge_list)}
    round_pairs = {(judge_id, entry_id) for judge_id, entry_id in pairs if judge_id in judge_index}
    entry_list = sorted({entry_id for _, entry_id in round_pairs}, key=repr)
    entry_index = {entry_id: e for e, entry_id in enumerate(entry_list)}
    conflicted: list[set] = [set() for _ in entry_list]
    for judge_id, entry_id in conflicts:
        if judge_id in judge_index and entry_id in entry_index:
            conflicted[entry_index[entry_id]].add(judge_index[judge_id])
    kept = {(judge_index[j], entry_index[e]) for j, e in set(fixed) & round_pairs}
    state = _State(len(entry_list), len(judge_list), conflicted, kept, random.Random(0))
    for judge_id, entry_id in sorted(round_pairs, key=repr):
        state.add(judge_index[judge_id], entry_index[entry_id])
    before = [set(judges_here) for judges_here in state.on_entry]
    _rebalance(state)
    moves = []
    for e, entry_id in enumerate(entry_list):
        left, joined = sorted(before[e] - state.on_entry[e]), sorted(state.on_entry[e] - before[e])
        moves += [(judge_list[a], entry_id, judge_list[b]) for a, b in zip(left, joined, strict=True)]
    return moves
