// What a page from another origin can make a visitor's Chromium do to the gateway (docs/security.md, "Browsers"):
// forge management calls with fetch(url, {mode: 'no-cors'}) (no preflight), read the management API after DNS
// rebinding (a name the attacker controls resolving to 127.0.0.1), or frame the console. Each test runs the attack
// from a real page against the real executable and checks that nothing got through.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { STAGE, startGateway } from '../../compat-js/test/helpers/gateway.js';
import { browserSuite, launchBrowser, messageTexts, openClientPage, waitForMessage } from './helpers/browser.js';

/** The attacker's name; Chromium resolves it to 127.0.0.1, as a rebinding DNS server would. */
const ATTACKER_HOST = 'attacker.test';

/** A second web server on another port: the attacker's site. Serves `html` for every path. */
async function startAttackerSite(html) {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(html);
  });
  await new Promise((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return { port: server.address().port, close: () => new Promise((resolveClose) => server.close(resolveClose)) };
}

/** The statuses the gateway answered to the page's requests for `path` (opaque to the page, visible to Chromium). */
function recordStatuses(page, path) {
  const statuses = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith(path)) statuses.push(response.status());
  });
  return statuses;
}

/** A broadcast from a caller that is not a browser (as a backend or the CLI sends it). */
async function broadcast(gateway, text) {
  const response = await fetch(`${gateway.endpoint}/@broadcast`, { method: 'POST', body: text });
  assert.equal(response.status, 200);
}

browserSuite('attacks from other origins', () => {
  const env = { gateway: null, browser: null, attacker: null };
  before(async () => {
    [env.gateway, env.browser, env.attacker] = await Promise.all([
      startGateway(),
      launchBrowser([`--host-resolver-rules=MAP ${ATTACKER_HOST} 127.0.0.1`]),
      startAttackerSite('<!doctype html><title>attacker</title>'),
    ]);
  });
  after(async () => {
    await Promise.allSettled([env.browser?.close(), env.gateway?.stop(), env.attacker?.close()]);
  });

  // 127.0.0.1 on another port is the same site as the gateway (only the origin differs); attacker.test is another site.
  for (const [kind, attackerOrigin] of [
    ['same-site (another port)', () => `http://127.0.0.1:${env.attacker.port}`],
    ['cross-site', () => `http://${ATTACKER_HOST}:${env.attacker.port}`],
  ]) {
    test(`a ${kind} page's no-cors POSTs to @broadcast and @connections/{id} get 403 and deliver nothing`, async () => {
      const context = await env.browser.newContext();
      try {
        const { page: victim, id } = await openClientPage(context, env.gateway.baseUrl, '?reconnect=0');
        const attacker = await context.newPage();
        await attacker.goto(`${attackerOrigin()}/`);
        const statuses = recordStatuses(attacker, `/${STAGE}/@`);

        const types = await attacker.evaluate(
          async ({ endpoint, id: target }) => {
            const forge = (path) => fetch(`${endpoint}${path}`, { method: 'POST', mode: 'no-cors', body: 'forged' });
            const answers = [await forge('/@broadcast'), await forge(`/@connections/${encodeURIComponent(target)}`)];
            return answers.map((answer) => answer.type);
          },
          { endpoint: env.gateway.endpoint, id },
        );

        assert.deepEqual(types, ['opaque', 'opaque'], 'the requests were sent (no-cors: no preflight)');
        assert.deepEqual(statuses, [403, 403]);
        // Broadcasts arrive in order: had the forged one been delivered, it would precede this one.
        await broadcast(env.gateway, 'genuine');
        await waitForMessage(victim, 'genuine');
        assert.deepEqual(await messageTexts(victim), ['genuine']);
      } finally {
        await context.close();
      }
    });
  }

  test('after DNS rebinding (Host: attacker.test), the page cannot load and cannot read or use the management API', async () => {
    const context = await env.browser.newContext();
    try {
      const { page: victim, id } = await openClientPage(context, env.gateway.baseUrl, '?reconnect=0');
      const page = await context.newPage();
      // attacker.test now resolves to the gateway: the browser sends Host: attacker.test, and the page is same-origin.
      const rebound = `http://${ATTACKER_HOST}:${env.gateway.port}`;
      const document = await page.goto(`${rebound}/`);
      assert.equal(document.status(), 400);

      const answers = await page.evaluate(
        async ({ stage, id: target }) => {
          const list = await fetch(`/${stage}/@connections`);
          const post = await fetch(`/${stage}/@connections/${encodeURIComponent(target)}`, { method: 'POST', body: 'rebound' });
          return { listStatus: list.status, listBody: await list.text(), postStatus: post.status };
        },
        { stage: STAGE, id },
      );

      assert.equal(answers.listStatus, 400);
      assert.doesNotMatch(answers.listBody, /connectionId/);
      assert.equal(answers.postStatus, 400);
      await broadcast(env.gateway, 'genuine');
      await waitForMessage(victim, 'genuine');
      assert.deepEqual(await messageTexts(victim), ['genuine']);
    } finally {
      await context.close();
    }
  });

  test('the page and the console cannot be framed by another site, and are served with a content security policy', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const document = await page.goto(`${env.gateway.baseUrl}/`);
      const headers = document.headers();
      assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
      assert.match(headers['content-security-policy'], /script-src 'self'/);
      assert.equal(headers['x-frame-options'], 'DENY');

      await page.goto(`http://${ATTACKER_HOST}:${env.attacker.port}/`);
      const framed = await page.evaluate(
        (src) =>
          new Promise((resolveLoad) => {
            const frame = document.createElement('iframe');
            frame.src = src;
            frame.onload = () => resolveLoad(true);
            document.body.append(frame);
          }),
        `${env.gateway.baseUrl}/#/console`,
      );
      assert.ok(framed);
      const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
      // A blocked frame holds Chromium's error page instead of the console.
      assert.match(await frame.evaluate(() => location.href), /^chrome-error:/);
    } finally {
      await context.close();
    }
  });
});
