import { consumeBatch } from "../engine/consumer";
import { queueOperationsOf } from "../engine/metering";
import { intercept } from "../engine/metered-d1";
import { Invocation } from "./invocation";
import { deliverWebhooks } from "../webhooks/deliver";
import type { DeliveryMessage } from "../webhooks/events";

/**
 * The queue consumer, metered: the batch's usage is split between the tenants of the jobs it named
 * and recorded once the batch is answered. Queues bills every message it delivers (a read, again on
 * each redelivery) and every message acknowledged (a delete); a retried one is deleted later, when a
 * delivery of it is acknowledged. The writes are the producers'.
 */
export async function consumeMetered(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const invocation = new Invocation(env, "consumer_batch");
  const answers = answered(batch);
  for (const m of batch.messages) invocation.usage.queueOperations += queueOperationsOf(m.body);
  let ok = false;
  try {
    await consumeBatch(answers.batch, invocation.env, invocation.tenants);
    ok = true;
  } finally {
    for (const m of answers.acknowledged(ok)) invocation.usage.queueOperations += queueOperationsOf(m.body);
    ctx.waitUntil(invocation.record({ queue: batch.queue, messages: batch.messages.length }));
  }
}

/** The webhook queue's consumer, metered the same way: each delivery's tenant is billed for it. */
export async function deliverWebhooksMetered(batch: MessageBatch<DeliveryMessage>, env: Env, ctx: ExecutionContext): Promise<void> {
  const invocation = new Invocation(env, "webhook_batch");
  const answers = answered(batch);
  for (const m of batch.messages) invocation.usage.queueOperations += queueOperationsOf(m.body);
  let ok = false;
  try {
    await deliverWebhooks(answers.batch as MessageBatch<DeliveryMessage>, invocation.env, (tenant) => invocation.add(tenant));
    ok = true;
  } finally {
    for (const m of answers.acknowledged(ok)) invocation.usage.queueOperations += queueOperationsOf(m.body);
    ctx.waitUntil(invocation.record({ queue: batch.queue, messages: batch.messages.length }));
  }
}

/**
 * `batch` with each message's answer noted. As the runtime does, a message's first answer counts,
 * the batch-wide one applies to the messages not answered, and a handler that returns acknowledges
 * the rest (one that throws retries them).
 */
function answered(batch: MessageBatch<unknown>) {
  const answers = new Map<string, "ack" | "retry">();
  const answer = (m: Message<unknown>, how: "ack" | "retry") => {
    if (!answers.has(m.id)) answers.set(m.id, how);
  };
  let all: "ack" | "retry" | undefined;
  const messages = batch.messages.map((m) =>
    intercept(m, {
      ack: () => (answer(m, "ack"), m.ack()),
      retry: (options?: QueueRetryOptions) => (answer(m, "retry"), m.retry(options)),
    }),
  );
  const wrapped = intercept(batch, {
    messages,
    ackAll: () => ((all ??= "ack"), batch.ackAll()),
    retryAll: (options?: QueueRetryOptions) => ((all ??= "retry"), batch.retryAll(options)),
  });
  return {
    batch: wrapped,
    acknowledged: (returned: boolean) => batch.messages.filter((m) => (answers.get(m.id) ?? all ?? (returned ? "ack" : "retry")) === "ack"),
  };
}
