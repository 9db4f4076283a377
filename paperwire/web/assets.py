"""Static files: where they are, and versioned URLs so browsers may keep them for a year.

Paperwire serves every front-end file itself (no CDN): its own ``static/``
and, under ``static/vendor/``, the npm packages ``make`` installs from the
pinned package-lock.json (KaTeX, Swagger UI). A URL carries a digest of the
file (``/static/style.css?v=3f2a…``), so a changed file gets a new URL.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
KATEX_FILES = ("vendor/katex/katex.min.css", "vendor/katex/katex.min.js", "vendor/katex/contrib/auto-render.min.js")
SWAGGER_FILES = ("vendor/swagger-ui/swagger-ui.css", "vendor/swagger-ui/swagger-ui-bundle.js")

log = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _digest(path: str) -> str | None:
    try:
        data = (STATIC_DIR / path).read_bytes()
    except OSError:
        return None
    return hashlib.blake2b(data, digest_size=5).hexdigest()


def asset_url(path: str) -> str:
    """``/static/<path>?v=<digest>``, or the bare path when the file is missing."""
    digest = _digest(path)
    return f"/static/{path}?v={digest}" if digest else f"/static/{path}"


def have(files: tuple[str, ...]) -> bool:
    """True when every one of ``files`` exists under static/."""
    return all((STATIC_DIR / f).is_file() for f in files)


def check_vendor() -> dict[str, bool]:
    """Which vendored packages are installed; logs what is missing and how to fix it."""
    found = {"katex": have(KATEX_FILES), "swagger-ui": have(SWAGGER_FILES)}
    for name, ok in found.items():
        if not ok:
            log.warning("%s is not installed under %s: run 'make web-assets' (npm ci); "
                        "pages still work, without it", name, VENDOR_DIR)
    return found
