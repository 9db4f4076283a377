"""The ``paperwire`` command: thin commands over the library, one module per group of commands.

``main.py`` holds the group and the store-wide commands (migrate, settings, stats, copy, serve);
``context.py`` what every command receives; the other modules are named for what they hold
(imports, harvest, search, trending, recommend, worker, digest, admin, dev). Each command gathers options,
builds a Runtime from Settings, and calls one library function; what it prints is formatting only.
"""

from paperwire.cli.main import cli, main

__all__ = ["cli", "main"]
