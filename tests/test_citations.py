"""Citation files on their own (paperwire.ingest.citations): each reader on a file shaped like what a
reference manager writes, each writer, and round trips as properties (Hypothesis) over titles, names,
notes and folders with unicode, braces, TeX and the characters TeX reserves."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.ingest.citations import bibtex_entry, citation_of, detect_format, parse, write
from paperwire.ingest.citations.ids import arxiv_id, arxiv_id_in_text, clean_doi
from paperwire.ingest.citations.tex import assign_keys, base_key, decode_plain, encode_plain, surname, tex_value
from paperwire.models import Citation, Paper, Version
from paperwire.models.library import clean_folder_name, clean_note
from tests.helpers.paths import FIXTURES

FILES = FIXTURES / "citations"
EXPORTS = ("bibtex", "ris", "csl-json")


def _read(name: str) -> str:
    return (FILES / name).read_bytes().decode("utf-8-sig")


def _paper(**kw: object) -> Paper:
    base: dict[str, object] = {"id": "2503.11677", "title": "Simulation of prosthetic vision",
                               "authors": ["Jungyeon Park", "Daniel Palanker"], "categories": ["cs.HC", "cs.CV"],
                               "announced": date(2025, 3, 18)}
    base.update(kw)
    return Paper(**base)  # type: ignore[arg-type]


# -- the one-paper entry of paper pages (moved here from web/bibtex.py) ------------------------------------
def test_bibtex_entry_of_a_paper() -> None:
    entry = bibtex_entry(_paper())
    assert entry.startswith("@misc{park2025simulation,\n")
    for line in ("  title         = {Simulation of prosthetic vision},",
                 "  author        = {Jungyeon Park and Daniel Palanker},", "  year          = {2025},",
                 "  eprint        = {2503.11677},", "  archivePrefix = {arXiv},", "  primaryClass  = {cs.HC},",
                 "  url           = {https://arxiv.org/abs/2503.11677}"):
        assert line in entry
    assert entry.endswith("}\n") and entry.count("{") == entry.count("}")


def test_bibtex_keeps_math_and_escapes_the_rest() -> None:
    paper = _paper(title="The 100% $\\alpha_1$-guarantee & {unbalanced", authors=["Zoë van der Berg Jr."],
                   journal_ref="Nature 1 (2025)", doi="10.1/x_y",
                   versions=[Version(1, datetime(2024, 12, 30, tzinfo=UTC))])
    entry = bibtex_entry(paper)
    assert entry.startswith("@article{vanderberg2024100,")
    assert "The 100\\% $\\alpha_1$-guarantee \\& unbalanced" in entry
    assert "journal       = {Nature 1 (2025)}" in entry and "doi           = {10.1/x\\_y}" in entry
    assert entry.count("{") == entry.count("}")
    assert surname("Zoë van der Berg Jr.") == "van der Berg" and surname("LeCun, Yann") == "LeCun"
    # BibTeX counts \{ as a brace too: a lone one would swallow the rest of the file
    assert tex_value("a}b{c") == "abc" and tex_value("x \\{ y") == "x \\textbraceleft{} y"
    assert tex_value("x \\{ y \\}") == "x \\{ y \\}"
    assert base_key(citation_of(_paper(authors=[], title=""))) == "arxiv250311677"


# -- ids ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("2503.11677", "2503.11677"), ("2503.11677v3", "2503.11677"), ("arXiv:2503.11677", "2503.11677"),
    ("https://arxiv.org/abs/2503.11677v2", "2503.11677"), ("http://arxiv.org/pdf/2503.11677v1.pdf", "2503.11677"),
    ("10.48550/arXiv.2503.11677", "2503.11677"), ("https://doi.org/10.48550/ARXIV.2503.11677", "2503.11677"),
    ("hep-th/9901001", "hep-th/9901001"), ("https://arxiv.org/abs/math.GT/0309136v1", "math.GT/0309136"),
    ("2503.1167", None), ("10.1145/3292500.3330701", None), ("https://example.org/2503.11677", None), ("", None),
])
def test_arxiv_ids_in_every_spelling(text: str, expected: str | None) -> None:
    assert arxiv_id(text) == expected


def test_ids_in_notes_need_their_prefix() -> None:
    assert arxiv_id_in_text("arXiv:2606.00005 [cs.CL]") == "2606.00005"
    assert arxiv_id_in_text("arXiv preprint arXiv:2606.00003") == "2606.00003"
    assert arxiv_id_in_text("page 2606.00005 of the proceedings") is None
    assert clean_doi("https://doi.org/10.1145/3292500.3330701.") == "10.1145/3292500.3330701"
    assert clean_doi("10.1/x\\_y") == "10.1/x_y" and clean_doi("none") is None


# -- readers, each on a file shaped like what reference managers write -------------------------------------------
def test_bibtex_reader_follows_bibtex_rules_and_reports_broken_entries() -> None:
    parsed = parse(_read("zotero-better-bibtex.bib"), "bibtex")
    by_key = {e.key: e for e in parsed.entries}
    first = by_key["lovelace2026energy"]
    assert (first.line, first.arxiv_id, first.doi, first.year) == (6, "2606.00001", "10.48550/arXiv.2606.00001", 2026)
    assert first.authors == ["Lovelace, Ada", "Turing, Alan"] and first.title.startswith("Energy-{Based}")
    assert by_key["hopper2026scaling"].journal == "Advances in Neural Information Processing Systems 39"  # @string
    assert by_key["hopper2026scaling"].arxiv_id == "2606.00002"  # from a /pdf/ URL with a version
    assert by_key["dijkstra2026gaussian"].arxiv_id == "2606.00003"  # Google Scholar's "arXiv preprint arXiv:…"
    assert by_key["liskov2026judges"].arxiv_id == "2606.00005"  # Zotero's note
    assert by_key["knuth1968art"].arxiv_id is None and by_key["bydoi"].doi == "10.1145/3292500.3330701"
    assert "broken" not in by_key and len(parsed.problems) == 1 and parsed.problems[0][0] == 45
    assert by_key["liskov2026judges"].line == 50  # reading went on after the broken entry


def test_ris_reader_joins_continued_lines_and_notes() -> None:
    parsed = parse(_read("zotero.ris"), "ris")
    titles = [e.title for e in parsed.entries]
    assert titles == ["Energy-Based Models for Protein Design", "Scaling Energy-Based Models",
                      "The Art of Computer Programming", "Gaussian Splatting in the Wild"]
    first = parsed.entries[0]
    assert first.authors == ["Lovelace, Ada", "Turing, Alan"] and first.arxiv_id == "2606.00001"
    assert first.note == "Read section 3\nand the appendix" and first.year == 2026
    assert parsed.entries[1].arxiv_id == "2606.00002" and parsed.entries[1].year == 2026  # Y1 2026///
    assert parsed.entries[3].arxiv_id == "2606.00003"
    assert [line for line, _ in parsed.problems] == [28, 30]  # an AU outside any entry; no ER at the end


def test_csl_reader_takes_names_dates_and_ids_in_zoteros_shapes() -> None:
    parsed = parse(_read("zotero-csl.json"), "csl-json")
    assert [e.line for e in parsed.entries] == [2, 14, 22]
    assert parsed.problems == [(21, "an item that is not an object")]
    first, knuth, liskov = parsed.entries
    assert first.authors == ["Ada Lovelace", "Alan Turing"] and first.year == 2026 and first.arxiv_id == "2606.00001"
    assert knuth.authors == ["Donald E. Knuth", "Zoë van der Berg"] and knuth.year == 1968
    assert liskov.arxiv_id == "2606.00005"


def test_zotero_csv_reader() -> None:
    parsed = parse(_read("zotero.csv"), "zotero-csv")
    assert [e.line for e in parsed.entries] == [2, 4, 5]  # the first row's abstract spans two lines
    first = parsed.entries[0]
    assert first.authors == ["Ada Lovelace", "Alan Turing"] and first.arxiv_id == "2606.00001"
    assert first.note == "<p>Read section 3</p>" and parsed.entries[1].arxiv_id == "2606.00002"
    assert parsed.entries[2].arxiv_id is None and parsed.entries[2].title == "The Art of Computer Programming"


def test_id_lists_report_lines_they_cannot_read() -> None:
    parsed = parse(_read("ids.txt"), "arxiv-ids")
    assert [(e.line, e.arxiv_id) for e in parsed.entries] == [
        (2, "2606.00001"), (3, "2606.00002"), (4, "2606.00003"), (6, "2606.00005"), (7, "2606.00006"),
        (9, "2501.99999")]
    assert parsed.problems == [(8, "not an arXiv id or link: 'not an id at all'")]


@pytest.mark.parametrize(("name", "fmt"), [("zotero-better-bibtex.bib", "bibtex"), ("zotero.ris", "ris"),
                                           ("zotero-csl.json", "csl-json"), ("zotero.csv", "zotero-csv"),
                                           ("ids.txt", "arxiv-ids")])
def test_formats_are_detected_by_name_or_content(name: str, fmt: str) -> None:
    text = _read(name)
    assert detect_format(text, name) == fmt and detect_format(text) == fmt


def test_malformed_json_says_where() -> None:
    from paperwire.ingest.citations import CitationError

    with pytest.raises(CitationError, match="line 2"):
        parse('[{"title": "a"},\n {"title": }]', "csl-json")
    with pytest.raises(CitationError, match="should start with"):
        parse("title: a", "csl-json")


# -- writers ---------------------------------------------------------------------------------------------------
def test_writers_put_ids_notes_and_folders_where_readers_look() -> None:
    item = citation_of(_paper(doi="10.1145/1"), note="Read §3 & 4\nthen {skim}", folders=["R&D", "To read"])
    bib = write([item], "bibtex")
    assert "annote        = {Read §3 \\& 4\nthen \\textbraceleft{}skim\\textbraceright{}}" in bib
    assert "groups        = {R\\&D, To read}" in bib and "eprint        = {2503.11677}" in bib
    ris = write([item], "ris")
    assert "AN  - arXiv:2503.11677\n" in ris and "N1  - Read §3 & 4\nN1  - then {skim}\n" in ris
    assert "U1  - R&D\nU1  - To read\n" in ris and ris.count("ER  -") == 1
    csl = json.loads(write([item], "csl-json"))[0]
    assert csl["author"] == [{"family": "Park", "given": "Jungyeon"}, {"family": "Palanker", "given": "Daniel"}]
    assert csl["number"] == "arXiv:2503.11677" and csl["custom"] == {"folders": ["R&D", "To read"]}
    assert csl["annote"] == "Read §3 & 4\nthen {skim}" and csl["issued"] == {"date-parts": [[2025]]}


def test_keys_are_stable_whatever_the_order() -> None:
    a = Citation(title="Scaling laws", authors=["Ada Lovelace"], year=2026, arxiv_id="2606.00002")
    b = Citation(title="Scaling again", authors=["Ada Lovelace"], year=2026, arxiv_id="2606.00001")
    c = Citation(title="Other", authors=["Alan Turing"], year=2025, arxiv_id="2505.00001")
    assert assign_keys([a, b, c]) == ["lovelace2026scalingb", "lovelace2026scalinga", "turing2025other"]
    assert assign_keys([c, b, a]) == ["turing2025other", "lovelace2026scalinga", "lovelace2026scalingb"]


# -- round trips as properties ---------------------------------------------------------------------------------------
_LETTERS = st.characters(categories=["L", "N"], exclude_characters="\x00")
_WORD = st.text(_LETTERS, min_size=1, max_size=8)
_TEX_TOKEN = st.one_of(
    _WORD, _WORD.map(lambda w: "{" + w + "}"), st.sampled_from(["\\alpha", "\\&", "\\%", "\\_", "\\#", "--", "``",
                                                                "''", "\\'e", "\\\"{o}", "(", ")", ":", ",", "?"]),
    st.tuples(_WORD, st.sampled_from(["_1", "^2", "+", "\\leq"]), _WORD).map(lambda t: "$" + "".join(t) + "$"),
    st.lists(_WORD, min_size=1, max_size=3).map(lambda ws: "{" + " ".join(ws) + "}"),
)
TEX_TITLES = st.lists(_TEX_TOKEN, min_size=1, max_size=12).map(" ".join)
TEX_NAMES = st.lists(st.one_of(_WORD, _WORD.map(lambda w: "{" + w + "}"), st.sampled_from(
    ["van", "der", "and", "Jr.", "\\'E", "{\\\"u}", "{and}", "Mc{K}"])), min_size=1, max_size=4).map(" ".join)
EXAMPLES = settings(max_examples=150, deadline=None)


@EXAMPLES
@given(title=TEX_TITLES, names=st.lists(TEX_NAMES, min_size=1, max_size=5),
       fmt=st.sampled_from(EXPORTS))
def test_tex_titles_and_names_read_back_exactly(title: str, names: list[str], fmt: str) -> None:
    assert tex_value(title) == title  # the strategy makes titles already in TeX's form
    item = Citation(title=title, authors=names, year=2026, arxiv_id="2606.00001")
    back = parse(write([item], fmt), fmt)
    assert back.problems == [] and len(back.entries) == 1
    entry = back.entries[0]
    assert (entry.title, entry.authors, entry.arxiv_id) == (title, names, "2606.00001")


@EXAMPLES
@given(title=st.text(max_size=80), fmt=st.sampled_from(EXPORTS))
def test_any_title_reads_back_as_written(title: str, fmt: str) -> None:
    """BibTeX writes TeX: any text is first made valid TeX (``tex_value``, idempotent), and that reads
    back unchanged; RIS and CSL-JSON carry the text itself (whitespace folded)."""
    folded = " ".join(title.split())
    item = Citation(title=title, arxiv_id="2606.00001")
    back = parse(write([item], fmt), fmt).entries[0]
    if fmt == "bibtex":
        assert tex_value(tex_value(title)) == tex_value(title) == back.title
    else:
        assert back.title == folded


@EXAMPLES
@given(note=st.text(max_size=200), folders=st.lists(st.text(min_size=1, max_size=30), max_size=4),
       fmt=st.sampled_from(EXPORTS))
def test_notes_and_folders_read_back_exactly(note: str, folders: list[str], fmt: str) -> None:
    kept_note = clean_note(note)
    kept_folders = list(dict.fromkeys(n for n in map(clean_folder_name, folders) if n))
    item = Citation(title="A title", authors=["Ada Lovelace"], arxiv_id="2606.00001", note=kept_note,
                    folders=kept_folders)
    entry = parse(write([item], fmt), fmt).entries[0]
    assert entry.note == kept_note and entry.folders == kept_folders


@EXAMPLES
@given(text=st.text(max_size=200))
def test_plain_text_encoding_is_exactly_invertible(text: str) -> None:
    encoded = encode_plain(text)
    assert decode_plain(encoded) == text and encoded.count("{") == encoded.count("}")


def test_a_library_file_round_trips_in_every_format() -> None:
    papers = [_paper(id=f"2606.0000{i}", title=f"Paper {i}: $x_{i}$ & more", authors=["Zoë van der Berg", "Ada"],
                     doi=f"10.1000/{i}") for i in range(1, 4)]
    items = [citation_of(p, note=f"note {p.id}", folders=["Saved", "Zoë's"]) for p in papers]
    for fmt in EXPORTS:
        back = parse(write(items, fmt), fmt)
        assert [(e.arxiv_id, e.doi, e.authors, e.note, e.folders) for e in back.entries] == \
            [(i.arxiv_id, i.doi, i.authors, i.note, i.folders) for i in items], fmt

