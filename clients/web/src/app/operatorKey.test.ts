import { describe, expect, it } from 'vitest';
import { ManagementError } from '../client';
import { OPERATOR_KEY_STORAGE, keyRequestFor, loadOperatorKey, storeOperatorKey, type KeyStorage } from './operatorKey';

/** A sessionStorage stand-in (the tests run in node, which has none). */
function memoryStorage(): KeyStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => void items.set(name, value),
    removeItem: (name) => void items.delete(name),
  };
}

const refused = (status: number, type: string | null, message: string | null = null) =>
  new ManagementError(status, type, message, 'GET /production/@connections');

describe('operator key', () => {
  it('is kept in the tab storage and forgotten on request', () => {
    const storage = memoryStorage();
    expect(loadOperatorKey(storage)).toBeNull();
    storeOperatorKey(storage, 'operator-key-0123456789');
    expect(storage.items.get(OPERATOR_KEY_STORAGE)).toBe('operator-key-0123456789');
    expect(loadOperatorKey(storage)).toBe('operator-key-0123456789');
    storeOperatorKey(storage, null);
    expect(loadOperatorKey(storage)).toBeNull();
  });

  it('survives a browser without storage, or one that throws', () => {
    expect(loadOperatorKey(null)).toBeNull();
    storeOperatorKey(null, 'k');
    const throwing: KeyStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    expect(loadOperatorKey(throwing)).toBeNull();
    expect(() => storeOperatorKey(throwing, 'k')).not.toThrow();
  });
});

describe('keyRequestFor', () => {
  it('asks for a key when a call without one answers 401 or 403', () => {
    expect(keyRequestFor(refused(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'), null)).toEqual({ kind: 'required' });
    expect(keyRequestFor(refused(401, null), null)).toEqual({ kind: 'required' });
  });

  it('says clearly that the key was refused when one was sent', () => {
    const request = keyRequestFor(refused(403, 'ForbiddenException', 'Forbidden'), 'wrong-key-0123456789');
    expect(request).toEqual({
      kind: 'refused',
      text: 'The gateway refused this API key (HTTP 403 ForbiddenException: Forbidden). Enter another key.',
    });
    expect(JSON.stringify(request)).not.toContain('wrong-key');
  });

  it('leaves other failures to the place they happened', () => {
    expect(keyRequestFor(refused(410, 'GoneException'), null)).toBeNull();
    expect(keyRequestFor(refused(0, 'NetworkError', 'offline'), 'k')).toBeNull();
    expect(keyRequestFor(new Error('boom'), null)).toBeNull();
  });
});
