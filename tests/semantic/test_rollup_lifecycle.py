# SPDX-License-Identifier: MIT
"""A rollup's life: a new source version or a model change makes it stale (raw answers until it is
rebuilt, and a rebuild is queued), a failed build keeps the last good file, refreshes rebuild only
partitions still open, the schedule picks what is due, and two organisations never share rollups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat2chart.core.errors import QueryError
from chat2chart.semantic import materialise
from chat2chart.semantic.models import Rollup
from chat2chart.semantic.rollup_schedule import rollups_refresh_due
from tests.semantic.rollup_fixtures import (
    MODEL_YAML,
    ask,
    build,
    create_model,
    rollups,
    sales_csv,
    sales_rows,
    upload_sales,
)
from tests.sources.fixtures_api import patch_json, upload_new_version, workspace_files

ROWS = sales_rows()
TOTALS = {"measures": ["sales.count", "sales.amount"], "dimensions": ["sales.region"]}


def by_region(rows: list[tuple]) -> list[list]:
    totals: dict[str, list] = {}
    for row in rows:
        entry = totals.setdefault(row[2], [0, 0.0])
        entry[0] += 1
        entry[1] += row[6] or 0.0
    return [[region, count, amount] for region, (count, amount) in sorted(totals.items())]


def close(actual: list[list], expected: list[list]) -> bool:
    return [r[:2] for r in actual] == [r[:2] for r in expected] and all(
        r[2] == pytest.approx(e[2], rel=1e-9) for r, e in zip(actual, expected, strict=True)
    )


def test_a_new_source_version_makes_the_rollup_stale_and_queues_a_rebuild(
    alpha, django_capture_on_commit_callbacks
):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    model = create_model(client, source)
    build(client, model)
    assert ask(client, model, TOTALS)["explain"]["rollup"] == "sales.by_day"

    more = ROWS + sales_rows(50, seed=99)
    more = [(i + 1, *row[1:]) for i, row in enumerate(more)]
    assert upload_new_version(client, source, sales_csv(more), file_name="sales.csv").status_code in (
        200,
        201,
        202,
    )
    with django_capture_on_commit_callbacks() as queued:
        answer = ask(client, model, TOTALS)
    assert answer["explain"]["rollup"] is None
    assert "the source was refreshed" in answer["explain"]["rejected"]["sales.by_day"]
    assert close(answer["rows"], by_region(more))  # the raw tables answer with the new rows
    assert len(queued) == 1  # a rebuild, queued for after the commit
    assert rollups(client, model)["sales.by_day"]["stale"] is True

    for callback in queued:  # the worker runs it (tasks are eager in tests)
        callback()
    state = rollups(client, model)["sales.by_day"]
    assert (state["status"], state["stale"], state["usable"]) == ("ready", False, True)
    rebuilt = ask(client, model, {**TOTALS, "order": [{"field": "sales.region"}], "limit": 100})
    assert rebuilt["explain"]["rollup"] == "sales.by_day"
    assert close(rebuilt["rows"], by_region(more))


def test_a_model_change_invalidates_only_the_rollups_it_affects(alpha, django_capture_on_commit_callbacks):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    text = MODEL_YAML + (
        "      - name: by_product\n        measures: [count]\n        dimensions: [product]\n"
    )
    model = create_model(client, source, text)
    build(client, model, "sales.by_day")
    build(client, model, "sales.by_product")

    changed = text.replace(
        "{{name: amount, type: sum, sql: amount}}", "{{name: amount, type: sum, sql: amount * 2}}"
    )
    with django_capture_on_commit_callbacks() as queued:
        saved = patch_json(
            client, f"/api/v1/semantic/models/{model}/", {"yaml": changed.format(source=source)}
        )
    assert saved.status_code == 200, saved.content
    assert len(queued) == 1  # only the affected rollup is rebuilt
    state = rollups(client, model)
    assert state["sales.by_day"]["stale"] is True
    assert state["sales.by_day"]["usable"] is False
    assert "model changed in version 2" in state["sales.by_day"]["unusable_reason"]
    assert state["sales.by_product"]["usable"] is True

    doubled = ask(client, model, TOTALS)
    assert doubled["explain"]["rollup"] is None  # stale: the raw tables answer
    assert close(doubled["rows"], [[r, c, a * 2] for r, c, a in by_region(ROWS)])
    per_product = ask(client, model, {"measures": ["sales.count"], "dimensions": ["sales.product"]})
    assert per_product["explain"]["rollup"] == "sales.by_product"
    for callback in queued:
        callback()
    rebuilt = ask(client, model, {**TOTALS, "limit": 50})
    assert rebuilt["explain"]["rollup"] == "sales.by_day"
    assert close(rebuilt["rows"], [[r, c, a * 2] for r, c, a in by_region(ROWS)])


def test_a_failed_build_keeps_the_previous_file_answering(alpha, monkeypatch):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    model = create_model(client, source)
    first = build(client, model)

    def fail(*args, **kwargs):
        raise QueryError("building the rollup took longer than 30 seconds")

    monkeypatch.setattr(materialise, "build_from_files", fail)
    monkeypatch.setattr("chat2chart.semantic.rollup_services.build_from_files", fail)
    failed = build(client, model)
    assert failed["status"] == "failed"
    assert failed["last_error"] == "building the rollup took longer than 30 seconds"
    assert failed["usable"] is True
    assert failed["last_refresh_at"] == first["last_refresh_at"]
    answer = ask(client, model, TOTALS)
    assert answer["explain"]["rollup"] == "sales.by_day"
    assert close(answer["rows"], by_region(ROWS))


def test_a_refresh_rebuilds_only_partitions_that_were_still_open(alpha):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    model = create_model(client, source)
    build(client, model)
    with alpha.activate():
        row = Rollup.objects.get(model_id=model, name="sales.by_day")
        before = {key: part["file"] for key, part in row.partitions.items()}
        april = "20240401T00"
        # as if April was built on April 10th, while it was still open
        row.partitions[april]["built_at"] = "2024-04-10T00:00:00+00:00"
        Rollup.objects.filter(pk=row.pk).update(partitions=row.partitions)
        from chat2chart.semantic.rollup_schedule import rollup_build_now

        after = rollup_build_now(model_id=model, name="sales.by_day").partitions
    changed = {key for key in before if after[key]["file"] != before[key]}
    assert changed == {april}
    assert ask(client, model, TOTALS)["explain"]["rollup"] == "sales.by_day"


def test_the_schedule_rebuilds_a_rollup_whose_refresh_key_changed_or_time_is_up(alpha):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    text = (
        MODEL_YAML
        + "        refresh_key:\n          every: 1 day\n          sql: SELECT max(id) FROM sales\n"
    )
    model = create_model(client, source, text)
    with alpha.activate():
        assert rollups_refresh_due() == [f"{model}:sales.by_day"]  # never built: built now (eager)
        row = Rollup.objects.get(model_id=model, name="sales.by_day")
        assert row.status == "ready"
        assert row.refresh_key_value == f"[[{len(ROWS)}]]"
        assert rollups_refresh_due() == []  # nothing changed
        Rollup.objects.filter(pk=row.pk).update(refresh_key_value="[[1]]", refresh_key_checked_at=None)
        assert rollups_refresh_due() == [f"{model}:sales.by_day"]
        rebuilt = Rollup.objects.get(pk=row.pk)
        assert all(rebuilt.partitions[k]["file"] != row.partitions[k]["file"] for k in row.partitions)
        later = timezone.now() + timedelta(days=1, minutes=1)
        assert rollups_refresh_due(now=later) == [f"{model}:sales.by_day"]


def test_two_organisations_never_share_models_rollups_or_files(alpha, beta):
    alpha_client, beta_client = alpha.client("editor"), beta.client("editor")
    alpha_model = create_model(alpha_client, upload_sales(alpha_client, ROWS))
    built = build(alpha_client, alpha_model)
    other_rows = sales_rows(200, seed=3)
    beta_source = upload_sales(beta_client, other_rows)
    beta_model = create_model(beta_client, beta_source)

    beta_answer = ask(beta_client, beta_model, TOTALS)
    assert beta_answer["explain"]["rollup"] is None
    assert beta_answer["explain"]["rejected"]["sales.by_day"] == "it has not been built yet"
    assert close(beta_answer["rows"], by_region(other_rows))
    assert built["usable"] is True
    if beta_model != alpha_model:
        assert beta_client.get(f"/api/v1/semantic/models/{alpha_model}/rollups/").status_code == 404
    assert rollups(beta_client, beta_model)["sales.by_day"]["rows"] == 0
    assert not [p for p in workspace_files(beta.workspace_name) if "/rollups/" in str(p)]
    assert [p for p in workspace_files(alpha.workspace_name) if "/rollups/" in str(p)]

    build(beta_client, beta_model)
    alpha_answer = ask(alpha_client, alpha_model, TOTALS)
    beta_answer = ask(beta_client, beta_model, {**TOTALS, "limit": 10})
    assert alpha_answer["explain"]["rollup"] == beta_answer["explain"]["rollup"] == "sales.by_day"
    assert close(alpha_answer["rows"], by_region(ROWS))
    assert close(beta_answer["rows"], by_region(other_rows))


@pytest.mark.enterprise  # roles are an enterprise feature; in the core edition every member edits
def test_viewers_see_rollups_but_only_editors_build_them(alpha):
    editor, viewer = alpha.client("editor"), alpha.client("viewer")
    model = create_model(editor, upload_sales(editor, ROWS))
    assert viewer.post(f"/api/v1/semantic/models/{model}/rollups/sales.by_day/build/").status_code == 403
    assert viewer.get(f"/api/v1/semantic/models/{model}/rollups/").json()[0]["status"] == "pending"
    build(editor, model)
    assert viewer.get(f"/api/v1/semantic/models/{model}/rollups/").json()[0]["status"] == "ready"


def test_deleting_the_model_deletes_its_rollup_files(alpha, django_capture_on_commit_callbacks):
    editor = alpha.client("editor")
    model = create_model(editor, upload_sales(editor, ROWS))
    assert editor.post(f"/api/v1/semantic/models/{model}/rollups/sales.nothing/build/").status_code == 404
    build(editor, model)
    assert [p for p in workspace_files(alpha.workspace_name) if "/rollups/" in str(p)]
    with django_capture_on_commit_callbacks(execute=True):
        assert alpha.client("owner").delete(f"/api/v1/semantic/models/{model}/").status_code == 204
    assert not [p for p in workspace_files(alpha.workspace_name) if "/rollups/" in str(p)]
