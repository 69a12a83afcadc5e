import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket } from '../test/fake-websocket';
import {
  SwitchboardClient,
  withToken,
  applyJitter,
  backoffBaseDelay,
  DEFAULT_RECONNECT,
  type ConnectionStatus,
  type ReceivedMessage,
  type SwitchboardClientOptions,
} from './index';

const URL = 'ws://gateway.test/production';

function makeClient(options: Partial<SwitchboardClientOptions> = {}) {
  const client = new SwitchboardClient({ url: URL, WebSocketImpl: FakeWebSocket, random: () => 0, ...options });
  const statuses: ConnectionStatus[] = [];
  const retries: number[] = [];
  client.on('status', (s) => statuses.push(s));
  client.on('retry', (r) => retries.push(r.delayMs));
  return { client, statuses, retries };
}

beforeEach(() => {
  FakeWebSocket.reset();
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('sending', () => {
  it('sends JSON with the action first and the payload fields', () => {
    const { client } = makeClient();
    client.connect();
    FakeWebSocket.last.serverOpen();

    client.send('sendmessage', { data: 'hello' });
    client.send('whoami');
    client.send('x', { action: 'ignored', n: 1, nested: { a: [1, 2] } });

    expect(FakeWebSocket.last.sent).toEqual([
      '{"action":"sendmessage","data":"hello"}',
      '{"action":"whoami"}',
      '{"action":"x","n":1,"nested":{"a":[1,2]}}',
    ]);
  });

  it('sendRaw sends the text as is', () => {
    const { client } = makeClient();
    client.connect();
    FakeWebSocket.last.serverOpen();
    client.sendRaw('not json {');
    expect(FakeWebSocket.last.sent).toEqual(['not json {']);
  });

  it('throws when not connected', () => {
    const { client } = makeClient();
    expect(() => client.send('a')).toThrow(/cannot send/);
    client.connect();
    expect(() => client.send('a')).toThrow(/cannot send while connecting/);
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverClose(1006);
    expect(() => client.sendRaw('a')).toThrow(/cannot send while reconnecting/);
  });

  it('opens the socket on the configured URL with arraybuffer frames', () => {
    const { client } = makeClient();
    client.connect();
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(FakeWebSocket.last.url).toBe(URL);
    expect(FakeWebSocket.last.binaryType).toBe('arraybuffer');
    client.connect(); // already connecting: no second socket
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe('reconnect backoff', () => {
  it('computes min(max, initial * factor^n)', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffBaseDelay(n, DEFAULT_RECONNECT));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(backoffBaseDelay(5000, DEFAULT_RECONNECT)).toBe(15000); // Infinity is capped too
  });

  it('jitter keeps the delay within [base * (1 - jitter), base]', () => {
    expect(applyJitter(1000, 0.5, 0)).toBe(1000);
    expect(applyJitter(1000, 0.5, 0.5)).toBe(750);
    expect(applyJitter(1000, 0.5, 0.999999)).toBeCloseTo(500, 2);
    expect(applyJitter(1000, 0, 0.9)).toBe(1000);
    expect(applyJitter(1000, 7, 0.5)).toBe(500); // jitter is clamped to 1
  });

  it('reconnects after an unexpected close at exactly the backoff delays', () => {
    const { client, retries } = makeClient(); // random() = 0 → no jitter reduction
    client.connect();
    FakeWebSocket.last.fail();

    const expected = [500, 1000, 2000, 4000, 8000, 15000, 15000];
    for (const [i, delay] of expected.entries()) {
      expect(FakeWebSocket.instances).toHaveLength(i + 1);
      vi.advanceTimersByTime(delay - 1);
      expect(FakeWebSocket.instances, `attempt ${i + 1} not before ${delay} ms`).toHaveLength(i + 1);
      vi.advanceTimersByTime(1);
      expect(FakeWebSocket.instances, `attempt ${i + 1} at ${delay} ms`).toHaveLength(i + 2);
      FakeWebSocket.last.fail();
    }
    expect(retries).toEqual([...expected, 15000]);
  });

  it('honours custom options', () => {
    const { client, retries } = makeClient({
      reconnect: { initialDelayMs: 100, maxDelayMs: 1000, factor: 3, jitter: 0 },
      random: () => 0.9,
    });
    client.connect();
    for (let i = 0; i < 4; i++) {
      FakeWebSocket.last.fail();
      vi.runOnlyPendingTimers();
    }
    expect(retries).toEqual([100, 300, 900, 1000]);
  });

  it('jittered delays stay within bounds and actually vary', () => {
    const random = vi.fn(Math.random);
    const { client } = makeClient({ random });
    const samples: { attempt: number; delayMs: number }[] = [];
    client.on('retry', (r) => samples.push(r));
    client.connect();
    for (let i = 0; i < 300; i++) {
      FakeWebSocket.last.fail();
      vi.runOnlyPendingTimers();
      if (i % 8 === 7) {
        // an open resets the backoff, so every step of the ladder is sampled many times
        FakeWebSocket.last.serverOpen();
        FakeWebSocket.last.serverClose(1001);
        vi.runOnlyPendingTimers();
      }
    }
    expect(random).toHaveBeenCalledTimes(samples.length);
    for (const { attempt, delayMs } of samples) {
      const base = backoffBaseDelay(attempt - 1, DEFAULT_RECONNECT);
      expect(delayMs).toBeGreaterThanOrEqual(base * (1 - DEFAULT_RECONNECT.jitter));
      expect(delayMs).toBeLessThanOrEqual(base);
    }
    expect(new Set(samples.map((s) => s.attempt))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(new Set(samples.map((s) => Math.round(s.delayMs))).size).toBeGreaterThan(100);
  });

  it('waits a random time between the jitter bounds (fake timers)', () => {
    const { client } = makeClient({ random: () => 0.999 });
    client.connect();
    FakeWebSocket.last.fail();
    // base 500, jitter 0.5, r 0.999 → 250.25 → 251 ms
    vi.advanceTimersByTime(250);
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('resets the backoff after a successful open', () => {
    const { client, retries } = makeClient();
    client.connect();
    FakeWebSocket.last.fail(); // 500
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.fail(); // 1000
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.fail(); // 2000
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverClose(1001, 'going away'); // back to 500
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.fail(); // 1000
    expect(retries).toEqual([500, 1000, 2000, 500, 1000]);

    vi.advanceTimersByTime(999);
    expect(FakeWebSocket.instances).toHaveLength(5);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(6);
  });

  it('does not reconnect when reconnect is false', () => {
    const { client, statuses } = makeClient({ reconnect: false });
    client.connect();
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverClose(1006);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(statuses).toEqual(['connecting', 'connected', 'closed']);
  });
});

describe('dispose and close', () => {
  it('does not reconnect after dispose while connected', () => {
    const { client } = makeClient();
    client.connect();
    const ws = FakeWebSocket.last;
    ws.serverOpen();
    client.dispose();
    expect(ws.closeCalls).toEqual([{ code: 1000, reason: 'client disposed' }]);
    ws.serverClose(1000, '', true); // the real socket would report the close later
    vi.advanceTimersByTime(120_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(client.status).toBe('closed');
    expect(() => client.connect()).toThrow(/dispose/);
  });

  it('cancels a pending reconnect on dispose', () => {
    const { client } = makeClient();
    client.connect();
    FakeWebSocket.last.fail();
    expect(vi.getTimerCount()).toBe(1);
    client.dispose();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('emits nothing after dispose', () => {
    const { client } = makeClient();
    const events: string[] = [];
    client.on('message', () => events.push('message'));
    client.on('close', () => events.push('close'));
    client.connect();
    const ws = FakeWebSocket.last;
    ws.serverOpen();
    client.dispose();
    ws.serverMessage('late');
    ws.serverClose(1006);
    expect(events).toEqual([]);
    expect(client.listenerCount('message')).toBe(0);
  });

  it('close() stops reconnecting, reports the close, and connect() works again', () => {
    const { client, statuses } = makeClient();
    const closes: number[] = [];
    client.on('close', (c) => closes.push(c.code));
    client.connect();
    FakeWebSocket.last.serverOpen();
    client.close();
    expect(client.status).toBe('closed');
    FakeWebSocket.last.serverClose(1000, '', true);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(closes).toEqual([1000]);

    client.connect();
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.serverOpen();
    expect(statuses).toEqual(['connecting', 'connected', 'closed', 'connecting', 'connected']);
  });

  it('close() during a pending reconnect cancels it', () => {
    const { client, statuses } = makeClient();
    client.connect();
    FakeWebSocket.last.fail();
    client.close();
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(statuses).toEqual(['connecting', 'reconnecting', 'closed']);
  });
});

describe('messages', () => {
  function collect() {
    const { client } = makeClient();
    const messages: ReceivedMessage[] = [];
    client.on('message', (m) => messages.push(m));
    client.connect();
    FakeWebSocket.last.serverOpen();
    return { client, messages, ws: FakeWebSocket.last };
  }

  it('parses JSON when the text is JSON', () => {
    vi.setSystemTime(new Date('2025-01-01T10:00:00.123Z'));
    const { messages, ws } = collect();
    ws.serverMessage('{"type":"whoami","connectionId":"abc="}');
    ws.serverMessage('[1,2]');
    ws.serverMessage('42');
    expect(messages.map((m) => m.json)).toEqual([{ type: 'whoami', connectionId: 'abc=' }, [1, 2], 42]);
    expect(messages[0]!.data).toBe('{"type":"whoami","connectionId":"abc="}');
    expect(messages[0]!.receivedAt).toBeInstanceOf(Date);
    expect(messages[0]!.receivedAt.toISOString()).toBe('2025-01-01T10:00:00.123Z');
  });

  it('leaves json absent for plain text', () => {
    const { messages, ws } = collect();
    ws.serverMessage('hello world');
    ws.serverMessage('{broken');
    ws.serverMessage('');
    expect(messages.map((m) => m.data)).toEqual(['hello world', '{broken', '']);
    for (const m of messages) {
      expect('json' in m).toBe(false);
      expect(m.json).toBeUndefined();
    }
  });

  it('decodes binary frames as UTF-8', () => {
    const { messages, ws } = collect();
    ws.serverMessage(new TextEncoder().encode('{"x":"é"}').buffer);
    expect(messages[0]).toMatchObject({ data: '{"x":"é"}', json: { x: 'é' } });
  });

  it('ignores frames from a replaced socket', () => {
    const { messages, ws } = collect();
    ws.serverClose(1006);
    vi.runOnlyPendingTimers();
    ws.serverMessage('stale');
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverMessage('fresh');
    expect(messages.map((m) => m.data)).toEqual(['fresh']);
  });
});

describe('status and events', () => {
  it('goes connecting → connected → reconnecting → connected → closed', () => {
    const { client, statuses } = makeClient();
    const events: string[] = [];
    client.on('open', () => events.push('open'));
    client.on('close', (c) => events.push(`close ${c.code} ${c.reason} ${c.wasClean}`));
    expect(client.status).toBe('idle');

    client.connect();
    expect(client.status).toBe('connecting');
    FakeWebSocket.last.serverOpen();
    expect(client.isOpen).toBe(true);
    FakeWebSocket.last.serverClose(1001, 'going away', true);
    expect(client.status).toBe('reconnecting');
    vi.runOnlyPendingTimers();
    expect(client.status).toBe('reconnecting'); // still trying
    FakeWebSocket.last.serverOpen();
    client.dispose();

    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected', 'closed']);
    expect(events).toEqual(['open', 'close 1001 going away true', 'open']);
  });

  it('a failed first attempt goes to reconnecting and reports an error', () => {
    const { client, statuses } = makeClient();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.message));
    client.connect();
    FakeWebSocket.last.fail();
    expect(statuses).toEqual(['connecting', 'reconnecting']);
    expect(errors).toEqual(['WebSocket error']);
  });

  it('a constructor that throws (bad URL) ends in closed without retrying', () => {
    class Throwing extends FakeWebSocket {
      constructor(url: string) {
        super(url);
        throw new SyntaxError('bad url');
      }
    }
    const { client, statuses } = makeClient({ WebSocketImpl: Throwing });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.message));
    client.connect();
    vi.advanceTimersByTime(60_000);
    expect(statuses).toEqual(['connecting', 'closed']);
    expect(errors[0]).toMatch(/cannot open WebSocket/);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('on() returns an unsubscribe function; a throwing handler does not stop others', () => {
    const { client } = makeClient();
    const errorSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: string[] = [];
    const off = client.on('message', (m) => seen.push(`a:${m.data}`));
    client.on('message', () => {
      throw new Error('boom');
    });
    client.on('message', (m) => seen.push(`c:${m.data}`));
    client.connect();
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverMessage('1');
    off();
    off();
    FakeWebSocket.last.serverMessage('2');
    expect(seen).toEqual(['a:1', 'c:1', 'c:2']);
    expect(errorSpy).toHaveBeenCalledTimes(2);
  });

  it('once() delivers a single event', () => {
    const { client } = makeClient();
    const seen: string[] = [];
    client.once('message', (m) => seen.push(m.data));
    client.connect();
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverMessage('1');
    FakeWebSocket.last.serverMessage('2');
    expect(seen).toEqual(['1']);
  });
});

describe('token for the $connect authorizer', () => {
  it('is sent as the token query parameter, keeping the rest of the URL', () => {
    const { client } = makeClient({ url: 'ws://gateway.test/production?x=1', token: 'abc.def-ghi' });
    client.connect();
    expect(FakeWebSocket.last.url).toBe('ws://gateway.test/production?x=1&token=abc.def-ghi');
  });

  it('uses the configured parameter name and encodes the token', () => {
    const { client } = makeClient({ token: 'a b+c/=', tokenParameter: 'access_token' });
    client.connect();
    expect(new globalThis.URL(FakeWebSocket.last.url).searchParams.get('access_token')).toBe('a b+c/=');
    expect(new globalThis.URL(FakeWebSocket.last.url).searchParams.has('token')).toBe(false);
  });

  it('asks a token function again for every reconnect attempt', () => {
    let n = 0;
    const { client } = makeClient({ token: () => `t${++n}` });
    client.connect();
    expect(new globalThis.URL(FakeWebSocket.last.url).searchParams.get('token')).toBe('t1');
    FakeWebSocket.last.serverClose(1006, '');
    vi.runOnlyPendingTimers();
    expect(new globalThis.URL(FakeWebSocket.last.url).searchParams.get('token')).toBe('t2');
  });

  it('sends no parameter without a token, and the client URL never shows it', () => {
    const { client } = makeClient({ token: () => undefined });
    client.connect();
    expect(FakeWebSocket.last.url).toBe(URL);
    expect(withToken(URL, '')).toBe(URL);
    expect(new SwitchboardClient({ url: URL, token: 'secret' }).url).toBe(URL);
  });

  it('replaces a token already in the URL', () => {
    expect(withToken('ws://gateway.test/p?token=old', 'new')).toBe('ws://gateway.test/p?token=new');
  });
});
