// Start-up: the worker's size as `wrangler deploy` would upload it, and the CPU its start-up phase
// takes, profiled by `wrangler check startup` (which builds the worker and runs its top level in
// a local workerd). Cloudflare refuses a worker whose start-up passes 1 s of CPU.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = 5;

function checkStartup(outfile: string): { bundle: string; activeMs: number } {
  const wrangler = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");
  const out = execFileSync(process.execPath, [wrangler, "check", "startup", "--outfile", outfile], {
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    encoding: "utf8",
  });
  const bundle = out.match(/Bundle:\s*([^\n│]+)/)?.[1]?.trim();
  const active = out.match(/Active:\s*([\d.]+)\s*ms/)?.[1];
  if (!bundle || !active) throw new Error(`wrangler check startup printed no figures:\n${out}`);
  return { bundle, activeMs: Number(active) };
}

export async function reportStartup() {
  const dir = mkdtempSync(join(tmpdir(), "edge-jobs-startup-"));
  try {
    const runs = Array.from({ length: RUNS }, (_, i) => checkStartup(join(dir, `startup-${i}.cpuprofile`)));
    const sorted = runs.map((r) => r.activeMs).sort((a, b) => a - b);
    console.log(`## Start-up: the worker as deployed, its start-up phase profiled by \`wrangler check startup\`, ${RUNS} runs`);
    console.log(`bundle: ${runs[0]!.bundle}`);
    console.log(`start-up CPU (active): ${sorted.map((ms) => ms.toFixed(1)).join(", ")} ms; median ${sorted[Math.floor(RUNS / 2)]!.toFixed(1)} ms (Cloudflare's limit: 1,000 ms)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
