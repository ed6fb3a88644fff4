// Preloaded into the CLI under test (`node --import`): appends every answer it gets to the file named by
// OPENAPI_EXCHANGES_FILE, which test/cli/run.ts checks against the OpenAPI document once the CLI exits.
import { appendFileSync } from "node:fs";

const file = process.env.OPENAPI_EXCHANGES_FILE;
const original = globalThis.fetch;

globalThis.fetch = async function recordedFetch(input, init) {
  const response = await original(input, init);
  const headers = Object.fromEntries(response.headers);
  const text = /json/i.test(headers["content-type"] ?? "") ? await response.clone().text() : undefined;
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  const url = response.url || (input instanceof Request ? input.url : String(input));
  if (file) appendFileSync(file, `${JSON.stringify({ method, url, status: response.status, headers, text })}\n`);
  return response;
};
