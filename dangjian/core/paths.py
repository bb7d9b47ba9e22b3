"""Materialized paths: fixed-width segments, and subtree predicates as index ranges.

A path is a string of fixed-width base-36 segments, one per level (``0001``, ``00010003`` …).
A subtree is every path in ``[p, p + "~")``: ``~`` sorts after every segment character in
binary (SQLite) and "C" (PostgreSQL) collation, so the predicate is a btree range scan on both
databases. ``LIKE``/``startswith`` would be a full scan on SQLite.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

SEGMENT_WIDTH = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SEGMENT_MAX = len(ALPHABET) ** SEGMENT_WIDTH - 1
SUBTREE_END = "~"
PATH_MAX_LENGTH = 255


def segment(number: int) -> str:
    """The fixed-width segment for a 1-based child number."""
    if not 0 < number <= SEGMENT_MAX:
        raise ValueError(f"segment number out of range: {number}")
    digits = []
    for _ in range(SEGMENT_WIDTH):
        number, rem = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[rem])
    return "".join(reversed(digits))


def segment_number(seg: str) -> int:
    """The child number encoded by a segment."""
    return int(seg, len(ALPHABET))


def path_segments(path: str) -> list[str]:
    return [path[i : i + SEGMENT_WIDTH] for i in range(0, len(path), SEGMENT_WIDTH)]


def path_depth(path: str) -> int:
    return len(path) // SEGMENT_WIDTH


def is_within(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or lies below it."""
    return root <= path < root + SUBTREE_END


def subtree_q(field: str, root: str) -> Q:
    """The index-range predicate for every row whose ``field`` lies in ``root``'s subtree."""
    return Q(**{f"{field}__gte": root, f"{field}__lt": root + SUBTREE_END})


def subtrees_q(field: str, roots: list[str]) -> Q:
    """OR of subtree ranges; an empty list matches nothing."""
    q = Q(pk__in=[])
    for root in collapse_roots(roots):
        q |= subtree_q(field, root)
    return q


def collapse_roots(paths: list[str]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    kept: list[str] = []
    for p in sorted(set(paths)):
        if not kept or not is_within(p, kept[-1]):
            kept.append(p)
    return kept


class PathField(models.CharField):
    """A CharField that compares bytewise: "C" collation on PostgreSQL, BINARY on SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", PATH_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
