import { type ProgressEvent, publish, publishAll } from "./events";

type Progress = Pick<ProgressEvent, "percent" | "stage" | "message">;

/**
 * A second's worth for a job reporting every 40 ms; a faster one's new watcher gets the latest of
 * them. Kept small: a consumer holds this for each of up to 1,000 unwatched jobs at once.
 */
const HELD_LIMIT = 25;

/**
 * A runner's progress on its way to the job's watchers. A runner learns that someone watches only
 * from its next D1 write (a heartbeat, a progress write), and a new watcher's snapshot shows the
 * progress of the last write before it subscribed. So while nobody watches, the events reported
 * since the last write are held rather than published; when a write answers that the job is now
 * watched, they go out first, and the watcher misses nothing after its snapshot. Events are sent
 * one publish after another, so watchers see them in the order they were reported.
 */
export class ProgressRelay {
  private held: ProgressEvent[] = [];
  /** How many events were reported so far: a write's mark. */
  private reported = 0;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: Env,
    private readonly jobId: string,
    public watched: boolean,
  ) {}

  report(attempt: number, progress: Progress): Promise<void> {
    const event: ProgressEvent = { type: "progress", attempt, ...progress, at: new Date().toISOString() };
    this.reported += 1;
    if (this.watched) return this.send([event]);
    this.held.push(event);
    if (this.held.length > HELD_LIMIT) this.held.shift();
    return Promise.resolve();
  }

  /** Taken when a D1 write reads the latest progress; hand it to `written` with the write's answer. */
  mark(): number {
    return this.reported;
  }

  /** A write that recorded the progress reported up to `mark` answered whether the job is watched. */
  written(mark: number, watched: boolean): Promise<void> {
    this.watched = watched;
    if (watched) return this.send(this.held.splice(0));
    // D1 shows these now: a watcher subscribing from here on gets them in its snapshot.
    const recorded = this.held.length - (this.reported - mark);
    if (recorded > 0) this.held.splice(0, recorded);
    return Promise.resolve();
  }

  /**
   * Ends the attempt's relay: the progress still held, for the settle to publish before the status
   * if the job turned out to be watched, once the publishes under way have gone out.
   */
  async takeHeld(): Promise<ProgressEvent[]> {
    const held = this.held.splice(0);
    await this.sending;
    return held;
  }

  private send(events: ProgressEvent[]): Promise<void> {
    if (events.length === 0) return this.sending;
    // Best effort, like every publish: D1 holds the progress, the object only relays it.
    this.sending = this.sending
      .then(() => publish(this.env, this.jobId, events))
      .catch((err) => console.error(`publishing progress of ${this.jobId} failed`, err));
    return this.sending;
  }
}

/** Before a settle tells watchers the new status: the progress its attempts held back meanwhile. */
export async function publishHeldProgress(
  env: Env,
  settled: { job: { id: string }; heldProgress?: ProgressEvent[] }[],
  watched: (jobId: string) => boolean,
): Promise<void> {
  const items = settled
    .filter((s) => (s.heldProgress?.length ?? 0) > 0 && watched(s.job.id))
    .map((s) => ({ jobId: s.job.id, events: s.heldProgress! }));
  if (items.length > 0) await publishAll(env, items);
}
