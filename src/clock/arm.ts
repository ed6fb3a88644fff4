/** The one Clock object: a single alarm is the platform's clock. */
export const clockOf = (env: Env) => env.CLOCK.getByName("clock");

/**
 * Arms the clock unless it is armed already (one Durable Object call). Called where the clock is
 * first needed (a schedule is saved), never on the hot path. A failure is logged, not thrown: the
 * caller's own work is done, the Cron Trigger still ticks in production, and the next save tries again.
 */
export async function armClock(env: Env): Promise<void> {
  try {
    await clockOf(env).arm();
  } catch (err) {
    console.error("could not arm the clock; the next schedule change tries again", err);
  }
}
