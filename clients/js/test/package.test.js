// What the package declares for tools that read more than the exports map.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (file) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
const pkg = JSON.parse(read("package.json"));

test("moduleResolution node finds every entry's types: top-level types, and typesVersions per subpath", () => {
  assert.equal(pkg.types, pkg.exports["."].types);
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== "." && k !== "./package.json");
  assert.deepEqual(Object.fromEntries(Object.entries(pkg.typesVersions["*"]).map(([k, [v]]) => [`./${k}`, `./${v}`])),
    Object.fromEntries(subpaths.map((k) => [k, pkg.exports[k].types])));
});

test("the React entry is a client module for Next's App Router: 'use client' comes first", () => {
  assert.match(read("src/react.js"), /^"use client";/);
});
