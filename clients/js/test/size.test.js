// The core's budget (issue 23: under 6 KB minified and gzipped), measured by bench/client_size.mjs,
// the script that writes the sizes in docs/npm-package.md.
import assert from "node:assert/strict";
import { test } from "node:test";

import { measure } from "../../../bench/client_size.mjs";

test("the core stays under 6 KB minified and gzipped", async () => {
  const sizes = await measure();
  const core = sizes["pollfeed (core)"];
  assert.ok(core.gzipped < 6 * 1024, `the core is ${core.gzipped} B gzipped`);
  assert.ok(core.minified > 1000, "measured something"); // a build that came out empty is no pass
  assert.ok(sizes["pollfeed/offline"].gzipped > 0);
});
