import { DurableObject } from "cloudflare:workers";
import { MINUTE_MS, nextMinute, tick } from "../clock/tick";

/** Storage key of the slot the alarm is armed for: the handler cannot read its own alarm time. */
const SLOT = "slot";

/**
 * The platform's clock: one object whose alarm fires on every whole minute and runs the same tick
 * as the Cron Trigger. Alarms fire wherever the platform runs, `wrangler dev` included, and a
 * persisted alarm survives a restart (an overdue one fires at start), so once armed the clock keeps
 * ticking without any request.
 */
export class Clock extends DurableObject<Env> {
  /** Arms the alarm for the next whole minute unless it is armed already; answers when it fires. */
  async arm(): Promise<number> {
    const armed = await this.ctx.storage.getAlarm();
    return armed ?? (await this.armFor(nextMinute(Date.now())));
  }

  override async alarm(): Promise<void> {
    const slot = (await this.ctx.storage.get<number>(SLOT)) ?? Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    // Re-armed before the work, so a tick that fails or hangs never stops the clock.
    await this.armFor(nextMinute(Math.max(slot, Date.now())));
    await tick(this.env, slot, "alarm");
  }

  private async armFor(slot: number): Promise<number> {
    await this.ctx.storage.put(SLOT, slot);
    await this.ctx.storage.setAlarm(slot);
    return slot;
  }
}
