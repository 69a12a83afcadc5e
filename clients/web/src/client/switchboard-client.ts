import { TypedEmitter } from './emitter';

/** Status of a SwitchboardClient, as delivered by the `status` event. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** `status` getter value: `idle` until `connect()` is first called. */
export type ClientState = 'idle' | ConnectionStatus;

export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

export interface ReceivedMessage {
  /** The frame's text (binary frames are decoded as UTF-8). */
  data: string;
  receivedAt: Date;
  /** The parsed value when `data` is valid JSON; absent otherwise. */
  json?: unknown;
}

export interface ClientError {
  message: string;
  /** The underlying event or exception, when there is one. */
  cause?: unknown;
}

export interface RetryInfo {
  /** 1 for the first reconnect attempt after a close, 2 for the next, ... */
  attempt: number;
  delayMs: number;
}

export interface SwitchboardClientEvents {
  status: ConnectionStatus;
  open: undefined;
  close: CloseInfo;
  message: ReceivedMessage;
  error: ClientError;
  /** A reconnect attempt was scheduled `delayMs` from now. */
  retry: RetryInfo;
}

export interface ReconnectOptions {
  /** Delay before the first reconnect attempt. Default 500. */
  initialDelayMs?: number;
  /** Upper bound of the (pre-jitter) delay. Default 15000. */
  maxDelayMs?: number;
  /** Growth factor per failed attempt. Default 2. */
  factor?: number;
  /**
   * Fraction (0..1) of the delay that is randomised. The actual delay is uniformly
   * distributed in `[base * (1 - jitter), base]` (rounded up to whole ms), so it never exceeds `maxDelayMs`.
   * Default 0.5.
   */
  jitter?: number;
}

/** The part of the browser WebSocket that the client uses (lets tests inject a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType?: string;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number; reason?: string; wasClean?: boolean }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SwitchboardClientOptions {
  /** Full `ws://` or `wss://` URL, e.g. `wss://example.test/production`. */
  url: string;
  /** Reconnect settings, or `false` to never reconnect automatically. */
  reconnect?: ReconnectOptions | false;
  /** WebSocket implementation; defaults to the global `WebSocket`. */
  WebSocketImpl?: WebSocketConstructor;
  /** Random source in [0, 1) used for jitter; defaults to `Math.random`. */
  random?: () => number;
  /**
   * A token for the gateway's `$connect` authorizer, sent as the query parameter `tokenParameter` (browsers cannot set
   * headers on a WebSocket handshake). A function is called before every attempt, reconnects included, so a refreshed
   * token is used; `undefined` or `''` sends none.
   */
  token?: string | (() => string | undefined);
  /** The query parameter that carries `token`; must match the gateway's `Jwt:TokenQueryParameter`. Default `token`. */
  tokenParameter?: string;
}

/** The query parameter `token` is sent in unless `tokenParameter` names another. */
export const DEFAULT_TOKEN_PARAMETER = 'token';

/** `url` with `parameter=token` set in its query (replacing one already there); `url` itself when there is no token. */
export function withToken(url: string, token: string | undefined, parameter: string = DEFAULT_TOKEN_PARAMETER): string {
  if (!token) return url;
  const target = new URL(url);
  target.searchParams.set(parameter, token);
  return target.toString();
}

const CONNECTING = 0;
const OPEN = 1;

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  initialDelayMs: 500,
  maxDelayMs: 15000,
  factor: 2,
  jitter: 0.5,
};

/**
 * Base (pre-jitter) delay before reconnect attempt number `attempt` (0-based):
 * `min(maxDelayMs, initialDelayMs * factor^attempt)`.
 */
export function backoffBaseDelay(attempt: number, options: Required<ReconnectOptions>): number {
  const raw = options.initialDelayMs * Math.pow(options.factor, attempt);
  return Math.min(options.maxDelayMs, Number.isFinite(raw) ? raw : options.maxDelayMs);
}

/** Apply jitter: a value in `[base * (1 - jitter), base]` for `r` in [0, 1). */
export function applyJitter(base: number, jitter: number, r: number): number {
  const j = Math.min(1, Math.max(0, jitter));
  return base * (1 - j * r);
}

/** Parse a frame's text as JSON; `{ ok: false }` when it is not JSON. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function frameToText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return String(data);
}

/**
 * A WebSocket client for a Switchboard (API Gateway WebSocket compatible) stage.
 *
 * - `connect()` opens the socket; after an unexpected close (one not asked for with
 *   `close()`/`dispose()`) it reconnects with jittered exponential backoff.
 *   The backoff is reset each time a connection opens.
 * - `send(action, payload)` sends `{"action": action, ...payload}` as a text frame.
 */
export class SwitchboardClient extends TypedEmitter<SwitchboardClientEvents> {
  readonly url: string;
  private readonly reconnectOptions: Required<ReconnectOptions> | null;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly random: () => number;
  private readonly token: SwitchboardClientOptions['token'];
  private readonly tokenParameter: string;

