// The typed usage file, compiled as apps compile it: under moduleResolution "NodeNext" (the exports
// map), "bundler" (Vite, esbuild, Next) and "node" (node10: the top-level "types" and
// "typesVersions", for apps on older settings). The package is found as an installed one would be:
// its package.json and the .d.ts files tsc just wrote are copied to test/types/node_modules/pollfeed
// (a copy, not a link to the root: a link would make a loop for anything that walks the tree).
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..", "..");
const installed = path.join(here, "node_modules", "pollfeed");
rmSync(installed, { recursive: true, force: true });
cpSync(path.join(root, "package.json"), path.join(installed, "package.json"));
cpSync(path.join(root, "types"), path.join(installed, "types"), { recursive: true });
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
let failed = false;
for (const config of ["tsconfig.json", "tsconfig.bundler.json", "tsconfig.node10.json"]) {
  try {
    execFileSync(process.execPath, [tsc, "-p", path.join(here, config)], { stdio: "inherit" });
  } catch {
    console.error(`type check failed: test/types/${config}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
