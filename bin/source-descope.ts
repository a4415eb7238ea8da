#!/usr/bin/env node
// The Airbyte protocol CLI: spec | check | discover | read. Exits by itself once stdout has drained.
import { runAirbyte } from "../src/cdk/runner.js";
import { descopeSource } from "../src/descope/source.js";

process.exitCode = await runAirbyte(descopeSource, process.argv.slice(2));
