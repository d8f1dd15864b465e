// The npm package's size, as an app's bundler ships it: each entry bundled and minified by esbuild,
// then gzipped (level 9). Entries are measured without the core (which every entry shares) and
// without react or TanStack (the app's own).
// Usage: node bench/client_size.mjs   (after `npm ci` in clients/js)
// clients/js/test/size.test.js imports measure() and holds the core under its budget.
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { createRequire } from "node:module";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "clients", "js");
export const entries = { "pollfeed (core)": "pollfeed.js", "pollfeed/react": "react.js",
  "pollfeed/tanstack": "pollfeed-query.js", "pollfeed/offline": "offline.js" };

/** Each entry's size in bytes: {name: {minified, gzipped}}. */
export async function measure() {
  const esbuild = createRequire(path.join(root, "package.json"))("esbuild");
  const sizes = {};
  for (const [name, file] of Object.entries(entries)) {
    const out = await esbuild.build({ entryPoints: [path.join(root, "src", file)], bundle: true, minify: true,
      format: "esm", write: false, logLevel: "silent",
      external: ["react", "@tanstack/query-core", ...(file === "pollfeed.js" ? [] : ["./pollfeed.js"])] });
    const code = out.outputFiles[0].contents;
    sizes[name] = { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
  }
  return sizes;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log("entry                  minified    gzipped");
  for (const [name, { minified, gzipped }] of Object.entries(await measure())) {
    console.log(`${name.padEnd(22)} ${String(minified).padStart(8)} B ${String(gzipped).padStart(8)} B`);
  }
}
