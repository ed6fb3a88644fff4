import type { RawSql } from "../db/raw";
import type { Deliveries } from "./deliveries";
import { runnableTypes } from "../jobs/tenant-types";
import { AttemptTimeoutError, JobCancelledError, NonRetryableError, describeError } from "./errors";
import { ProgressRelay } from "./progress-relay";
import { type AttemptHooks, runAttempt } from "./run-attempt";
import { type SettleInput, settle } from "./settle";
import { progressItem, publishToFeeds } from "./feed";
import type { ClaimedJob, FeedFlag } from "./store/columns";
import { openStatements } from "./store/open";
import { type Heartbeat, type LogEntry, heartbeatStatement } from "./store/settle";

export const HEARTBEAT_MS = 1_000;
/**
 * A finished attempt is settled (and its share of a message answered) this soon, together with
 * the others that finish meanwhile: no job waits for a slower one of its batch.
 */
export const SETTLE_SOON_MS = 10;
/** While attempts keep finishing, their settle waits for the burst to end, but no longer than this. */
const SETTLE_BURST_MS = 50;
const SETTLE_FAILED_RETRY_SECONDS = 5;
const MAX_LOGS_PER_ATTEMPT = 1_000;

interface Running {
  job: ClaimedJob;
  /** Stops the attempt (set as it starts). */
  stop?: (reason: Error) => void;
  /** Publishes progress while someone watches; holds it back (since the last heartbeat) while nobody does. */
  relay: ProgressRelay;
  progress?: { percent: number; stage: string | null; message: string | null };
  /** The progress the tenant's live feed was last sent, so a job that reports nothing new is not sent again. */
  fedProgress?: Running["progress"];
  logs: number;
}

/**
 * Runs claimed single-step jobs side by side in this consumer invocation. Each finished attempt is
 * settled within moments, with whatever else finished meanwhile, in one D1 batch. A heartbeat each
 * second proves the others are alive, writes their throttled progress and notices cancellations
 * (the job's row no longer holds this claim).
 */
export async function runDirect(env: Env, sql: RawSql, jobs: ClaimedJob[], deliveries: Deliveries) {
  if (jobs.length > 0) await new DirectRun(env, sql, deliveries, jobs).run();
}

/** One invocation's direct attempts, from claim to settle. */
class DirectRun {
  private readonly running: Map<string, Running>;
  private finished: SettleInput[] = [];
  /** Attempts their job type left open (a handler answered 202): handed over to their claims. */
  private opened: Running[] = [];
  private logs: LogEntry[] = [];
  private types: Awaited<ReturnType<typeof runnableTypes>> = () => undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the oldest attempt not yet settled finished, and when the latest did. */
  private pendingSince = 0;
  private lastFinish = 0;
  private readonly settling: Promise<void>[] = [];

  constructor(
    private readonly env: Env,
    private readonly sql: RawSql,
    private readonly deliveries: Deliveries,
    private readonly jobs: ClaimedJob[],
  ) {
    this.running = new Map(jobs.map((job) => [job.id, { job, relay: new ProgressRelay(env, job.id, job.watched === 1), logs: 0 }]));
  }

  async run() {
    this.types = await runnableTypes(this.env, this.jobs);
    // One timer per distinct time limit rather than one per attempt: the attempts all started now,
    // and a consumer batch's jobs mostly share their limit.
    const limitTimers = [...new Set(this.jobs.map((j) => j.timeoutMs))].map((ms) =>
      setTimeout(() => {
        for (const r of this.running.values()) if (r.job.timeoutMs === ms) r.stop?.(new AttemptTimeoutError(ms));
      }, ms),
    );
    const heartbeat = this.heartbeatWhileRunning();
    await Promise.all(this.jobs.map((job) => this.runOne(job)));
    limitTimers.forEach(clearTimeout);
    clearTimeout(this.settleTimer);
    heartbeat.stop();
    await heartbeat.done;
    await Promise.all(this.settling);
    await this.flush();
  }

  private async runOne(job: ClaimedJob) {
    const state = this.running.get(job.id)!;
    const definition = this.types(job);
    const spec = { id: job.id, tenant: job.tenant, attempt: job.attempt, series: job.series, input: job.input, timeoutMs: job.timeoutMs };
    const result = definition
      ? await runAttempt(definition, spec, this.hooks(state))
      : { ok: false as const, timedOut: false, error: describeError(new NonRetryableError(`unknown job type "${job.type}"`)) };
    this.running.delete(job.id);
    if (result.ok === "open") this.opened.push(state);
    else this.finished.push({ job, result, progress: state.progress, heldProgress: await state.relay.takeHeld() });
    this.settleSoon();
  }

