/** Where the app connects: read from the page URL. */
export interface AppConfig {
  stage: string;
  /** WebSocket URL: `?ws=` or `ws(s)://<host>/<stage>`. */
  wsUrl: string;
  /** Reconnect automatically after an unexpected close; `?reconnect=0` turns it off. */
  reconnect: boolean;
}

export const DEFAULT_STAGE = 'production';

export interface LocationLike {
  protocol: string;
  host: string;
  search: string;
  hash: string;
}

/**
 * `?stage=` (default `production`) and `?ws=` (full WebSocket URL) are read from the query
 * string; a query inside the hash (`#/console?stage=dev`) is honoured as a fallback.
 * `?reconnect=0` (or `false`/`off`/`no`) disables automatic reconnects.
 */
export function readConfig(location: LocationLike): AppConfig {
  const search = new URLSearchParams(location.search);
  const hashQuery = location.hash.indexOf('?');
  const hash = new URLSearchParams(hashQuery >= 0 ? location.hash.slice(hashQuery + 1) : '');
  const get = (name: string): string | null => {
    const value = search.get(name) ?? hash.get(name);
    return value && value.trim() !== '' ? value.trim() : null;
  };
  const stage = get('stage') ?? DEFAULT_STAGE;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const wsUrl = get('ws') ?? `${scheme}://${location.host}/${encodeURIComponent(stage)}`;
  const reconnect = !/^(0|false|off|no)$/i.test(get('reconnect') ?? '');
  return { stage, wsUrl, reconnect };
}

export type Route = 'client' | 'console';

/** `#/console` → console; anything else (`#/`, empty, unknown) → client. */
export function routeFromHash(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0]!.replace(/\/+$/, '');
  return path === '/console' || path === 'console' ? 'console' : 'client';
}
