import { sql } from "drizzle-orm";
import { schedules } from "../db/schema";

/**
 * A due schedule's turn within its tenant: 1 for the tenant's most overdue, 2 for its next, and so
 * on. A tick ordering by turn first takes due schedules round-robin by tenant (every tenant's first,
 * then every tenant's second, …), so one tenant's hundreds of schedules cannot push another
 * tenant's one out of a tick. SQLite evaluates a window function in ORDER BY.
 */
export const tenantTurn = sql`row_number() OVER (PARTITION BY ${schedules.tenant} ORDER BY ${schedules.nextRunAt}, ${schedules.id})`;