  private ws: WebSocketLike | null = null;
  private state: ClientState = 'idle';
  /** True between `connect()` and `close()`/`dispose()`: we want to be connected. */
  private active = false;
  private disposed = false;
  /** Failed attempts since the last successful open. */
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: SwitchboardClientOptions) {
    super();
    this.url = options.url;
    this.reconnectOptions =
      options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...stripUndefined(options.reconnect ?? {}) };
    this.WebSocketImpl = options.WebSocketImpl;
    this.random = options.random ?? Math.random;
    this.token = options.token;
    this.tokenParameter = options.tokenParameter ?? DEFAULT_TOKEN_PARAMETER;
  }

  /** Current state; `idle` before the first `connect()`. */
  get status(): ClientState {
    return this.state;
  }

  /** True when a message can be sent now. */
  get isOpen(): boolean {
    return this.state === 'connected' && this.ws !== null && this.ws.readyState === OPEN;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Open the connection (no-op when already connecting or connected).
   * After `close()` it may be called again; after `dispose()` it throws.
   */
  connect(): void {
    if (this.disposed) throw new Error('SwitchboardClient: connect() after dispose()');
    if (this.active) return;
    this.active = true;
    this.attempt = 0;
    this.setStatus('connecting');
    this.openSocket();
  }

  /** Send `{"action": action, ...payload}` as JSON. Throws when not connected. */
  send(action: string, payload?: object): void {
    const message: Record<string, unknown> = { action, ...payload };
    message.action = action; // the action argument wins over a payload field of the same name
    this.sendRaw(JSON.stringify(message));
  }

  /** Send a text frame as is. Throws when not connected. */
  sendRaw(text: string): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN || this.state !== 'connected') {
      throw new Error(`SwitchboardClient: cannot send while ${this.state}`);
    }
    ws.send(text);
  }

  /**
   * Close the connection and stop reconnecting. `connect()` may be called again later.
   * The `close` event follows when the socket reports it.
   */
  close(code = 1000, reason = ''): void {
    this.active = false;
    this.clearTimer();
    const ws = this.ws;
    if (this.state !== 'idle') this.setStatus('closed');
    if (ws && (ws.readyState === CONNECTING || ws.readyState === OPEN)) {
      try {
        ws.close(code, reason);
      } catch (cause) {
        this.emit('error', { message: 'WebSocket close failed', cause });
      }
    }
  }

  /** Close, stop reconnecting for good and drop every handler. */
  dispose(): void {
    if (this.disposed) return;
    this.close(1000, 'client disposed');
    this.disposed = true;
    const ws = this.ws;
    if (ws) detach(ws);
    this.ws = null;
    this.removeAll();
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.state === status) return;
    this.state = status;
    this.emit('status', status);
  }

  private openSocket(): void {
    const Impl = this.WebSocketImpl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Impl) {
      this.fail('no WebSocket implementation available');
      return;
    }
    let ws: WebSocketLike;
    try {
      const token = typeof this.token === 'function' ? this.token() : this.token;
      ws = new Impl(withToken(this.url, token, this.tokenParameter));
    } catch (cause) {
      // A malformed URL never gets better: report and stop. The message names the URL without the token.
      this.fail(`cannot open WebSocket to ${this.url}`, cause);
      return;
    }
    try {
      ws.binaryType = 'arraybuffer';
    } catch {
      /* not supported by this implementation */
    }
    if (this.ws) detach(this.ws); // a socket still closing after close(): ignore it from now on
    this.ws = ws;

    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setStatus('connected');
      this.emit('open', undefined);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      const data = frameToText(ev.data);
      const message: ReceivedMessage = { data, receivedAt: new Date() };
      const parsed = tryParseJson(data);
      if (parsed.ok) message.json = parsed.value;
      this.emit('message', message);
    };
    ws.onerror = (cause) => {
      if (this.ws !== ws || !this.active) return;
      this.emit('error', { message: 'WebSocket error', cause });
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      detach(ws);
      this.ws = null;
      this.emit('close', {
        code: ev?.code ?? 1006,
        reason: ev?.reason ?? '',
        wasClean: ev?.wasClean ?? false,
      });
      if (this.active && this.reconnectOptions) {
        this.scheduleReconnect(this.reconnectOptions);
      } else {
        this.active = false;
        this.setStatus('closed');
      }
    };
  }

  private scheduleReconnect(options: Required<ReconnectOptions>): void {
    this.clearTimer();
    const base = backoffBaseDelay(this.attempt, options);
    // whole milliseconds, rounded up so the delay never drops below the jitter's lower bound
    const delayMs = Math.ceil(applyJitter(base, options.jitter, this.random()));
    this.attempt += 1;
    this.setStatus('reconnecting');
    this.emit('retry', { attempt: this.attempt, delayMs });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.active || this.disposed) return;
      this.openSocket();
    }, delayMs);
  }

  private fail(message: string, cause?: unknown): void {
    this.active = false;
    this.emit('error', { message, cause });
    this.setStatus('closed');
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

function detach(ws: WebSocketLike): void {
  ws.onopen = null;
  ws.onclose = null;
  ws.onmessage = null;
  ws.onerror = null;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
