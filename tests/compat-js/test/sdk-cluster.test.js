// The AWS SDKs against a node that does not hold the connection: two gateways share one Redis registry, the
// client is connected to node A, and the management API calls go to node B.
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteConnectionCommand, GetConnectionCommand, GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { trackedClients } from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';
import { redisServerAvailable, startRedis } from './helpers/redis.js';
import { assertV3PostsTextFrames, v2ManagementApi, v3ManagementClient } from './helpers/sdk.js';

const UNKNOWN_ID = 'AAAAAAAAAAAAAAA=';

let skip = false;
if (!redisServerAvailable()) {
  if (process.env.CI === 'true') {
    throw new Error('redis-server is required for test/sdk-cluster.test.js (CI=true) but was not found on PATH.');
  }
  skip = 'redis-server is not installed';
}

/** The error a call fails with (the test fails when it succeeds). */
async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded, but an error was expected');
}

describe('AWS SDKs against the node that does not hold the connection (Redis registry)', { skip }, () => {
  let redis;
  let nodeA;
  let nodeB;
  let v3;
  let v2;
  const clients = trackedClients(() => nodeA.wsUrl);
  const clientOnA = clients.open;

  before(async () => {
    redis = await startRedis();
    const args = ['--Switchboard:Registry:Provider=redis', `--Switchboard:Registry:Redis:Configuration=${redis.configuration}`];
    [nodeA, nodeB] = await Promise.all([startGateway({ args }), startGateway({ args })]);
    v3 = v3ManagementClient(nodeB.endpoint);
    v2 = v2ManagementApi(nodeB.endpoint);
  });

  after(async () => {
    v3?.destroy();
    await clients.closeAll();
    await Promise.allSettled([nodeA?.stop(), nodeB?.stop()]);
    await redis?.stop();
  });

  test('the two nodes are distinct gateways', () => {
    assert.notEqual(nodeA.port, nodeB.port);
  });

  test('v3 PostToConnectionCommand on B delivers exactly the data to the client on A as a text frame', async () => {
    const ws = await clientOnA();
    await assertV3PostsTextFrames(v3, ws, ['hello across nodes', 'テスト', JSON.stringify({ via: 'node B', n: 1 })]);
  });

  test('v3 GetConnectionCommand on B returns ConnectedAt as a Date and the source ip', async () => {
    const ws = await clientOnA();
    const output = await v3.send(new GetConnectionCommand({ ConnectionId: ws.id }));
    assert.equal(output.$metadata.httpStatusCode, 200);
    assert.ok(output.ConnectedAt instanceof Date, 'ConnectedAt is a Date');
    assert.ok(!Number.isNaN(output.ConnectedAt.getTime()));
    assert.equal(output.Identity.SourceIp, '127.0.0.1');
  });

  test('v3 DeleteConnectionCommand on B closes the client on A with 1000; then GetConnection is a GoneException (410)', async () => {
    const ws = await clientOnA();
    const output = await v3.send(new DeleteConnectionCommand({ ConnectionId: ws.id }));
    assert.equal(output.$metadata.httpStatusCode, 204);

    // Gone everywhere as soon as DELETE has answered, not only once the close handshake on A has ended.
    const error = await failure(v3.send(new GetConnectionCommand({ ConnectionId: ws.id })));
    assert.ok(error instanceof GoneException, `expected GoneException, got ${error?.name}: ${error?.message}`);
    assert.equal(error.$metadata.httpStatusCode, 410);
    assert.equal((await ws.waitClosed()).code, 1000);
  });

  test('v2 postToConnection on B delivers to the client on A; an unknown id is GoneException', async () => {
    const ws = await clientOnA();
    const data = 'from aws-sdk v2 via node B';
    await v2.postToConnection({ ConnectionId: ws.id, Data: data }).promise();
    const message = await ws.next();
    assert.equal(message.isBinary, false);
    assert.equal(message.text, data);

    const error = await failure(v2.postToConnection({ ConnectionId: UNKNOWN_ID, Data: 'anyone?' }).promise());
    assert.equal(error.code, 'GoneException');
    assert.equal(error.statusCode, 410);
  });
});
