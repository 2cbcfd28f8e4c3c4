# SPDX-License-Identifier: MIT
"""`POST /api/v1/query/` with `Accept: application/vnd.apache.arrow.stream`: the answer as an Arrow IPC
stream, read back with pyarrow and checked against pandas over the uploaded CSV; the same row cap as
the JSON answer; batches of a bounded size."""

import io

import orjson
import pandas as pd
import pyarrow as pa

from chat2chart.sources import arrow
from tests.sources.fixtures_api import SALES_CSV, upload_source

ARROW = "application/vnd.apache.arrow.stream"
BY_DAY_AND_REGION = {
    "table": "sales",
    "measures": [{"field": "revenue", "agg": "sum"}, {"field": "quantity", "agg": "sum"}],
    "dimensions": [{"field": "order_date", "granularity": "day"}, {"field": "region"}],
    "order": [{"field": "order_date_day"}, {"field": "region"}],
}


def _ask(client, source: int, accept: str = ARROW):
    return client.post(
        "/api/v1/query/",
        orjson.dumps({"source": source, **BY_DAY_AND_REGION}),
        content_type="application/json",
        HTTP_ACCEPT=accept,
    )


def _read(response) -> pa.Table:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == ARROW
    return pa.ipc.open_stream(b"".join(response.streaming_content)).read_all()


def _expected() -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(SALES_CSV), parse_dates=["order_date"])
    frame["order_date"] = frame["order_date"].dt.date
    return (
        frame.groupby(["order_date", "region"], as_index=False)[["revenue", "quantity"]]
        .sum()
        .sort_values(["order_date", "region"])
        .reset_index(drop=True)
    )


def test_the_arrow_answer_holds_what_pandas_computes_from_the_csv(alpha):
    source = upload_source(alpha.client("editor")).json()["id"]
    table = _read(_ask(alpha.client("viewer"), source))
    got = table.to_pandas()
    got.columns = ["order_date", "region", "revenue", "quantity"]
    assert table.schema.field(0).type == pa.date32()
    assert table.schema.field(2).type == pa.float64()
    pd.testing.assert_frame_equal(got, _expected(), check_dtype=False)
    assert table.schema.metadata[b"truncated"] == b"false"
    # The column's own description travels with the field.
    assert orjson.loads(table.schema.field(2).metadata[b"aiser"])["role"] == "measure"

    # The JSON answer has the same rows, in the same order (dates there are ISO strings).
    json_rows = _ask(alpha.client("viewer"), source, accept="application/json").json()["rows"]
    arrow_rows = [list(row.values()) for row in table.to_pylist()]
    assert [[day.isoformat(), *rest] for day, *rest in arrow_rows] == [
        [d[:10], *rest] for d, *rest in json_rows
    ]


def test_the_arrow_answer_has_the_json_answers_row_cap(alpha, settings):
    settings.AISER_QUERY_MAX_ROWS = 2
    source = upload_source(alpha.client("editor")).json()["id"]
    table = _read(_ask(alpha.client("viewer"), source))
    assert table.num_rows == 2
    assert table.schema.metadata[b"truncated"] == b"true"
    assert table.to_pandas().iloc[:, 2].tolist() == _expected()["revenue"].head(2).tolist()


def test_a_large_answer_is_written_in_bounded_batches(alpha, monkeypatch):
    monkeypatch.setattr(arrow, "BATCH_ROWS", 2)
    source = upload_source(alpha.client("editor")).json()["id"]
    response = _ask(alpha.client("viewer"), source)
    reader = pa.ipc.open_stream(b"".join(response.streaming_content))
    sizes = [batch.num_rows for batch in reader]
    assert sizes == [2, 2, 1]
