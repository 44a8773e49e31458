"""mockquay's version, in a module of its own so that any room can name it without importing
the package's ``__init__`` (which reaches the pytest helpers lazily)."""

__version__ = "0.1.0"
