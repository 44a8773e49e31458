"""Every name of cheroot's that is not its documented API, in one place.

mockquay serves on cheroot's WSGI server and worker threads, but reads each request's head
and body itself first, in one selector thread (:mod:`mockquay.server`). cheroot has no public
hook for that, so this module reaches into it, and :func:`check_cheroot` says at import what a
cheroot release lacks, instead of a failure in the middle of serving. What is used, and why:

* ``cheroot.connections`` (an internal module): ``ConnectionManager``, the object that waits
  for connections between requests. mockquay's front is one: it replaces ``_run``, the
  manager's loop (called by the public ``run``), reads ``_stop_requested`` (set by the public
  ``stop``), registers connections in ``_selector`` (its ``register``, ``unregister``,
  ``select``, ``connections`` and ``len``), and calls ``_remove_invalid_sockets`` when a select
  fails on a closed descriptor, as cheroot's own loop does.
* ``HTTPServer._connections``: the manager ``prepare`` creates, replaced by the front.
* ``cheroot.makefile`` (an internal module): ``MakeFile`` and ``StreamReader``, the file
  objects cheroot reads a request from and writes an answer to, built here over the front's
  socket, which gives first the bytes the front has already read; ``StreamReader.has_data``
  tells whether a worker read ahead into the next pipelined request.
* ``HTTPConnection.linger``: set when the fault layer takes a socket from cheroot, so that
  cheroot neither closes nor answers on it.

mockquay's ``setup.cfg`` bounds cheroot below its next major release for these names.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

import cheroot
from cheroot import connections, makefile, server, wsgi

#: The names above: ``(module, dotted name)`` for classes, functions and class attributes.
REQUIRED: tuple[tuple[str, str], ...] = (
    ("connections", "ConnectionManager"),
    ("connections", "ConnectionManager._run"),
    ("connections", "ConnectionManager._remove_invalid_sockets"),
    ("connections", "_ThreadsafeSelector.connections"),
    ("makefile", "MakeFile"),
    ("makefile", "StreamReader"),
    ("makefile", "StreamReader.has_data"),
    ("server", "HTTPConnection.linger"),
)

#: Attributes a method sets on each instance: ``(module, "Class.method", attribute)``, found
#: among the names the method's code uses.
ASSIGNED: tuple[tuple[str, str, str], ...] = (
    ("connections", "ConnectionManager.__init__", "_selector"),
    ("connections", "ConnectionManager.__init__", "_stop_requested"),
    ("server", "HTTPServer.prepare", "_connections"),
)

_MODULES = {"connections": connections, "makefile": makefile, "server": server}


def _lookup(module: object, dotted: str) -> object:
    found = module
    for part in dotted.split("."):
        found = getattr(found, part)
    return found


def missing_names(modules: Mapping[str, ModuleType | object] | None = None) -> list[str]:
    """The names of :data:`REQUIRED` and :data:`ASSIGNED` that ``modules`` (by default
    cheroot's own) lack, as ``cheroot.<module>.<name>``."""
    modules = _MODULES if modules is None else modules
    missing = []
    for module, dotted in REQUIRED:
        try:
            _lookup(modules[module], dotted)
        except (AttributeError, KeyError):
            missing.append(f"cheroot.{module}.{dotted}")
    for module, method, attribute in ASSIGNED:
        try:
            names = _lookup(modules[module], method).__code__.co_names  # type: ignore[attr-defined]
        except (AttributeError, KeyError):
            names = ()
        if attribute not in names:
            missing.append(f"cheroot.{module}.{method.split('.')[0]}.{attribute}")
    return missing


def check_cheroot(
    modules: Mapping[str, ModuleType | object] | None = None, version: str | None = None
) -> None:
    """Raise :class:`RuntimeError` naming cheroot's version and each name mockquay needs that
    the installed cheroot (or ``modules``) lacks."""
    missing = missing_names(modules)
    if missing:
        version = cheroot.__version__ if version is None else version
        raise RuntimeError(
            f"mockquay cannot serve on cheroot {version}: it lacks {', '.join(missing)}"
            " (see mockquay/cheroot_compat.py; mockquay's setup.cfg names the cheroot releases"
            " it works with)"
        )


check_cheroot()

MakeFile = makefile.MakeFile
StreamReader = makefile.StreamReader


class ConnectionManager(connections.ConnectionManager):
    """cheroot's connection manager, its private parts under public names; a subclass
    implements :meth:`loop`."""

    # cheroot's private names used here, which its stubs leave out.
    _selector: connections._ThreadsafeSelector
    _stop_requested: bool
    _remove_invalid_sockets: Callable[[], None]

    @property
    def selector(self) -> connections._ThreadsafeSelector:
        """The selector watching the listening socket and connections between requests."""
        return self._selector

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def remove_invalid_sockets(self) -> None:
        """Forget connections whose descriptors were closed (a select failed on one)."""
        self._remove_invalid_sockets()

    def waiting(self) -> Iterable[tuple[int, Any]]:
        """``(descriptor, connection)`` of each connection in the selector."""
        # cheroot's stub types connections as None; it yields (descriptor, connection) pairs.
        return self._selector.connections  # type: ignore[return-value]

    def loop(self, expiration_interval: float) -> None:
        """Watch the selector until :attr:`stop_requested`."""
        raise NotImplementedError

    def _run(self, expiration_interval: float) -> None:
        self.loop(expiration_interval)


def replace_connection_manager(served: wsgi.Server, manager: ConnectionManager) -> None:
    """Put ``manager`` in place of the one ``served.prepare()`` made (whose selector closes)."""
    # ``_connections`` is set by ``prepare`` and left out of cheroot's stubs.
    held: Any = served
    held._connections._selector.close()
    held._connections = manager


def take_socket(connection: server.HTTPConnection) -> socket.socket:
    """``connection``'s socket, which cheroot will then neither answer on nor close."""
    connection.linger = True
    return connection.socket
