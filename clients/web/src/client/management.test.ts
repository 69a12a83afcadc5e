import { describe, expect, it } from 'vitest';
import { ManagementClient, ManagementError, type FetchLike, type RequestInitLike } from './index';

interface Call {
  url: string;
  init: RequestInitLike | undefined;
}

/** A fake fetch answering from a queue of `Response`s and recording the calls. */
function fakeFetch(...responses: (Response | Error)[]) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const next = responses.shift();
    if (!next) throw new Error(`unexpected request ${init?.method} ${url}`);
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const apiError = (status: number, type: string | null, body?: unknown) =>
  new Response(body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: type ? { 'x-amzn-ErrorType': type } : {},
  });

const item = (id: string) => ({
  connectionId: id,
  connectedAt: '2025-01-01T10:00:00.123Z',
  lastActiveAt: '2025-01-01T10:00:05.000Z',
  identity: { sourceIp: '127.0.0.1', userAgent: 'test' },
});

describe('ManagementClient', () => {
  it('lists one page with limit and nextToken', async () => {
    const { fetch, calls } = fakeFetch(json({ items: [item('a')], nextToken: 'tok/+=' }));
    const api = new ManagementClient({ fetch });
    const page = await api.listPage({ limit: 25, nextToken: 'prev=' });
    expect(page).toEqual({ items: [item('a')], nextToken: 'tok/+=' });
    expect(calls[0]!.url).toBe('/production/@connections?limit=25&nextToken=prev%3D');
    expect(calls[0]!.init?.method).toBe('GET');
  });

  it('list() follows nextToken until the last page', async () => {
    const { fetch, calls } = fakeFetch(
      json({ items: [item('a'), item('b')], nextToken: 'p2+/=' }),
      json({ items: [item('c')], nextToken: 'p3' }),
      json({ items: [], nextToken: null }),
    );
    const api = new ManagementClient({ fetch });
    const all = await api.list();
    expect(all.map((c) => c.connectionId)).toEqual(['a', 'b', 'c']);
    expect(calls.map((c) => c.url)).toEqual([
      '/production/@connections?limit=100',
      '/production/@connections?limit=100&nextToken=p2%2B%2F%3D',
      '/production/@connections?limit=100&nextToken=p3',
    ]);
  });

  it('list() stops when the server repeats a token', async () => {
    const { fetch, calls } = fakeFetch(
      json({ items: [item('a')], nextToken: 'same' }),
      json({ items: [item('b')], nextToken: 'same' }),
    );
    const all = await new ManagementClient({ fetch }).list();
    expect(all).toHaveLength(2);
    expect(calls).toHaveLength(2);
  });

  it('sends an API key as a bearer token on every call, and nothing without one', async () => {
    const { fetch, calls } = fakeFetch(json({ items: [], nextToken: null }), new Response(null, { status: 200 }), json({ recipients: 0 }));
    const api = new ManagementClient({ fetch, apiKey: 'operator-key-0123456789' });
    await api.list();
    await api.post('a=', 'hi');
    await api.broadcast('all');
    expect(calls.map((c) => c.init?.headers?.authorization)).toEqual(Array(3).fill('Bearer operator-key-0123456789'));

    const plain = fakeFetch(new Response(null, { status: 204 }));
    await new ManagementClient({ fetch: plain.fetch }).delete('a=');
    expect(plain.calls[0]!.init?.headers).not.toHaveProperty('authorization');
  });

  it('marks 401 and 403 as access refusals, other errors not', async () => {
    const { fetch } = fakeFetch(
      apiError(403, 'MissingAuthenticationTokenException', { message: 'Missing Authentication Token' }),
      apiError(410, 'GoneException'),
    );
    const api = new ManagementClient({ fetch });
    const missing = await api.stats().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ManagementError);
    expect((missing as ManagementError).isAccessRefused).toBe(true);
    expect((missing as ManagementError).serverMessage).toBe('Missing Authentication Token');
    const gone = await api.post('a=', 'x').catch((e: unknown) => e);
    expect((gone as ManagementError).isAccessRefused).toBe(false);
  });

  it('uses the base path instead of the stage when given, and no prefix at the root', () => {
    expect(new ManagementClient({ stage: 'dev', basePath: 'chat' }).connectionUrl('a=')).toBe('/chat/@connections/a%3D');
    expect(new ManagementClient({ stage: 'dev', basePath: '' }).connectionUrl('a=')).toBe('/@connections/a%3D');
    expect(new ManagementClient({ stage: 'dev', basePath: '', baseUrl: 'http://gw:8080/' }).connectionUrl('a=')).toBe('http://gw:8080/@connections/a%3D');
  });

  it('uses the stage and base URL', async () => {
    const { fetch, calls } = fakeFetch(json({ connections: 1, messagesIn: 2, messagesOut: 3 }));
    const api = new ManagementClient({ fetch, stage: 'dev stage', baseUrl: 'http://127.0.0.1:8080/' });
    await api.stats();
    expect(calls[0]!.url).toBe('http://127.0.0.1:8080/dev%20stage/@stats');
  });

  it('post() encodes the id and sends the raw text', async () => {
    const { fetch, calls } = fakeFetch(new Response(null, { status: 200 }));
    const api = new ManagementClient({ fetch });
    await api.post('abc123=+/x', '{"hello":"world"}');
    expect(calls[0]!.url).toBe('/production/@connections/abc123%3D%2B%2Fx');
    expect(calls[0]!.init?.method).toBe('POST');
    expect(calls[0]!.init?.body).toBe('{"hello":"world"}');
    expect(calls[0]!.init?.headers?.['content-type']).toMatch(/^text\/plain/);
  });

  it('post() to a gone connection throws a 410 GoneException error', async () => {
    const { fetch } = fakeFetch(apiError(410, 'GoneException', { message: 'Connection abc is gone' }));
    const api = new ManagementClient({ fetch });
    const error = await api.post('abc', 'hi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementError);
    const e = error as ManagementError;
    expect(e.status).toBe(410);
    expect(e.errorType).toBe('GoneException');
    expect(e.isGone).toBe(true);
    expect(e.serverMessage).toBe('Connection abc is gone');
    expect(e.operation).toBe('POST /production/@connections/abc');
    expect(e.message).toBe('connection is gone (HTTP 410 GoneException): Connection abc is gone');
  });

  it('strips a :suffix from x-amzn-ErrorType and tolerates missing bodies', async () => {
    const { fetch } = fakeFetch(apiError(410, 'GoneException:http://internal.example/'));
    const e = (await new ManagementClient({ fetch }).delete('x').catch((err: unknown) => err)) as ManagementError;
    expect(e.errorType).toBe('GoneException');
    expect(e.serverMessage).toBeNull();
    expect(e.message).toBe('connection is gone (HTTP 410 GoneException)');
  });

  it('reports 400, 413 and 5xx with their types', async () => {
    const { fetch } = fakeFetch(
      apiError(400, 'BadRequestException', { message: 'Invalid connectionId: !!' }),
      apiError(413, 'PayloadTooLargeException', { Message: 'Message too long' }),
      apiError(500, null, 'upstream exploded'),
    );
    const api = new ManagementClient({ fetch });
    const errors = (await Promise.all([
      api.post('!!', 'x').catch((e: unknown) => e),
      api.post('ok', 'x'.repeat(10)).catch((e: unknown) => e),
      api.broadcast('x').catch((e: unknown) => e),
    ])) as ManagementError[];
    expect(errors.map((e) => [e.status, e.errorType, e.isGone])).toEqual([
      [400, 'BadRequestException', false],
      [413, 'PayloadTooLargeException', false],
      [500, null, false],
    ]);
    expect(errors[0]!.message).toBe('bad request (malformed connection id?) (HTTP 400 BadRequestException): Invalid connectionId: !!');
    expect(errors[1]!.message).toBe('payload too large (HTTP 413 PayloadTooLargeException): Message too long');
    expect(errors[2]!.message).toBe('server error (HTTP 500): upstream exploded');
  });

  it('delete() sends DELETE and accepts 204', async () => {
    const { fetch, calls } = fakeFetch(new Response(null, { status: 204 }));
    await new ManagementClient({ fetch }).delete('id=');
    expect(calls[0]).toMatchObject({ url: '/production/@connections/id%3D', init: { method: 'DELETE' } });
    expect(calls[0]!.init?.body).toBeUndefined();
  });

  it('broadcast() sends the raw text and returns the recipients', async () => {
    const { fetch, calls } = fakeFetch(json({ recipients: 3 }));
    const result = await new ManagementClient({ fetch }).broadcast('hello all');
    expect(result).toEqual({ recipients: 3 });
    expect(calls[0]).toMatchObject({ url: '/production/@broadcast', init: { method: 'POST', body: 'hello all' } });
  });

  it('stats() returns the counters', async () => {
    const { fetch } = fakeFetch(json({ connections: 4, messagesIn: 10, messagesOut: 12 }));
    expect(await new ManagementClient({ fetch }).stats()).toEqual({ connections: 4, messagesIn: 10, messagesOut: 12 });
  });

  it('turns a network failure into a status-0 error', async () => {
    const { fetch } = fakeFetch(new TypeError('Failed to fetch'));
    const e = (await new ManagementClient({ fetch }).stats().catch((err: unknown) => err)) as ManagementError;
    expect(e).toBeInstanceOf(ManagementError);
    expect(e.status).toBe(0);
    expect(e.message).toBe('network error: Failed to fetch');
  });

  it('uses the global fetch by default', async () => {
    const original = globalThis.fetch;
    const { fetch, calls } = fakeFetch(json({ recipients: 0 }));
    globalThis.fetch = fetch as unknown as typeof globalThis.fetch;
    try {
      await new ManagementClient().broadcast('x');
    } finally {
      globalThis.fetch = original;
    }
    expect(calls).toHaveLength(1);
  });
});
