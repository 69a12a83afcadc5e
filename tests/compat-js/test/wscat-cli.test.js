// wscat (the client AWS's docs use) and the gateway's own CLI (send, broadcast, connections) against the real gateway.
//
// wscat gotcha: it exits at once, printing nothing, when its standard input is at end of file (readline 'close'
// → process.exit), and without a terminal it prints only incoming messages. So it is fed either by `sleep N |`
// (as in CI scripts) or by a pipe that the test holds open and closes when it is done.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withTimeout } from './helpers/client.js';
import { packageRoot, run, runCli, startGateway } from './helpers/gateway.js';

const WSCAT = join(packageRoot, 'node_modules', 'wscat', 'bin', 'wscat');

/** wscat connected with its stdin held open by the test; `output()` grows as messages arrive. */
class WscatSession {
  constructor(wsUrl, extraArgs = []) {
    this.stdout = '';
    this.stderr = '';
    this.listeners = new Set();
    this.child = spawn(process.execPath, [WSCAT, '-c', wsUrl, ...extraArgs], { cwd: packageRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      this.stdout += chunk;
      for (const listener of this.listeners) listener();
    });
    this.child.stderr.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolveExit) => this.child.once('close', (code, signal) => resolveExit({ code, signal })));
  }

  /** Lines printed so far, without readline's "> " prompts (wscat prompts after each line it sends). */
  lines() {
    return this.stdout.split('\n').map((line) => line.replace(/^(> )+/, ''));
  }

  /** Resolves with the first stdout line that matches, or fails after ms. */
  waitForLine(pattern, ms = 10_000) {
    const find = () => this.lines().find((line) => pattern.test(line));
    const found = find();
    if (found !== undefined) {
      return Promise.resolve(found);
    }
    let listener;
    const promise = new Promise((resolveLine) => {
      listener = () => {
        const line = find();
        if (line !== undefined) resolveLine(line);
      };
      this.listeners.add(listener);
    });
    const failed = this.exited.then(({ code }) => {
      throw new Error(`wscat exited (code ${code}) before printing ${pattern}. stdout: ${this.stdout} stderr: ${this.stderr}`);
    });
    return withTimeout(Promise.race([promise, failed]), ms, `wscat to print ${pattern} (stdout so far: ${JSON.stringify(this.stdout)})`).finally(() =>
      this.listeners.delete(listener),
    );
  }

  /** Types a line, as a user would. */
  type(line) {
    this.child.stdin.write(`${line}\n`);
  }

  /**
   * Waits until wscat is connected. Without a terminal wscat does not print "Connected", and lines typed before
   * the socket opens are dropped, so this types a probe every 100 ms until its echo comes back.
   */
  async connected(ms = 10_000) {
    const probe = `{"action":"echo","probe":${process.pid}}`;
    this.type(probe);
    const timer = setInterval(() => this.type(probe), 100);
    try {
      await this.waitForLine(/"probe":/, ms);
    } finally {
      clearInterval(timer);
    }
  }

  /** Ends stdin (wscat then closes the socket and exits) and waits for the exit; kills it by PID if it hangs. */
  async quit() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return this.exited;
    }
    this.child.stdin.end();
    const timer = setTimeout(() => {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }, 5_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

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
