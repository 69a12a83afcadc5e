// The AWS SDKs for JavaScript v2 and v3 against a gateway whose management API requires SigV4
// (Switchboard:Management:Authentication): the right keys work, and every kind of wrong signature fails with the
// exception AWS's execute-api gives (see docs/aws-compatibility.md). Without configured credentials (the default)
// the other suites (sdk-v2, sdk-v3) show that any signature, or none, is served from loopback as before.
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ApiGatewayManagementApiServiceException,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import AWS from 'aws-sdk';
import { trackedClients } from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';
import { failure, v2ManagementApi, v3ManagementClient } from './helpers/sdk.js';

const ACCESS_KEY_ID = 'AKIASWITCHBOARDTEST';
const SECRET = 'switchboard-test-secret/with+signs';
// A second credential configured at the same time: rotation means both verify.
const NEXT_ACCESS_KEY_ID = 'AKIASWITCHBOARDNEXT';
const NEXT_SECRET = 'the-next-secret-of-the-rotation';
const API_KEY = 'operator-key-0123456789abcdef';
const TEN_MINUTES_MS = 10 * 60 * 1000;

/** A v3 error raised from an x-amzn-ErrorType the model does not list: the service exception with that name. */
function assertV3Refusal(error, name, messagePattern) {
  assert.ok(error instanceof ApiGatewayManagementApiServiceException, `${error?.name}: ${error?.message}`);
  assert.equal(error.name, name);
  assert.equal(error.$metadata.httpStatusCode, 403);
  assert.match(error.message, messagePattern);
}

function assertV2Refusal(error, code, messagePattern) {
  assert.equal(error.code, code, `${error?.code}: ${error?.message}`);
  assert.equal(error.statusCode, 403);
  assert.match(error.message, messagePattern);
}

const SIGNATURE_MISMATCH = /^The request signature we calculated does not match the signature you provided/;
const EXPIRED = /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)/;
const UNKNOWN_KEY = /^The security token included in the request is invalid\.$/;

