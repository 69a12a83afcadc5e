// The path a user of AWS's WebSocket chat tutorial takes (samples/lambda-handlers/README.md, step by step): the
// tutorial's three Node handlers with aws-sdk v2 (samples/lambda-handlers), unchanged, run by serverless-offline's
// Lambda port; dynalite as the DynamoDB table; Switchboard's `lambda` kind in place of API Gateway. The send function
// builds its management endpoint as `domainName + '/' + stage`, without a scheme, so the SDK posts over https: the
// gateway serves TLS with a throwaway self-signed certificate, which the handlers trust through NODE_EXTRA_CA_CERTS.
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import AWS from 'aws-sdk';
import { connectClient, waitUntil } from './helpers/client.js';
import { startDynalite } from './helpers/dynalite.js';
import { packageRoot, run, startGateway } from './helpers/gateway.js';
import { startServerlessOffline } from './helpers/serverless.js';
import { WscatSession } from './helpers/wscat.js';

const sample = resolve(packageRoot, '..', '..', 'samples', 'lambda-handlers');
const TABLE_NAME = 'simplechat_connections';
// A well-formed id (16 characters ending in '=') that no connection has: the gateway answers 410 Gone for it.
const STALE_ID = 'GoneConnection0=';

let skip = false;
const openssl = spawnSync('openssl', ['version'], { stdio: 'ignore' });
if (openssl.error || openssl.status !== 0) {
  if (process.env.CI === 'true') {
    throw new Error('openssl is required for test/seed-recipe.test.js (CI=true), to make the gateway\'s certificate, but was not found on PATH.');
  }
  skip = 'openssl is not installed';
}

/** The JSON body of an https GET that trusts only `ca`. */
function getJson(url, ca) {
  return new Promise((resolveBody, reject) => {
    const call = request(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk) => { body += chunk; });
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`GET ${url}: HTTP ${response.statusCode} ${body}`));
        else resolveBody(JSON.parse(body));
      });
    });
    call.on('error', reject);
    call.end();
  });
}

describe('the chat tutorial\'s Node handlers, unchanged, behind Switchboard (serverless-offline, dynalite)', { skip }, () => {
  let dir;
  let dynamodb;
  let lambda;
  let gateway;
  let ca;
  let certificatePath;
  let table;
  let first;
  let second;

  const tableIds = async () => (await table.scan({ TableName: TABLE_NAME }).promise()).Items.map((item) => item.connectionId).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-seed-recipe-'));
    certificatePath = join(dir, 'gateway.pem');
    const keyPath = join(dir, 'gateway-key.pem');
    // The recipe's commands, in its order (ports picked free instead of its fixed ones).
    const certificate = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certificatePath]);
    assert.equal(certificate.code, 0, `openssl failed:\n${certificate.stderr}`);
    ca = readFileSync(certificatePath);

    dynamodb = await startDynalite();
    // What the recipe exports in the handlers' folder. NODE_PATH stands in for the folder's own `npm install`: the
    // packages are this suite's, the same versions (checked below).
    const handlerEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: dynamodb.endpoint,
      NODE_OPTIONS: '--require ./local-endpoints.js',
      NODE_PATH: join(packageRoot, 'node_modules'),
    };
    const created = await run(process.execPath, ['create-table.js'], { cwd: sample, env: handlerEnv });
    assert.equal(created.code, 0, `create-table.js failed:\n${created.stdout}${created.stderr}`);

    lambda = await startServerlessOffline(sample, { env: { ...handlerEnv, NODE_EXTRA_CA_CERTS: certificatePath } });

    const definition = JSON.parse(readFileSync(join(sample, 'switchboard.json'), 'utf8'));
    for (const route of definition.Switchboard.Routes) route.Integration.Endpoint = lambda.endpoint;
    const definitionPath = join(dir, 'switchboard.json');
    writeFileSync(definitionPath, JSON.stringify(definition));
    gateway = await startGateway({ args: ['--definition', definitionPath], tls: { certificatePath, keyPath } });

    table = new AWS.DynamoDB.DocumentClient({
      endpoint: dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  after(async () => {
    await second?.quit();
    await first?.close();
    await gateway?.stop();
    await lambda?.stop();
    await dynamodb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the sample names the package versions this suite runs it with', () => {
    const { dependencies, devDependencies } = JSON.parse(readFileSync(join(sample, 'package.json'), 'utf8'));
    for (const [name, version] of Object.entries({ ...dependencies, ...devDependencies })) {
      const installed = JSON.parse(readFileSync(join(packageRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
      assert.equal(installed, version, `samples/lambda-handlers/package.json names ${name} ${version}; this suite has ${installed}`);
    }
  });

  test('two clients connect (ws, and wscat as the recipe runs it): $connect puts each id in the table', async () => {
    first = await connectClient(gateway.wsUrl, { ca }, 15_000);
    // $connect has run before the handshake is answered.
    const afterFirst = await tableIds();
    assert.equal(afterFirst.length, 1);
    [first.id] = afterFirst;

    second = new WscatSession(gateway.wsUrl, ['--ca', certificatePath]);
    const ids = await waitUntil(async () => {
      const found = await tableIds();
      return found.length === 2 && found;
    }, 15_000, 'wscat\'s connection id is in the table');
    second.id = ids.find((id) => id !== first.id);

    const listed = await getJson(`${gateway.endpoint}/@connections`, ca);
    assert.deepEqual(listed.items.map((item) => item.connectionId).sort(), ids, 'the table holds the gateway\'s connection ids');
  });

  test('{"action":"sendmessage","data":"hello"}: the send function posts it back through the gateway to both', async () => {
    first.send('{"action":"sendmessage","data":"hello"}');

    const message = await first.next(15_000);
    assert.equal(message.isBinary, false);
    assert.equal(message.text, 'hello');
    await second.waitForLine(/^hello$/, 15_000);
  });

  test('a stale id in the table answers 410 to the send function, which deletes it; the others still get the message', async () => {
    await table.put({ TableName: TABLE_NAME, Item: { connectionId: STALE_ID } }).promise();
    assert.deepEqual(await tableIds(), [first.id, second.id, STALE_ID].sort());

    first.send('{"action":"sendmessage","data":"again"}');

    assert.equal((await first.next(15_000)).text, 'again');
    await second.waitForLine(/^again$/, 15_000);
    await waitUntil(async () => !(await tableIds()).includes(STALE_ID), 10_000, `the send function deletes ${STALE_ID}`);
    assert.deepEqual(await tableIds(), [first.id, second.id].sort());
    assert.equal(first.pending(), 0, 'one message per send');
    assert.deepEqual(second.lines().filter((line) => line !== ''), ['hello', 'again'], 'one message per send');
  });

  test('a client that closes: $disconnect removes its id from the table', async () => {
    await second.quit();

    await waitUntil(async () => !(await tableIds()).includes(second.id), 10_000, '$disconnect removes the closed client\'s id');
    assert.ok((await tableIds()).includes(first.id), 'the open client\'s id stays');
  });
});
