"""The Papers with Code links import: streamed, batched, idempotent, with clear errors."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from paperwire.ingest.harvest import run_pwc
from paperwire.ingest.pwc import PwcError, iter_json_array
from paperwire.store import Store
from tests.helpers.paths import FIXTURES

LINKS = FIXTURES / "pwc-links.json"


def test_import_links_from_the_hand_made_file(store: Store) -> None:
    report = run_pwc(store, LINKS)
    assert report.ok and report.links == 3 and report.skipped == 2
    assert [(ln.paper_id, ln.repo, ln.url, ln.source) for ln in store.papers.code_links()] == [
        ("1706.03762", "tensorflow/tensor2tensor", "https://github.com/tensorflow/tensor2tensor", "pwc"),
        ("2503.11677", "example-lab/prima-sim", "https://github.com/Example-Lab/prima-sim", "pwc"),
        ("2503.12009", "example/unimamba", "https://github.com/example/UniMamba", "pwc"),  # id from paper_url_abs
    ]
    assert "5 records read" in report.line()
    assert run_pwc(store, LINKS).links == 0  # a second import adds nothing


def test_gzip_and_small_read_chunks(store: Store, tmp_path: Path) -> None:
    packed = tmp_path / "links.json.gz"
    packed.write_bytes(gzip.compress(LINKS.read_bytes()))
    assert run_pwc(store, packed, batch_size=1).links == 3
    for chunk in (1, 7, 64):
        objs = list(iter_json_array(io.StringIO(LINKS.read_text()), chunk=chunk))
        assert len(objs) == 5 and objs[2]["paper_arxiv_id"] == "1706.03762"


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": 1}', "not a JSON array"),
    ('[{"a": 1}, 3]', "element 2 is not a JSON object"),
    ('[{"a": 1} {"b": 2}]', "expected ',' or ']'"),
    ('[{"a": 1}, {"b": ', "element 2: invalid or truncated JSON"),
])
def test_malformed_files_fail_clearly(text: str, message: str) -> None:
    with pytest.raises(PwcError, match=message):
        list(iter_json_array(io.StringIO(text), chunk=4))


def test_truncated_file_keeps_whole_batches_and_reports(store: Store, tmp_path: Path) -> None:
    records = json.loads(LINKS.read_text())
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(records)[:-150])
    report = run_pwc(store, cut, batch_size=1)
    assert not report.ok and "truncated" in report.errors[0] and str(cut) in report.errors[0]
    assert len(store.papers.code_links()) == 3  # the complete records before the cut, each batch committed
    missing = run_pwc(store, tmp_path / "nope.json")
    assert not missing.ok and "No such file" in missing.errors[0]


def test_empty_array(store: Store, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(" [ ] ")
    assert run_pwc(store, empty).ok