describe('management API with SigV4 credentials configured', () => {
  let gateway;
  const clients = trackedClients(() => gateway.wsUrl);
  const v3Clients = [];

  function v3(options) {
    const client = v3ManagementClient(gateway.endpoint, { credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }, ...options });
    v3Clients.push(client);
    return client;
  }

  function v2(options) {
    return v2ManagementApi(gateway.endpoint, { credentials: new AWS.Credentials(ACCESS_KEY_ID, SECRET), ...options });
  }

  before(async () => {
    gateway = await startGateway({
      args: [
        `--Switchboard:Management:Authentication:Credentials:${ACCESS_KEY_ID}=${SECRET}`,
        `--Switchboard:Management:Authentication:Credentials:${NEXT_ACCESS_KEY_ID}=${NEXT_SECRET}`,
        `--Switchboard:Management:Authentication:ApiKeys:0=${API_KEY}`,
      ],
    });
  });

  after(async () => {
    for (const client of v3Clients) client.destroy();
    await clients.closeAll();
    await gateway?.stop();
  });

  test('v3 with the right keys: PostToConnection, GetConnection and DeleteConnection work (ids with = and + included)', async () => {
    const api = v3();
    const ws = await clients.open();
    const posted = await api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'signed hello from v3' }));
    assert.equal(posted.$metadata.httpStatusCode, 200);
    assert.equal((await ws.next()).text, 'signed hello from v3');
    const got = await api.send(new GetConnectionCommand({ ConnectionId: ws.id }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.ok(got.ConnectedAt instanceof Date);
    const deleted = await api.send(new DeleteConnectionCommand({ ConnectionId: ws.id }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    assert.equal((await ws.closed).code, 1000);
  });

  test('v2 with the right keys: postToConnection, getConnection and deleteConnection work', async () => {
    const api = v2();
    const ws = await clients.open();
    await api.postToConnection({ ConnectionId: ws.id, Data: 'signed hello from v2' }).promise();
    assert.equal((await ws.next()).text, 'signed hello from v2');
    const got = await api.getConnection({ ConnectionId: ws.id }).promise();
    assert.ok(got.ConnectedAt instanceof Date);
    await api.deleteConnection({ ConnectionId: ws.id }).promise();
    assert.equal((await ws.closed).code, 1000);
  });

  test('the second configured credential works too (key rotation)', async () => {
    const ws = await clients.open();
    const api = v3({ credentials: { accessKeyId: NEXT_ACCESS_KEY_ID, secretAccessKey: NEXT_SECRET } });
    await api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'rotated' }));
    assert.equal((await ws.next()).text, 'rotated');
    await v2({ credentials: new AWS.Credentials(NEXT_ACCESS_KEY_ID, NEXT_SECRET) }).postToConnection({ ConnectionId: ws.id, Data: 'rotated v2' }).promise();
    assert.equal((await ws.next()).text, 'rotated v2');
  });

  test('a wrong secret: InvalidSignatureException (403), nothing delivered', async () => {
    const ws = await clients.open();
    const v3Error = await failure(v3({ credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'wrong' } })
      .send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'forged' })));
    assertV3Refusal(v3Error, 'InvalidSignatureException', SIGNATURE_MISMATCH);
    const v2Error = await failure(v2({ credentials: new AWS.Credentials(ACCESS_KEY_ID, 'wrong') })
      .postToConnection({ ConnectionId: ws.id, Data: 'forged' }).promise());
    assertV2Refusal(v2Error, 'InvalidSignatureException', SIGNATURE_MISMATCH);
    await assertNothingDelivered(ws);
  });

  test('an unknown access key: UnrecognizedClientException (403) "The security token included in the request is invalid."', async () => {
    const ws = await clients.open();
    const v3Error = await failure(v3({ credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: SECRET } })
      .send(new GetConnectionCommand({ ConnectionId: ws.id })));
    assertV3Refusal(v3Error, 'UnrecognizedClientException', UNKNOWN_KEY);
    const v2Error = await failure(v2({ credentials: new AWS.Credentials('AKIAUNKNOWN', SECRET) })
      .postToConnection({ ConnectionId: ws.id, Data: 'x' }).promise());
    assertV2Refusal(v2Error, 'UnrecognizedClientException', UNKNOWN_KEY);
    await assertNothingDelivered(ws);
  });

  test('a signing clock 10 minutes behind: InvalidSignatureException "Signature expired"', async () => {
    const ws = await clients.open();
    const v3Error = await failure(v3({ systemClockOffset: -TEN_MINUTES_MS })
      .send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'stale' })));
    assertV3Refusal(v3Error, 'InvalidSignatureException', EXPIRED);
    const v2Error = await failure(v2({ systemClockOffset: -TEN_MINUTES_MS, correctClockSkew: false })
      .postToConnection({ ConnectionId: ws.id, Data: 'stale' }).promise());
    assertV2Refusal(v2Error, 'InvalidSignatureException', EXPIRED);
    await assertNothingDelivered(ws);
  });

  test('a body changed after signing: InvalidSignatureException, the changed body is not delivered', async () => {
    const ws = await clients.open();
    const api = v3();
    api.middlewareStack.addRelativeTo(
      (next) => (args) => {
        args.request.body = 'tampered';
        return next(args);
      },
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamperAfterSigning' },
    );
    const v3Error = await failure(api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: 'original' })));
    assertV3Refusal(v3Error, 'InvalidSignatureException', SIGNATURE_MISMATCH);

    const request = v2().postToConnection({ ConnectionId: ws.id, Data: 'original' });
    request.on('sign', () => {
      request.httpRequest.body = 'tampered';
    });
    const v2Error = await failure(request.promise());
    assertV2Refusal(v2Error, 'InvalidSignatureException', SIGNATURE_MISMATCH);
    await assertNothingDelivered(ws);
  });

  test('no credentials on the client side (an unsigned call): MissingAuthenticationTokenException', async () => {
    const ws = await clients.open();
    const response = await fetch(`${gateway.endpoint}/@connections/${encodeURIComponent(ws.id)}`, { method: 'POST', body: 'unsigned' });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.deepEqual(await response.json(), { message: 'Missing Authentication Token' });
    await assertNothingDelivered(ws);
  });

  test('an API key as a bearer token or x-api-key is served; a wrong one is ForbiddenException', async () => {
    const ws = await clients.open();
    const url = `${gateway.endpoint}/@connections/${encodeURIComponent(ws.id)}`;
    const bearer = await fetch(url, { method: 'POST', body: 'by bearer', headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(bearer.status, 200);
    assert.equal((await ws.next()).text, 'by bearer');
    const header = await fetch(url, { method: 'POST', body: 'by x-api-key', headers: { 'x-api-key': API_KEY } });
    assert.equal(header.status, 200);
    assert.equal((await ws.next()).text, 'by x-api-key');
    const wrong = await fetch(url, { method: 'POST', body: 'wrong key', headers: { authorization: `Bearer ${API_KEY}x` } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers.get('x-amzn-errortype'), 'ForbiddenException');
    await assertNothingDelivered(ws);
  });

  test('a request with two x-amz-date lines, signed otherwise correctly, is refused (IncompleteSignatureException)', async () => {
    const ws = await clients.open();
    const path = `/${gateway.stage}/@connections/${encodeURIComponent(ws.id)}`;
    // aws-sdk v2's own SigV4 signer, so that only the duplicated header is wrong.
    const request = new AWS.HttpRequest(new AWS.Endpoint(`${gateway.baseUrl}${path}`), 'us-east-1');
    request.method = 'POST';
    request.path = path;
    request.body = 'twice dated';
    request.headers.Host = `127.0.0.1:${gateway.port}`;
    request.headers['Content-Length'] = String(Buffer.byteLength(request.body));
    new AWS.Signers.V4(request, 'execute-api').addAuthorization(new AWS.Credentials(ACCESS_KEY_ID, SECRET), new Date());
    const head = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`);
    const answer = await rawExchange([`POST ${path} HTTP/1.1`, ...head, `X-Amz-Date: ${request.headers['X-Amz-Date']}`, 'Connection: close', '', request.body].join('\r\n'));
    assert.match(answer, /^HTTP\/1\.1 403 /);
    assert.match(answer, /\r\nx-amzn-ErrorType: IncompleteSignatureException\r\n/i);
    assert.match(answer, /more than one X-Amz-Date header/);
    await assertNothingDelivered(ws);
  });

  /**
   * Sends `text` (a request with `Connection: close`) over a raw TCP connection and resolves with everything the
   * gateway answers before it closes. The socket is not half-closed first: the server may reset a connection whose
   * peer stopped sending, so a reset after an answer arrived ends the exchange as well.
   */
  function rawExchange(text) {
    return new Promise((resolveAnswer, reject) => {
      const socket = connect(gateway.port, '127.0.0.1', () => socket.write(text));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        answer += chunk;
      });
      socket.on('close', () => resolveAnswer(answer));
      socket.on('error', (error) => {
        if (answer === '') reject(error);
      });
    });
  }

  /** Proves that nothing was delivered: a post by the API key arrives, and it is the first message. */
  async function assertNothingDelivered(ws) {
    const marker = `marker ${Math.random()}`;
    const response = await fetch(`${gateway.endpoint}/@connections/${encodeURIComponent(ws.id)}`, {
      method: 'POST',
      body: marker,
      headers: { 'x-api-key': API_KEY },
    });
    assert.equal(response.status, 200);
    assert.equal((await ws.next()).text, marker, 'the refused call delivered nothing before the marker');
  }
});
