"""The layout tells the architecture: the engine (pollfeed/) imports nothing from the server (app/); in the
server, domains -> auth -> the engine."""
import ast
from pathlib import Path

from app import DOMAINS

APP = Path(__file__).resolve().parent.parent / "app"
ENGINE = APP.parent / "pollfeed"


def imports(path):
    """Every app package a module imports, as `app.<package>[.<module>]`."""
    package = path.relative_to(APP.parent).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                target = ".".join(base + ((node.module,) if node.module else ()))
                found |= {target} if node.module else {f"{target}.{a.name}" for a in node.names}
            elif node.module and node.module.startswith("app"):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("app")}
    return found


def modules(package):
    return sorted((APP / package).rglob("*.py"))


def test_the_engine_imports_nothing_from_the_server():
    found = False
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        bad = {m for m in names if m == "app" or m.startswith("app.")}
        assert not bad, f"pollfeed/{path.relative_to(ENGINE)} imports {bad}"
        found |= bool(names)
    assert found  # the walk saw the engine's imports


def test_auth_imports_no_domain():
    for path in modules("auth"):
        bad = {m for m in imports(path) if m.split(".")[1] in DOMAINS}
        assert not bad, f"{path.name} imports {bad}"


def test_no_domain_imports_another_domains_routes():
    for domain in DOMAINS:
        for path in modules(domain):
            bad = {m for m in imports(path) if m.split(".")[1] in DOMAINS and m.split(".")[1] != domain
                   and m.endswith(".routes")}
            assert not bad, f"{domain}/{path.name} imports {bad}"


#: Test folders that are no app package: they test through real processes (gunicorn, PostgreSQL), or test
#: the docs (the site's strict build and its samples), or test the example apps (examples/).
BY_HOW = {"blackbox", "postgres", "docs", "examples"}


def test_tests_mirror_the_app():
    """Every app package, and the engine, has its tests folder (tests/pollfeed for the engine), and every
    tests folder is one of them or a way of testing."""
    tests = Path(__file__).resolve().parent
    packages = {p.name for p in APP.iterdir() if (p / "__init__.py").exists()} | {ENGINE.name}
    folders = {p.name for p in tests.iterdir() if (p / "__init__.py").exists()}
    assert packages <= folders, f"no tests folder for {packages - folders}"
    assert folders <= packages | BY_HOW, f"tests folders with no app package: {folders - packages - BY_HOW}"


def test_the_server_uses_the_engines_public_api_only():
    """app/ imports from `pollfeed` only what `pollfeed.__all__` names, and no submodule directly."""
    import pollfeed

    public, seen = set(pollfeed.__all__), 0
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("pollfeed"):
                assert node.module == "pollfeed", f"{path.relative_to(APP.parent)} imports {node.module}"
                hidden = {a.name for a in node.names} - public
                assert not hidden, f"{path.relative_to(APP.parent)} imports {hidden}, not in pollfeed.__all__"
                seen += 1
            elif isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.name.startswith("pollfeed.")]
                assert not bad, f"{path.relative_to(APP.parent)} imports {bad}"
    assert seen > 20  # the walk saw the server's imports
    assert all(hasattr(pollfeed, name) for name in public)
