import { spawnSync } from "node:child_process";
import { connectorReadArgs, floorArgs, UNPACED_ENV } from "./lib/connector.js";
import { startEmulatorProcess } from "./lib/emulator.js";
const emulator = await startEmulatorProcess(["--users", "100000", "--no-rate-limits"]);
for (const [name, args] of [["floor", floorArgs(emulator, 1000, "anchor")], ["conn", connectorReadArgs(emulator, ["users"], { page_size: 1000 })]] as const) {
  const r = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=/tmp/prof3/${name}`, ...args], { env: { ...process.env, ...UNPACED_ENV }, stdio: ["ignore", "ignore", "inherit"], maxBuffer: 1e9 });
  console.log(name, "exit", r.status);
}
await emulator.close();