  private hooks(state: Running): AttemptHooks & { keepsAttemptsOpen: true } {
    const { job } = state;
    return {
      env: this.env,
      stoppable: (stop) => (state.stop = stop),
      runnerKeepsTimeLimit: true,
      keepsAttemptsOpen: true,
      progress: (percent, detail) => {
        state.progress = { percent, stage: detail.stage ?? null, message: detail.message ?? null };
        return state.relay.report(job.attempt, state.progress);
      },
      log: (level, message) => {
        if (state.logs++ < MAX_LOGS_PER_ATTEMPT) this.logs.push({ jobId: job.id, at: Date.now(), attempt: job.attempt, level, message });
      },
      step: () => Promise.reject(new NonRetryableError(`job type ${job.type} must be declared durable to use ctx.step`)),
      sleep: () => Promise.reject(new NonRetryableError(`job type ${job.type} must be declared durable to use ctx.sleep`)),
    };
  }

  /**
   * While others still run, a finished attempt is settled shortly, with the others of its burst
   * (a batch of quick jobs finishing together is settled once); the last ones at the end.
   */
  private settleSoon() {
    this.lastFinish = Date.now();
    if (this.settleTimer !== undefined || this.running.size === 0) return;
    this.pendingSince = this.lastFinish;
    const fire = () => {
      const now = Date.now();
      const bursting = now - this.lastFinish < SETTLE_SOON_MS && now - this.pendingSince < SETTLE_BURST_MS;
      if (bursting && this.running.size > 0) {
        this.settleTimer = setTimeout(fire, SETTLE_SOON_MS);
        return;
      }
      this.settleTimer = undefined;
      this.settling.push(this.flush());
    };
    this.settleTimer = setTimeout(fire, SETTLE_SOON_MS);
  }

  private async flush() {
    const [batch, opened, logs] = [this.finished, this.opened, this.logs];
    [this.finished, this.opened, this.logs] = [[], [], []];
    if (batch.length === 0 && opened.length === 0 && logs.length === 0) return;
    const handedOver = opened.map((r) => r.job.id);
    try {
      await settle(this.env, batch, logs);
      if (opened.length > 0) await this.env.DB.batch(openStatements(this.sql, opened.map(beatOf), Date.now()));
      [...batch.map((s) => s.job.id), ...handedOver].forEach((id) => this.deliveries.ack(id));
    } catch (err) {
      console.error("settling attempts failed; the sweeper will recover them", err);
      [...batch.map((s) => s.job.id), ...handedOver].forEach((id) => this.deliveries.retry(id, SETTLE_FAILED_RETRY_SECONDS));
    }
  }

  private heartbeatWhileRunning() {
    let stopped = false;
    let wake = () => {};
    const done = (async () => {
      while (!stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, HEARTBEAT_MS);
          wake = () => (clearTimeout(timer), resolve());
        });
        if (stopped) break;
        try {
          await this.beat();
          await this.flush();
        } catch (err) {
          console.error("heartbeat failed", err);
        }
      }
    })();
    return { done, stop: () => ((stopped = true), wake()) };
  }

  private async beat() {
    const live = [...this.running.values()];
    if (live.length === 0) return;
    const marks = live.map((r) => r.relay.mark());
    const beats = live.map(beatOf);
    const { results } = await heartbeatStatement(this.sql, beats, Date.now()).all<{ id: string; watched: number } & FeedFlag>();
    const alive = new Map(results.map((row) => [row.id, row]));
    const fed = live.filter((r) => alive.get(r.job.id)?.feed === 1 && r.progress && r.progress !== r.fedProgress);
    for (const r of fed) r.fedProgress = r.progress;
    const feeds = publishToFeeds(this.env, fed.map((r) => progressItem(r.job.tenant, r.job.id, r.progress!)));
    const relayed = live.map((r, i) => {
      const row = alive.get(r.job.id);
      if (!row && this.running.has(r.job.id)) r.stop?.(new JobCancelledError());
      return row ? r.relay.written(marks[i]!, row.watched === 1) : undefined;
    });
    // Progress held back for a new watcher goes out before the settle that follows can send a final status.
    await Promise.all([...relayed, feeds]);
  }
}

/** A heartbeat of a running attempt, with its latest progress. */
function beatOf(r: Running): Heartbeat {
  return { id: r.job.id, token: r.job.claimToken, percent: r.progress?.percent ?? null, stage: r.progress?.stage ?? null, message: r.progress?.message ?? null };
}
