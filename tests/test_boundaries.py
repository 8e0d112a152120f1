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
