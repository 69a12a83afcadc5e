// Switchboard:BasePath "" mounts the API at the root, as an API Gateway custom domain with an empty base path: the
// AWS SDK v3 client's endpoint is the bare origin (no stage segment) and PostToConnection reaches the connection.
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { startGateway } from './helpers/gateway.js';
import { closeAll, openClient } from './helpers/client.js';
import { v3ManagementClient } from './helpers/sdk.js';

describe('custom domain with an empty base path (Switchboard:BasePath "")', () => {
  let gateway;
  const clients = [];
  before(async () => {
    gateway = await startGateway({ args: ['--Switchboard:BasePath='] });
  });
  after(async () => {
    await closeAll(clients);
    await gateway?.stop();
  });

  test('v3 with endpoint http://127.0.0.1:PORT (no stage) posts to a connection opened at ws://127.0.0.1:PORT/', async () => {
    const ws = await openClient(`ws://127.0.0.1:${gateway.port}/`);
    clients.push(ws);
    const client = v3ManagementClient(gateway.baseUrl);
    try {
      const posted = await client.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'via the custom domain' }));
      assert.equal(posted.$metadata.httpStatusCode, 200);
      assert.equal((await ws.next()).text, 'via the custom domain');
      const details = await client.send(new GetConnectionCommand({ ConnectionId: ws.id }));
      assert.equal(details.$metadata.httpStatusCode, 200);
    } finally {
      client.destroy();
    }
  });

  test('the stage path is not the WebSocket endpoint any more', async () => {
    await assert.rejects(openClient(`ws://127.0.0.1:${gateway.port}/${gateway.stage}`), /HTTP 404/);
  });
});
