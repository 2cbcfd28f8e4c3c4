# SPDX-License-Identifier: MIT
"""Automatic models of tables whose column names are not identifiers (accents, symbols, emoji,
leading digits, names that collide once cleaned): every member name is valid and unique, its SQL reads
the real column and its title keeps the original name; the page and the API both work on such a table
and the model's numbers match pandas."""

from __future__ import annotations

import io
import re

import pandas as pd

from chat2chart.semantic.auto import auto_cube
from chat2chart.semantic.model import NAME_PATTERN
from chat2chart.semantic.yaml_io import load_model
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from tests.semantic.test_api import by_first_column, run
from tests.sources.fixtures_api import post_json, upload_source

SIZE = "Größe (m²) 🚀"
ROOMS_CSV = (
    f"city,{SIZE},Größe (m2),2024,🚀,Ünïcödé naïve café\n"
    "Berlin,12.5,1,3,7,2\n"
    "Berlin,30.25,2,4,8,4\n"
    "Köln,7.75,3,5,9,6\n"
    "München,100,4,6,10,8\n"
    "Köln,0.5,5,7,11,10\n"
)


def test_odd_column_names_become_valid_unique_members_that_keep_the_real_column():
    table = TableInfo(
        "Räume 2024!",
        [
            ColumnInfo(SIZE, "decimal"),
            ColumnInfo("Größe (m2)", "decimal"),
            ColumnInfo("2024", "integer"),
            ColumnInfo("🚀", "integer"),
            ColumnInfo("x" * 80, "integer"),
            ColumnInfo("x" * 80 + "!", "integer"),
        ],
        row_count=5,
    )

    cube = auto_cube(table, dialect="postgres")

    names = [m.name for m in (*cube.measures, *cube.dimensions)]
    assert all(re.fullmatch(NAME_PATTERN, name) for name in names), names
    assert len(names) == len(set(names))
    assert re.fullmatch(NAME_PATTERN, cube.name)
    size = cube.member("grosse_m2")
    assert (size.sql, size.title) == ('{CUBE}."Größe (m²) 🚀"', SIZE)
    assert cube.member("grosse_m2_2").sql == '{CUBE}."Größe (m2)"'
    assert cube.member("c_2024").title == "2024"
    assert cube.member("column_4").sql == '{CUBE}."🚀"'
    assert cube.member("total_grosse_m2").sql == '{CUBE}."Größe (m²) 🚀"'


def test_the_page_and_the_api_model_a_table_with_odd_column_names(alpha):
    client = alpha.client("editor")
    created = upload_source(client, ROOMS_CSV, file_name="rooms.csv", name="Rooms")
    assert created.status_code == 201, created.content
    source = created.json()["id"]
    [table] = created.json()["tables"]

    page = client.get(f"/models/auto/{source}/{table}/")
    assert page.status_code == 200
    assert "name: grosse_m2" in page.content.decode()

    response = post_json(client, "/api/v1/semantic/models/auto/", {"source": source, "name": "Rooms"})
    assert response.status_code == 201, response.content
    model = response.json()
    cube = load_model(model["yaml"]).cubes[0]
    assert cube.member("grosse_m2").title == SIZE

    answer = run(
        client,
        model["id"],
        {
            "measures": [f"{cube.name}.total_grosse_m2", f"{cube.name}.total_unicode_naive_cafe"],
            "dimensions": [f"{cube.name}.city"],
        },
    )
    got = by_first_column(answer)
    frame = pd.read_csv(io.StringIO(ROOMS_CSV))
    expected = frame.groupby("city")[[SIZE, "Ünïcödé naïve café"]].sum()
    assert got == {city: [round(float(v), 4) for v in row] for city, row in expected.iterrows()}
