// wscat (the client AWS's docs use) and the gateway's own CLI (send, broadcast, connections) against the real gateway.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { packageRoot, run, runCli, startGateway } from './helpers/gateway.js';
import { WscatSession } from './helpers/wscat.js';

describe('wscat and the switchboard CLI', () => {
  let gateway;
  const sessions = [];

  const wscat = (args) => {
    const session = new WscatSession(gateway.wsUrl, args);
    sessions.push(session);
    return session;
  };

  before(async () => {
    gateway = await startGateway();
  });

  after(async () => {
    await Promise.allSettled(sessions.map((session) => session.quit()));
    await gateway?.stop();
  });

  test('wscat -x sends a message to the echo route and prints the reply (fed by sleep, as in CI)', async () => {
    const message = '{"action":"echo","n":1}';
    const command = `sleep 3 | node node_modules/wscat/bin/wscat -c ${gateway.wsUrl} -x '${message}' -w 2`;
    const result = await run('sh', ['-c', command], { cwd: packageRoot, timeoutMs: 15_000 });
    assert.equal(result.code, 0, `wscat failed: ${result.stderr}`);
    assert.equal(result.stderr, '');
    assert.deepEqual(result.stdout.split('\n').filter(Boolean), [message], 'stdout is the echoed message');
  });

  test('wscat typed lines are routed: echo, $default and whoami', async () => {
    const session = wscat([]);
    await session.connected();
    session.type('{"action":"echo","text":"テスト"}');
    assert.equal(await session.waitForLine(/"text":"テスト"/), '{"action":"echo","text":"テスト"}');
    session.type('plain text goes to $default');
    assert.equal(await session.waitForLine(/plain text/), 'plain text goes to $default');
    session.type('{"action":"whoami"}');
    const whoami = JSON.parse(await session.waitForLine(/"whoami"/));
    assert.match(whoami.connectionId, /^[A-Za-z0-9_-]{15}=$/);
    const { code } = await session.quit();
    assert.equal(code, 0);
  });

  test('CLI broadcast テスト reaches a connected wscat; CLI send and connections find it by id', async () => {
    // -x whoami on open, -w -1 to stay connected until the test closes stdin. The whoami reply tells the test
    // that the connection is open and its id.
    const session = wscat(['-x', '{"action":"whoami"}', '-w', '-1']);
    const { connectionId } = JSON.parse(await session.waitForLine(/"whoami"/));

    const broadcast = await runCli(['broadcast', 'テスト', '--endpoint', gateway.endpoint]);
    assert.equal(broadcast.code, 0, `broadcast failed: ${broadcast.stderr}`);
    const reached = /Broadcast to (\d+) connections?\./.exec(broadcast.stdout);
    assert.ok(reached, `unexpected CLI output: ${broadcast.stdout}`);
    assert.ok(Number(reached[1]) >= 1, `reached ${reached[1]} connections`);
    assert.equal(await session.waitForLine(/テスト/), 'テスト');

    const send = await runCli(['send', connectionId, '{"note":"直接"}', '--endpoint', gateway.endpoint]);
    assert.equal(send.code, 0, `send failed: ${send.stderr}`);
    assert.equal(send.stdout.trim(), `Sent to ${connectionId}.`);
    assert.equal(await session.waitForLine(/直接/), '{"note":"直接"}');

    const connections = await runCli(['connections', '--endpoint', gateway.endpoint]);
    assert.equal(connections.code, 0, `connections failed: ${connections.stderr}`);
    const row = connections.stdout.split('\n').find((line) => line.includes(connectionId));
    assert.ok(row, `the table lists ${connectionId}:\n${connections.stdout}`);
    assert.match(row, /127\.0\.0\.1/);
    assert.match(connections.stdout, /\d+ connections? open\./);

    const { code } = await session.quit();
    assert.equal(code, 0);
  });

  test('CLI send to a closed or unknown connection reports Gone and exits 1', async () => {
    const result = await runCli(['send', 'AAAAAAAAAAAAAAA=', 'hello?', '--endpoint', gateway.endpoint]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gone \(410 GoneException\)/);

    const forbidden = await runCli(['broadcast', 'x', '--endpoint', `${gateway.baseUrl}/staging`]);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /refused|Forbidden/);
  });
});
