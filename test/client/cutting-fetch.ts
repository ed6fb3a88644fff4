/**
 * A fetch that breaks event streams on purpose: the first `cuts` SSE responses error after
 * `afterEvents` whole events and half of the next one, as a dropped connection does. It records
 * every events URL asked for (to see the client resume with `after=`).
 */
export function cuttingFetch(options: { cuts: number; afterEvents: number }) {
  const requested: string[] = [];
  let cutsLeft = options.cuts;
  const wrapped: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const accept = new Headers(init?.headers).get("accept") ?? "";
    if (!accept.includes("text/event-stream")) return response;
    requested.push(String(input));
    if (cutsLeft <= 0 || !response.body) return response;
    cutsLeft -= 1;
    return new Response(cutStream(response.body, options.afterEvents), { status: response.status, headers: response.headers });
  };
  return { fetch: wrapped, requested };
}

function cutStream(body: ReadableStream<Uint8Array>, afterEvents: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const text = decoder.decode(value, { stream: true });
      let end = 0;
      while (seen < afterEvents) {
        const next = text.indexOf("\n\n", end);
        if (next < 0) break;
        end = next + 2;
        seen += 1;
      }
      if (seen < afterEvents) return controller.enqueue(value);
      // Whole events up to the cut, then half of what follows, then the connection "drops".
      const rest = text.slice(end);
      controller.enqueue(encoder.encode(text.slice(0, end) + rest.slice(0, Math.floor(rest.length / 2))));
      await reader.cancel();
      controller.error(new TypeError("terminated (cut by the test)"));
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
