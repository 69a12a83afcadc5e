// The README's commands and snippets, run as written against started gateways, so that they cannot rot: the quick
// start's "another terminal" commands, the AWS SDK snippet, and the cluster's two blocks. Only addresses change (the
// README's fixed ports become free ones). Every line of those blocks must be one this file knows how to check: a
// new line in the README fails here until a check is added for it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot, run, startGateway } from './helpers/gateway.js';
import { freePort } from './helpers/process.js';
import { redisServerAvailable } from './helpers/redis.js';
import { WscatSession } from './helpers/wscat.js';

const repositoryRoot = resolve(packageRoot, '..', '..');
const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');

/** The fenced code blocks of the README, in order: { language, text, heading } (the nearest `##` heading above). */
function codeBlocks(markdown) {
  const blocks = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('## ')) heading = lines[i].slice(3).trim();
    const fence = /^```(\w*)$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ language: fence[1], text: lines.slice(i + 1, end).join('\n'), heading });
    i = end;
  }
  return blocks;
}

/** The one block of that language under that heading whose text matches `pattern`. */
function block(language, heading, pattern) {
  const found = codeBlocks(readme).filter((b) => b.language === language && b.heading === heading && pattern.test(b.text));
  assert.equal(found.length, 1, `one ${language} block under "${heading}" matching ${pattern} in README.md`);
  return found[0].text;
}

/** The block's command lines, without trailing comments (`  # …`) and blank lines. */
function commands(text) {
  return text
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '');
}

/** Replaces each README port (`from`) with this run's port (`to`), wherever it appears as a port. */
function withPorts(text, ports) {
  return Object.entries(ports).reduce((result, [from, to]) => result.replace(new RegExp(`(?<=[: ])${from}\\b`, 'g'), String(to)), text);
}

/**
 * Runs one shell line from the repository root, as a user in a clone would; fails unless it exits 0. `endpoint` is
 * the CLI's default management endpoint (the README's gateway is on port 8080; this run's is elsewhere).
 */
async function shell(line, endpoint) {
  const env = endpoint ? { ...process.env, SWITCHBOARD_ENDPOINT: endpoint } : process.env;
  const result = await run('bash', ['-c', line], { cwd: repositoryRoot, timeoutMs: 120_000, env });
  assert.equal(result.code, 0, `\`${line}\` exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  // Built once (in before()), ./switchboard runs the program directly: no build step, so it answers at once.
  assert.doesNotMatch(result.stderr, /building/, `\`${line}\` built again`);
  return result.stdout;
}

/** The id in the first row of `./switchboard connections`. */
function firstConnectionId(table) {
  const id = /^([A-Za-z0-9_-]{15}=)\s/m.exec(table)?.[1];
  assert.ok(id, `a connection id in:\n${table}`);
  return id;
}

/** Waits until `predicate()` is true, checking every 100 ms, or fails after ms with `what`. */
async function until(predicate, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** Sends one Redis command over a plain socket (no client library needed to shut a server down). */
function redisCommand(port, command) {
  return new Promise((resolveReply) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.end(`${command}\r\n`));
    socket.on('error', () => resolveReply());
    socket.on('close', () => resolveReply());
  });
}

