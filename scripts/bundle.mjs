#!/usr/bin/env node
/**
 * Part of `npm run build`: after tsc, bundles each CLI in bin/ into one ESM file in dist/bin (replacing tsc's
 * output there; shared and lazily loaded code goes to dist/bin/chunks), so start-up compiles a file or two
 * instead of resolving a few hundred modules. Whitespace is squeezed but names are kept, so stack traces still
 * name functions; source maps sit beside (node --enable-source-maps maps them back to src/).
 * dist/bin/*.js still find schemas/, vendor/ and package.json by walking up to the package root.
 * Start-up: spec loads neither ajv nor undici; they are chunks loaded on the first use (src/cdk/json-schema.ts, the
 * Descope client).
 * What ships is the bundles: tsc's per-module output in dist/src only proves the build config compiles, so it is
 * removed afterwards, with any file an earlier build left there (tests and their helpers never reach dist).
 */
import { chmodSync, rmSync } from "node:fs";
import { build } from "esbuild";

const entryPoints = ["bin/source-descope.ts", "bin/tap-descope.ts"];

// Chunk names carry content hashes: drop the previous build's.
rmSync("dist/bin/chunks", { recursive: true, force: true });

await build({
  entryPoints,
  outdir: "dist/bin",
  bundle: true,
  // Dynamic imports (undici, loaded on the first request) become chunks of their own, parsed only when needed.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
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
rmSync("dist/src", { recursive: true, force: true });
for (const entry of entryPoints) chmodSync(entry.replace(/^bin\/(.*)\.ts$/, "dist/bin/$1.js"), 0o755);
