// Wire-level checks with plain fetch and a raw socket: what the SDKs would not exercise, or would hide.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeAll, openClient, USER_AGENT, waitUntil } from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';
import { RawWebSocket } from './helpers/raw-websocket.js';

const ID_SHAPE = /^[A-Za-z0-9_-]{15}=$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UNKNOWN_ID = 'AAAAAAAAAAAAAAA=';

describe('raw HTTP and WebSocket wire checks', () => {
  let gateway;
  const clients = [];

  const client = async () => {
    const opened = await openClient(gateway.wsUrl);
    clients.push(opened);
    return opened;
  };

  before(async () => {
    gateway = await startGateway();
  });

  after(async () => {
    await closeAll(clients);
    await gateway?.stop();
  });

  test('POST /production/%40connections/<id with %3D> is accepted (200) and delivered', async () => {
    const ws = await client();
    const encodedId = encodeURIComponent(ws.id);
    assert.ok(encodedId.endsWith('%3D'), 'the id is encoded as the SDKs encode it');

    const response = await fetch(`${gateway.endpoint}/%40connections/${encodedId}`, { method: 'POST', body: 'via %40connections' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('x-amzn-requestid') ?? '', ID_SHAPE);
    assert.equal((await response.text()).length, 0, 'empty body');
    const message = await ws.next();
    assert.equal(message.isBinary, false);
    assert.equal(message.text, 'via %40connections');

    // The unencoded forms work as well.
    const plain = await fetch(`${gateway.endpoint}/@connections/${ws.id}`, { method: 'POST', body: 'via @connections and =' });
    assert.equal(plain.status, 200);
    assert.equal((await ws.next()).text, 'via @connections and =');

    // GET and DELETE through %40connections too.
    const get = await fetch(`${gateway.endpoint}/%40connections/${encodedId}`);
    assert.equal(get.status, 200);
    const del = await fetch(`${gateway.endpoint}/%40connections/${encodedId}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await del.text()).length, 0);
    assert.equal((await ws.waitClosed()).code, 1000);
  });

  test('GetConnection wire body: lowerCamel members, millisecond ISO timestamps, application/json', async () => {
    const ws = await client();
    const response = await fetch(`${gateway.endpoint}/@connections/${encodeURIComponent(ws.id)}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = await response.json();
    assert.deepEqual(Object.keys(body).sort(), ['connectedAt', 'identity', 'lastActiveAt']);
    assert.match(body.connectedAt, TIMESTAMP);
    assert.match(body.lastActiveAt, TIMESTAMP);
    assert.deepEqual(body.identity, { sourceIp: '127.0.0.1', userAgent: USER_AGENT });
  });

  test('every error response has x-amzn-ErrorType and x-amzn-RequestId, and an empty or JSON body', async () => {
    const ws = await client();
    const other = `${gateway.baseUrl}/staging`;
    const cases = [
      { method: 'POST', url: `${gateway.endpoint}/@connections/${UNKNOWN_ID}`, body: 'x', status: 410, type: 'GoneException' },
      { method: 'GET', url: `${gateway.endpoint}/@connections/${UNKNOWN_ID}`, status: 410, type: 'GoneException' },
      { method: 'DELETE', url: `${gateway.endpoint}/@connections/${UNKNOWN_ID}`, status: 410, type: 'GoneException' },
      { method: 'POST', url: `${gateway.endpoint}/@connections/not-an-id`, body: 'x', status: 400, type: 'BadRequestException', message: 'Invalid connectionId: not-an-id' },
      { method: 'GET', url: `${gateway.endpoint}/@connections/short%3D`, status: 400, type: 'BadRequestException', message: 'Invalid connectionId: short=' },
      { method: 'DELETE', url: `${gateway.endpoint}/@connections/not-an-id`, status: 400, type: 'BadRequestException' },
      { method: 'POST', url: `${gateway.endpoint}/@connections/${ws.id}`, body: 'z'.repeat(131073), status: 413, type: 'PayloadTooLargeException' },
      { method: 'POST', url: `${gateway.endpoint}/@broadcast`, body: 'z'.repeat(131073), status: 413, type: 'PayloadTooLargeException' },
      { method: 'POST', url: `${other}/@connections/${ws.id}`, body: 'x', status: 403, type: 'ForbiddenException' },
      { method: 'GET', url: `${other}/@connections/${ws.id}`, status: 403, type: 'ForbiddenException' },
      { method: 'DELETE', url: `${other}/%40connections/${encodeURIComponent(ws.id)}`, status: 403, type: 'ForbiddenException' },
      { method: 'GET', url: `${gateway.endpoint}/@connections?limit=0`, status: 400, type: 'BadRequestException' },
      { method: 'GET', url: `${gateway.endpoint}/@connections?nextToken=bogus`, status: 400, type: 'BadRequestException' },
    ];
    for (const c of cases) {
      const label = `${c.method} ${c.url.replace(gateway.baseUrl, '')}`.slice(0, 100);
      const response = await fetch(c.url, { method: c.method, body: c.body });
      assert.equal(response.status, c.status, label);
      assert.equal(response.headers.get('x-amzn-errortype'), c.type, label);
      assert.match(response.headers.get('x-amzn-requestid') ?? '', ID_SHAPE, `${label}: x-amzn-RequestId`);
      const text = await response.text();
      if (c.status === 410 || c.status === 403) {
        assert.equal(text, '', `${label}: API Gateway answers ${c.status} with an empty body`);
      } else {
        // The SDKs JSON.parse any non-empty error body.
        const body = JSON.parse(text);
        assert.equal(typeof body.message, 'string', label);
        if (c.message) {
          assert.equal(body.message, c.message, label);
        }
      }
    }
    // The rejected post delivered nothing.
    await fetch(`${gateway.endpoint}/@connections/${ws.id}`, { method: 'POST', body: 'after the errors' });
    assert.equal((await ws.next()).text, 'after the errors');
    assert.equal(ws.pending(), 0);
  });

  test('successful responses carry x-amzn-RequestId too, a new one each time', async () => {
    const ws = await client();
    const ids = new Set();
    for (const [method, body] of [['POST', 'hi'], ['GET'], ['DELETE']]) {
      const response = await fetch(`${gateway.endpoint}/@connections/${ws.id}`, { method, body });
      assert.ok(response.ok, `${method}: ${response.status}`);
      const requestId = response.headers.get('x-amzn-requestid');
      assert.match(requestId ?? '', ID_SHAPE, method);
      ids.add(requestId);
      await response.arrayBuffer();
    }
    assert.equal(ids.size, 3);
  });

  test('the list extension pages with limit and nextToken', async () => {
    // Start from a clean list: earlier tests' clients are closed.
    await closeAll(clients.splice(0));
    const a = await client();
    const b = await client();
    const open = new Set([a.id, b.id]);

    const list = async (query) => {
      const response = await fetch(`${gateway.endpoint}/@connections${query}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('x-amzn-requestid') ?? '', ID_SHAPE);
      return response.json();
    };
    const pageAfter = async (token) => list(`?limit=1${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);

    // Connections closed just before leave the list once their socket is done; wait until only a and b remain.
    const all = await waitUntil(async () => {
      const page = await list('?limit=1000');
      return page.items.length === 2 ? page : null;
    }, 5_000, 'only the 2 open connections are listed');
    assert.deepEqual(new Set(all.items.map((item) => item.connectionId)), open);
    assert.equal(all.nextToken, null);

    const first = await pageAfter(null);
    assert.equal(first.items.length, 1);
    assert.equal(typeof first.nextToken, 'string', 'a first page of 1 out of 2 has a nextToken');
    const item = first.items[0];
    assert.ok(open.has(item.connectionId));
    assert.match(item.connectedAt, TIMESTAMP);
    assert.match(item.lastActiveAt, TIMESTAMP);
    assert.equal(item.identity.sourceIp, '127.0.0.1');
    assert.equal(item.identity.userAgent, USER_AGENT);

    const second = await pageAfter(first.nextToken);
    assert.equal(second.items.length, 1);
    assert.notEqual(second.items[0].connectionId, item.connectionId, 'the second page has the other id');
    assert.ok(open.has(second.items[0].connectionId));
    if (second.nextToken !== null) {
      const third = await pageAfter(second.nextToken);
      assert.deepEqual(third.items, []);
      assert.equal(third.nextToken, null);
    }
  });

  test('the broadcast extension reaches every open client and counts them', async () => {
    const a = await client();
    const b = await client();
    const expected = (await (await fetch(`${gateway.endpoint}/@connections?limit=1000`)).json()).items.length;
    const response = await fetch(`${gateway.endpoint}/@broadcast`, { method: 'POST', body: 'テスト broadcast' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('x-amzn-requestid') ?? '', ID_SHAPE);
    const { recipients } = await response.json();
    assert.ok(recipients >= 2 && recipients <= expected, `recipients ${recipients}`);
    for (const ws of [a, b]) {
      const message = await ws.next();
      assert.equal(message.isBinary, false);
      assert.equal(message.text, 'テスト broadcast');
    }
  });

  test('on the wire, PostToConnection is exactly one unfragmented, unmasked text frame', async () => {
    const raw = await RawWebSocket.connect(gateway.port, '/production');
    try {
      raw.sendText('{"action":"whoami"}');
      const reply = await raw.nextFrame();
      assert.equal(reply.opcode, 1);
      const { connectionId } = JSON.parse(reply.payload.toString('utf8'));
      assert.match(connectionId, ID_SHAPE);

      for (const data of ['テスト', JSON.stringify({ text: '日本語', big: 'x'.repeat(70_000) })]) {
        const response = await fetch(`${gateway.endpoint}/@connections/${encodeURIComponent(connectionId)}`, { method: 'POST', body: data });
        assert.equal(response.status, 200);
        const frame = await raw.nextFrame();
        assert.equal(frame.opcode, 1, 'a text frame');
        assert.equal(frame.fin, true, 'not fragmented');
        assert.equal(frame.rsv, 0, 'no extension bits');
        assert.equal(frame.masked, false, 'server frames are not masked');
        assert.deepEqual(frame.payload, Buffer.from(data, 'utf8'));
      }
      assert.equal(raw.frames.length, 0, 'no further frames');
    } finally {
      raw.destroy();
    }
  });
});
