"""The house rules that the code's shape must keep: one door into the engine, and the run format known only to
the store."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parent.parent
FRONT_ENDS = sorted((ROOT / "tui").rglob("*.py"))
RUN_FORMAT_WORDS = ('"run.json"', '"conversations"', '"journal.jsonl"', '"conversation.json"', 'Path("runs")')


def _imports(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules


def test_front_ends_import_only_the_public_engine():
    deep = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in FRONT_ENDS
        for module in _imports(path)
        if module.startswith("engine.")
    }
    assert not deep, "front ends import only `engine`, not its modules"


def test_every_name_a_front_end_imports_is_public():
    used = set()
    for path in FRONT_ENDS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "engine":
                used |= {alias.name for alias in node.names}
    assert used and used <= set(engine.__all__)
    assert all(hasattr(engine, name) for name in engine.__all__)


def test_front_ends_never_spell_the_run_format():
    spelled = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in FRONT_ENDS
        for word in (*RUN_FORMAT_WORDS, "image_input", "strftime")
        if word in path.read_text(encoding="utf-8")
    ]
    assert not spelled


def test_the_engine_imports_no_ui_library():
    ui = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / "engine").rglob("*.py"))
        for module in _imports(path)
        if module.split(".")[0] in {"textual", "rich", "textual_image", "textual_plotext"}
    ]
    assert not ui


def _engine_imports(path: Path) -> set[str]:
    """The engine modules ``path`` imports, anywhere in it (inside a function too), by dotted name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("engine")}
    return found


def test_no_engine_module_imports_one_that_imports_it_back():
    """Not even inside a function: a cycle means two modules that are one, or a seam in the wrong place. The
    package's own face (``engine/__init__.py``) imports everything and is imported by none of the engine."""
    package = ROOT / "engine"
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for path in package.rglob("*.py")
    }
    graph = {
        name: {module for module in _engine_imports(path) if module in modules and module != name}
        for name, path in modules.items()
        if name != "engine"
    }
    cycles = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for imported in sorted(graph.get(name, ())):
            if state.get(imported) == "open":
                cycles.append(" → ".join([*trail[trail.index(imported) :], imported]))
            elif imported not in state:
                visit(imported, [*trail, imported])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, f"engine modules that import each other: {cycles}"
