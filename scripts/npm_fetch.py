#!/usr/bin/env python3
"""Install the front-end packages pinned in package-lock.json into node_modules/, with Python alone.

`make run` must work on a machine with only Python and make, so this does what `npm ci` does for our
few dependency-free packages: fetch each tarball from the npm registry (NPM_CONFIG_REGISTRY, default
https://registry.npmjs.org), check it against the lock file's sha512 integrity, and unpack it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tarball_url(registry: str, name: str, version: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return f"{registry.rstrip('/')}/{name}/-/{base}-{version}.tgz"


def verify(data: bytes, integrity: str, name: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise SystemExit(f"{name}: unsupported integrity {algorithm}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{name}: integrity mismatch (expected {expected[:16]}…, got {actual[:16]}…)")


def unpack(data: bytes, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if not parts or parts[0] != "package" or ".." in parts or not (member.isfile() or member.isdir()):
                continue
            member.name = str(Path(*parts[1:])) if len(parts) > 1 else "."
            tar.extract(member, target, filter="data")


def main() -> None:
    registry = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for path, meta in lock["packages"].items():
        if not path:
            continue
        name = path.split("node_modules/", 1)[1]
        url = meta.get("resolved") or tarball_url(registry, name, meta["version"])
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - the registry, https
            data = response.read()
        verify(data, meta["integrity"], name)
        unpack(data, ROOT / path)
        print(f"{name}@{meta['version']}", file=sys.stderr)


if __name__ == "__main__":
    main()
