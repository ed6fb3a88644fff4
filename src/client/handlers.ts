import { type Http, paginate, segment } from "./http";
import type { CreateHandler, CreatedHandler, Handler, HandlerSecret, UpdateHandler } from "./types";

/** Job types served by your own endpoint (`POST /handlers`); see `verifySignature` for the receiving side. */
export class Handlers {
  constructor(private readonly http: Http) {}
  /** Registers the type; the answer's `secret` is shown only now. */
  create(body: CreateHandler): Promise<CreatedHandler> {
    return this.http.json("POST", "/handlers", { json: body });
  }
  list(options: { limit?: number } = {}): AsyncGenerator<Handler, void, undefined> {
    return paginate(this.http, "/handlers", options);
  }
  get(type: string): Promise<Handler> {
    return this.http.json("GET", `/handlers/${segment(type)}`);
  }
  update(type: string, body: UpdateHandler): Promise<Handler> {
    return this.http.json("PATCH", `/handlers/${segment(type)}`, { json: body });
  }
  delete(type: string): Promise<void> {
    return this.http.json("DELETE", `/handlers/${segment(type)}`);
  }
  /** A new secret (shown only now); calls carry a signature with the old one too for a day. */
  rotateSecret(type: string): Promise<HandlerSecret> {
    return this.http.json("POST", `/handlers/${segment(type)}/secret`);
  }
}
