"""No module of the project imports, directly or through others, a module that imports it.

Every import statement counts, at module level or inside a function (a local import hides a cycle
from Python but not from a reader), and so do imports under `if TYPE_CHECKING:`. `from pkg import
name` is an import of the submodule `pkg.name` when there is one, else of `pkg` itself. A package's
`__init__` is not counted as imported by its submodules: Python runs it first, but a submodule only
depends on it when it imports a name from it, which the rule above counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "retrieval", "inference", "moderation")


def project_modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the project by dotted name, with its file and whether it is a package."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            modules[".".join(parts)] = (path, is_package)
    return modules


def imports_of(path: Path, name: str, is_package: bool, modules: set[str]) -> dict[str, int]:
    """The project modules this file imports, each with the line of its first import."""
    here = name if is_package else name.rpartition(".")[0]

    def project_module(dotted: str) -> str | None:
        # `a.b.Name` is module `a.b`; a name outside the project resolves to nothing.
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            module = project_module(target)
            if module is not None and module != name:
                found.setdefault(module, node.lineno)
    return found


def import_graph() -> dict[str, dict[str, int]]:
    modules = project_modules()
    return {
        name: imports_of(path, name, is_package, set(modules))
        for name, (path, is_package) in modules.items()
    }


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(component: list[str], graph: dict[str, dict[str, int]]) -> str:
    members = set(component)
    lines = [" <-> ".join(component)]
    for module in component:
        for target, line in sorted(graph[module].items()):
            if target in members:
                lines.append(f"    {module} imports {target} (line {line})")
    return "\n".join(lines)


def test_the_import_graph_has_no_cycle():
    graph = import_graph()

    found = cycles(graph)

    assert not found, "modules that import each other:\n" + "\n".join(
        describe(component, graph) for component in found
    )


def test_the_graph_sees_local_relative_and_submodule_imports(tmp_path):
    # The check above is only as good as its reading of imports: a cycle written each of these
    # ways must be found.
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("from .. import a\n")
    (package / "c.py").write_text("from . import d\n")
    (package / "d.py").write_text("import pkg.c\n")
    modules = {
        "pkg": (package / "__init__.py", True),
        "pkg.sub": (package / "sub/__init__.py", True),
    }
    for name in ("a", "c", "d"):
        modules[f"pkg.{name}"] = (package / f"{name}.py", False)
    modules["pkg.sub.b"] = (package / "sub" / "b.py", False)

    graph = {
        name: imports_of(path, name, is_package, set(modules))
        for name, (path, is_package) in modules.items()
    }

    assert sorted(cycles(graph)) == [["pkg.a", "pkg.sub.b"], ["pkg.c", "pkg.d"]]
