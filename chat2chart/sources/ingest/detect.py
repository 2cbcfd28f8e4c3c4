# SPDX-License-Identifier: MIT
"""Work out what an uploaded file really is: its format (from content, checked against the
name), and for text its encoding and delimiter."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import charset_normalizer

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
    """Unicode from its byte-order mark, UTF-8 when the bytes decode as such, else charset-normalizer's
    best guess; Windows-1252 wins among guesses that read the text identically (Western files)."""
    if head.startswith(codecs.BOM_UTF8):
        return TextEncoding("utf-8-sig", "UTF-8")
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return TextEncoding("utf-32", "UTF-32")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return TextEncoding("utf-16", "UTF-16")
    if b"\x00" not in head:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            return TextEncoding("utf-8", "UTF-8")
        except UnicodeDecodeError:
            pass
    codec = _guess_codec(head)
    if codec is None or (b"\x00" in head and not codec.startswith("utf")):
        raise IngestError(f"{label} contains binary data, not text; upload CSV, Excel or JSON.")
    name = _ENCODING_LABELS.get(codec, codec.upper().replace("_", "-"))
    if codec.startswith("utf"):
        return TextEncoding(codec, name)
    return TextEncoding(
        codec,
        name,
        warning=f"{label} is not UTF-8; it was read as {name}. "
        "If accented letters look wrong, save the file as UTF-8 and upload it again.",
    )


_ENCODING_LABELS = {
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1",
    "cp1250": "Windows-1250",
    "cp1251": "Windows-1251",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
    "utf_16": "UTF-16",
    "utf_32": "UTF-32",
}


_CJK_MULTIBYTE = frozenset(
    {"big5", "big5hkscs", "cp950", "gb2312", "gbk", "gb18030", "hz", "shift_jis", "cp932", "euc_jp",
     "euc_jis_2004", "euc_jisx0213", "shift_jis_2004", "shift_jisx0213", "euc_kr", "cp949", "johab",
     "iso2022_jp", "iso2022_kr"}
)  # fmt: skip


def _reads_as_western_text(head: bytes) -> bool:
    """True when every non-ASCII byte decodes, in Windows-1252, to a letter of a Latin alphabet."""
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    accented = [ch for ch in text if ord(ch) > 127]
    return bool(accented) and all(ch.isalpha() and "\u00c0" <= ch <= "\u017f" for ch in accented)


def _guess_codec(head: bytes) -> str | None:
    # The head may end mid-character; charset-normalizer judges whole characters better without it.
    matches = charset_normalizer.from_bytes(head[: len(head) - 4] if len(head) > 4096 else head)
    best = matches.best()
    if best is None:
        return None
    if best.encoding.startswith("utf"):
        return best.encoding
    if best.encoding in _CJK_MULTIBYTE and _reads_as_western_text(head):
        # A few accented letters in a short file (one "Süd") also pair up into valid double-byte
        # characters; text whose every non-ASCII byte is a Latin letter in Windows-1252 is that.
        return "cp1252"
    # Short files fit several single-byte encodings equally well; Windows-1252, by far the most
    # common of them, wins any tie.
    for match in matches:
        western = "cp1252" in match.could_be_from_charset
        if western and match.chaos <= best.chaos and match.coherence >= best.coherence:
            return "cp1252"
    return best.encoding


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


DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def sniff_delimiter(text: str, original_name: str) -> tuple[str, str | None]:
    """The delimiter for the first lines of a file, and a note when another one also fitted.

    The delimiter must give the same number (>1) of fields on every sampled line; among those, one
    that splits the header into distinct names wins, then one whose fields hold no other delimiter
    (a comma between digits or before a space is a decimal comma or prose, not a stray delimiter),
    then the one giving more fields.
    """
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the head may end mid-line
    sample = "\n".join(lines[:200])
    preferred = "\t" if Path(original_name).suffix.lower() in (".tsv", ".tab") else ","
    scored = []
    for order, delimiter in enumerate((preferred, *[d for d in _DELIMITERS if d != preferred])):
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        counts = [len(row) for row in rows]
        if not counts or counts[0] < 2:
            continue
        consistency = sum(1 for c in counts if c == counts[0]) / len(counts)
        header = [name.strip().casefold() for name in rows[0]]
        distinct = len(set(header)) == len(header) and all(header)
        stray = sum(_holds_other_delimiter(field, delimiter) for row in rows for field in row)
        scored.append(((round(consistency, 2), distinct, -stray, counts[0], -order), delimiter))
    if not scored:
        return preferred, None
    scored.sort(reverse=True)
    chosen = scored[0][1]
    rivals = [d for score, d in scored[1:] if score[0] == 1.0]
    if scored[0][0][0] < 1.0 or not rivals:
        return chosen, None
    return chosen, (
        f"Fields were split on {DELIMITER_NAMES[chosen]}s; {DELIMITER_NAMES[rivals[0]]}s would also have "
        "split every line evenly. If the columns look wrong, save the file with one delimiter and "
        "upload it again."
    )


_STRAY = {
    ",": re.compile(r"(?<![0-9]),|,(?![0-9 ])"),
    ";": re.compile(";"),
    "\t": re.compile("\t"),
    "|": re.compile(r"\|"),
}


def _holds_other_delimiter(field: str, delimiter: str) -> bool:
    return any(pattern.search(field) for other, pattern in _STRAY.items() if other != delimiter)
