// A BullMQ worker in a process of its own, as a deployment would run it (started by bench/peer/bullmq.ts).
// argv: port queue concurrency variant [sqliteFile]. Prints "ready" once connected; SIGTERM closes it.
import { Worker } from "bullmq";
import { DatabaseSync } from "node:sqlite";

const [port, queue, concurrency, variant, file] = process.argv.slice(2);

/** One row per job into a local SQLite file in WAL mode (synchronous=NORMAL), as a durable store would write. */
function sqliteProcessor(path: string) {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  db.exec("CREATE TABLE IF NOT EXISTS results (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL, finished_at INTEGER NOT NULL)");
  const insert = db.prepare("INSERT INTO results (id, name, data, finished_at) VALUES (?, ?, ?, ?)");
  const processor = async (job: { id?: string; name: string; data: unknown }) => {
    insert.run(job.id ?? "", job.name, JSON.stringify(job.data), Date.now());
    return null;
  };
  return { processor, close: () => db.close() };
}

const sqlite = variant === "sqlite" ? sqliteProcessor(file!) : null;
const processor = sqlite?.processor ?? (async () => null);
const worker = new Worker(queue!, processor, {
  connection: { host: "127.0.0.1", port: Number(port) },
  concurrency: Number(concurrency),
});
worker.on("error", (error) => console.error(`worker error: ${error.message}`));
await worker.waitUntilReady();
process.stdout.write("ready\n");

process.once("SIGTERM", async () => {
  await worker.close();
  sqlite?.close();
  process.exit(0);
});
