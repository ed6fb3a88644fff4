import { InvalidInputError } from "../errors";
import { OutboundRefusedError, checkDestination } from "./guard";
import { outboundPolicy } from "./policy";

/**
 * Refuses, when it is saved, an endpoint URL of a tenant's (a job handler, a webhook) that the
 * outbound rules would refuse at every call, and plain http in production.
 */
export async function checkTenantEndpoint(env: Env, url: string | undefined, code: "invalid_handler" | "invalid_webhook") {
  if (url === undefined) return;
  const policy = outboundPolicy(env);
  if (policy.production && !url.startsWith("https:")) throw new InvalidInputError(code, "url must be https", [{ path: "url", message: "must be https" }]);
  try {
    await checkDestination(policy, new URL(url));
  } catch (err) {
    if (!(err instanceof OutboundRefusedError)) throw err;
    throw new InvalidInputError(code, `url is refused by the outbound request rules: ${err.message}`, [{ path: "url", message: err.message }]);
  }
}
