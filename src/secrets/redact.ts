import { mapJson } from "./json-walk";

/** Credentials a job's input may carry inline in its `headers`; views show them as REDACTED. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["authorization", "cookie", "proxy-authorization", "x-api-key"]);
/** The key of the objects whose credential members are redacted. */
export const HEADERS_KEY = "headers";
export const REDACTED = "[redacted]";
/** A cheap test on the stored text first: most inputs name none of them, and are shown as they are. */
const MAY_HOLD_CREDENTIALS = /authorization|cookie|x-api-key/i;

/**
 * A stored job input as views show it: credential header values given inline, in any `headers`
 * object at any depth (a batch's items too), redacted. Secret references (`{"$secret": name}`)
 * are shown as they are; the job itself runs with the real values.
 */
export function viewOfInput(storedInput: string): unknown {
  const input: unknown = JSON.parse(storedInput);
  if (!MAY_HOLD_CREDENTIALS.test(storedInput)) return input;
  return mapJson(input, {
    leaf: (value, key, parentKey) =>
      parentKey === HEADERS_KEY && typeof value === "string" && CREDENTIAL_HEADERS.has(String(key).toLowerCase()) ? REDACTED : value,
  });
}
