import { describe, expect, it } from 'vitest';
import { parseWhoamiReply } from './index';

describe('parseWhoamiReply', () => {
  it('returns the id of a whoami reply', () => {
    expect(parseWhoamiReply({ type: 'whoami', connectionId: 'Ab3=' })).toBe('Ab3=');
  });

  it('returns null for anything else', () => {
    for (const value of [null, 'whoami', 1, [], {}, { type: 'whoami' }, { type: 'other', connectionId: 'x' }, { type: 'whoami', connectionId: '' }]) {
      expect(parseWhoamiReply(value)).toBeNull();
    }
  });
});
