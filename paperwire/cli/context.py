"""What every command receives: the settings overrides and a lazily built Runtime (``pass_ctx``)."""

from __future__ import annotations

from typing import Any

import click
from pydantic import ValidationError

from paperwire.config import Settings
from paperwire.runtime import Runtime


def _settings(overrides: dict[str, Any]) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(f"invalid setting: {problems}") from None


class Context:
    """What every command receives: the settings overrides and a lazily built Runtime."""

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides = overrides
        self._runtime: Runtime | None = None

    def settings(self, **more: Any) -> Settings:
        return _settings({**self.overrides, **more})

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(self.settings())
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()


pass_ctx = click.make_pass_decorator(Context)
