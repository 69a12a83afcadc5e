/**
 * The gateway's demo API has a two-way route `whoami`: after sending `{"action":"whoami"}`
 * the client receives `{"type":"whoami","connectionId":"<id>"}`.
 */
export const WHOAMI_ACTION = 'whoami';

/** The connection id when `json` is a whoami reply, otherwise `null`. */
export function parseWhoamiReply(json: unknown): string | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const value = json as { type?: unknown; connectionId?: unknown };
  if (value.type !== 'whoami' || typeof value.connectionId !== 'string' || value.connectionId === '') return null;
  return value.connectionId;
}
