"""The recommender's tokenizer: words, bigrams, stable hashes."""

from __future__ import annotations

import subprocess
import sys

from paperwire.recommend.text import BUCKETS, bucket, paper_text, term_counts, terms, words


def test_words_drop_stop_words_and_single_letters() -> None:
    assert words("The Graph of a GNN, for x-ray 3D scans") == ["graph", "gnn", "ray", "3d", "scans"]


def test_bigrams_join_neighbouring_kept_words() -> None:
    assert terms("Diffusion models for protein design") == [
        "diffusion", "models", "protein", "design", "diffusion models", "models protein", "protein design"]


def test_buckets_are_the_same_in_another_process() -> None:
    # Python salts str hashes per process; a stored model would point at the wrong buckets after a restart.
    code = "from paperwire.recommend.text import bucket; print(bucket('graph neural'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123"})
    assert int(other.stdout) == bucket("graph neural")
    assert 0 <= bucket("graph neural") < BUCKETS


def test_term_counts_count_repeats() -> None:
    counts = term_counts("graph graph graph networks")
    assert counts[bucket("graph")] == 3 and counts[bucket("graph graph")] == 2


def test_paper_text_folds_whitespace() -> None:
    assert paper_text("A\n title", "with\n\nbreaks ") == "A title. with breaks"
