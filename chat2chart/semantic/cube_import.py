# SPDX-License-Identifier: MIT
"""Import a Cube (cube.dev) project's `model/` folder: YAML cubes become a Model, and everything that
is not carried over is listed file by file with the reason, so nothing is dropped silently."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pydantic
import yaml

from chat2chart.core.errors import ValidationFailed
from chat2chart.semantic.model import Cube, Model, ModelProblem
from chat2chart.semantic.preagg import every_interval
from chat2chart.semantic.validation import validate_model

MAX_FILES = 500
MAX_TOTAL_BYTES = 5_000_000
_RELATIONSHIPS = {
    "many_to_one": "many_to_one",
    "belongs_to": "many_to_one",
    "belongsTo": "many_to_one",
    "one_to_many": "one_to_many",
    "has_many": "one_to_many",
    "hasMany": "one_to_many",
    "one_to_one": "one_to_one",
    "has_one": "one_to_one",
    "hasOne": "one_to_one",
}
_MEASURE_TYPES = {"count", "count_distinct", "count_distinct_approx", "sum", "avg", "min", "max", "number"}
_DIMENSION_TYPES = {"string", "number", "time", "boolean"}
_FORMATS = {"number", "currency", "percent"}
_CONTEXT_VARIABLES = re.compile(
    r"\{(FILTER_PARAMS|FILTER_GROUP|SQL_UTILS|COMPILE_CONTEXT|SECURITY_CONTEXT)\b"
)
_CUBE_KEYS_SKIPPED = {
    "refresh_key": "refresh keys are not used; a source's version invalidates its cached answers",
    "data_source": "every cube reads the model's source (or its own `source:` in Aiser)",
    "extends": "extending another cube is not supported; copy its members",
    "sql_alias": "aliases are chosen by the compiler",
    "access_policy": "access policies are not imported; workspace roles decide who may query",
    "hierarchies": "hierarchies are not supported yet",
    "folders": "folders are not supported yet",
    "calendar": "calendar cubes are not supported yet",
    "public": "every cube of a model is visible",
    "shown": "every cube of a model is visible",
    "meta": "meta is kept only for synonyms and currency",
}


@dataclass
class ImportReport:
    """Per file, what was not imported and why; `problems` are the model's validation problems."""

    skipped: dict[str, list[str]] = field(default_factory=dict)
    problems: list[ModelProblem] = field(default_factory=list)

    def skip(self, file: str, what: str, why: str) -> None:
        self.skipped.setdefault(file, []).append(f"{what}: {why}")

    def to_dict(self) -> dict[str, Any]:
        return {"skipped": self.skipped, "problems": [p.to_dict() for p in self.problems]}


def files_from_zip(data: bytes) -> dict[str, str]:
    """The text files of a zipped Cube project, by path; refuses archives that are too large."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValidationFailed("The upload is not a zip archive of a Cube project.") from exc
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > MAX_FILES or sum(e.file_size for e in entries) > MAX_TOTAL_BYTES:
        raise ValidationFailed(f"The project is too large: at most {MAX_FILES} files and 5 MB.")
    files = {}
    for entry in entries:
        try:
            files[entry.filename] = archive.read(entry).decode("utf-8")
        except UnicodeDecodeError:
            files[entry.filename] = ""
    return files


def import_cube_project(files: dict[str, str]) -> tuple[Model, ImportReport]:
    """A Model from a Cube project's files ({path: text}); only `model/` YAML files are read."""
    report = ImportReport()
    cubes: list[Cube] = []
    for path in sorted(files):
        if "/." in f"/{path}" or not _in_model_folder(path):
            continue
        if not path.endswith((".yml", ".yaml")):
            report.skip(path, "file", "only YAML models are read; rewrite JavaScript models in YAML")
            continue
        cubes += _import_file(path, files[path], report)
    names: set[str] = set()
    unique = []
    for cube in cubes:
        if cube.name in names:
            report.skip("(project)", f"cube {cube.name}", "a second cube with this name was ignored")
            continue
        names.add(cube.name)
        unique.append(cube)
    model = Model(cubes=unique)
    report.problems = validate_model(model)
    return model, report


def _in_model_folder(path: str) -> bool:
    parts = path.split("/")
    return "model" in parts[:-1] or "schema" in parts[:-1] or len(parts) == 1


