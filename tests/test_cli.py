"""The paperwire command, run through click's runner against real databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.config import Settings
from tests.helpers.paths import KAGGLE, ROOT, SAMPLE


def run(settings: Settings, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", settings.resolved_database_url(), "--data-dir", str(settings.data_dir), *args],
                           catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.needs_data
def test_import_twice_search_and_stats(settings: Settings) -> None:
    code, out, _ = run(settings, "import", str(SAMPLE))
    assert code == 0 and out.startswith("imported 2020, updated 0, rejected 0 in ")
    code, out, _ = run(settings, "import", str(SAMPLE))
    assert code == 0 and out.startswith("imported 0, updated 0, rejected 0 in ")
    code, out, _ = run(settings, "search", "gaussian splatting", "--json", "--limit", "5")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 5 and {"id", "title", "score"} <= set(rows[0])
    assert "splatting" in rows[0]["title"].lower()
    code, out, _ = run(settings, "stats", "--json")
    stats = json.loads(out)
    assert stats["papers"] == 2020 and stats["by_category"]["cs.CV"] > 0 and "2025-03" in stats["by_month"]


@pytest.mark.needs_data
def test_import_with_rejects_exits_1_and_reports_lines(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "2501.00001", "title": "ok"}\nnot json\n{"id": "x", "title": "t"}\n')
    code, out, err = run(settings, "import", str(bad), str(KAGGLE))
    assert code == 1
    assert out.startswith("imported 201, updated 0, rejected 2 in ")
    assert f"{bad}:2: invalid JSON" in err and f"{bad}:3: invalid arXiv id" in err


@pytest.mark.needs_data
@pytest.mark.parametrize(("mode", "threshold", "expected"), [
    ("on", 10**12, True),  # the sample is far below the size at which 'auto' would start processes
    ("off", 0, False),  # and every file is over it here
    ("auto", 0, True),
])
def test_import_processes_setting_chooses_processes_or_threads(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, mode: str, threshold: int, expected: bool) -> None:
    from paperwire.ingest import bulk
    from paperwire.search import follower

    monkeypatch.setenv("PAPERWIRE_IMPORT_PROCESSES", mode)
    monkeypatch.setattr(bulk, "PROCESS_MIN_BYTES", threshold)
    monkeypatch.setattr(follower, "PROCESS_MIN_BYTES", threshold)
    used: list[str] = []
    real_reader, real_follower = bulk.batches_in_process, follower.in_process

    def reader(*args: object, **kwargs: object) -> object:
        used.append("reader")
        return real_reader(*args, **kwargs)  # type: ignore[arg-type]

    def following(*args: object, **kwargs: object) -> object:
        used.append("follower")
        return real_follower(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "batches_in_process", reader)
    monkeypatch.setattr(follower, "in_process", following)
    code, out, _ = run(settings, "import", str(SAMPLE))
    assert code == 0 and out.startswith("imported 2020, updated 0, rejected 0 in ")
    assert used == (["follower", "reader"] if expected else [])
    code, out, _ = run(settings, "search", "gaussian splatting", "--json", "--limit", "1")
    assert "splatting" in json.loads(out)[0]["title"].lower()  # indexed either way


def test_search_errors(settings: Settings) -> None:
    run(settings, "import", str(SAMPLE))
    code, _, err = run(settings, "search", "   ")
    assert code == 2 and "empty" in err
    code, out, _ = run(settings, "search", 'NEAR( " AND *', "--json")
    assert code == 0 and isinstance(json.loads(out), list)


def test_migrate_reports(settings: Settings) -> None:
    code, out, _ = run(settings, "migrate")
    assert code == 0 and "0001_papers" in out
    code, out, _ = run(settings, "migrate")
    assert "up to date" in out


def test_settings_doc_is_current() -> None:
    result = CliRunner().invoke(cli, ["settings", "--markdown"])
    assert result.exit_code == 0
    assert (ROOT / "docs" / "settings.md").read_text() == result.stdout, "regenerate: paperwire settings --markdown"


def test_relative_data_dir_from_the_environment_is_refused(monkeypatch: object) -> None:
    import pytest

    with pytest.raises(ValueError, match="absolute"):
        Settings(data_dir=Path("relative/dir"))


def test_other_libraries_info_logs_are_quiet_unless_verbose() -> None:
    import logging

    from paperwire.cli.main import ours_or_warnings

    def record(name: str, level: int) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, "message", None, None)

    assert ours_or_warnings(record("paperwire.search.model_files", logging.INFO))
    assert ours_or_warnings(record("uvicorn.error", logging.INFO))
    assert not ours_or_warnings(record("root", logging.INFO))  # onnxruntime.quantization logs through root
    assert not ours_or_warnings(record("onnxruntime", logging.INFO))
    assert ours_or_warnings(record("onnxruntime", logging.WARNING))
