// AWS's chat sample "sendmessage" function (v3 SDK, see sample/send-message.js) against the real gateway:
// live clients get the message, a client that went away is found stale through GoneException.
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { closeAll, openClient, waitUntil } from './helpers/client.js';
import { STAGE, startGateway } from './helpers/gateway.js';
import { handler, listConnectionIds, postToConnections } from './sample/send-message.js';

describe('the AWS chat sample send function (v3 SDK)', () => {
  let gateway;
  let clients = [];

  const openClients = async (count) => {
    const opened = [];
    for (let i = 0; i < count; i++) {
      opened.push(await openClient(gateway.wsUrl));
    }
    clients.push(...opened);
    return opened;
  };

  before(async () => {
    gateway = await startGateway();
  });

  // Every test starts with no connection open: the previous test's clients are closed and gone from the list.
  afterEach(async () => {
    await closeAll(clients);
    clients = [];
    await waitUntil(async () => (await listConnectionIds(gateway.endpoint)).length === 0, 5_000, 'closed connections leave the list');
  });

  after(async () => {
    await closeAll(clients);
    await gateway?.stop();
  });

  test('lists the ids, posts to each: the 2 live clients receive it, the closed one is reported stale', async () => {
    const [first, second, third] = await openClients(3);

    // Two ids a page, so listing needs nextToken to see all three.
    const ids = await listConnectionIds(gateway.endpoint, { pageSize: 2 });
    assert.deepEqual([...ids].sort(), [first.id, second.id, third.id].sort());

    // The second client leaves after the ids were read (as a table row outlives its connection).
    await second.close();

    const data = JSON.stringify({ from: 'sample', text: 'みなさん、こんにちは' });
    const { delivered, stale } = await postToConnections(gateway.endpoint, ids, data);
    assert.deepEqual(stale, [second.id], 'the closed connection is stale (GoneException)');
    assert.deepEqual([...delivered].sort(), [first.id, third.id].sort());

    for (const live of [first, third]) {
      const message = await live.next();
      assert.equal(message.isBinary, false);
      assert.equal(message.text, data);
      assert.equal(live.pending(), 0, 'exactly one message');
    }
  });

  test('the whole handler: the message of a sendmessage event reaches every open client', async () => {
    const opened = await openClients(3);
    const leaving = opened[0];
    await leaving.close();
    const live = opened.slice(1);

    const event = {
      requestContext: { domainName: `127.0.0.1:${gateway.port}`, stage: STAGE },
      body: JSON.stringify({ action: 'sendmessage', data: 'テスト from the handler' }),
    };
    const result = await handler(event, { pageSize: 1 });
    assert.equal(result.statusCode, 200);
    assert.deepEqual([...result.delivered].sort(), live.map((c) => c.id).sort());
    // The closed connection may already be gone from the list; if it was still listed, it must be stale.
    assert.ok(result.stale.every((id) => id === leaving.id), `only the closed connection can be stale: ${result.stale}`);
    for (const client of live) {
      assert.equal((await client.next()).text, 'テスト from the handler');
    }
  });

  test('errors other than GoneException are not swallowed', async () => {
    const [live] = await openClients(1);
    await assert.rejects(postToConnections(gateway.endpoint, [live.id, 'not-a-connection-id'], 'x'), (error) => {
      assert.ok(!(error instanceof GoneException));
      assert.equal(error.name, 'BadRequestException');
      assert.equal(error.$metadata.httpStatusCode, 400);
      return true;
    });
  });
});
