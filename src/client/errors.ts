/** Every failure the client reports: an error envelope from the API, or a transport failure (status 0). */
export class EdgeJobsError extends Error {
  override readonly name = "EdgeJobsError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/** Builds the error for a failed response from its `{error:{code,message,details,requestId}}` body, if it has one. */
export async function errorFromResponse(response: Response): Promise<EdgeJobsError> {
  const text = await response.text().catch(() => "");
  const headerId = response.headers.get("x-request-id") ?? undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined; // not JSON: reported below with the body's start as the message
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown; requestId?: unknown } } | undefined)?.error;
  if (error && typeof error.code === "string") {
    const requestId = typeof error.requestId === "string" ? error.requestId : headerId;
    return new EdgeJobsError(response.status, error.code, String(error.message ?? error.code), error.details, requestId);
  }
  return new EdgeJobsError(response.status, `http_${response.status}`, text.slice(0, 200) || response.statusText, undefined, headerId);
}
