"""Read and parse a big import file in a process of its own, while this one writes.

In one process the parsing (gzip, JSON, the record checks, code links: Python holding the GIL) and the
writing took turns even with the parsing in a thread (``prefetch``): measured on 300,000 papers of the
2.7M corpus, parsing 72 µs a paper and the writes 136 µs, the threaded import took 221 µs a paper, their
sum. A reader process runs the parsing on the other core; this process only unpickles the batches
(about 23 µs a paper, in the prefetch thread, beside SQLite's work) and writes them. docs/benchmarks.md,
"A reader process for big imports", has the figures.

The child sends, in file order: ``("error", message)`` for each bad record, ``("progress", done, size)``,
``("batch", SourceBatch)``, then ``("end",)`` or ``("fail", message)``, pickled one after another on a
pipe of its own. It runs in a session of its own, so Ctrl-C reaches only the parent, which stops it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from paperwire.ingest.paper_files import read_file, source_batches
from paperwire.models import SourceBatch

#: files at least this large (bytes, compressed or not) are read in a process of their own: a fresh
#: interpreter costs about half a second, overlapping the first batches
PROCESS_MIN_BYTES = 8_000_000


class ReaderError(RuntimeError):
    """The reader process failed or died; the batches written before stay written."""


def _read(path: Path, batch_size: int, out: IO[bytes], progress: bool) -> None:
    """The child: parse ``path`` and send what it finds (see the module's docstring)."""
    def send(*message: Any, flush: bool = False) -> None:
        # pickle: this program talking to itself on a pipe no one else holds. Pickled whole before any of it
        # is written, so a message that fails to pickle leaves nothing half-sent
        out.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        if flush:
            out.flush()

    try:
        papers = read_file(path, lambda message: send("error", message),
                           (lambda done, size: send("progress", done, size, flush=True)) if progress else None)
        for batch in source_batches(papers, batch_size):
            send("batch", batch, flush=True)
        send("end")
    except BrokenPipeError:  # the parent stopped reading: it is stopping us
        return
    except Exception as exc:  # reported to the parent, which raises it; the traceback goes to our stderr
        traceback.print_exc()
        send("fail", f"{type(exc).__name__}: {exc}")


def batches_in_process(path: Path, batch_size: int, on_error: Callable[[str], None],
                       progress: Callable[[int, int], None] | None = None) -> Iterator[SourceBatch]:
    """``source_batches(read_file(path, on_error, progress), batch_size)``, parsed in a child process.

    Errors and progress reach the callbacks here, in the same order as the batches. Closing the
    iterator early (an exception while writing, Ctrl-C) stops the child."""
    read_end, write_end = os.pipe()
    try:
        # its own session: Ctrl-C reaches this process, which stops the child; -P: the working directory
        # must not shadow the installed package in the child. The path as given: the child starts in this
        # working directory, and its error messages name the file as the user did
        child = subprocess.Popen(
            [sys.executable, "-P", "-m", "paperwire.ingest.reader_process", str(path), str(batch_size),
             str(write_end), "1" if progress else "0"],
            pass_fds=(write_end,), stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        os.close(read_end)
        raise ReaderError(f"{path}: cannot start the reading process: {exc}") from exc
    finally:
        os.close(write_end)  # the child's end: a child that dies leaves EOF here, not a read that blocks
    finished = False
    with open(read_end, "rb", buffering=1 << 20) as stream:
        try:
            while True:
                try:
                    message = pickle.load(stream)
                except (EOFError, pickle.UnpicklingError):  # no message, or a killed child's half of one
                    raise ReaderError(f"{path}: the reading process exited with code {child.wait()}") from None
                kind = message[0]
                if kind == "batch":
                    yield message[1]
                elif kind == "error":
                    on_error(message[1])
                elif kind == "progress":
                    if progress is not None:
                        progress(message[1], message[2])
                elif kind == "end":
                    finished = True
                    return
                else:
                    raise ReaderError(f"{path}: reading failed: {message[1]}")
        finally:
            if not finished:
                child.kill()
            child.wait()


def main() -> None:
    """The child process: ``python -m paperwire.ingest.reader_process PATH BATCH_SIZE FD PROGRESS``."""
    path, batch_size, fd, progress = sys.argv[1:5]
    out = open(int(fd), "wb", buffering=1 << 20)  # noqa: SIM115 - closed below, a broken pipe allowed
    try:
        _read(Path(path), int(batch_size), out, progress == "1")
    finally:
        with contextlib.suppress(BrokenPipeError):  # the parent stopped reading: nothing to tell it
            out.close()


if __name__ == "__main__":
    main()
