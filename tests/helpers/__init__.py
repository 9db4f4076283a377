"""Code the tests share (see tests/README.md): plain modules that test modules import, never test modules
themselves. ``community`` and ``world`` also hold fixtures, registered by tests/conftest.py's
``pytest_plugins``."""
