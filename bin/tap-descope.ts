#!/usr/bin/env node
// The Singer tap: --about | --discover | sync with --catalog/--properties and --state. Same streams as source-descope.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startClockFromEnvironment } from "../src/cdk/clock.js";
import { usePrecompiledValidators } from "../src/cdk/json-schema.js";
import { packageRoot } from "../src/cdk/package-root.js";
import { CLOCK_START_ENV } from "../src/descope/clock-start.js";
import { descopeSource } from "../src/descope/source.js";
import { runSinger } from "../src/singer/tap.js";

const { version, description } = JSON.parse(readFileSync(join(packageRoot(import.meta.url), "package.json"), "utf8")) as {
  version: string;
  description: string;
};

startClockFromEnvironment(CLOCK_START_ENV);
usePrecompiledValidators(async () => (await import("../src/descope/generated/validators.cjs")).default);
process.exitCode = await runSinger(descopeSource, { name: "tap-descope", description, version }, process.argv.slice(2));
