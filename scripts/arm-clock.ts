// The worker `scripts/dev-setup.mjs` runs for a moment before `npm run dev`: the app's own classes
// and bindings, with a fetch handler that arms the clock in the local state (see src/durable/clock.ts).
import { clockOf } from "../src/clock/arm";

export * from "../src/index";

export default {
  async fetch(_request, env) {
    return Response.json({ armedFor: new Date(await clockOf(env).arm()).toISOString() });
  },
} satisfies ExportedHandler<Env>;
