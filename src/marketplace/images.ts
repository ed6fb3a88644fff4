import { eq } from "drizzle-orm";
import { sha256Hex } from "../crypto";
import { marketplaceTemplates } from "../db/schema";
import { InvalidInputError } from "../errors";
import { MAX_PREVIEW_BYTES } from "../schemas/marketplace";
import { marketplaceDb } from "./db";

export type PreviewType = "image/png" | "image/jpeg";

export interface PreviewImage {
  bytes: Uint8Array;
  type: PreviewType;
  sha256: string;
}

const SIGNATURES: [PreviewType, number[]][] = [
  ["image/png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
];

/** The media type the bytes' signature names, whatever the caller may claim. */
function sniff(bytes: Uint8Array): PreviewType | undefined {
  return SIGNATURES.find(([, magic]) => magic.every((b, i) => bytes[i] === b))?.[0];
}

/** A preview image from its base64 (the schema checked the alphabet): a PNG or JPEG of at most 1 MiB. */
export async function decodePreview(base64: string): Promise<PreviewImage> {
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  if (bytes.byteLength > MAX_PREVIEW_BYTES) {
    throw new InvalidInputError("invalid_image", `the preview image is ${bytes.byteLength} bytes; at most ${MAX_PREVIEW_BYTES} are allowed`);
  }
  const type = sniff(bytes);
  if (!type) throw new InvalidInputError("invalid_image", "the preview image must be a PNG or a JPEG");
  return { bytes, type, sha256: await sha256Hex(bytes) };
}

/** Previews are content-addressed: listings showing the same image share one object. */
export const previewKey = (sha256: string) => `marketplace/previews/${sha256}`;

/** Stored after the listing row that names it, so a cleanup running meanwhile sees it in use. */
export async function storePreview(env: Env, image: PreviewImage): Promise<void> {
  await env.BUCKET.put(previewKey(image.sha256), image.bytes, { httpMetadata: { contentType: image.type } });
}

/** Deletes the preview object once no listing names it any more. */
export async function dropPreviewIfUnused(env: Env, sha256: string | null | undefined): Promise<void> {
  if (!sha256) return;
  const used = await marketplaceDb(env)
    .select({ id: marketplaceTemplates.id })
    .from(marketplaceTemplates)
    .where(eq(marketplaceTemplates.previewSha256, sha256))
    .limit(1)
    .get();
  if (!used) await env.BUCKET.delete(previewKey(sha256));
}
