import { NonRetryableError } from "../engine/errors";
import { SECRET_MARKER, findReferences, replaceReferences } from "./references";
import { NO_SECRETS, SecretScrubber } from "./scrub";
import { revealSecrets } from "./store";

export interface RevealedInput {
  input: unknown;
  /** Takes the revealed values out of whatever the attempt writes. */
  scrubber: SecretScrubber;
}

/**
 * A job's stored input with the values of the secrets it names in place of their references, read
 * as the attempt starts. Never inside a Workflow step: a step's value is recorded, and the value
 * must live only in the running attempt.
 */
export async function revealInput(env: Env, tenant: string, storedInput: string): Promise<RevealedInput> {
  const input: unknown = JSON.parse(storedInput);
  if (!storedInput.includes(`"${SECRET_MARKER}"`)) return { input, scrubber: NO_SECRETS };
  const { references, issues } = findReferences(input);
  // Inputs that were never validated at submit (a batch's items read from an upload) may hold them.
  if (issues.length > 0) throw new NonRetryableError(`input ${issues[0]!.path.join(".")}: ${issues[0]!.message}`);
  if (references.length === 0) return { input, scrubber: NO_SECRETS };
  const values = await revealSecrets(env, tenant, [...new Set(references.map((r) => r.name))]);
  return { input: replaceReferences(input, references, (name) => values.get(name)), scrubber: new SecretScrubber(values) };
}
