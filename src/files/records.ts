import { NonRetryableError } from "../engine/errors";
import { type ChunkRecords, MalformedFileError, readChunk } from "../datasets/records";
import { uploadKey } from "../uploads/store";
import { readJsonChunk } from "./json-array";
import type { FileSource } from "./source";

const MIB = 1024 * 1024;
/** Bytes of the file a durable step reads by default: its records are held as objects while the step runs. */
export const DEFAULT_CHUNK_BYTES = 4 * MIB;
export const MIN_CHUNK_BYTES = 64 * 1024;
export const MAX_CHUNK_BYTES = 16 * MIB;

/**
 * The whole records in [offset, offset + chunkBytes) of an uploaded CSV (with its header row, read
 * with the first chunk), NDJSON or JSON file, as bulk.import reads them (src/datasets/). A file that
 * cannot be read as its format fails the job for good.
 */
export async function readFileChunk(
  env: Env,
  tenant: string,
  source: FileSource,
  offset: number,
  chunkBytes: number,
  header: string[] | undefined,
): Promise<ChunkRecords> {
  const key = uploadKey(tenant, source.uploadId);
  try {
    if (source.format === "json") return await readJsonChunk(env.BUCKET, key, source.size, offset, chunkBytes);
    return await readChunk(env.BUCKET, key, source.format, source.size, offset, chunkBytes, header);
  } catch (err) {
    if (err instanceof MalformedFileError) throw new NonRetryableError(`${source.name}: ${err.message}`);
    throw err;
  }
}
