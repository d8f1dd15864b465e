// The npm package's size, as an app's bundler ships it: each entry bundled and minified by esbuild,
// then gzipped (level 9). Entries are measured without the core (which every entry shares) and
// without react or TanStack (the app's own).
// Usage: node bench/client_size.mjs   (after `npm ci` in clients/js)
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { createRequire } from "node:module";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "clients", "js");
const esbuild = createRequire(path.join(root, "package.json"))("esbuild");
const entries = { "pollfeed (core)": "pollfeed.js", "pollfeed/react": "react.js",
  "pollfeed/tanstack": "pollfeed-query.js", "pollfeed/offline": "offline.js" };

console.log("entry                  minified    gzipped");
for (const [name, file] of Object.entries(entries)) {
  const out = await esbuild.build({ entryPoints: [path.join(root, "src", file)], bundle: true, minify: true,
    format: "esm", write: false, external: ["react", "@tanstack/query-core", ...(file === "pollfeed.js" ? [] : ["./pollfeed.js"])] });
  const code = out.outputFiles[0].contents;
  console.log(`${name.padEnd(22)} ${String(code.length).padStart(8)} B ${String(gzipSync(code, { level: 9 }).length).padStart(8)} B`);
}
