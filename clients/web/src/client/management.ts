/**
 * Typed client for the Switchboard management API (API Gateway `@connections` compatible).
 * Every path is prefixed with `/<stage>`.
 */

export interface ConnectionIdentity {
  sourceIp: string;
  userAgent?: string | null;
  [key: string]: unknown;
}

export interface ConnectionInfo {
  connectionId: string;
  /** ISO-8601 UTC, e.g. `2025-01-01T10:00:00.123Z`. */
  connectedAt: string;
  lastActiveAt: string;
  identity: ConnectionIdentity;
}

export interface ConnectionPage {
  items: ConnectionInfo[];
  nextToken: string | null;
}

export interface Stats {
  connections: number;
  messagesIn: number;
  messagesOut: number;
}

export interface BroadcastResult {
  recipients: number;
}

/** The subset of the Fetch `Response` that the client reads. */
export interface ResponseLike {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface RequestInitLike {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  cache?: RequestCache;
}

export type FetchLike = (url: string, init?: RequestInitLike) => Promise<ResponseLike>;

export interface ManagementClientOptions {
  /** Stage name; default `production`. */
  stage?: string;
  /**
   * The gateway's `Switchboard:BasePath` when it mounts the API there instead of at `/<stage>`: paths are then
   * `/<basePath>/@connections/…`, or `/@connections/…` when it is `''` (the root). Undefined: `/<stage>`.
   */
  basePath?: string;
  /** Origin (and optional path prefix) of the gateway; default `''` = same origin. */
  baseUrl?: string;
  /** Fetch implementation; defaults to the global `fetch`. */
  fetch?: FetchLike;
  /**
   * An API key the gateway accepts (`Switchboard:Management:Authentication:ApiKeys`), sent with every call as
   * `Authorization: Bearer <key>`; none by default (a gateway without configured keys needs none).
   */
  apiKey?: string | null;
}

const FRIENDLY: Record<number, string> = {
  400: 'bad request (malformed connection id?)',
  401: 'not authorised',
  403: 'forbidden',
  404: 'not found',
  410: 'connection is gone',
  413: 'payload too large',
  429: 'too many requests',
};

/** An error answer (or a network failure, `status` 0) from the management API. */
export class ManagementError extends Error {
  override readonly name = 'ManagementError';

  constructor(
    /** HTTP status, or 0 when the request did not get an answer. */
    readonly status: number,
    /** The `x-amzn-ErrorType` header (without any `:suffix`), e.g. `GoneException`. */
    readonly errorType: string | null,
    /** The `message` of the JSON error body, when there was one. */
    readonly serverMessage: string | null,
    /** What was being done, e.g. `POST /production/@connections/abc`. */
    readonly operation: string,
  ) {
    super(ManagementError.describe(status, errorType, serverMessage));
  }

  /**
   * True for 401 and 403: the gateway wants an API key or refused the one sent (`MissingAuthenticationTokenException`,
   * `ForbiddenException`, …), or does not serve this caller at all.
   */
  get isAccessRefused(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** True for 410 / GoneException: the connection is not open (any more). */
  get isGone(): boolean {
    return this.status === 410 || this.errorType === 'GoneException';
  }

  static describe(status: number, errorType: string | null, serverMessage: string | null): string {
    if (status === 0) return `network error: ${serverMessage ?? 'no response'}`;
    const friendly = FRIENDLY[status] ?? (status >= 500 ? 'server error' : 'request failed');
    const detail = [`HTTP ${status}`, errorType].filter(Boolean).join(' ');
    return `${friendly} (${detail})${serverMessage ? `: ${serverMessage}` : ''}`;
  }
}

export class ManagementClient {
  readonly stage: string;
  private readonly prefix: string;
  private readonly fetchImpl: FetchLike;
  private readonly apiKey: string | null;

  constructor(options: ManagementClientOptions = {}) {
    this.stage = options.stage || 'production';
    this.apiKey = options.apiKey || null;
    const base = (options.baseUrl ?? '').replace(/\/+$/, '');
    const mount = options.basePath ?? this.stage;
    this.prefix = mount === '' ? base : `${base}/${encodeURIComponent(mount)}`;
    // Resolve the global lazily and call it unbound-safe (browsers reject fetch with a foreign `this`).
    this.fetchImpl =
      options.fetch ?? ((url, init) => (globalThis.fetch as unknown as FetchLike)(url, init));
  }

