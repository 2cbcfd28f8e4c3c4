# SPDX-License-Identifier: MIT
"""File sources through the API: upload, status, tables, preview, query, cache, versions, delete."""

from __future__ import annotations

from chat2chart.core.principal import Principal
from tests.sources.fixtures_api import (
    REVENUE_BY_REGION,
    SALES_CSV,
    SALES_CSV_V2,
    error_message,
    patch_json,
    post_json,
    run_query,
    upload_new_version,
    upload_source,
    workspace_files,
)


def test_uploaded_csv_becomes_a_ready_source_with_its_table_preview_and_answers(alpha):
    client = alpha.client("editor")
    created = upload_source(client, name="Sales")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Sales"
    assert body["status"] == "ready"
    assert body["progress"] == {"rows": 5, "percent": 100.0}
    assert body["tables"] == ["sales"]

    detail = client.get(f"/api/v1/sources/{body['id']}/").json()
    assert detail["status"] == "ready"
    assert detail["error"] == ""

    tables = client.get(f"/api/v1/sources/{body['id']}/tables/").json()
    columns = {c["name"]: c["type"] for c in tables[0]["columns"]}
    assert columns == {
        "order_date": "date",
        "region": "text",
        "product": "text",
        "quantity": "integer",
        "revenue": "decimal",
    }
    assert tables[0]["row_count"] == 5

    preview = client.get(f"/api/v1/sources/{body['id']}/tables/sales/preview/").json()
    assert len(preview["rows"]) == 5
    assert [c["name"] for c in preview["columns"]][:2] == ["order_date", "region"]

    answer = run_query(client, body["id"])
    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert result["rows"] == [["East", 112.5], ["North", 75.5], ["South", 50.0]]
    assert result["columns"] == [
        {"name": "region", "type": "text", "role": "dimension", "format": None, "member": "region"},
        {
            "name": "revenue",
            "type": "decimal",
            "agg": "sum",
            "role": "measure",
            "format": "number",
            "member": "sum(revenue)",
        },
    ]
    assert result["cached"] is False
    assert result["truncated"] is False
    assert "SUM" in result["sql"].upper()


def test_the_same_query_a_second_time_comes_from_the_cache(alpha):
    client = alpha.client("viewer")
    source_id = upload_source(alpha.client("editor")).json()["id"]
    first = run_query(client, source_id).json()
    second = run_query(client, source_id).json()
    assert first["cached"] is False
    assert second["cached"] is True
    assert second["rows"] == first["rows"]


