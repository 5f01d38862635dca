"""Judging: rubrics, rounds, judges and their conflicts, assignments, scores (and, next, results)."""
