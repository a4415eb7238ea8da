/**
 * Acceptance-test knob, read by both entry points: an ISO date-time at which the connector's clock starts (it then
 * ticks). acceptance-test-config.yml sets it to the instant the emulator's fixture data is seeded at, so audit's
 * 30 days and analytics' 12 months cover that data on any date. Unset in production.
 */
export const CLOCK_START_ENV = "SOURCE_DESCOPE_CLOCK_START";
