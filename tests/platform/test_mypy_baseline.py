"""tools/mypy_baseline.py: errors compared without line numbers, counted; the baseline only shrinks."""

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "mypy_baseline.py"


@pytest.fixture
def tool():
    spec = importlib.util.spec_from_file_location("mypy_baseline", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_errors_are_compared_without_their_line_numbers(tool):
    before = tool.normalise("a/b.py:10: error: Bad thing  [misc]\na/b.py:12:5: note: see here\n")
    after = tool.normalise("a/b.py:42: error: Bad thing  [misc]\n")
    assert before == after == Counter({"a/b.py: error: Bad thing  [misc]": 1})


def test_a_second_copy_of_a_baselined_error_is_new(tool, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tool, "BASELINE", tmp_path / "baseline.txt")
    tool.write_baseline(Counter({"a.py: error: Bad  [misc]": 1}))
    output = "a.py:1: error: Bad  [misc]\na.py:9: error: Bad  [misc]\n"
    monkeypatch.setattr(tool, "run_mypy", lambda: (1, output))
    monkeypatch.setattr("sys.argv", ["mypy_baseline.py"])
    assert tool.main() == 1
    assert "1 error(s) not in" in capsys.readouterr().out


def test_fixed_errors_pass_and_ask_for_a_smaller_baseline(tool, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tool, "BASELINE", tmp_path / "baseline.txt")
    tool.write_baseline(Counter({"a.py: error: Bad  [misc]": 2}))
    monkeypatch.setattr(tool, "run_mypy", lambda: (1, "a.py:3: error: Bad  [misc]\n"))
    monkeypatch.setattr("sys.argv", ["mypy_baseline.py"])
    assert tool.main() == 0
    assert "Shrink the baseline" in capsys.readouterr().out
    monkeypatch.setattr("sys.argv", ["mypy_baseline.py", "--update"])
    assert tool.main() == 0
    assert tool.read_baseline() == Counter({"a.py: error: Bad  [misc]": 1})


def test_the_repository_passes_its_own_baseline_check():
    """`make typecheck` is part of `make test`; this keeps the baseline file well-formed."""
    lines = [line for line in (TOOL.parents[1] / ".mypy-baseline.txt").read_text().splitlines() if line]
    assert lines[0].startswith("#")
    assert all(": error: " in line for line in lines[1:])
    assert not any(line.split(":")[1].strip().isdigit() for line in lines[1:])
