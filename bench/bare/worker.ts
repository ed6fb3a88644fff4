import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";

interface BareEnv {
  DB: D1Database;
  QUEUE: Queue<{ id: string }>;
  FLOW: Workflow<{ id: string }>;
}

export class BareFlow extends WorkflowEntrypoint<BareEnv, { id: string }> {
  override async run(event: WorkflowEvent<{ id: string }>, step: WorkflowStep) {
    await step.do("record", async () => {
      await this.env.DB.prepare("INSERT INTO seen (id, kind, at) VALUES (?, 'flow', ?)").bind(event.payload.id, Date.now()).run();
    });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 0);
    const run = url.searchParams.get("run") ?? "r";
    if (url.pathname === "/queue") {
      for (let i = 0; i < n; i += 100) {
        const size = Math.min(100, n - i);
        await env.QUEUE.sendBatch(Array.from({ length: size }, (_, j) => ({ body: { id: `${run}-q-${i + j}` } })));
      }
      return Response.json({ sent: n });
    }
    if (url.pathname === "/workflows") {
      const ids = Array.from({ length: n }, (_, i) => `${run}-w-${i}`);
      const mode = url.searchParams.get("mode");
      if (mode === "create") {
        // One create() per instance, all in flight at once.
        await Promise.all(ids.map((id) => env.FLOW.create({ id, params: { id } })));
      } else if (mode === "sequential") {
        // One create() per instance, each awaited before the next: the simplest way to make them.
        for (const id of ids) await env.FLOW.create({ id, params: { id } });
      } else {
        for (let i = 0; i < ids.length; i += 100) {
          await env.FLOW.createBatch({ instances: ids.slice(i, i + 100).map((id) => ({ id, params: { id } })) });
        }
      }
      return Response.json({ created: n });
    }
    if (url.pathname === "/seen") {
      const row = await env.DB.prepare("SELECT count(*) AS n, min(at) AS first, max(at) AS last FROM seen WHERE id LIKE ?")
        .bind(`${run}-%`)
        .first();
      return Response.json(row);
    }
    return new Response("not found", { status: 404 });
  },
  async queue(batch, env) {
    for (const message of batch.messages) {
      await env.DB.prepare("INSERT INTO seen (id, kind, at) VALUES (?, 'queue', ?)").bind(message.body.id, Date.now()).run();
      message.ack();
    }
  },
} satisfies ExportedHandler<BareEnv, { id: string }>;
