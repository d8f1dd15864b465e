"""The docs' JavaScript and TypeScript samples, type-checked against the npm package's own types.

A sample that uses the package (any name it exports) is compiled by the package's TypeScript, as a
module of a React app with `pollfeed` installed: a wrong option, method, argument or return type is
an error. Samples are fragments, so what they leave undeclared (the app's own `token`, `api`,
components, or modules the docs do not install) is not; a "before" sample from a seed uses none of
the package and is shown, not checked.
"""
import json
import re
import shutil
import subprocess

import pytest

from .samples import ROOT

PACKAGE = ROOT / "clients" / "js"
FENCE = re.compile(r"^```(js|jsx|ts|tsx|javascript|typescript)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
ENTRIES = {"pollfeed": "pollfeed", "pollfeed/react": "react", "pollfeed/tanstack": "pollfeed-query",
           "pollfeed/offline": "offline"}
SERVED = {"/static/pollfeed.js": "pollfeed", "/static/pollfeed-query.js": "pollfeed/tanstack"}
# Left to the app: names and modules a fragment does not declare (cannot find name / module, no value
# for a shorthand property, did you mean, implicitly any module).
UNDECLARED = {2304, 2552, 2307, 2792, 18004, 7016, 2503, 2875}


def pages():
    return [ROOT / "README.md", PACKAGE / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def exported(types):
    """{entry: names} from the .d.ts files tsc wrote."""
    names = {}
    for entry, stem in ENTRIES.items():
        text = (types / f"{stem}.d.ts").read_text()
        found = re.findall(r"^export (?:declare )?(?:function|class|const) (\w+)", text, re.M)
        names[entry] = [n for n in found if n not in names.get("pollfeed", [])]
    return names


def samples(names):
    everything = {n for ns in names.values() for n in ns}
    for page in pages():
        if {"_build", "_generated", "node_modules"} & set(page.parts):
            continue
        source = page.read_text()
        for m in FENCE.finditer(source):
            text = m.group(2)
            for served, entry in SERVED.items():
                text = text.replace(f'"{served}"', f'"{entry}"')
            used = {n for n in everything if re.search(rf"\b{n}\b", text)}
            if not used and "pollfeed" not in text:
                continue  # a "before": none of the package
            imported = set(re.findall(r"import\s*\{([^}]*)\}\s*from\s*\"pollfeed", text))
            have = {n.strip().removeprefix("type ").split(" as ")[-1].strip() for group in imported
                    for n in group.split(",") if n.strip()}
            lines = [f'import {{ {", ".join(sorted(set(ns) & (used - have)))} }} from "{entry}";'
                     for entry, ns in names.items() if set(ns) & (used - have)]
            line = source.count("\n", 0, m.start()) + 2
            yield page, line, "\n".join(lines) + "\n" + text + "\nexport {};\n"


def check(sources, tmp_path):
    """tsc's diagnostics, as (file, code, message), for these {name: source} in an app with pollfeed."""
    app = tmp_path / "app"
    installed = app / "node_modules" / "pollfeed"
    installed.mkdir(parents=True)
    shutil.copy(PACKAGE / "package.json", installed / "package.json")
    shutil.copytree(PACKAGE / "types", installed / "types")
    for dep in ("@types", "@tanstack"):
        (app / "node_modules" / dep).symlink_to(PACKAGE / "node_modules" / dep)
    for name, text in sources.items():
        (app / name).write_text(text)
    (app / "tsconfig.json").write_text(json.dumps({"compilerOptions": {
        "target": "ES2022", "module": "ESNext", "moduleResolution": "bundler", "jsx": "react-jsx",
        "lib": ["ES2022", "DOM", "DOM.Iterable"], "strict": False, "noEmit": True, "skipLibCheck": True,
        "allowJs": True, "checkJs": True, "types": []}, "include": ["*.tsx"]}))
    tsc = PACKAGE / "node_modules/typescript/bin/tsc"
    out = subprocess.run(["node", str(tsc), "-p", str(app), "--pretty", "false"], capture_output=True, text=True,
                         timeout=300)
    found = re.findall(r"^(\S+?)\(\d+,\d+\): error TS(\d+): (.*)$", out.stdout, re.M)
    return [(f, int(code), msg) for f, code, msg in found]


@pytest.fixture(scope="module")
def names():
    if not (PACKAGE / "node_modules").exists():
        pytest.fail("clients/js/node_modules is missing: scripts/test runs `npm ci` there")
    subprocess.run(["node", "node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], cwd=PACKAGE, check=True,
                   timeout=300)  # types/*.d.ts, from the sources as they are
    return exported(PACKAGE / "types")


def test_every_sample_that_uses_the_package_type_checks(names, tmp_path):
    found = list(samples(names))
    assert len(found) >= 10, "the docs' samples were found"
    sources = {f"sample{i}.tsx": text for i, (_, _, text) in enumerate(found)}
    errors = [(found[int(re.search(r"sample(\d+)", f).group(1))][:2], code, msg)
              for f, code, msg in check(sources, tmp_path) if code not in UNDECLARED]
    assert not errors, "\n".join(f"{page.relative_to(ROOT)}:{line}: TS{code} {msg}"
                                  for (page, line), code, msg in errors)


def test_a_sample_that_misuses_the_package_fails(names, tmp_path):
    """The check can fail: a misspelt method and a wrong option type are errors, an undeclared name is not."""
    bad = ('const feed = new Pollfeed({ token, interval: 5 });\nfeed.pollNoww();\n'
           'const f2 = useFeed({ params: { project: 1 }, crossTab: "yes" });\n')
    text = 'import { Pollfeed } from "pollfeed";\nimport { useFeed } from "pollfeed/react";\n' + bad + "export {};\n"
    codes = [code for _, code, _ in check({"bad.tsx": text}, tmp_path)]
    assert {2339, 2551} & set(codes), codes  # pollNoww: no such method (did you mean pollNow?)
    assert {2322, 2353} & set(codes), codes  # interval: no such option; crossTab: not a boolean
    assert 18004 in codes, codes  # token: undeclared, which the samples' check lets through
