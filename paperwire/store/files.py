"""Files only the service's own user may read: the SQLite database and the local search indexes.

The database holds password hashes and, unless ``PAPERWIRE_SECRET_KEY`` is set, the site's secret
(``state`` table), from which reset links, unsubscribe links and CSRF tokens can be forged; a
0644 file created under the usual umask lets every account on the host read it, and so would a copy
of the data directory. Paperwire therefore creates its directories 0700 and the database 0600
whatever the umask (SQLite gives the ``-wal`` and ``-shm`` files the database file's own mode), and
takes the group and other bits off files and directories of its own that an older version created.
Directories that already existed (the database's folder may be a shared one) keep their mode.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents with mode 0700; an existing directory keeps its mode."""
    missing: list[Path] = []
    walk = path
    while not walk.exists():
        missing.append(walk)
        if walk.parent == walk:
            break
        walk = walk.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it first
            continue
    return path


def tighten(path: Path) -> None:
    """Take the group and other permission bits off ``path`` (a file or directory of Paperwire's own)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if not mode & 0o077:
        return
    try:
        os.chmod(path, mode & ~0o077)
    except PermissionError:  # owned by someone else: say so rather than refuse to start
        log.warning("%s is open to other users (mode %o) and not ours to change", path, mode)


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists with mode 0600 (an empty file when missing; an existing one is
    tightened), so whatever opens it next never creates it with the umask's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)  # no O_TRUNC: an existing file is kept
    os.close(fd)
    tighten(path)
    return path


def private_index_dir(root: Path, path: Path) -> Path:
    """Create ``path`` (under ``root``, the indexes' directory) 0700 and tighten ``root`` and ``path``:
    both are Paperwire's own, unlike the data directory's parents."""
    private_dir(path)
    walk = path
    while True:
        tighten(walk)
        if walk == root or walk.parent == walk:
            break
        walk = walk.parent
    return path
