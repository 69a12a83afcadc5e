// The gateway's `lambda` integration kind against a real implementation of the Lambda Invoke API:
// serverless-offline's Lambda port running Node handlers written for API Gateway (test/fixtures/lambda).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectClient } from './helpers/client.js';
import { packageRoot, startGateway } from './helpers/gateway.js';
import { startServerlessOffline } from './helpers/serverless.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'lambda');

describe('lambda integrations against serverless-offline (the Lambda Invoke API)', () => {
  let lambda;
  let gateway;
  let dir;
  const clients = [];

  before(async () => {
    lambda = await startServerlessOffline(fixture);
    dir = mkdtempSync(join(tmpdir(), 'switchboard-lambda-'));
    const integration = (name) => ({ Type: 'lambda', FunctionName: `sbtest-dev-${name}`, Endpoint: lambda.endpoint, MaxConcurrency: 1 });
    const definition = join(dir, 'api.json');
    writeFileSync(definition, JSON.stringify({
      Switchboard: {
        Stage: 'production',
        RouteSelectionExpression: '$request.body.action',
        Routes: [
          { RouteKey: '$connect', Integration: integration('echo') },
          { RouteKey: '$default', Integration: integration('echo'), TwoWay: true },
          { RouteKey: 'fail', Integration: integration('fail'), TwoWay: true },
        ],
      },
    }));
    gateway = await startGateway({ args: ['--definition', definition] });
  });

  after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gateway?.stop();
    await lambda?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('$connect and messages run the handlers; a two-way route sends the result body back', async () => {
    const client = await connectClient(gateway.wsUrl);
    clients.push(client);

    client.send('{"action":"hello"}');

    assert.equal((await client.next(15_000)).text, 'echo MESSAGE $default {"action":"hello"}');
  });

  test('a handler that throws is the "Internal server error" frame, and the connection stays', async () => {
    const client = await connectClient(gateway.wsUrl);
    clients.push(client);

    client.send('{"action":"fail"}');
    const frame = JSON.parse((await client.next(15_000)).text);

    assert.equal(frame.message, 'Internal server error');
    assert.match(frame.requestId, /^[A-Za-z0-9_-]{15}=$/);
    client.send('{"action":"again"}');
    assert.equal((await client.next(15_000)).text, 'echo MESSAGE $default {"action":"again"}');
  });
});
