# SPDX-License-Identifier: MIT
"""Uploads, Parquet tables and rollups in S3-compatible object storage (AISER_OBJECT_STORAGE=s3).

A real S3 peer: moto's server on a loopback port, reached over HTTP by boto3 (writes, deletes) and by
pyarrow's S3 filesystem (the query worker's reads). Numbers are checked against pandas over the same
CSV; isolation with two organisations; nothing may stay on the node's disk.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pandas as pd
import pytest

from chat2chart.core.errors import QueryError
from chat2chart.sources import selectors
from chat2chart.sources.duck import run_duckdb
from chat2chart.sources.objectstore import StorageKeyError
from tests.semantic.rollup_fixtures import ask, build, create_model, sales_frame, sales_rows, upload_sales
from tests.sources.fixtures_api import patch_json, post_json, run_query, upload_new_version, upload_source
from tests.sources.fixtures_s3 import BUCKET, keys_under

REGIONS = ("North", "South", "East", "West", "Centre")


def _files_under(path: Path) -> list[Path]:
    return sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).exists() else []


def _sales_csv(rows: int, seed: int) -> str:
    rng = random.Random(seed)  # noqa: S311 - planted test data
    lines = ["order_date,region,quantity,revenue"]
    for i in range(rows):
        lines.append(
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{rng.choice(REGIONS)},{rng.randint(1, 9)},"
            f"{rng.randint(100, 99_999) / 100:.2f}"
        )
    return "\n".join(lines) + "\n"


MONTH_BY_REGION = {
    "measures": ["sales.count", "sales.amount"],
    "dimensions": [{"member": "sales.sold_at", "granularity": "month"}, "sales.region"],
}
REVENUE_AND_UNITS_BY_REGION = {
    "table": "sales",
    "measures": [{"field": "revenue", "agg": "sum"}, {"field": "quantity", "agg": "sum"}],
    "dimensions": [{"field": "region"}],
    "order": [{"field": "region"}],
}


def test_an_uploaded_csv_is_stored_in_the_bucket_and_queried_from_it(alpha, s3, settings):
    csv = _sales_csv(3_000, seed=1)
    created = upload_source(alpha.client("editor"), csv, name="Sales")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "ready", created.json()

    answer = run_query(alpha.client("viewer"), created.json()["id"], REVENUE_AND_UNITS_BY_REGION)
    assert answer.status_code == 200, answer.content
    expected = pd.read_csv(io.StringIO(csv)).groupby("region")[["revenue", "quantity"]].sum().sort_index()
    rows = answer.json()["rows"]
    assert [row[0] for row in rows] == list(expected.index)
    for region, revenue, quantity in rows:
        assert revenue == pytest.approx(expected.loc[region, "revenue"], abs=1e-6)
        assert quantity == expected.loc[region, "quantity"]

    keys = keys_under(s3, settings.AISER_S3_PREFIX)
    workspace_prefix = f"{settings.AISER_S3_PREFIX}{alpha.workspace_name}/sources/"
    assert keys
    assert all(key.startswith(workspace_prefix) for key in keys)
    assert any(key.endswith(".parquet") for key in keys)
    assert any("/uploads/original-" in key for key in keys)
    # The node keeps nothing: no data folder, and the scratch copies are gone.
    assert _files_under(settings.MEDIA_ROOT) == []
    assert _files_under(settings.AISER_OBJECT_SCRATCH_DIR) == []


def test_a_new_version_replaces_the_old_objects_and_answers_with_the_new_rows(alpha, s3, settings):
    client = alpha.client("editor")
    source_id = upload_source(client, _sales_csv(200, seed=2)).json()["id"]
    before = keys_under(s3, settings.AISER_S3_PREFIX)
    newer = _sales_csv(300, seed=3)
    assert upload_new_version(client, source_id, newer).json()["status"] == "ready"
    after = keys_under(s3, settings.AISER_S3_PREFIX)
    assert len(after) == len(before) == 2  # one original and one table file, both replaced
    assert not set(before) & set(after)
    rows = run_query(client, source_id, REVENUE_AND_UNITS_BY_REGION).json()["rows"]
    assert sum(row[2] for row in rows) == pd.read_csv(io.StringIO(newer))["quantity"].sum()


def test_deleting_a_source_removes_its_objects_and_only_its_own(alpha, s3, settings):
    client = alpha.client("owner")
    kept = upload_source(client, _sales_csv(50, seed=4), name="Kept").json()["id"]
    doomed = upload_source(client, _sales_csv(50, seed=5), name="Doomed").json()["id"]
    with alpha.activate():
        kept_folder = selectors.source_get(kept).folder
        doomed_folder = selectors.source_get(doomed).folder
    assert keys_under(s3, f"{settings.AISER_S3_PREFIX}{alpha.workspace_name}/sources/{doomed_folder}/")

    assert client.delete(f"/api/v1/sources/{doomed}/").status_code == 204
    assert keys_under(s3, f"{settings.AISER_S3_PREFIX}{alpha.workspace_name}/sources/{doomed_folder}/") == []
    assert (
        len(keys_under(s3, f"{settings.AISER_S3_PREFIX}{alpha.workspace_name}/sources/{kept_folder}/")) == 2
    )
    assert run_query(client, kept, REVENUE_AND_UNITS_BY_REGION).status_code == 200


@pytest.mark.enterprise
def test_another_organisation_can_never_read_the_first_ones_objects(alpha, beta, s3, settings):
    alpha_csv = _sales_csv(100, seed=6)
    alpha_id = upload_source(
        alpha.client("owner"), alpha_csv, name="Alpha", file_name="alpha_sales.csv"
    ).json()["id"]
    beta_csv = "region,revenue\nMoon,1.0\n"
    beta_id = upload_source(beta.client("owner"), beta_csv, name="Beta", file_name="beta.csv").json()["id"]
    alpha_table = next(
        key
        for key in keys_under(s3, f"{settings.AISER_S3_PREFIX}{alpha.workspace_name}/")
        if key.endswith(".parquet")
    )
    beta_client = beta.client("owner")

    # Alpha's source id from Beta: not found in Beta's workspace.
    assert run_query(beta_client, alpha_id).status_code == 404
    # Crafted SQL over Beta's own source, naming Alpha's object by URI, path or table name.
    for sql in (
        f"SELECT * FROM read_parquet('s3://{BUCKET}/{alpha_table}')",
        f"SELECT * FROM 's3://{BUCKET}/{alpha_table}'",
        f"SELECT * FROM '{BUCKET}/{alpha_table}'",
        "SELECT * FROM alpha_sales",
    ):
        response = post_json(beta_client, "/api/v1/sql/", {"source": beta_id, "sql": sql})
        assert response.status_code == 400, (sql, response.content)
        assert "rows" not in response.json()
    own = post_json(beta_client, "/api/v1/sql/", {"source": beta_id, "sql": "SELECT region FROM beta"})
    assert own.status_code == 200, own.content
    assert own.json()["rows"] == [["Moon"]]

    # Beta's store cannot be pointed at Alpha's prefix by a stored key either.
    with beta.activate():
        store = selectors.workspace_store()
        with pytest.raises(StorageKeyError):
            store.location(f"../{alpha.workspace_name}/sources/x/table.parquet")
        assert store.location("sources/x/t.parquet").startswith(
            f"s3://{BUCKET}/{settings.AISER_S3_PREFIX}{beta.workspace_name}/"
        )
        beta_table = selectors.source_tables(selectors.source_get(beta_id))[0]
        tables = {"beta": selectors.table_location(beta_table, store)}
        place = store.place()
    # Below the SQL guard: the locked DuckDB itself reads only the dataset Aiser built (no httpfs,
    # external access off), whatever the SQL names.
    for sql in (
        f"SELECT * FROM read_parquet('s3://{BUCKET}/{alpha_table}')",
        f"SELECT * FROM read_parquet('{settings.MEDIA_ROOT}/x.parquet')",
    ):
        with pytest.raises(QueryError):
            run_duckdb(sql, [], tables, timeout_s=10, max_rows=10, place=place, fresh=True)
    result = run_duckdb(
        "SELECT region FROM beta", [], tables, timeout_s=10, max_rows=10, place=place, fresh=True
    )
    assert result.rows == [["Moon"]]


@pytest.mark.slow
def test_a_rollup_is_built_into_the_bucket_answers_like_pandas_and_goes_with_its_model(
    alpha, s3, settings, django_capture_on_commit_callbacks
):
    client = alpha.client("editor")
    rows = sales_rows()
    model = create_model(client, upload_sales(client, rows))
    first = build(client, model)
    assert first["status"] == "ready", first
    rollup_prefix = f"{settings.AISER_S3_PREFIX}{alpha.workspace_name}/rollups/model-{model}/"
    assert len(keys_under(s3, rollup_prefix)) == 5  # four monthly partitions and the merged file

    # A second build keeps the closed months (read back from the bucket to merge) and replaces the rest.
    again = build(client, model)
    assert again["status"] == "ready", again
    assert again["rows"] == first["rows"]
    assert len(keys_under(s3, rollup_prefix)) == 5

    routed = ask(client, model, MONTH_BY_REGION)
    assert routed["explain"]["rollup"] == "sales.by_day"
    frame = sales_frame(rows)
    expected = frame.groupby([frame["sold_at"].dt.to_period("M"), "region"])["amount"].agg(["size", "sum"])
    assert [(row[1], row[2]) for row in routed["rows"]] == [
        (region, int(size)) for (_, region), size in expected["size"].items()
    ]
    for row, ((_, _), total) in zip(routed["rows"], expected["sum"].items(), strict=True):
        assert row[3] == pytest.approx(total, rel=1e-9)
    assert _files_under(settings.MEDIA_ROOT) == []
    assert _files_under(settings.AISER_OBJECT_SCRATCH_DIR) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert alpha.client("owner").delete(f"/api/v1/semantic/models/{model}/").status_code == 204
    assert keys_under(s3, rollup_prefix) == []


def test_a_column_override_re_reads_the_original_from_the_bucket(alpha, s3, settings):
    client = alpha.client("editor")
    csv = _sales_csv(500, seed=8)
    source = upload_source(client, csv).json()
    url = f"/api/v1/sources/{source['id']}/tables/sales/"
    response = patch_json(client, url, {"columns": {"quantity": {"type": "decimal", "name": "units"}}})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "ready"
    answer = run_query(
        client, source["id"], {"table": "sales", "measures": [{"field": "units", "agg": "sum"}]}
    )
    assert answer.json()["rows"] == [[float(pd.read_csv(io.StringIO(csv))["quantity"].sum())]]
    assert _files_under(settings.MEDIA_ROOT) == []
    assert _files_under(settings.AISER_OBJECT_SCRATCH_DIR) == []
