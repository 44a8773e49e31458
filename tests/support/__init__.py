"""Helpers the test modules import (fixtures stay in ``conftest.py``, as pytest advises)."""
