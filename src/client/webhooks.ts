import { type Http, paginate, segment } from "./http";
import type { CreateWebhook, CreatedWebhook, UpdateWebhook, Webhook, WebhookDelivery, WebhookDeliveryDetail, WebhookSecret } from "./types";

/** Job events delivered to your URLs (`/webhooks`); check each delivery with `verifySignature`. */
export class Webhooks {
  constructor(private readonly http: Http) {}
  /** Subscribes the URL; the answer's `secret` is shown only now. */
  create(body: CreateWebhook): Promise<CreatedWebhook> {
    return this.http.json("POST", "/webhooks", { json: body });
  }
  list(options: { limit?: number } = {}): AsyncGenerator<Webhook, void, undefined> {
    return paginate(this.http, "/webhooks", options);
  }
  get(id: string): Promise<Webhook> {
    return this.http.json("GET", `/webhooks/${segment(id)}`);
  }
  /** `{ status: "active" }` resumes a paused webhook and sends what it held. */
  update(id: string, body: UpdateWebhook): Promise<Webhook> {
    return this.http.json("PATCH", `/webhooks/${segment(id)}`, { json: body });
  }
  delete(id: string): Promise<void> {
    return this.http.json("DELETE", `/webhooks/${segment(id)}`);
  }
  rotateSecret(id: string): Promise<WebhookSecret> {
    return this.http.json("POST", `/webhooks/${segment(id)}/secret`);
  }
  ping(id: string): Promise<WebhookDelivery> {
    return this.http.json("POST", `/webhooks/${segment(id)}/ping`);
  }
  deliveries(id: string, options: { status?: WebhookDelivery["status"]; limit?: number } = {}): AsyncGenerator<WebhookDelivery, void, undefined> {
    return paginate(this.http, `/webhooks/${segment(id)}/deliveries`, options);
  }
  delivery(id: string, deliveryId: string): Promise<WebhookDeliveryDetail> {
    return this.http.json("GET", `/webhooks/${segment(id)}/deliveries/${segment(deliveryId)}`);
  }
  redeliver(id: string, deliveryId: string): Promise<WebhookDelivery> {
    return this.http.json("POST", `/webhooks/${segment(id)}/deliveries/${segment(deliveryId)}/redeliver`);
  }
}
