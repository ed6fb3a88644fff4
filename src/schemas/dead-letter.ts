import { z } from "@hono/zod-openapi";
import { listOf, nullable } from "./common";
import { ErrorInfoSchema, JobSchema } from "./job";

export const DeadLetterSchema = z
  .object({ job: JobSchema, failedAt: z.string(), error: nullable(ErrorInfoSchema) })
  .openapi("DeadLetter");

export const DeadLetterListSchema = listOf(DeadLetterSchema, "DeadLetterList");

export const ListDeadLettersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional(),
  type: z.string().max(100).optional(),
});

export const PurgedDeadLettersSchema = z.object({ purged: z.number().int() });
