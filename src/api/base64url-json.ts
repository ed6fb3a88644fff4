import { base64Url } from "../engine/ids";

/** JSON as base64url text, as cursors, API keys and watch tokens carry it. */
export function encodeJson(value: unknown): string {
  return base64Url(new TextEncoder().encode(JSON.stringify(value)));
}

/** The inverse of `encodeJson`; throws on text that is not base64url JSON. */
export function decodeJson(text: string): unknown {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}
