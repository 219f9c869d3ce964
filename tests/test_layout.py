"""The layout's rules, read from the source: the module-level imports of `numerics`, `theory` and `verify` form no
circle, `numerics` never imports `theory` or `verify`, `theory` never imports `verify`, and no module imports a claim
module (`verify.claims.*`: pytest and `verify.claim.load` find them by path)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("numerics", "theory", "verify")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The suite's modules that `path` imports at module level (imports inside functions run later, on use)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                      for alias in node.names}
    return {name for name in found if name in known}


def test_module_level_imports_form_no_circle():
    known = modules()
    graph = {name: imports(path, known) for name, path in known.items()}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            assert state.get(other) != 1, f"import circle: {' → '.join(trail[trail.index(other):] + [name, other])}"
            if other not in state:
                visit(other, trail + [name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return ({node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
            | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names})


def test_imports_go_one_way_and_no_module_imports_a_claim_module():
    for name, path in modules().items():
        edges = imported(path)
        if name.startswith("numerics"):
            assert not any(e.split(".")[0] in ("theory", "verify") for e in edges), name
        if name.startswith("theory"):
            assert not any(e.split(".")[0] == "verify" for e in edges), name
    for path in [*modules().values(), *(ROOT / "tests").glob("*.py"), *(ROOT / "benchmarks").glob("*.py")]:
        assert not any(e == "verify.claims" or e.startswith("verify.claims.") for e in imported(path)), path
