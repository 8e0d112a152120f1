"""Architecture rules that keep the core portable and honest."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "plusone"
CORE = SRC / "core"
# The packages that run without Django: the core, input parsing and the analytics commands.
DJANGO_FREE = (CORE, SRC / "inputs", SRC / "analytics")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_it_keeps_django_out_of_the_django_free_source():
    offenders = {
        str(path.relative_to(SRC)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] == "django"
        )
        for package in DJANGO_FREE
        for path in sorted(package.rglob("*.py"))
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_it_imports_every_django_free_module_without_loading_django():
    modules = sorted(
        "plusone." + ".".join(p.relative_to(SRC).with_suffix("").parts)
        for package in DJANGO_FREE
        for p in package.rglob("*.py")
        if p.name != "__init__.py"
    )
    for package in DJANGO_FREE:
        assert any(m.startswith(f"plusone.{package.name}.") for m in modules), package.name
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# Built from parts so that this file does not itself match what it looks for.
SHARED_PATTERNS = (".." + "/shared", "/shared/" + "conformance")


def test_it_never_reads_the_shared_folder_from_the_project():
    root = SRC.parents[1]
    hits = []
    for folder in ("src", "tests", "bench"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(pattern in text for pattern in SHARED_PATTERNS):
                hits.append(str(path.relative_to(root)))
    assert hits == []


# The floors of docs/architecture.md, from the bottom up. An app imports only from its own
# floor or below, and no set of apps imports each other in a circle, function-local
# imports included.
FLOORS = {
    "core": 0,
    "inputs": 0,
    "analytics": 1,
    "web": 2,
    "audit": 2,
    "crypto": 2,
    "accounts": 2,
    "charts": 2,
    "clinical": 3,
    "tokens": 4,
    "notify": 4,
    "measures": 5,
    "rights": 6,
    "lockbox": 6,
    "observers": 6,
    "custodian": 6,
    "notes": 6,
    "privacy": 6,
    "insights": 7,
    "reports": 7,
    "interop": 7,
    "imports": 7,
    "outcomes": 7,
    "backup": 8,
    "demo": 8,
    "portal": 8,
    "cli": 8,
    "urls": 8,
    "settings": 8,
    "wsgi": 8,
    "__init__": 8,
}


def _app_of(path: Path, src: Path) -> str:
    parts = path.relative_to(src).parts
    return parts[0] if len(parts) > 1 else path.stem


def app_imports(src: Path) -> list[tuple[str, str, str]]:
    """Every import of one plusone app by another: (from app, to app, "file:line")."""
    edges = []
    for path in sorted(src.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = _app_of(path, src)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
                if node.module == "plusone":
                    modules = [f"plusone.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "plusone" and len(parts) > 1 and parts[1] != source:
                    where = f"{path.relative_to(src)}:{node.lineno}"
                    edges.append((source, parts[1], where))
    return edges


def layering_problems(src: Path, floors: dict[str, int]) -> list[str]:
    """Imports up a floor, apps on no floor, and circles among apps, each with its place."""
    edges = app_imports(src)
    problems = [
        f"{where}: {a} (floor {floors[a]}) imports {b} (floor {floors[b]})"
        for a, b, where in edges
        if a in floors and b in floors and floors[b] > floors[a]
    ]
    apps = {_app_of(p, src) for p in src.rglob("*.py")} | {b for _, b, _ in edges}
    problems += [f"{app} is on no floor" for app in sorted(apps - floors.keys())]
    graph: dict[str, set[str]] = {}
    for a, b, _ in edges:
        graph.setdefault(a, set()).add(b)
    for circle in _circles(graph):
        places = [f"{w} ({a}->{b})" for a, b, w in edges if a in circle and b in circle]
        problems.append(f"circle {sorted(circle)}: " + ", ".join(places))
    return problems


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected sets of more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_every_app_imports_only_its_own_floor_or_below_and_no_circle():
    assert layering_problems(SRC, FLOORS) == []


def test_the_layering_check_names_a_planted_upward_import_and_a_circle(tmp_path):
    for app, body in {
        "clinical": "from plusone.measures import models\n",
        "measures": "def f():\n    from plusone.clinical import models\n",
        "core": "",
        "stray": "import plusone.core\n",
    }.items():
        (tmp_path / app).mkdir()
        (tmp_path / app / "mod.py").write_text(body, encoding="utf-8")
    problems = layering_problems(tmp_path, {"core": 0, "clinical": 3, "measures": 5})
    assert "clinical/mod.py:1: clinical (floor 3) imports measures (floor 5)" in problems
    assert "stray is on no floor" in problems
    assert any(p.startswith("circle ['clinical', 'measures']") for p in problems)
    assert any("measures/mod.py:2 (measures->clinical)" in p for p in problems)
