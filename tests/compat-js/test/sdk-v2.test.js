// The AWS SDK for JavaScript v2 (aws-sdk@2) against the real gateway: AWS.ApiGatewayManagementApi exactly as
// Lambda handlers use it, with only the endpoint pointing at Switchboard.
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { trackedClients, USER_AGENT } from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';
import { v2ManagementApi as managementApi } from './helpers/sdk.js';

const MAX_POST_BYTES = 131072;
const UNKNOWN_ID = 'AAAAAAAAAAAAAAA=';

/** The error a v2 call fails with (the test fails when it succeeds). */
async function failure(request) {
  try {
    await request.promise();
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded, but an error was expected');
}

describe('aws-sdk v2 AWS.ApiGatewayManagementApi', () => {
  let gateway;
  let api;
  const clients = trackedClients(() => gateway.wsUrl);
  const client = clients.open;

  before(async () => {
    gateway = await startGateway();
    api = managementApi(gateway.endpoint);
  });

  after(async () => {
    await clients.closeAll();
    await gateway?.stop();
  });

  test('postToConnection delivers the data as one text message, exactly', async () => {
    const ws = await client();
    const payloads = [
      'hello from aws-sdk v2',
      'テスト',
      JSON.stringify({ type: 'chat', text: 'こんにちは、世界', n: 42, nested: { ok: true, list: [1, 'two'] } }),
    ];
    for (const data of payloads) {
      const result = await api.postToConnection({ ConnectionId: ws.id, Data: data }).promise();
      assert.deepEqual(Object.keys(result), [], 'PostToConnection returns an empty result');
      const message = await ws.next();
      assert.equal(message.isBinary, false, 'delivered as a text frame');
      assert.equal(message.text, data);
      assert.equal(message.data.length, Buffer.byteLength(data, 'utf8'));
    }
    assert.equal(ws.pending(), 0, 'nothing else was delivered');
    // The JSON arrives intact, so a client can parse it.
    assert.deepEqual(JSON.parse(payloads[2]).nested, { ok: true, list: [1, 'two'] });
  });

  test('postToConnection with a Buffer of UTF-8 bytes delivers a text message', async () => {
    const ws = await client();
    const data = Buffer.from('{"message":"テスト"}', 'utf8');
    await api.postToConnection({ ConnectionId: ws.id, Data: data }).promise();
    const message = await ws.next();
    assert.equal(message.isBinary, false);
    assert.deepEqual(message.data, data);
  });

  test('getConnection returns ConnectedAt, Identity (source ip, the client User-Agent) and LastActiveAt', async () => {
    const startedAt = Date.now();
    const ws = await client();
    const connection = await api.getConnection({ ConnectionId: ws.id }).promise();
    const checkedAt = Date.now();

    assert.ok(connection.ConnectedAt instanceof Date, 'ConnectedAt is a Date');
    assert.ok(!Number.isNaN(connection.ConnectedAt.getTime()), 'ConnectedAt is a valid date');
    // Millisecond timestamps: allow a second for truncation and clock reads.
    assert.ok(connection.ConnectedAt.getTime() >= startedAt - 1000, `ConnectedAt ${connection.ConnectedAt.toISOString()} is not before the test started`);
    assert.ok(connection.ConnectedAt.getTime() <= checkedAt + 1000, `ConnectedAt ${connection.ConnectedAt.toISOString()} is not in the future`);

    assert.equal(connection.Identity.SourceIp, '127.0.0.1');
    assert.equal(connection.Identity.UserAgent, USER_AGENT);

    assert.ok(connection.LastActiveAt instanceof Date, 'LastActiveAt is a Date');
    assert.ok(connection.LastActiveAt.getTime() >= connection.ConnectedAt.getTime(), 'LastActiveAt is not before ConnectedAt');
    assert.ok(connection.LastActiveAt.getTime() <= checkedAt + 1000, 'LastActiveAt is not in the future');
  });

  test('deleteConnection closes the socket with 1000, then the id is Gone (410)', async () => {
    const ws = await client();
    await api.deleteConnection({ ConnectionId: ws.id }).promise();
    const { code } = await ws.waitClosed();
    assert.equal(code, 1000);

    const getError = await failure(api.getConnection({ ConnectionId: ws.id }));
    assert.equal(getError.code, 'GoneException');
    assert.equal(getError.statusCode, 410);
    assert.equal(getError.retryable, false);

    const postError = await failure(api.postToConnection({ ConnectionId: ws.id, Data: 'too late' }));
    assert.equal(postError.code, 'GoneException');
    assert.equal(postError.statusCode, 410);
    // Real API Gateway answers 410 with an empty body, so v2's message is the status code.
    assert.equal(postError.message, '410');

    const deleteError = await failure(api.deleteConnection({ ConnectionId: ws.id }));
    assert.equal(deleteError.code, 'GoneException');
    assert.equal(deleteError.statusCode, 410);
  });

  test('an unknown, well-formed id is Gone (410) for post, get and delete', async () => {
    for (const request of [
      api.postToConnection({ ConnectionId: UNKNOWN_ID, Data: 'anyone?' }),
      api.getConnection({ ConnectionId: UNKNOWN_ID }),
      api.deleteConnection({ ConnectionId: UNKNOWN_ID }),
    ]) {
      const error = await failure(request);
      assert.equal(error.code, 'GoneException', `${request.operation}`);
      assert.equal(error.statusCode, 410, `${request.operation}`);
    }
  });

  test('a malformed id is a 400 BadRequestException naming the id', async () => {
    for (const id of ['not-a-connection-id', 'abc/def=', 'AAAAAAAAAAAAAAA']) {
      const error = await failure(api.postToConnection({ ConnectionId: id, Data: 'x' }));
      assert.equal(error.statusCode, 400, id);
      assert.equal(error.code, 'BadRequestException', id);
      assert.equal(error.message, `Invalid connectionId: ${id}`);
    }
    const getError = await failure(api.getConnection({ ConnectionId: 'nope' }));
    assert.equal(getError.statusCode, 400);
    assert.equal(getError.code, 'BadRequestException');
  });

  test('a payload over 131072 bytes is PayloadTooLargeException (413) and nothing is delivered; 131072 bytes is fine', async () => {
    const ws = await client();
    const error = await failure(api.postToConnection({ ConnectionId: ws.id, Data: 'x'.repeat(MAX_POST_BYTES + 1) }));
    assert.equal(error.code, 'PayloadTooLargeException');
    assert.equal(error.statusCode, 413);

    // Multi-byte text is measured in bytes, not characters: 43691 × 3 bytes = 131073 bytes.
    const japanese = 'テ'.repeat(43691);
    assert.equal(Buffer.byteLength(japanese), MAX_POST_BYTES + 1);
    const japaneseError = await failure(api.postToConnection({ ConnectionId: ws.id, Data: japanese }));
    assert.equal(japaneseError.statusCode, 413);

    const largest = 'y'.repeat(MAX_POST_BYTES);
    await api.postToConnection({ ConnectionId: ws.id, Data: largest }).promise();
    // Messages to one connection keep their order, so the first one that arrives proves the rejected ones never did.
    const message = await ws.next();
    assert.equal(message.isBinary, false);
    assert.equal(message.data.length, MAX_POST_BYTES, 'the first message to arrive is the 131072-byte one');
    assert.equal(message.text, largest);
    assert.equal(ws.pending(), 0);
  });

  test('an endpoint with another stage is ForbiddenException (403)', async () => {
    const ws = await client();
    const staging = managementApi(`${gateway.baseUrl}/staging`);
    for (const request of [
      staging.postToConnection({ ConnectionId: ws.id, Data: 'wrong stage' }),
      staging.getConnection({ ConnectionId: ws.id }),
      staging.deleteConnection({ ConnectionId: ws.id }),
    ]) {
      const error = await failure(request);
      assert.equal(error.code, 'ForbiddenException', `${request.operation}`);
      assert.equal(error.statusCode, 403, `${request.operation}`);
    }
    // The connection was not touched: it is still open and postable on the right stage.
    await api.postToConnection({ ConnectionId: ws.id, Data: 'right stage' }).promise();
    assert.equal((await ws.next()).text, 'right stage');
  });
});
