# SPDX-License-Identifier: MIT
"""Work out what an uploaded file really is: its format (from content, checked against the
name), and for text its encoding and delimiter."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from chat2chart.core.errors import IngestError

FileFormat = Literal["csv", "excel", "json", "ndjson"]
HEAD_BYTES = 64 * 1024

FORMAT_BY_EXTENSION: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
_DELIMITERS = (",", "\t", ";", "|")

# Signatures of binary formats people upload by mistake, to say what the file looks like.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Office file (.xls/.doc)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)


@dataclass(frozen=True)
class TextEncoding:
    codec: str  # Python codec name, also understood by pyarrow's transcoder
    label: str  # how we name it to a user
    warning: str | None = None


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def detect_format(path: Path, original_name: str) -> FileFormat:
    """The format named by the file's extension, once its content is seen to agree."""
    label = f"'{original_name}'"
    extension = Path(original_name).suffix.lower()
    expected = FORMAT_BY_EXTENSION.get(extension)
    if expected is None:
        known = ", ".join(sorted(FORMAT_BY_EXTENSION))
        raise IngestError(f"{label} is not a file type Aiser reads; upload one of: {known}.")
    head = read_head(path)
    if not head:
        raise IngestError(f"{label} is empty; there is nothing to load.")
    binary_kind = _binary_kind(head)
    if expected == "excel":
        _check_is_workbook(path, label, binary_kind)
        return "excel"
    if binary_kind == "a ZIP archive" and _is_workbook(path):
        raise IngestError(f"{label} is an Excel workbook, not text; upload it with an .xlsx name.")
    if binary_kind:
        raise IngestError(
            f"{label} is not a text file (it looks like {binary_kind}); upload CSV, Excel or JSON."
        )
    if expected == "csv" and _looks_like_json(head, label):
        raise IngestError(f"{label} holds JSON, not delimited text; upload it with a .json name.")
    if expected in ("json", "ndjson") and not _looks_like_json(head, label):
        raise IngestError(
            f"{label} does not hold JSON (it should start with '[' or '{{'). "
            "If it is a CSV file, upload it with a .csv name."
        )
    return expected


def _binary_kind(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _check_is_workbook(path: Path, label: str, binary_kind: str | None) -> None:
    if binary_kind == "an old-style Office file (.xls/.doc)":
        raise IngestError(f"{label} is an Excel 97-2003 (.xls) file; open it in Excel and save it as .xlsx.")
    if binary_kind is None:
        raise IngestError(
            f"{label} contains plain text, not an Excel workbook. If it is CSV, upload it with a .csv name."
        )
    if binary_kind != "a ZIP archive" or not _is_workbook(path):
        raise IngestError(f"{label} is not an Excel workbook (it looks like {binary_kind}).")


def _looks_like_json(head: bytes, label: str) -> bool:
    text = head.decode(detect_encoding(head, label).codec, errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        return True
    # A CSV header may start with "[" ("[id],[name]"); JSON arrays of rows open with an object.
    return text.startswith("[") and text[1:].lstrip().startswith(("{", "]"))


def detect_encoding(head: bytes, label: str) -> TextEncoding:
    """Unicode from its byte-order mark or byte pattern; otherwise UTF-8 if it decodes, else Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return TextEncoding("utf-8-sig", "UTF-8")
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return TextEncoding("utf-32", "UTF-32")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return TextEncoding("utf-16", "UTF-16")
    bom_less = _bomless_utf16(head)
    if bom_less:
        return TextEncoding(bom_less, "UTF-16")
    if b"\x00" in head:
        raise IngestError(f"{label} contains binary data, not text; upload CSV, Excel or JSON.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return TextEncoding("utf-8", "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        codec, name = "cp1252", "Windows-1252"
    except UnicodeDecodeError:
        codec, name = "latin-1", "Latin-1"
    return TextEncoding(
        codec,
        name,
        warning=f"{label} is not UTF-8; it was read as {name} (Western European). "
        "If accented letters look wrong, save the file as UTF-8 and upload it again.",
    )


def _bomless_utf16(head: bytes) -> str | None:
    # ASCII-range text in UTF-16 has a zero in every other byte; nothing else looks like that.
    sample = head[: len(head) // 2 * 2]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0) / (len(sample) / 2)
    odd_zeros = sample[1::2].count(0) / (len(sample) / 2)
    if odd_zeros > 0.4 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.4 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def decode_head(head: bytes, encoding: TextEncoding, label: str) -> str:
    """The start of the file as text, refusing content that is clearly not text."""
    decoder = codecs.getincrementaldecoder(encoding.codec)(errors="strict")
    try:
        text = decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{label} has bytes that are not valid {encoding.label} near byte {exc.start}; "
            "save it as UTF-8 and upload it again."
        ) from None
    text = text.lstrip("\ufeff")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise IngestError(f"{label} contains binary data, not text; upload CSV, Excel or JSON.")
    return text


def sniff_delimiter(text: str, original_name: str) -> str:
    """The delimiter that splits the first lines into the same number (>1) of fields most consistently."""
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the head may end mid-line
    sample = "\n".join(lines[:200])
    preferred = "\t" if Path(original_name).suffix.lower() in (".tsv", ".tab") else ","
    best, best_score = preferred, (0.0, 0)
    for delimiter in (preferred, *[d for d in _DELIMITERS if d != preferred]):
        counts = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        if not counts or counts[0] < 2:
            continue
        consistency = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = (round(consistency, 2), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best