describe('README', () => {
  before(async () => {
    // Builds once if a source changed, so that the tests below never build at the same time.
    const build = await run('bash', ['-c', './switchboard --help'], { cwd: repositoryRoot, timeoutMs: 300_000 });
    assert.equal(build.code, 0, `./switchboard --help: ${build.stderr}`);
  });

  describe('quick start', () => {
    let gateway;
    const sessions = [];

    before(async () => {
      gateway = await startGateway();
    });

    after(async () => {
      await Promise.allSettled(sessions.map((session) => session.quit()));
      await gateway?.stop();
    });

    test("the commands 'in another terminal' and the AWS SDK snippet work as written", async () => {
      const lines = commands(block('sh', 'Quick start', /wscat/));
      let wscat;
      let id;
      for (const line of lines.map((l) => withPorts(l, { 8080: gateway.port }))) {
        let match;
        if ((match = /^npx wscat -c (\S+)$/.exec(line))) {
          wscat = new WscatSession(match[1]);
          sessions.push(wscat);
          await wscat.connected();
        } else if ((match = /^\.\/switchboard broadcast (\S+)$/.exec(line))) {
          assert.match(await shell(line, gateway.endpoint), /Broadcast to 1 connection/);
          await wscat.waitForLine(new RegExp(`^${match[1]}$`));
        } else if (line === './switchboard connections') {
          id = firstConnectionId(await shell(line, gateway.endpoint));
        } else if ((match = /^\.\/switchboard send <connectionId> (\S+)$/.exec(line))) {
          await shell(line.replace('<connectionId>', id), gateway.endpoint);
          await wscat.waitForLine(new RegExp(`^${match[1]}$`));
        } else {
          assert.fail(`README quick start: no check for the line \`${line}\``);
        }
      }
      assert.ok(id, 'the block lists connections');

      // The SDK snippet, as post.mjs next to an installed @aws-sdk/client-apigatewaymanagementapi, run with the id.
      const snippet = withPorts(block('js', 'Quick start', /PostToConnectionCommand/), { 8080: gateway.port });
      const data = /Data: '([^']+)'/.exec(snippet)[1];
      const post = join(packageRoot, `.readme-post-${process.pid}.mjs`);
      writeFileSync(post, snippet);
      try {
        const before = wscat.lines().filter((line) => line === data).length;
        const result = await run(process.execPath, [post, id], { cwd: packageRoot });
        assert.equal(result.code, 0, `node post.mjs ${id}: ${result.stderr}`);
        await until(() => wscat.lines().filter((line) => line === data).length === before + 1, `wscat to print ${data} once more`);
      } finally {
        rmSync(post, { force: true });
      }
    });
  });

  describe('running a cluster', { skip: !redisServerAvailable() && process.env.CI !== 'true' && 'redis-server is not installed' }, () => {
    const ports = {};
    let nodePids = [];
    const sessions = [];

    before(async () => {
      if (!redisServerAvailable()) throw new Error('redis-server is required for the README cluster test (CI=true) but was not found on PATH.');
      for (const port of [6379, 8081, 8082, 8083]) ports[port] = await freePort();
    });

    after(async () => {
      await Promise.allSettled(sessions.map((session) => session.quit()));
      const alive = (pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const stopping = nodePids.filter(alive);
      for (const pid of stopping) process.kill(pid, 'SIGTERM');
      await until(() => !stopping.some(alive), 'the nodes to stop', 10_000).catch(() => {
        for (const pid of stopping.filter(alive)) process.kill(pid, 'SIGKILL');
      });
      await redisCommand(ports[6379], 'SHUTDOWN NOSAVE');
    });

    test('three nodes on one Redis: a client on the first node is listed by the third and reached through the second', async () => {
      // The first block starts Redis (daemonized) and the nodes in the background; `jobs -p` names the nodes' PIDs.
      const setup = withPorts(block('sh', 'Running a cluster', /redis-server/), ports);
      const log = join(packageRoot, `.readme-cluster-${process.pid}.log`);
      const output = openSync(log, 'w');
      const shellExit = new Promise((resolveExit) => {
        const child = spawn('bash', ['-c', `set -e\n${setup}\njobs -p`], { cwd: repositoryRoot, stdio: ['ignore', output, output] });
        child.once('exit', (code) => resolveExit(code));
      });
      const code = await shellExit;
      closeSync(output);
      const printed = readFileSync(log, 'utf8');
      rmSync(log, { force: true });
      assert.equal(code, 0, `the cluster block failed:\n${printed}`);
      nodePids = printed.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
      assert.equal(nodePids.length, 3, `three background nodes:\n${printed}`);
      for (const port of [8081, 8082, 8083]) {
        await until(async () => (await fetch(`http://127.0.0.1:${ports[port]}/health`).catch(() => null))?.ok === true, `node ${port} to be healthy`);
      }

      let wscat;
      for (const line of commands(withPorts(block('sh', 'Running a cluster', /wscat/), ports))) {
        let match;
        if ((match = /^npx wscat -c (\S+)$/.exec(line))) {
          wscat = new WscatSession(match[1]);
          sessions.push(wscat);
          await wscat.connected();
        } else if (line.startsWith('./switchboard connections ')) {
          assert.match(await shell(line), /^[A-Za-z0-9_-]{15}=\s/m);
        } else if ((match = /^\.\/switchboard broadcast .* (\S+)$/.exec(line))) {
          assert.match(await shell(line), /Broadcast to 1 connection/);
          await wscat.waitForLine(new RegExp(`^${match[1]}$`));
        } else if (line.startsWith('curl ')) {
          assert.match(await shell(line), /Healthy/);
        } else {
          assert.fail(`README cluster: no check for the line \`${line}\``);
        }
      }
    });
  });
});
