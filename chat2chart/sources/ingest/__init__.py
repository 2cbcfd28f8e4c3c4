# SPDX-License-Identifier: MIT
"""The file-data plane of sources: uploaded CSV, Excel and JSON files become typed Parquet tables.

`ingest_file` reads an upload into Parquet (streaming, with progress), `profile_parquet` describes a
stored table for the catalogue, and `escape_formula` defuses text cells on the way back out.
"""

from chat2chart.sources.ingest.formula import escape_formula
from chat2chart.sources.ingest.model import (
    DEFAULT_MAX_COLUMNS,
    IngestedTable,
    IngestResult,
)
from chat2chart.sources.ingest.pipeline import ingest_file
from chat2chart.sources.ingest.profile import profile_parquet
from chat2chart.sources.ingest.refusal import MAX_BLANKED_SHARE

__all__ = [
    "DEFAULT_MAX_COLUMNS",
    "MAX_BLANKED_SHARE",
    "IngestResult",
    "IngestedTable",
    "escape_formula",
    "ingest_file",
    "profile_parquet",
]
