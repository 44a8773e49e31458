"""The house's one-way rules (ARCHITECTURE.md), checked on the package's import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockquay"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, tree: ast.AST, is_package: bool) -> set[str]:
    """Every module ``module`` imports at run time, lazy imports included."""
    found: set[str] = set()
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
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
    assert "mockquay.quay_api.pipeline" in GRAPH["mockquay.control.schemas"]
    assert "mockquay.emulator" in GRAPH["mockquay.app"]


@pytest.mark.parametrize(
    ("room", "forbidden"),
    [
        ("mockquay.domain", ("flask", "werkzeug", "mockquay.quay_api", "mockquay.control")),
        ("mockquay.quay_api", ("mockquay.control", "mockquay.app", "mockquay.emulator")),
        ("mockquay.control", ("mockquay.app", "mockquay.emulator")),
    ],
)
def test_a_room_imports_only_what_its_rules_allow(room: str, forbidden: tuple[str, ...]) -> None:
    broken = sorted(
        f"{path.name} imports {target}"
        for path in (PACKAGE / room.split(".")[1]).rglob("*.py")
        for target in _imported(
            _module_name(path),
            ast.parse(path.read_text(encoding="utf-8")),
            path.name == "__init__.py",
        )
        if any(target == name or target.startswith(name + ".") for name in forbidden)
    )
    assert broken == []
