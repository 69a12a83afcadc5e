/** Where the app connects: read from the page URL and the stage its gateway wrote into it. */
export interface AppConfig {
  stage: string;
  /** WebSocket URL: `?ws=`, `ws(s)://<host>/<basePath>` when the gateway is mounted at a base path, or `ws(s)://<host>/<stage>`. */
  wsUrl: string;
  /**
   * The serving gateway's `Switchboard:BasePath` when it mounts the API there instead of at `/<stage>` (`''` is the
   * root); undefined otherwise, and whenever `?stage=` names a stage.
   */
  basePath?: string;
  /** Reconnect automatically after an unexpected close; `?reconnect=0` turns it off. */
  reconnect: boolean;
  /** `?token=`: passed to the gateway's `$connect` authorizer as the handshake's `token` query parameter; null for none. */
  token: string | null;
}

export const DEFAULT_STAGE = 'production';

export interface LocationLike {
  protocol: string;
  host: string;
  search: string;
  hash: string;
}

/** The meta element the gateway writes into the page it serves, naming its stage (src/Switchboard.Server/WebClientPage.cs). */
export const STAGE_META_NAME = 'switchboard-stage';

/** The meta element naming the serving gateway's base path; absent when the API is mounted at `/<stage>`. */
export const BASE_PATH_META_NAME = 'switchboard-base-path';

/**
 * The base path the serving gateway wrote into the page: `''` for the root, a segment such as `chat`, or null when the
 * element is absent (the API is at `/<stage>`, or the page was not served by a gateway).
 */
export function servedBasePath(document: Pick<Document, 'querySelector'>): string | null {
  const content = document.querySelector(`meta[name="${BASE_PATH_META_NAME}"]`)?.getAttribute('content');
  return content === null || content === undefined ? null : content.trim();
}

/** The stage the serving gateway wrote into the page; null when the page was not served by a gateway (vite dev server). */
export function servedStage(document: Pick<Document, 'querySelector'>): string | null {
  const content = document.querySelector(`meta[name="${STAGE_META_NAME}"]`)?.getAttribute('content')?.trim();
  return content ? content : null;
}

/**
 * `?stage=` and `?ws=` (full WebSocket URL) are read from the query string; `servedBase` is the gateway's base path
 * (`servedBasePath`), used for the URL unless `?stage=` names a stage; a query inside the hash
 * (`#/console?stage=dev`) is honoured as a fallback. Without `?stage=` the stage is the one the gateway
 * that served the page named (`served`), else `production`.
 * `?reconnect=0` (or `false`/`off`/`no`) disables automatic reconnects. `?token=` is a token for the gateway's
 * `$connect` authorizer.
 */
export function readConfig(location: LocationLike, served: string | null = null, servedBase: string | null = null): AppConfig {
  const search = new URLSearchParams(location.search);
  const hashQuery = location.hash.indexOf('?');
  const hash = new URLSearchParams(hashQuery >= 0 ? location.hash.slice(hashQuery + 1) : '');
  const get = (name: string): string | null => {
    const value = search.get(name) ?? hash.get(name);
    return value && value.trim() !== '' ? value.trim() : null;
  };
  const stage = get('stage') ?? served ?? DEFAULT_STAGE;
  // A `?stage=` asks for that stage's own path; otherwise the path the gateway mounted its API at.
  const basePath = get('stage') === null && servedBase !== null ? servedBase : undefined;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const path = encodeURIComponent(basePath ?? stage);
  const wsUrl = get('ws') ?? `${scheme}://${location.host}/${path}`;
  const reconnect = !/^(0|false|off|no)$/i.test(get('reconnect') ?? '');
  return { stage, wsUrl, reconnect, token: get('token'), ...(basePath === undefined ? {} : { basePath }) };
}

export type Route = 'client' | 'console';

/** `#/console` → console; anything else (`#/`, empty, unknown) → client. */
export function routeFromHash(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0]!.replace(/\/+$/, '');
  return path === '/console' || path === 'console' ? 'console' : 'client';
}
