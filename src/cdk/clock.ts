/**
 * Moves the process clock (`Date.now`) so it reads `startMs` now and ticks normally from there; returns a function
 * that puts the real clock back. Only for reproducing a run at a fixed instant (the acceptance-test fixtures): a
 * connector reads its windows relative to now, so against data seeded at an instant it must believe it is that
 * instant. Ticking keeps rate budgets, timeouts and `emitted_at` ordering working.
 */
export function startClockAt(startMs: number): () => void {
  const realNow = Date.now;
  const offsetMs = startMs - realNow();
  Date.now = () => realNow() + offsetMs;
  return () => {
    Date.now = realNow;
  };
}

/**
 * The entry points' reading of a clock-start variable: unset or empty leaves the clock alone; an ISO date-time
 * starts the clock there; anything else is refused, since a silently ignored pin would read the wrong windows.
 */
export function startClockFromEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const value = env[name];
  if (!value) return;
  const startMs = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(startMs))
    throw new Error(`${name} must be an ISO date-time such as 2025-01-15T12:00:00Z, got ${JSON.stringify(value)}`);
  startClockAt(startMs);
}