def _import_file(path: str, text: str, report: ImportReport) -> list[Cube]:
    if "{{" in text or "{%" in text:
        report.skip(path, "file", "Jinja templates are not supported; render the model to plain YAML first")
        return []
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        report.skip(path, "file", f"not valid YAML ({str(exc).splitlines()[0]})")
        return []
    if not isinstance(data, dict):
        report.skip(path, "file", "expected a mapping with `cubes:` or `views:`")
        return []
    for view in data.get("views") or []:
        name = view.get("name", "?") if isinstance(view, dict) else "?"
        report.skip(path, f"view {name}", "views are not imported yet; query the cubes directly")
    cubes = []
    for raw in data.get("cubes") or []:
        cube = _import_cube(path, raw, report) if isinstance(raw, dict) else None
        if cube is not None:
            cubes.append(cube)
    return cubes


def _import_cube(path: str, raw: dict[str, Any], report: ImportReport) -> Cube | None:
    name = str(raw.get("name", "?"))
    for key, why in _CUBE_KEYS_SKIPPED.items():
        if key in raw:
            report.skip(path, f"cube {name}: {key}", why)
    data: dict[str, Any] = {"name": name}
    for key in ("title", "description"):
        if key in raw:
            data[key] = str(raw[key])
    if "sql_table" in raw:
        table = str(raw["sql_table"]).replace("{CUBE}", "").strip().strip('`"')
        if "." in table:
            report.skip(
                path, f"cube {name}: sql_table schema", f"'{table}' reads as '{table.rsplit('.', 1)[1]}'"
            )
            table = table.rsplit(".", 1)[1]
        data["sql_table"] = table
    if "sql" in raw:
        data["sql"] = _sql(raw["sql"])
    data["measures"] = _members(path, name, raw.get("measures"), _measure, report)
    data["dimensions"] = _members(path, name, raw.get("dimensions"), _dimension, report)
    data["joins"] = _members(path, name, raw.get("joins"), _join, report)
    data["segments"] = _members(path, name, raw.get("segments"), _segment, report)
    data["pre_aggregations"] = _members(path, name, raw.get("pre_aggregations"), _pre_aggregation, report)
    try:
        return Cube.model_validate(data)
    except pydantic.ValidationError as error:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3])
        report.skip(path, f"cube {name}", f"could not be read ({reasons})")
        return None


def _members(path: str, cube: str, raw: Any, convert: Any, report: ImportReport) -> list[dict[str, Any]]:
    members = []
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        label = f"cube {cube}: {item.get('name', '?')}"
        if _CONTEXT_VARIABLES.search(str(item)):
            report.skip(path, label, "context variables (FILTER_PARAMS, SQL_UTILS, ...) are not supported")
            continue
        converted = convert(
            item, lambda what, why, label=label: report.skip(path, f"{label} {what}".strip(), why)
        )
        if converted is not None:
            members.append(converted)
    return members


def _sql(value: Any) -> str:
    return re.sub(r"\$\{", "{", str(value)).strip()


