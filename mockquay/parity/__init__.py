"""Parity with a user's own Quay: ``mockquay verify``, ``record`` and ``import``.

See docs/parity.md.
"""