  /** URL of a management path, e.g. `connectionUrl('a=')` → `/production/@connections/a%3D`. */
  connectionUrl(connectionId: string): string {
    return `${this.prefix}/@connections/${encodeURIComponent(connectionId)}`;
  }

  /** One page of `GET /<stage>/@connections`. */
  async listPage(options: { limit?: number; nextToken?: string | null } = {}): Promise<ConnectionPage> {
    const params = new URLSearchParams();
    params.set('limit', String(options.limit ?? 100));
    if (options.nextToken) params.set('nextToken', options.nextToken);
    const body = await this.request('GET', `${this.prefix}/@connections?${params.toString()}`);
    const parsed = parseJson(body) as Partial<ConnectionPage> | null;
    return {
      items: Array.isArray(parsed?.items) ? parsed.items : [],
      nextToken: typeof parsed?.nextToken === 'string' && parsed.nextToken !== '' ? parsed.nextToken : null,
    };
  }

  /** Every open connection: follows `nextToken` until the last page (at most `maxPages`). */
  async list(options: { limit?: number; maxPages?: number } = {}): Promise<ConnectionInfo[]> {
    const all: ConnectionInfo[] = [];
    const seen = new Set<string>();
    let token: string | null = null;
    const maxPages = options.maxPages ?? 1000;
    for (let page = 0; page < maxPages; page++) {
      const result: ConnectionPage = await this.listPage({ limit: options.limit, nextToken: token });
      all.push(...result.items);
      token = result.nextToken;
      if (!token || seen.has(token)) break; // done, or the server repeats itself
      seen.add(token);
    }
    return all;
  }

  /** `POST /<stage>/@connections/<id>` with the raw message text. */
  async post(connectionId: string, message: string): Promise<void> {
    await this.request('POST', this.connectionUrl(connectionId), message);
  }

  /** `DELETE /<stage>/@connections/<id>`: disconnect that client. */
  async delete(connectionId: string): Promise<void> {
    await this.request('DELETE', this.connectionUrl(connectionId));
  }

  /** `POST /<stage>/@broadcast` with the raw message text. */
  async broadcast(message: string): Promise<BroadcastResult> {
    const body = await this.request('POST', `${this.prefix}/@broadcast`, message);
    const parsed = parseJson(body) as Partial<BroadcastResult> | null;
    return { recipients: typeof parsed?.recipients === 'number' ? parsed.recipients : 0 };
  }

  /** `GET /<stage>/@stats`. */
  async stats(): Promise<Stats> {
    const body = await this.request('GET', `${this.prefix}/@stats`);
    const parsed = (parseJson(body) ?? {}) as Partial<Stats>;
    return {
      connections: Number(parsed.connections ?? 0),
      messagesIn: Number(parsed.messagesIn ?? 0),
      messagesOut: Number(parsed.messagesOut ?? 0),
    };
  }

  private async request(method: string, url: string, body?: string): Promise<string> {
    const operation = `${method} ${url}`;
    const init: RequestInitLike = { method, cache: 'no-store', headers: { accept: 'application/json' } };
    if (this.apiKey) init.headers = { ...init.headers, authorization: `Bearer ${this.apiKey}` };
    if (body !== undefined) {
      init.body = body;
      init.headers = { ...init.headers, 'content-type': 'text/plain; charset=utf-8' };
    }
    let response: ResponseLike;
    try {
      response = await this.fetchImpl(url, init);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new ManagementError(0, 'NetworkError', detail, operation);
    }
    let text = '';
    try {
      text = await response.text();
    } catch {
      /* empty or unreadable body */
    }
    if (!response.ok) {
      const rawType = response.headers.get('x-amzn-ErrorType');
      // AWS may append `:<uri>` to the type, e.g. `GoneException:http://internal.amazon.com/...`.
      const errorType = rawType ? rawType.split(':')[0]!.trim() || null : null;
      const parsed = parseJson(text) as { message?: unknown; Message?: unknown } | null;
      const message = parsed?.message ?? parsed?.Message;
      const serverMessage =
        typeof message === 'string' && message !== '' ? message : parsed === null && text.trim() ? text.trim().slice(0, 300) : null;
      throw new ManagementError(response.status, errorType, serverMessage, operation);
    }
    return text;
  }
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
