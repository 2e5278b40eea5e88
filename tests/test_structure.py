"""The package's shape: imports flow one way, modules stay small, public code is documented, constants
have one home. These read the source (``ast``); nothing is imported or run."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Modules of the package that ``module`` imports anywhere in its file (function-level imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def test_no_module_imports_a_module_that_imports_it_back():
    modules = _modules()
    known = set(modules)
    graph = {m: _imports(p, m, known) for m, p in modules.items()}
    # importing a submodule runs its package's __init__ first, but that is not an import of the
    # package by the submodule; edges to an ancestor package are therefore ignored
    for m in graph:
        graph[m] = {d for d in graph[m] if not m.startswith(d + ".")}
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_module_is_longer_than_600_lines():
    """The package's modules, and the benchmark scripts beside it (held to the same cap)."""
    files = {**_modules(),
             **{f"benchmarks/{p.name}": p for p in (Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py")}}
    long = {m: n for m, p in files.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def _public_definitions(tree: ast.Module):
    """Module-level public functions and classes, and the public methods of public classes."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node.name, node
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                        yield f"{node.name}.{item.name}", item


def test_every_public_function_and_class_has_a_docstring():
    missing = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if ast.get_docstring(tree) is None:
            missing.append(f"{module} (module)")
        for name, node in _public_definitions(tree):
            if ast.get_docstring(node) is None:
                missing.append(f"{module}.{name}")
    assert not missing, f"{len(missing)} public definitions without a docstring: {missing}"


def test_shared_constants_have_one_definition():
    defined: dict[str, list[str]] = {}
    for module, path in _modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                names = [t.id] if isinstance(t, ast.Name) else [e.id for e in getattr(t, "elts", []) if isinstance(e, ast.Name)]
                for name in names:
                    defined.setdefault(name, []).append(module)
    for name in ("DAYS_PER_YEAR", "BLOCK", "CONTENT", "DISCONTENT", "TIE_ACTIVE", "MALE", "AGENT_THRESHOLD"):
        home = "sim.model" if name == "AGENT_THRESHOLD" else "sim._core"
        assert defined.get(name) == [home], (name, defined.get(name))
