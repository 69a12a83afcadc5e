// The gateway's `lambda` integration kind against a real implementation of the Lambda Invoke API:
// serverless-offline's Lambda port running Node handlers written for API Gateway (test/fixtures/lambda).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { TestClient, withTimeout } from './helpers/client.js';
import { packageRoot, startGateway } from './helpers/gateway.js';
import { freePort, stopChild, trackExit } from './helpers/process.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'lambda');

/** Starts serverless-offline in its own process group; resolves with its Lambda port once it listens. */
async function startServerlessOffline(running) {
  const [lambdaPort, websocketPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [join(packageRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--host', '127.0.0.1',
      '--lambdaPort', String(lambdaPort), '--websocketPort', String(websocketPort), '--httpPort', String(httpPort), '--useInProcess'],
    {
      cwd: fixture,
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const exited = trackExit(child, running);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
  // Its own process group (handlers may start children): stopped by the group's id, the child's PID.
  const stop = () => stopChild({ ...child, pid: -child.pid, exitCode: child.exitCode, signalCode: child.signalCode }, exited, 5_000);
  try {
    await withTimeout(
      new Promise((resolveListening, reject) => {
        const check = () => output.includes(`listening on http://127.0.0.1:${lambdaPort}`) && resolveListening();
        // serverless writes its log to stderr.
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        exited.then(({ code }) => reject(new Error(`serverless-offline exited (${code}):\n${output}`)));
      }),
      30_000,
      `serverless-offline listening on ${lambdaPort}`,
    );
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n${output}`);
  }
  return {
    endpoint: `http://127.0.0.1:${lambdaPort}`,
    stop,
  };
}

async function connect(wsUrl) {
  const socket = new WebSocket(wsUrl);
  await withTimeout(
    new Promise((resolveOpen, reject) => {
      socket.once('open', resolveOpen);
      socket.once('unexpected-response', (_, response) => reject(new Error(`Handshake refused: HTTP ${response.statusCode}`)));
      socket.once('error', reject);
    }),
    5_000,
    `the WebSocket handshake with ${wsUrl}`,
  );
  return new TestClient(socket);
}

describe('lambda integrations against serverless-offline (the Lambda Invoke API)', () => {
  const running = new Set();
  let lambda;
  let gateway;
  let dir;
  const clients = [];

  before(async () => {
    lambda = await startServerlessOffline(running);
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
    const client = await connect(gateway.wsUrl);
    clients.push(client);

    client.send('{"action":"hello"}');

    assert.equal((await client.next(15_000)).text, 'echo MESSAGE $default {"action":"hello"}');
  });

  test('a handler that throws is the "Internal server error" frame, and the connection stays', async () => {
    const client = await connect(gateway.wsUrl);
    clients.push(client);

    client.send('{"action":"fail"}');
    const frame = JSON.parse((await client.next(15_000)).text);

    assert.equal(frame.message, 'Internal server error');
    assert.match(frame.requestId, /^[A-Za-z0-9_-]{15}=$/);
    client.send('{"action":"again"}');
    assert.equal((await client.next(15_000)).text, 'echo MESSAGE $default {"action":"again"}');
  });
});
