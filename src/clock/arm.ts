/** The one Clock object: a single alarm is the platform's clock. */
export const clockOf = (env: Env) => env.CLOCK.getByName("clock");

/**
 * Arms the clock unless it is armed already (one Durable Object call). Called where the clock is
 * first needed: a schedule is saved, a queue consumer runs (once per batch, beside its claim; never
 * per request). A failure is logged, not thrown: the caller's own work goes on, the Cron Trigger
 * still ticks in production, and the next call tries again.
 */
export async function armClock(env: Env): Promise<void> {
  try {
    await clockOf(env).arm();
  } catch (err) {
    console.error("could not arm the clock; the next call tries again", err);
  }
}
