/** Descope Management API emulator: see README.md. */
export {
  ROUTE_KEYS,
  STRICT_SWITCHES,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type RequestListener,
  type RequestLogEntry,
} from "./server.js";
export { SIDE_EFFECT_PATHS } from "./handlers/side-effects.js";
export { DEFAULT_RATE_LIMITS, type RateLimit } from "./rate-limiter.js";
export type { Fault, FaultKind, FaultQueue } from "./faults.js";
export type { RateLimitBucket } from "./route.js";
export type { EmulatorStore } from "./store.js";
export type * from "./types.js";
