"""The engine is a package of its own: `pollfeed`, built as a wheel from the repository's pyproject.toml."""
import ast
import email
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_the_engine_only_and_imports_on_its_own(tmp_path):
    # Built from a copy of what the sdist holds: setuptools writes build/ and *.egg-info into its source.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "pollfeed", source / "pollfeed", ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("pollfeed-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = email.message_from_bytes(z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
        z.extractall(tmp_path / "site")
    assert "pollfeed/__init__.py" in names and "pollfeed/changelog.py" in names
    assert "pollfeed/versions/pollfeed_0001_engine_tables.py" in names  # its migrations come with it
    assert not [n for n in names if n.startswith(("app/", "tests/", "migrations/"))]  # the server stays out
    import pollfeed

    assert meta["Name"] == "pollfeed" and meta["Version"] == pollfeed.__version__
    requires = meta.get_all("Requires-Dist")
    assert requires and all("<" in r and ">=" in r for r in requires), requires  # ranges, not pins
    # Imported from the wheel's files alone, from a directory with no checkout in it.
    out = subprocess.run([sys.executable, "-c", "import pollfeed; print(pollfeed.__file__, pollfeed.Pollfeed)"],
                         cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")}, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(str(tmp_path / "site" / "pollfeed"))


#: Imported by the engine but not its dependencies: the host's choice, or its tests'.
UNDECLARED = {
    "psycopg": "the host's PostgreSQL driver (pollfeed.isolation imports it only for a PostgreSQL engine)",
    "pytest": "pollfeed.testing is a pytest plugin, for the host's own tests",
}


def test_every_package_the_engine_imports_is_declared_with_a_range():
    imported = set()
    for path in (ROOT / "pollfeed").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    imported -= set(sys.stdlib_module_names) | {"pollfeed"} | set(UNDECLARED)
    declared = {}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                                  for r in extra]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
        declared[name.lower().replace("_", "-")] = requirement
    distributions = packages_distributions()
    for module in sorted(imported):
        (dist,) = {d.lower().replace("_", "-") for d in distributions[module]}
        assert dist in declared, f"pollfeed imports {module} ({dist}), which pyproject.toml does not declare"
        assert ">=" in declared[dist] and "<" in declared[dist], declared[dist]
