#!/usr/bin/env node
// The Airbyte protocol CLI: spec | check | discover | read. Exits by itself once stdout has drained.
import { startClockFromEnvironment } from "../src/cdk/clock.js";
import { usePrecompiledValidators } from "../src/cdk/json-schema.js";
import { runAirbyte } from "../src/cdk/runner.js";
import { CLOCK_START_ENV } from "../src/descope/clock-start.js";
import { descopeSource } from "../src/descope/source.js";

startClockFromEnvironment(CLOCK_START_ENV);
usePrecompiledValidators(async () => (await import("../src/descope/generated/validators.cjs")).default);
process.exitCode = await runAirbyte(descopeSource, process.argv.slice(2));
