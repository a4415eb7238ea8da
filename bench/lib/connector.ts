import { inputFiles } from "../../integration_tests/helpers/messages.js";
import type { EmulatorProcess } from "./emulator.js";
import { FLOOR_SCRIPT, SOURCE_BIN } from "./measure.js";

/**
 * Where the emulator's rate limits are off, the connector's own pacing (200 user searches a minute by default)
 * must be off too, or a million users would measure the pacing, not the connector: its time-scale knob shrinks
 * the one-minute windows to 60 ms.
 */
export const UNPACED_ENV = { SOURCE_DESCOPE_TIME_SCALE: "0.001" };

/** Arguments for `node` to run the built connector's full-refresh read of `streams` against the emulator. */
export function connectorReadArgs(emulator: EmulatorProcess, streams: string[], config: Record<string, unknown> = {}): string[] {
  const files = inputFiles({
    config: { project_id: emulator.projectId, management_key: emulator.managementKey, base_url: emulator.url, ...config },
    catalog: {
      streams: streams.map((name) => ({
        stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh"] },
        sync_mode: "full_refresh",
        destination_sync_mode: "overwrite",
      })),
    },
  });
  return [SOURCE_BIN, "read", "--config", files.config!, "--catalog", files.catalog!];
}

/** Arguments for `node` to run the floor (bench/floor.mjs) in `anchor` or `offset` mode. */
export function floorArgs(emulator: EmulatorProcess, pageSize: number, mode: "anchor" | "offset"): string[] {
  return [FLOOR_SCRIPT, emulator.url, emulator.projectId, emulator.managementKey, String(pageSize), mode];
}
