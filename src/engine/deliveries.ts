/**
 * The queue messages of one consumer batch and the jobs they announce. A message may name many
 * jobs, and a job may arrive in several messages (a duplicate send, a sweeper re-announcement).
 * A message is answered once every job it names is: retried if any of them asked for that,
 * acknowledged otherwise.
 */
export class Deliveries {
  private readonly open = new Map<Message<unknown>, { pending: Set<string>; retryDelay: number | null }>();
  private readonly messagesByJob = new Map<string, Message<unknown>[]>();

  add(message: Message<unknown>, jobIds: string[]): void {
    this.open.set(message, { pending: new Set(jobIds), retryDelay: null });
    for (const id of jobIds) this.messagesByJob.set(id, [...(this.messagesByJob.get(id) ?? []), message]);
  }

  get jobIds(): string[] {
    return [...this.messagesByJob.keys()];
  }

  /** When the newest message naming the job was sent. */
  lastSentAt(jobId: string): number {
    return Math.max(...(this.messagesByJob.get(jobId) ?? []).map((m) => m.timestamp.getTime()));
  }

  ack(jobId: string): void {
    this.answer(jobId, null);
  }

  /** The job's messages come back after `delaySeconds` (the longest any of their jobs asked for). */
  retry(jobId: string, delaySeconds: number): void {
    this.answer(jobId, delaySeconds);
  }

  private answer(jobId: string, retryDelay: number | null): void {
    for (const message of this.messagesByJob.get(jobId) ?? []) {
      const state = this.open.get(message);
      if (!state?.pending.delete(jobId)) continue;
      if (retryDelay !== null) state.retryDelay = Math.max(state.retryDelay ?? 0, retryDelay);
      if (state.pending.size > 0) continue;
      this.open.delete(message);
      if (state.retryDelay === null) message.ack();
      else message.retry({ delaySeconds: state.retryDelay });
    }
  }
}
