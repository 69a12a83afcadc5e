import { ManagementError } from '../client';

/**
 * The operator's API key for a protected management API, kept for this tab only (sessionStorage: gone when the tab
 * closes, never shared with other tabs or written to disk by the page).
 */
export const OPERATOR_KEY_STORAGE = 'switchboard.operatorApiKey';

/** The part of `Storage` used here; `null` when the browser offers none (storage disabled). */
export type KeyStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;

export function tabStorage(): KeyStorage {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // access denied (e.g. storage disabled by policy)
  }
}

export function loadOperatorKey(storage: KeyStorage): string | null {
  try {
    return storage?.getItem(OPERATOR_KEY_STORAGE) || null;
  } catch {
    return null;
  }
}

/** Keeps `key` for the tab, or forgets the kept one when `key` is null. */
export function storeOperatorKey(storage: KeyStorage, key: string | null): void {
  try {
    if (key) storage?.setItem(OPERATOR_KEY_STORAGE, key);
    else storage?.removeItem(OPERATOR_KEY_STORAGE);
  } catch {
    /* the key then lives in memory only, for this page */
  }
}

/** What the console asks of the operator after a management call failed with `error` while `keyInUse` was sent. */
export type KeyRequest = { kind: 'required' } | { kind: 'refused'; text: string };

/** `null` when `error` is not about access (a 410, a network error…): the console reports it where it happened. */
export function keyRequestFor(error: unknown, keyInUse: string | null): KeyRequest | null {
  if (!(error instanceof ManagementError) || !error.isAccessRefused) return null;
  if (!keyInUse) return { kind: 'required' };
  const detail = [`HTTP ${error.status}`, error.errorType].filter(Boolean).join(' ');
  return { kind: 'refused', text: `The gateway refused this API key (${detail}${error.serverMessage ? `: ${error.serverMessage}` : ''}). Enter another key.` };
}
