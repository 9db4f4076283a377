from datetime import date

import pytest

from paperwire.models import Paper, is_arxiv_id, split_version


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2503.11677", ("2503.11677", 0)),
        ("2503.11677v3", ("2503.11677", 3)),
        ("0704.0001v1", ("0704.0001", 1)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", 0)),
        ("notanid v2", ("notanid v2", 0)),
    ],
)
def test_split_version(raw: str, expected: tuple[str, int]) -> None:
    assert split_version(raw) == expected


@pytest.mark.parametrize("good", ["2503.11677", "0704.0001", "hep-th/9901001", "math.GT/0309136", "cond-mat/0102536"])
def test_valid_ids(good: str) -> None:
    assert is_arxiv_id(good)


@pytest.mark.parametrize("bad", ["", "2503.1167", "25031.1677", "abc", "hep-th/99", "2503.11677v1", "../etc/passwd"])
def test_invalid_ids(bad: str) -> None:
    assert not is_arxiv_id(bad)


def test_content_hash_ignores_source_and_sees_content() -> None:
    a = Paper("2503.11677", "Title", "Abstract", ["A B"], ["cs.CL"], announced=date(2025, 3, 18), source="x")
    b = Paper("2503.11677", "Title", "Abstract", ["A B"], ["cs.CL"], announced=date(2025, 3, 18), source="y")
    assert a.content_hash() == b.content_hash()
    b.title = "Other"
    assert a.content_hash() != b.content_hash()
