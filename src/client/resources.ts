// Thin typed wrappers over the remaining routes, one class per resource. Every shape comes from
// src/schemas (see types.ts).
import { type Http, type Query, paginate, segment } from "./http";
import type {
  ApiKey,
  Collection,
  CreateApiKey,
  CreatedApiKey,
  CreateSchedule,
  CreateTemplate,
  Dataset,
  DatasetRow,
  DeadLetter,
  DocumentRecord,
  DraftPreview,
  Job,
  JobInputs,
  PreviewSchedule,
  RegisterDocument,
  Report,
  ReportVersion,
  Schedule,
  SchedulePreview,
  ScheduleRun,
  SearchResult,
  SettingsUpdate,
  StoreReport,
  StoredVersion,
  Template,
  TemplatePreview,
  TenantSettings,
  UpdateSchedule,
  UpdateTemplate,
  Usage,
  UsageOptions,
} from "./types";

type PageOptions = { limit?: number };

export class Schedules {
  constructor(private readonly http: Http) {}
  create(body: CreateSchedule): Promise<Schedule> {
    return this.http.json("POST", "/schedules", { json: body });
  }
  preview(body: PreviewSchedule): Promise<SchedulePreview> {
    return this.http.json("POST", "/schedules/preview", { json: body });
  }
  list(options: PageOptions = {}): AsyncGenerator<Schedule, void, undefined> {
    return paginate(this.http, "/schedules", options);
  }
  get(id: string): Promise<Schedule> {
    return this.http.json("GET", `/schedules/${segment(id)}`);
  }
  update(id: string, body: UpdateSchedule): Promise<Schedule> {
    return this.http.json("PATCH", `/schedules/${segment(id)}`, { json: body });
  }
  delete(id: string): Promise<void> {
    return this.http.json("DELETE", `/schedules/${segment(id)}`);
  }
  pause(id: string): Promise<Schedule> {
    return this.http.json("POST", `/schedules/${segment(id)}/pause`);
  }
  resume(id: string): Promise<Schedule> {
    return this.http.json("POST", `/schedules/${segment(id)}/resume`);
  }
  /** Runs it now, as a job. */
  trigger(id: string): Promise<Job> {
    return this.http.json("POST", `/schedules/${segment(id)}/trigger`);
  }
  runs(id: string, options: PageOptions = {}): AsyncGenerator<ScheduleRun, void, undefined> {
    return paginate(this.http, `/schedules/${segment(id)}/runs`, options);
  }
}

export class DeadLetters {
  constructor(private readonly http: Http) {}
  list(options: PageOptions & { type?: string } = {}): AsyncGenerator<DeadLetter, void, undefined> {
    return paginate(this.http, "/dead-letters", options);
  }
  replay(id: string): Promise<Job> {
    return this.http.json("POST", `/dead-letters/${segment(id)}/replay`);
  }
  delete(id: string): Promise<void> {
    return this.http.json("DELETE", `/dead-letters/${segment(id)}`);
  }
  purge(): Promise<{ purged: number }> {
    return this.http.json("DELETE", "/dead-letters");
  }
}

export class Templates {
  constructor(private readonly http: Http) {}
  create(body: CreateTemplate): Promise<Template> {
    return this.http.json("POST", "/templates", { json: body });
  }
  list(options: PageOptions = {}): AsyncGenerator<Template, void, undefined> {
    return paginate(this.http, "/templates", options);
  }
  get(id: string): Promise<Template> {
    return this.http.json("GET", `/templates/${segment(id)}`);
  }
  update(id: string, body: UpdateTemplate): Promise<Template> {
    return this.http.json("PATCH", `/templates/${segment(id)}`, { json: body });
  }
  delete(id: string): Promise<void> {
    return this.http.json("DELETE", `/templates/${segment(id)}`);
  }
  /** The rendered output, as the server answers it (its content type is the template's format). */
  preview(id: string, body: TemplatePreview = {}): Promise<Response> {
    return this.http.send("POST", `/templates/${segment(id)}/preview`, { json: body });
  }
  previewDraft(body: DraftPreview): Promise<Response> {
    return this.http.send("POST", "/templates/preview", { json: body });
  }
}

export class Reports {
  constructor(private readonly http: Http) {}
  store(body: StoreReport): Promise<StoredVersion> {
    return this.http.json("POST", "/reports", { json: body });
  }
  list(options: PageOptions = {}): AsyncGenerator<Report, void, undefined> {
    return paginate(this.http, "/reports", options);
  }
  get(id: string): Promise<Report & { latest: ReportVersion | null }> {
    return this.http.json("GET", `/reports/${segment(id)}`);
  }
  versions(id: string, options: PageOptions = {}): AsyncGenerator<ReportVersion, void, undefined> {
    return paginate(this.http, `/reports/${segment(id)}/versions`, options);
  }
  /** A version's bytes, streamed. */
  content(id: string, n: number): Promise<Response> {
    return this.http.send("GET", `/reports/${segment(id)}/versions/${segment(n)}`);
  }
  /** The unified diff text between two versions (empty when equal). */
  diff(id: string, from: number, to: number, options: { context?: number } = {}): Promise<string> {
    return this.http.text(`/reports/${segment(id)}/diff`, { query: { from, to, ...options } });
  }
  delete(id: string): Promise<void> {
    return this.http.json("DELETE", `/reports/${segment(id)}`);
  }
  cleanup(id: string, keep: number): Promise<{ deletedVersions: number; deletedObjects: number }> {
    return this.http.json("POST", `/reports/${segment(id)}/cleanup`, { query: { keep } });
  }
  /** The report as a ZIP archive, streamed (`response.body`). */
  exportArchive(id: string): Promise<Response> {
    return this.http.send("GET", `/reports/${segment(id)}/export`);
  }
  /** Restores an archive as a new report. A stream body is sent once, never retried. */
  importArchive(archive: Blob | ArrayBuffer | Uint8Array, options: { name?: string } = {}): Promise<{ report: Report; versions: ReportVersion[] }> {
    return this.http.json("POST", "/reports/import", { query: options, body: archive, headers: { "content-type": "application/zip" } });
  }
}

