# SPDX-License-Identifier: MIT
"""The file-data plane of sources: uploaded CSV, Excel and JSON files become typed Parquet tables.

`ingest_file` reads an upload into Parquet (streaming, with progress), `profile_parquet` describes a
stored table for the catalogue, and `escape_formula` defuses text cells on the way back out. The
number formats and date orders a user may choose are listed here for the pages and the API.
"""

from chat2chart.sources.ingest.dates import LAYOUTS
from chat2chart.sources.ingest.formula import escape_formula
from chat2chart.sources.ingest.model import (
    DEFAULT_MAX_COLUMNS,
    IngestedTable,
    IngestResult,
)
from chat2chart.sources.ingest.numbers import NUMBER_FORMATS
from chat2chart.sources.ingest.pipeline import check_type_changes, ingest_file
from chat2chart.sources.ingest.profile import profile_parquet
from chat2chart.sources.ingest.refusal import MAX_BLANKED_SHARE

# What a user may choose as a column's or a file's number format and date order.
NUMBER_FORMAT_CHOICES: tuple[str, ...] = tuple(NUMBER_FORMATS)
DATE_ORDER_CHOICES: tuple[str, ...] = tuple(LAYOUTS)

__all__ = [
    "DATE_ORDER_CHOICES",
    "DEFAULT_MAX_COLUMNS",
    "MAX_BLANKED_SHARE",
    "NUMBER_FORMAT_CHOICES",
    "IngestResult",
    "IngestedTable",
    "check_type_changes",
    "escape_formula",
    "ingest_file",
    "profile_parquet",
]
