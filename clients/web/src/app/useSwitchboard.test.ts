import { describe, expect, it } from 'vitest';
import { MAX_MESSAGES, applyIncoming, initialState } from './useSwitchboard';

const at = new Date('2025-01-01T10:00:00.000Z');

describe('applyIncoming', () => {
  it('takes the connection id from a whoami reply and does not list it', () => {
    const s = applyIncoming(initialState, { data: '{"type":"whoami","connectionId":"Ab3="}', receivedAt: at, json: { type: 'whoami', connectionId: 'Ab3=' } }, 1);
    expect(s.connectionId).toBe('Ab3=');
    expect(s.messages).toEqual([]);
  });

  it('appends other messages, newest last', () => {
    let s = applyIncoming(initialState, { data: 'one', receivedAt: at }, 1);
    s = applyIncoming(s, { data: '{"type":"chat"}', receivedAt: at, json: { type: 'chat' } }, 2);
    expect(s.messages.map((m) => [m.key, m.data])).toEqual([
      [1, 'one'],
      [2, '{"type":"chat"}'],
    ]);
    expect(s.connectionId).toBeNull();
  });

  it(`keeps at most ${MAX_MESSAGES} messages`, () => {
    let s = initialState;
    for (let i = 0; i < MAX_MESSAGES + 10; i++) s = applyIncoming(s, { data: String(i), receivedAt: at }, i);
    expect(s.messages).toHaveLength(MAX_MESSAGES);
    expect(s.messages[0]!.data).toBe('10');
    expect(s.messages.at(-1)!.data).toBe(String(MAX_MESSAGES + 9));
  });
});
