"""The house's one-way rules (docs/architecture.md), checked on the package's import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockquay"

#: The rooms from the bottom up, each written once: a room may import itself and the rooms
#: before it, never one after it. A room is a package (``mockquay.domain``) or a module beside
#: the packages; the wiring comes last and may import everything.
ROOMS: tuple[tuple[str, ...], ...] = (
    ("mockquay.version", "mockquay.store"),
    ("mockquay.mirror_fields", "mockquay.profiles"),
    ("mockquay.domain",),
    ("mockquay.quay_api",),
    ("mockquay.document_fields", "mockquay.redaction"),
    ("mockquay.faults",),
    ("mockquay.journal",),
    ("mockquay.fixtures",),
    ("mockquay.settings",),
    ("mockquay.emulator", "mockquay.extension"),
    ("mockquay.admin",),
    (
        "mockquay.app",
        "mockquay.access_log",
        "mockquay.server",
        "mockquay.cheroot_compat",
        "mockquay.cli",
        "mockquay.testing",
        "mockquay.pytest_plugin",
        "mockquay.parity",
        "mockquay",
    ),
)

#: What a room may never import from outside the package, whatever its place.
FORBIDDEN_LIBRARIES = {
    "mockquay.domain": ("flask", "werkzeug"),
    "mockquay.store": ("flask",),
    # The mirror field table is plain data; the rooms above build their schemas from it.
    "mockquay.mirror_fields": ("flask", "werkzeug", "marshmallow", "jsonschema"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(module: str, tree: ast.AST, is_package: bool) -> set[str]:
    """Every module ``module`` imports: at run time, lazily, or ``if TYPE_CHECKING``."""
    found: set[str] = set()
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            # ``from mockquay import document_fields`` counts as an import of the package too
            # (whose ``__init__`` it runs), as import checkers count it.
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _imported(name, tree, path.name == "__init__.py")
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


GRAPH = _graph()


def _cycle() -> list[str] | None:
    """One import cycle of the package, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    assert _cycle() is None


def test_the_graph_sees_the_imports() -> None:
    assert "mockquay.quay_api.operation" in GRAPH["mockquay.faults.schema"]
    assert "mockquay.emulator" in GRAPH["mockquay.app"]
    assert "mockquay.emulator" in GRAPH["mockquay.extension"], "TYPE_CHECKING imports count"


def _room_of(module: str) -> int:
    for index, names in enumerate(ROOMS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return index
    raise AssertionError(f"{module} is in no room of ROOMS: add it there and to the page")


def test_every_module_is_in_a_room() -> None:
    for module in GRAPH:
        _room_of(module)


def test_a_room_imports_only_the_rooms_below_it() -> None:
    broken = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _room_of(target) > _room_of(module)
    )
    assert broken == []


@pytest.mark.parametrize(("room", "forbidden"), sorted(FORBIDDEN_LIBRARIES.items()))
def test_a_room_never_imports_its_forbidden_libraries(
    room: str, forbidden: tuple[str, ...]
) -> None:
    paths = [PACKAGE.parent / (room.replace(".", "/") + ".py")]
    paths = [path for path in paths if path.exists()] or list(
        (PACKAGE.parent / room.replace(".", "/")).rglob("*.py")
    )
    broken = sorted(
        f"{path.name} imports {target}"
        for path in paths
        for target in _imported(
            _module_name(path),
            ast.parse(path.read_text(encoding="utf-8")),
            path.name == "__init__.py",
        )
        if any(target == name or target.startswith(name + ".") for name in forbidden)
    )
    assert broken == []


def test_the_architecture_page_names_every_room() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for names in ROOMS:
        for name in names:
            shown = name.replace(".", "/") + (
                "/" if (PACKAGE.parent / name.replace(".", "/")).is_dir() else ".py"
            )
            assert f"`{shown}`" in page or name == "mockquay", (
                f"docs/architecture.md lacks `{shown}`"
            )
