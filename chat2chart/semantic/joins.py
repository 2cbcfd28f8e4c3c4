# SPDX-License-Identifier: MIT
"""The join graph of a model: which cube reaches which, through which join, and whether a path fans out.

Every declared join can be walked both ways (a many_to_one join read backwards is one_to_many). A
query's cubes are connected by shortest paths found breadth first; two equally short paths are an
ambiguity the model must resolve, and a circle of many_to_one joins is a modelling error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from chat2chart.core.errors import QueryError
from chat2chart.semantic.model import Join, Model, Relationship

_INVERSE: dict[str, Relationship] = {
    "many_to_one": "one_to_many",
    "one_to_many": "many_to_one",
    "one_to_one": "one_to_one",
}


@dataclass(frozen=True)
class Edge:
    """A step from cube `start` to cube `end`; `relationship` is read in that direction."""

    start: str
    end: str
    relationship: Relationship
    join: Join
    declared_on: str

    @property
    def fans_out(self) -> bool:
        """Walking this step can repeat rows of `start` (one row becomes several)."""
        return self.relationship == "one_to_many"


class JoinGraph:
    """The cubes of `model` as nodes and their joins as edges in both directions."""

    def __init__(self, model: Model) -> None:
        self.cubes = [cube.name for cube in model.cubes]
        self._edges: dict[str, dict[str, Edge]] = {name: {} for name in self.cubes}
        for cube in model.cubes:  # joins declared on a cube win over the reverse of the other's
            for join in cube.joins:
                if join.name in self._edges and join.name != cube.name:
                    self._edges[cube.name][join.name] = Edge(
                        cube.name, join.name, join.relationship, join, cube.name
                    )
        for cube in model.cubes:
            for join in cube.joins:
                if join.name in self._edges and join.name != cube.name:
                    reverse = Edge(join.name, cube.name, _INVERSE[join.relationship], join, cube.name)
                    self._edges[join.name].setdefault(cube.name, reverse)

    def neighbours(self, cube: str) -> list[Edge]:
        return list(self._edges.get(cube, {}).values())

    def shortest_paths(self, start: str, end: str, *, limit: int = 2) -> list[list[Edge]]:
        """Up to `limit` distinct shortest paths from `start` to `end` (empty when unreachable)."""
        if start == end:
            return [[]]
        distance = {start: 0}
        parents: dict[str, list[Edge]] = {start: []}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for edge in self.neighbours(node):
                if edge.end not in distance:
                    distance[edge.end] = distance[node] + 1
                    parents[edge.end] = [edge]
                    queue.append(edge.end)
                elif distance[edge.end] == distance[node] + 1:
                    parents[edge.end].append(edge)
        if end not in distance:
            return []
        return _unwind(parents, start, end, limit)

    def path(self, start: str, end: str) -> list[Edge]:
        """The one shortest path from `start` to `end`; QueryError when there is none or several."""
        paths = self.shortest_paths(start, end)
        if not paths:
            raise QueryError(
                f"cubes '{start}' and '{end}' are not joined; add a join between them (or through "
                "another cube) to the model"
            )
        if len(paths) > 1:
            raise QueryError(
                f"the join path from '{start}' to '{end}' is ambiguous: {describe(paths[0])} or "
                f"{describe(paths[1])}; remove one of the joins"
            )
        return paths[0]

    def tree(self, start: str, ends: list[str]) -> list[Edge]:
        """The joins that connect `start` to every cube of `ends`, each once, in joining order."""
        steps: list[Edge] = []
        reached = {start}
        for end in ends:
            for edge in self.path(start, end):
                if edge.end not in reached:
                    reached.add(edge.end)
                    steps.append(edge)
        return steps

    def cycles(self) -> list[list[str]]:
        """Circles of many_to_one steps (a → b → ... → a): each names its cubes in order."""
        found: list[list[str]] = []
        seen: set[frozenset[str]] = set()
        for start in self.cubes:
            stack: list[tuple[str, list[str]]] = [(start, [start])]
            while stack:
                node, trail = stack.pop()
                for edge in self.neighbours(node):
                    if edge.relationship != "many_to_one":
                        continue
                    if edge.end == start:
                        key = frozenset(trail)
                        if key not in seen:
                            seen.add(key)
                            found.append([*trail, start])
                    elif edge.end not in trail:
                        stack.append((edge.end, [*trail, edge.end]))
        return found

    def ambiguities(self) -> list[tuple[str, str, list[list[Edge]]]]:
        """Pairs of cubes joined by two equally short paths."""
        found = []
        for i, start in enumerate(self.cubes):
            for end in self.cubes[i + 1 :]:
                paths = self.shortest_paths(start, end)
                if len(paths) > 1:
                    found.append((start, end, paths))
        return found


def describe(path: list[Edge]) -> str:
    if not path:
        return "(same cube)"
    return " → ".join([path[0].start, *(edge.end for edge in path)])


def _unwind(parents: dict[str, list[Edge]], start: str, end: str, limit: int) -> list[list[Edge]]:
    paths: list[list[Edge]] = []
    stack: list[tuple[str, list[Edge]]] = [(end, [])]
    while stack and len(paths) < limit:
        node, suffix = stack.pop()
        if node == start:
            paths.append(suffix)
            continue
        for edge in parents[node]:
            stack.append((edge.start, [edge, *suffix]))
    return paths