def test_a_new_upload_bumps_the_version_and_invalidates_cached_answers(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    run_query(client, source["id"])
    assert run_query(client, source["id"]).json()["cached"] is True

    reuploaded = upload_new_version(client, source["id"], SALES_CSV_V2, file_name="sales march.csv")
    assert reuploaded.status_code == 202, reuploaded.content
    assert reuploaded.json()["version"] == source["version"] + 1
    assert reuploaded.json()["tables"] == ["sales"]  # one table keeps the name queries use

    answer = run_query(client, source["id"]).json()
    assert answer["cached"] is False
    assert ["West", 300.0] in answer["rows"]


def test_a_failed_new_upload_leaves_the_previous_version_queryable(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    bad = upload_new_version(client, source["id"], b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, file_name="sales.csv")
    assert bad.status_code == 202
    failed = bad.json()
    assert failed["status"] == "failed"
    assert failed["error"]
    assert "previous version" in failed["error"]
    assert failed["version"] == source["version"]

    answer = run_query(client, source["id"])
    assert answer.status_code == 200
    assert answer.json()["rows"] == [["East", 112.5], ["North", 75.5], ["South", 50.0]]


def test_an_empty_file_is_refused_with_a_readable_error(alpha):
    response = upload_source(alpha.client("editor"), b"", file_name="empty.csv")
    assert response.status_code == 400
    assert "file" in error_message(response)
    assert "empty" in error_message(response).lower()


def test_a_header_without_rows_fails_the_source_with_a_readable_error(alpha):
    response = upload_source(alpha.client("editor"), "a,b,c\n", file_name="header_only.csv")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed"
    assert "no data rows" in body["error"]
    assert "Traceback" not in body["error"]


def test_an_upload_over_the_size_limit_is_refused_with_413(alpha, settings):
    settings.AISER_MAX_UPLOAD_MB = 1
    response = upload_source(alpha.client("editor"), "a,b\n" + "1,2\n" * 400_000)
    assert response.status_code == 413
    assert "1 MB" in error_message(response)


def test_ragged_rows_can_be_skipped_when_asked(alpha):
    ragged = "a,b\n1,2\n3,4,5\n6,7\n"
    refused = upload_source(alpha.client("editor"), ragged, file_name="ragged.csv").json()
    assert refused["status"] == "failed"
    skipped = upload_source(alpha.client("editor"), ragged, file_name="ragged.csv", on_bad_rows="skip").json()
    assert skipped["status"] == "ready"
    assert skipped["progress"]["rows"] == 2
    assert skipped["config"]["skipped_rows"] == 1


def test_deleting_a_source_removes_its_files(alpha):
    client = alpha.client("owner")
    source = upload_source(client).json()
    upload_new_version(client, source["id"], SALES_CSV_V2)
    files = workspace_files(alpha.workspace_name)
    assert any(f.suffix == ".parquet" for f in files)
    assert len(files) == 2  # the current Parquet table and the stored original; older versions are pruned

    response = client.delete(f"/api/v1/sources/{source['id']}/")
    assert response.status_code == 204
    assert workspace_files(alpha.workspace_name) == []
    assert client.get(f"/api/v1/sources/{source['id']}/").status_code == 404


def test_files_live_under_the_workspace_folder_with_unguessable_names(alpha):
    upload_source(alpha.client("editor"), file_name="../../etc/sales.csv")
    files = workspace_files(alpha.workspace_name)
    assert files
    for path in files:
        assert "etc" not in path.parts
        assert "sales" not in path.name


def test_column_overrides_rename_and_retype_from_the_stored_original(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    url = f"/api/v1/sources/{source['id']}/tables/sales/"
    response = patch_json(client, url, {"columns": {"quantity": {"type": "decimal", "name": "units"}}})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "ready"
    assert response.json()["version"] == source["version"] + 1

    table = client.get(url).json()
    columns = {c["name"]: c["type"] for c in table["columns"]}
    assert columns["units"] == "decimal"
    assert "quantity" not in columns
    assert table["overrides"] == {"quantity": {"type": "decimal", "name": "units"}}

    # Renaming the renamed column again still maps back to the original.
    again = patch_json(client, url, {"columns": {"units": {"name": "pieces"}}})
    assert again.status_code == 202
    assert "pieces" in {c["name"] for c in client.get(url).json()["columns"]}

    answer = run_query(
        client, source["id"], {"table": "sales", "measures": [{"field": "pieces", "agg": "sum"}]}
    )
    assert answer.json()["rows"] == [[15.0]]


def test_a_new_upload_keeps_the_renames_and_types_chosen_before(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    url = f"/api/v1/sources/{source['id']}/tables/sales/"
    patch_json(client, url, {"columns": {"quantity": {"type": "decimal", "name": "units"}}})

    assert upload_new_version(client, source["id"], SALES_CSV_V2).status_code == 202
    table = client.get(url).json()
    assert {c["name"]: c["type"] for c in table["columns"]}["units"] == "decimal"
    answer = run_query(
        client, source["id"], {"table": "sales", "measures": [{"field": "units", "agg": "sum"}]}
    )
    assert answer.json()["rows"] == [[25.0]]


def test_a_new_upload_without_an_overridden_column_drops_that_choice_and_says_so(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    url = f"/api/v1/sources/{source['id']}/tables/sales/"
    patch_json(client, url, {"columns": {"quantity": {"name": "units"}}})

    without_quantity = "order_date,region,product,revenue\n2024-04-01,North,Widget,12.5\n"
    upload_new_version(client, source["id"], without_quantity)
    detail = client.get(f"/api/v1/sources/{source['id']}/").json()
    assert detail["status"] == "ready", detail
    assert any("no longer apply" in w for w in detail["config"]["warnings"])
    assert client.get(url).json()["overrides"] == {}


def test_an_override_for_an_unknown_column_or_type_is_400_naming_it(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    url = f"/api/v1/sources/{source['id']}/tables/sales/"
    unknown = patch_json(client, url, {"columns": {"nope": {"type": "text"}}})
    assert unknown.status_code == 400
    assert "columns.nope" in error_message(unknown)
    bad_type = patch_json(client, url, {"columns": {"region": {"type": "money"}}})
    assert bad_type.status_code == 400
    assert "columns.region.type" in error_message(bad_type)
    clash = patch_json(client, url, {"columns": {"region": {"name": "product"}}})
    assert clash.status_code == 400
    assert "already the name" in error_message(clash)


def test_a_list_where_a_string_is_expected_is_400_naming_the_field(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    response = patch_json(client, f"/api/v1/sources/{source['id']}/", {"name": ["Sales"]})
    assert response.status_code == 400
    assert error_message(response).startswith("name:")
    unknown = patch_json(client, f"/api/v1/sources/{source['id']}/", {"title": "x"})
    assert unknown.status_code == 400
    assert "title" in error_message(unknown)


def test_renaming_a_source_keeps_its_data(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    response = patch_json(client, f"/api/v1/sources/{source['id']}/", {"name": "Sales 2024"})
    assert response.status_code == 200
    assert response.json()["name"] == "Sales 2024"
    assert run_query(client, source["id"]).status_code == 200


def test_bad_queries_are_400_naming_the_field(alpha):
    client = alpha.client("viewer")
    source_id = upload_source(alpha.client("editor")).json()["id"]
    unknown_field = run_query(client, source_id, {"table": "sales", "measures": [{"field": "profit"}]})
    assert unknown_field.status_code == 400
    assert "profit" in error_message(unknown_field)
    mismatched = run_query(
        client,
        source_id,
        {
            "table": "sales",
            "measures": [{"agg": "count"}],
            "filters": [{"field": "quantity", "op": "gt", "value": "many"}],
        },
    )
    assert mismatched.status_code == 400
    assert "quantity" in error_message(mismatched)
    nonsense = run_query(
        client, source_id, {"table": "sales", "measures": [{"field": "region", "agg": "sum"}]}
    )
    assert nonsense.status_code == 400
    assert "region" in error_message(nonsense)
    extra = post_json(client, "/api/v1/query/", {**REVENUE_BY_REGION, "source": source_id, "color": "red"})
    assert extra.status_code == 400
    assert "color" in error_message(extra)


def test_a_file_source_cannot_be_refreshed_only_reuploaded(alpha):
    client = alpha.client("editor")
    source = upload_source(client).json()
    response = client.post(f"/api/v1/sources/{source['id']}/refresh/")
    assert response.status_code == 400
    assert "upload" in error_message(response)


def test_sources_are_listed_with_status(alpha):
    client = alpha.client("viewer")
    upload_source(alpha.client("editor"), name="Listed")
    listed = client.get("/api/v1/sources/").json()
    assert ("Listed", "ready") in [(s["name"], s["status"]) for s in listed]
    assert SALES_CSV.splitlines()[0] not in str(listed)


def test_query_run_ands_extra_filters_in_and_caches_them_separately(alpha):
    from chat2chart.sources.querying import query_run
    from chat2chart.sources.semantic import Filter, SemanticQuery

    source_id = upload_source(alpha.client("editor")).json()["id"]
    query = SemanticQuery.parse({"source": source_id, **REVENUE_BY_REGION})
    with alpha.activate():
        everything = query_run(query=query, principal=Principal.for_user(alpha.users["viewer"]))
        north = query_run(
            query=query,
            principal=Principal.for_embed(),
            extra_filters=[Filter(field="region", op="eq", value="North")],
        )
        north_again = query_run(
            query=query,
            principal=Principal.for_embed(),
            extra_filters=[Filter(field="region", op="eq", value="North")],
        )
        everything_again = query_run(query=query, principal=Principal.for_embed())
    assert len(everything.rows) == 3
    assert north.rows == (("North", 75.5),)
    assert north.cached is False
    assert north_again.cached is True
    assert everything_again.cached is True
    assert everything_again.rows == everything.rows
    assert set(north.to_json()) == {"columns", "rows", "sql", "cached", "elapsed_ms", "truncated"}


def test_query_run_without_cache_always_runs_the_query(alpha):
    from chat2chart.sources.querying import query_run
    from chat2chart.sources.semantic import SemanticQuery

    source_id = upload_source(alpha.client("editor")).json()["id"]
    query = SemanticQuery.parse({"source": source_id, **REVENUE_BY_REGION})
    with alpha.activate():
        query_run(query=query, principal=Principal.for_embed())
        assert query_run(query=query, principal=Principal.for_embed(), use_cache=False).cached is False


def test_the_catalogue_of_a_source_lists_its_tables_and_columns(alpha):
    from chat2chart.sources.selectors import source_catalogue

    source_id = upload_source(alpha.client("editor")).json()["id"]
    with alpha.activate():
        catalogue = source_catalogue(source_id)
    assert [table.name for table in catalogue] == ["sales"]
    revenue = catalogue[0].column("revenue")
    assert revenue.type == "decimal"
    assert revenue.samples
    assert catalogue[0].row_count == 5


def test_source_pages_show_status_columns_and_first_rows(alpha):
    client = alpha.client("editor")
    source = upload_source(client, name="Page sales").json()
    listing = client.get("/sources/").content.decode()
    assert "Page sales" in listing
    assert 'class="badge ready"' in listing
    detail = client.get(f"/sources/{source['id']}/").content.decode()
    assert "sales" in detail
    table = client.get(f"/sources/{source['id']}/tables/sales/").content.decode()
    assert "revenue" in table
    assert "112.5" in table  # a preview row
    assert 'aria-label="Read revenue as"' in table
    assert client.get("/sources/upload/").status_code == 200
    assert client.get("/sources/connect/").status_code == 200
    assert client.get("/sources/rest/").status_code == 200
