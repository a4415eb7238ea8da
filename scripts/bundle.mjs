#!/usr/bin/env node
/**
 * Part of `npm run build`: after tsc, bundles each CLI in bin/ into one ESM file in dist/bin (replacing tsc's
 * output there), so start-up reads and compiles one file instead of resolving a few hundred modules. Names and
 * line structure of the code are kept (no identifier mangling) so stack traces stay readable; source maps beside.
 * dist/bin/*.js still find schemas/, vendor/ and package.json by walking up to the package root.
 */
import { chmodSync } from "node:fs";
import { build } from "esbuild";

const entryPoints = ["bin/source-descope.ts", "bin/tap-descope.ts"];

await build({
  entryPoints,
  outdir: "dist/bin",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  // Bundled CommonJS dependencies (undici, ajv) call require() for Node built-ins; ESM has no require of its own.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
});
for (const entry of entryPoints) chmodSync(entry.replace(/^bin\/(.*)\.ts$/, "dist/bin/$1.js"), 0o755);