def _described(item: dict[str, Any], skip: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": str(item["name"])}
    for key in ("title", "description"):
        if key in item:
            data[key] = str(item[key])
    meta: dict[str, Any] = item["meta"] if isinstance(item.get("meta"), dict) else {}
    if isinstance(meta.get("synonyms"), list):
        data["synonyms"] = [str(s) for s in meta["synonyms"]]
    for key in (
        "drill_members",
        "shown",
        "public",
        "order",
        "case",
        "sub_query",
        "propagate_filters_to_sub_query",
    ):
        if key in item:
            skip(key, "not supported yet")
    return data


def _measure(item: dict[str, Any], skip: Any) -> dict[str, Any] | None:
    kind = str(item.get("type", ""))
    if kind not in _MEASURE_TYPES:
        skip("", f"measures of type '{kind}' are not supported")
        return None
    data = {**_described(item, skip), "type": kind}
    if "sql" in item:
        data["sql"] = _sql(item["sql"])
    filters = [
        {"sql": _sql(f["sql"])} for f in item.get("filters") or [] if isinstance(f, dict) and "sql" in f
    ]
    if filters:
        data["filters"] = filters
    window = item.get("rolling_window")
    if isinstance(window, dict):
        if window.get("leading") or window.get("offset") not in (None, "end"):
            skip("", "only trailing and to-date rolling windows are supported (no leading or offset)")
            return None
        data["rolling_window"] = {k: window[k] for k in ("type", "trailing", "granularity") if k in window}
    _format(item, data, skip)
    return data


def _format(item: dict[str, Any], data: dict[str, Any], skip: Any) -> None:
    fmt = item.get("format")
    if fmt is None:
        return
    if fmt not in _FORMATS:
        skip("format", f"the format '{fmt}' is not supported")
        return
    data["format"] = fmt
    meta: dict[str, Any] = item["meta"] if isinstance(item.get("meta"), dict) else {}
    if fmt == "currency" and isinstance(meta.get("currency"), str):
        data["currency"] = meta["currency"]


def _dimension(item: dict[str, Any], skip: Any) -> dict[str, Any] | None:
    kind = str(item.get("type", ""))
    if kind not in _DIMENSION_TYPES:
        skip("", f"dimensions of type '{kind}' are not supported")
        return None
    if "case" in item or item.get("sub_query"):
        skip("", "case and sub_query dimensions are not supported yet")
        return None
    data = {**_described(item, skip), "type": kind}
    sql = _sql(item.get("sql", ""))
    if sql and sql not in (data["name"], f"{{CUBE}}.{data['name']}"):  # the column itself needs no sql
        data["sql"] = sql
    if item.get("primary_key"):
        data["primary_key"] = True
    fmt = item.get("format")
    if fmt is not None:
        if fmt in _FORMATS:
            data["format"] = fmt
        else:
            skip("format", f"the format '{fmt}' is not supported")
    return data


def _join(item: dict[str, Any], skip: Any) -> dict[str, Any] | None:
    relationship = _RELATIONSHIPS.get(str(item.get("relationship", "")))
    if relationship is None:
        skip("", f"the relationship '{item.get('relationship')}' is unknown")
        return None
    return {"name": str(item["name"]), "relationship": relationship, "sql": _sql(item.get("sql", ""))}


def _segment(item: dict[str, Any], skip: Any) -> dict[str, Any] | None:
    data = {"name": str(item["name"]), "sql": _sql(item.get("sql", ""))}
    for key in ("title", "description"):
        if key in item:
            data[key] = str(item[key])
    return data


_PRE_AGGREGATION_KEYS = (
    "name",
    "type",
    "measures",
    "dimensions",
    "time_dimension",
    "granularity",
    "partition_granularity",
)
_PRE_AGGREGATION_SKIPPED = {
    "segments": "rollups of a segment are not supported; a segment on the rollup's dimensions still routes",
    "indexes": "indexes are not needed: rollups are Parquet files read by DuckDB",
    "external": "every rollup is stored as Parquet in the organisation's folder",
    "scheduled_refresh": "every rollup is refreshed by the scheduler",
    "allow_non_strict_date_range_match": "queries route to a rollup only when it answers them exactly",
    "union_with_source_data": "lambda rollups are not supported",
    "build_range_end_sql": "use `build_range_end: {sql: ...}`",
}


def _pre_aggregation(item: dict[str, Any], skip: Any) -> dict[str, Any] | None:
    kind = item.get("type", "rollup")
    if kind != "rollup":
        skip(f"type '{kind}'", "only `rollup` pre-aggregations are supported")
        return None
    data: dict[str, Any] = {key: item[key] for key in _PRE_AGGREGATION_KEYS if key in item}
    for key in ("measures", "dimensions"):
        if key in data:
            data[key] = [_cube_ref(ref) for ref in data[key] or []]
    if "time_dimension" in data:
        data["time_dimension"] = _cube_ref(data["time_dimension"])
    for key, why in _PRE_AGGREGATION_SKIPPED.items():
        if key in item:
            skip(key, why)
    refresh = item.get("refresh_key")
    if isinstance(refresh, dict):
        kept = {k: refresh[k] for k in ("every", "sql") if k in refresh}
        for key in sorted(set(refresh) - {"every", "sql"}):
            skip(f"refresh_key.{key}", "partitions whose range is still open are rebuilt on every refresh")
        if "every" in kept and not _is_interval(str(kept["every"])):
            skip(f"refresh_key.every '{kept.pop('every')}'", "cron schedules are not supported; use '1 hour'")
        if kept:
            data["refresh_key"] = {k: _sql(v) if k == "sql" else str(v) for k, v in kept.items()}
    for key in ("build_range_start", "build_range_end"):
        if isinstance(item.get(key), dict) and "sql" in item[key]:
            data[key] = {"sql": _sql(item[key]["sql"])}
    return data


def _is_interval(text: str) -> bool:
    try:
        every_interval(text)
    except ValueError:
        return False
    return True


def _cube_ref(value: Any) -> str:
    """`CUBE.count`, `{CUBE}.count` or `${CUBE.count}` as written in Cube, kept as `CUBE.count`."""
    return str(value).replace("${", "").replace("{", "").replace("}", "").strip()