/** A resource reached by name with a JSON list, get and delete (datasets). */
export class Datasets {
  constructor(private readonly http: Http) {}
  list(options: PageOptions = {}): AsyncGenerator<Dataset, void, undefined> {
    return paginate(this.http, "/datasets", options);
  }
  get(name: string): Promise<Dataset> {
    return this.http.json("GET", `/datasets/${segment(name)}`);
  }
  rows(name: string, options: PageOptions = {}): AsyncGenerator<DatasetRow, void, undefined> {
    return paginate(this.http, `/datasets/${segment(name)}/rows`, options);
  }
  delete(name: string): Promise<void> {
    return this.http.json("DELETE", `/datasets/${segment(name)}`);
  }
}

export class Documents {
  constructor(private readonly http: Http) {}
  register(body: RegisterDocument): Promise<DocumentRecord> {
    return this.http.json("POST", "/documents", { json: body });
  }
  registerBatch(documents: RegisterDocument[]): Promise<{ items: DocumentRecord[] }> {
    return this.http.json("POST", "/documents/batch", { json: { documents } });
  }
  /** `meta.<field>` keys filter by metadata. */
  list(filters: Query = {}): AsyncGenerator<DocumentRecord, void, undefined> {
    return paginate(this.http, "/documents", filters);
  }
  get(id: string): Promise<DocumentRecord> {
    return this.http.json("GET", `/documents/${segment(id)}`);
  }
  delete(id: string): Promise<void> {
    return this.http.json("DELETE", `/documents/${segment(id)}`);
  }
  deleteMany(ids: string[]): Promise<{ deleted: number; missing: string[] }> {
    return this.http.json("POST", "/documents/batch-delete", { json: { ids } });
  }
  /** Full-text search over indexed chunks, best first. */
  search(q: string, options: { collection?: string; limit?: number } = {}): Promise<SearchResult> {
    return this.http.json("GET", "/search", { query: { q, ...options } });
  }
  collection(name: string): Promise<Collection> {
    return this.http.json("GET", `/collections/${segment(name)}`);
  }
}

export class Keys {
  constructor(private readonly http: Http) {}
  /** The answer carries the key itself, once. */
  create(body: CreateApiKey): Promise<CreatedApiKey> {
    return this.http.json("POST", "/keys", { json: body });
  }
  list(options: { tenant?: string; includeRevoked?: boolean } = {}): Promise<{ items: ApiKey[] }> {
    return this.http.json("GET", "/keys", { query: options });
  }
  revoke(id: string): Promise<ApiKey> {
    return this.http.json("DELETE", `/keys/${segment(id)}`);
  }
}

export class Settings {
  constructor(private readonly http: Http) {}
  get(options: { tenant?: string } = {}): Promise<TenantSettings> {
    return this.http.json("GET", "/settings", { query: options });
  }
  update(body: SettingsUpdate, options: { tenant?: string } = {}): Promise<TenantSettings> {
    return this.http.json("PUT", "/settings", { query: options, json: body });
  }
}

export type Lane = { lane: string; paused: boolean; depth: number; scheduled: number; inFlight: number };

/** The priority lanes; pausing and resuming takes the platform's admin key. */
export class Queues {
  constructor(private readonly http: Http) {}
  list(): Promise<{ scope: "tenant" | "platform"; items: Lane[] }> {
    return this.http.json("GET", "/queues");
  }
  pause(lane: string): Promise<{ lane: string; paused: boolean }> {
    return this.http.json("POST", `/queues/${segment(lane)}/pause`);
  }
  resume(lane: string): Promise<{ lane: string; paused: boolean }> {
    return this.http.json("POST", `/queues/${segment(lane)}/resume`);
  }
}

/** POST /jobs/bulk: cancel or retry jobs named by id or matching a filter. */
export class Bulk {
  constructor(private readonly http: Http) {}
  /** Starts the action as a `jobs.bulk` job (watch it like any job). */
  start(body: JobInputs["jobs.bulk"]): Promise<Job> {
    return this.http.json("POST", "/jobs/bulk", { json: body });
  }
  /** How many jobs the action would change now; changes nothing. */
  count(body: JobInputs["jobs.bulk"]): Promise<{ action: string; matched: number }> {
    return this.http.json("POST", "/jobs/bulk", { query: { dryRun: true }, json: body });
  }
}

/** GET /usage: what the platform used for the tenant per day, and its cost at list prices. */
export class UsageLedger {
  constructor(private readonly http: Http) {}
  /** Days as YYYY-MM-DD (UTC, inclusive); by default the last 30. `tenant`: the platform's admin key only. */
  get(options: UsageOptions = {}): Promise<Usage> {
    return this.http.json("GET", "/usage", { query: options });
  }
}
