# SPDX-License-Identifier: MIT
"""The model as YAML text: load it with every problem located by line, cube, member and field; dump it back.

Line numbers come from PyYAML's node marks, collected per key path (`cubes.0.measures.2.type`), so a
pydantic error or a reference error found later points at the line a person edits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pydantic
import yaml

from chat2chart.semantic.model import Cube, Model, ModelInvalid, ModelProblem
from chat2chart.semantic.validation import Place, validate_model
from chat2chart.sources.catalogue import TableInfo

Path = tuple[str | int, ...]
MAX_YAML_BYTES = 2_000_000


def parse_model(
    text: str, *, tables: dict[str, TableInfo] | None = None, where: Callable[[Cube], Place] | None = None
) -> tuple[Model | None, list[ModelProblem]]:
    """The model in `text` and its problems (empty when valid); `tables` adds checks against a catalogue."""
    if len(text.encode()) > MAX_YAML_BYTES:
        return None, [ModelProblem(f"the model is larger than {MAX_YAML_BYTES // 1_000_000} MB")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [ModelProblem(f"this is not valid YAML: {problem}", line=line)]
    lines = _line_index(node) if node is not None else {}
    data = {} if data is None else data
    if not isinstance(data, dict):
        return None, [ModelProblem("the model must be a mapping with a `cubes:` list", line=1)]
    duplicates = _duplicate_keys(node) if node is not None else []
    if duplicates:
        return None, [dataclasses.replace(_from_pydantic(i, data), line=i["line"]) for i in duplicates]
    try:
        model = Model.model_validate(data)
    except pydantic.ValidationError as error:
        problems = [_from_pydantic(item, data) for item in error.errors()]
        return None, [_located(p, lines) for p in problems]
    return model, [_located(p, lines) for p in validate_model(model, tables=tables, where=where)]


def load_model(
    text: str, *, tables: dict[str, TableInfo] | None = None, where: Callable[[Cube], Place] | None = None
) -> Model:
    """The model in `text`; raises ModelInvalid listing every problem."""
    model, problems = parse_model(text, tables=tables, where=where)
    if problems or model is None:
        raise ModelInvalid(problems or [ModelProblem("the model is empty")])
    return model


def dump_model(model: Model) -> str:
    """The model as YAML in the order people write it (names first), without empty or default fields."""
    data = model.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def _line_index(node: yaml.Node, path: Path = ()) -> dict[Path, int]:
    index = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            index.update(_line_index(value, child))
            index[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            index.update(_line_index(item, (*path, position)))
    return index


def _duplicate_keys(node: yaml.Node, path: Path = ()) -> list[dict[str, Any]]:
    """Keys written twice in one mapping, as pydantic-like error items (`loc`, `msg`, `line` of the
    second key); PyYAML itself silently keeps the last value (YAML 1.2 §3.2.1.1 requires unique keys)."""
    found: list[dict[str, Any]] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in first:
                message = f"`{name}` is written twice, on line {first[name]} and line {line}; keep one"
                found.append({"loc": (*path, name), "msg": message, "line": line})
            else:
                first[name] = line
            found.extend(_duplicate_keys(value, (*path, name)))
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            found.extend(_duplicate_keys(item, (*path, position)))
    return found


def _located(problem: ModelProblem, lines: dict[Path, int]) -> ModelProblem:
    path = problem.path
    while path and path not in lines:
        path = path[:-1]
    line = lines.get(path)
    if line is None:
        return problem
    return ModelProblem(problem.message, problem.cube, problem.member, problem.field, problem.path, line)


def _from_pydantic(item: Any, data: dict[str, Any]) -> ModelProblem:
    path: Path = tuple(item["loc"])
    cube = member = field = None
    cursor: Any = data
    for position, part in enumerate(path):
        cursor = _step(cursor, part)
        if position == 1 and path[0] == "cubes":
            cube = _name(cursor, f"cube #{part + 1}" if isinstance(part, int) else None)
        if (
            position == 3
            and path[0] == "cubes"
            and path[2] in ("measures", "dimensions", "joins", "segments", "pre_aggregations")
        ):
            member = _name(cursor, f"{path[2]} #{part + 1}" if isinstance(part, int) else None)
    tail = [str(p) for p in path[4:] if not isinstance(p, int)] if len(path) > 4 else []
    if len(path) == 3 and path[0] == "cubes":
        tail = [str(path[2])]
    field = ".".join(tail) or None
    message = item["msg"].removeprefix("Value error, ")
    return ModelProblem(message, cube, member, field, path)


def _step(cursor: Any, part: str | int) -> Any:
    if isinstance(cursor, dict):
        return cursor.get(part)
    if isinstance(cursor, list) and isinstance(part, int) and part < len(cursor):
        return cursor[part]
    return None


def _name(value: Any, fallback: str | None) -> str | None:
    name = value.get("name") if isinstance(value, dict) else None
    return name if isinstance(name, str) else fallback
