// The AWS SDK for JavaScript v3 (@aws-sdk/client-apigatewaymanagementapi) against the real gateway.
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiGatewayManagementApiServiceException,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { trackedClients, USER_AGENT } from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';
import { assertV3PostsTextFrames, v3ManagementClient as managementClient } from './helpers/sdk.js';

const MAX_POST_BYTES = 131072;
const UNKNOWN_ID = 'AAAAAAAAAAAAAAA=';

/** The error a v3 call fails with (the test fails when it succeeds). */
async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded, but an error was expected');
}

/** Checks a modeled error the way users do: its class, its name and the HTTP status in $metadata. */
function assertModeled(error, ErrorClass, status) {
  assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name}, got ${error?.constructor?.name}: ${error?.name} ${error?.message}`);
  assert.ok(error instanceof ApiGatewayManagementApiServiceException);
  assert.equal(error.name, ErrorClass.name);
  assert.equal(error.$fault, 'client');
  assert.equal(error.$metadata.httpStatusCode, status);
  assert.match(error.$metadata.requestId ?? '', /^[A-Za-z0-9_-]{15}=$/, 'the request id is read from x-amzn-RequestId');
}

describe('@aws-sdk/client-apigatewaymanagementapi (v3)', () => {
  let gateway;
  let api;
  const clients = trackedClients(() => gateway.wsUrl);
  const client = clients.open;

  before(async () => {
    gateway = await startGateway();
    api = managementClient(gateway.endpoint);
  });

  after(async () => {
    api?.destroy();
    await clients.closeAll();
    await gateway?.stop();
  });

  test('PostToConnectionCommand with Data as a string delivers one text message', async () => {
    const ws = await client();
    await assertV3PostsTextFrames(api, ws, ['hello from v3', 'テスト', JSON.stringify({ action: 'notify', text: '日本語のテキスト', at: 1 })]);
  });

  test('PostToConnectionCommand with Data as a Uint8Array delivers the bytes (text when they are UTF-8)', async () => {
    const ws = await client();
    const utf8 = new TextEncoder().encode('{"greeting":"こんにちは"}');
    await api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: utf8 }));
    const text = await ws.next();
    assert.equal(text.isBinary, false);
    assert.deepEqual(new Uint8Array(text.data), utf8);

    // Bytes that are not UTF-8 cannot be a text frame; the gateway sends them unchanged as a binary frame.
    const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x41]);
    await api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: bytes }));
    const binary = await ws.next();
    assert.equal(binary.isBinary, true);
    assert.deepEqual(new Uint8Array(binary.data), bytes);
  });

  test('GetConnectionCommand returns ConnectedAt as a Date, Identity and LastActiveAt', async () => {
    const startedAt = Date.now();
    const ws = await client();
    const output = await api.send(new GetConnectionCommand({ ConnectionId: ws.id }));
    const checkedAt = Date.now();
    assert.equal(output.$metadata.httpStatusCode, 200);
    assert.ok(output.ConnectedAt instanceof Date, 'ConnectedAt is a Date');
    assert.ok(output.ConnectedAt.getTime() >= startedAt - 1000 && output.ConnectedAt.getTime() <= checkedAt + 1000, `ConnectedAt ${output.ConnectedAt.toISOString()} is close to now`);
    assert.equal(output.Identity.SourceIp, '127.0.0.1');
    assert.equal(output.Identity.UserAgent, USER_AGENT);
    assert.ok(output.LastActiveAt instanceof Date, 'LastActiveAt is a Date');
    assert.ok(output.LastActiveAt.getTime() >= output.ConnectedAt.getTime());
  });

  test('DeleteConnectionCommand closes the socket with 1000; afterwards the id is a GoneException (410)', async () => {
    const ws = await client();
    const output = await api.send(new DeleteConnectionCommand({ ConnectionId: ws.id }));
    assert.equal(output.$metadata.httpStatusCode, 204);
    assert.equal((await ws.waitClosed()).code, 1000);

    for (const command of [
      new GetConnectionCommand({ ConnectionId: ws.id }),
      new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'too late' }),
      new DeleteConnectionCommand({ ConnectionId: ws.id }),
    ]) {
      const error = await failure(api.send(command));
      assertModeled(error, GoneException, 410);
    }
  });

  test('an unknown, well-formed id is a GoneException (410)', async () => {
    const error = await failure(api.send(new PostToConnectionCommand({ ConnectionId: UNKNOWN_ID, Data: 'anyone?' })));
    assertModeled(error, GoneException, 410);
    assertModeled(await failure(api.send(new GetConnectionCommand({ ConnectionId: UNKNOWN_ID }))), GoneException, 410);
  });

  test('a malformed id is an unmodeled 400 BadRequestException with its message', async () => {
    const error = await failure(api.send(new PostToConnectionCommand({ ConnectionId: 'not-a-connection-id', Data: 'x' })));
    assert.ok(error instanceof ApiGatewayManagementApiServiceException, `got ${error?.name}: ${error?.message}`);
    assert.ok(!(error instanceof GoneException));
    assert.equal(error.name, 'BadRequestException');
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.equal(error.message, 'Invalid connectionId: not-a-connection-id');
  });

  test('more than 131072 bytes is a PayloadTooLargeException (413) and nothing is delivered', async () => {
    const ws = await client();
    const error = await failure(api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: new Uint8Array(MAX_POST_BYTES + 1).fill(0x61) })));
    assertModeled(error, PayloadTooLargeException, 413);
    assert.ok(error.message.length > 0, 'PayloadTooLargeException has a message');

    await api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'after the rejected one' }));
    const first = await ws.next();
    assert.equal(first.text, 'after the rejected one', 'the rejected payload was never delivered');
  });

  test('an endpoint with another stage is a ForbiddenException (403)', async () => {
    const ws = await client();
    const staging = managementClient(`${gateway.baseUrl}/staging`);
    try {
      for (const command of [
        new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'wrong stage' }),
        new GetConnectionCommand({ ConnectionId: ws.id }),
        new DeleteConnectionCommand({ ConnectionId: ws.id }),
      ]) {
        assertModeled(await failure(staging.send(command)), ForbiddenException, 403);
      }
    } finally {
      staging.destroy();
    }
    await api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'still here' }));
    assert.equal((await ws.next()).text, 'still here');
  });
});
