// A gateway whose management API requires an API key, with one other origin allowed (Switchboard:Management:
// AllowedOrigins), in headless Chromium: the console asks for the key once per tab and says when it is refused;
// the allowed origin's page gets the CORS it needs; a page of any other origin still cannot change anything.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { startGateway } from '../../compat-js/test/helpers/gateway.js';
import { UI_TIMEOUT_MS, browserSuite, launchBrowser, messageTexts, openClientPage, waitForMessage, waitForTestIdText } from './helpers/browser.js';

const API_KEY = 'operator-key-for-the-browser-0123';

/** A web server on another port of 127.0.0.1 (another origin): serves an empty page for every path. */
async function startSite() {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>another origin</title>');
  });
  await new Promise((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((resolveClose) => server.close(resolveClose)) };
}

const row = (id) => `[data-testid="connection-row"][data-connection-id="${id}"]`;

browserSuite('protected management API', () => {
  const env = { gateway: null, browser: null, admin: null, other: null };
  before(async () => {
    [env.admin, env.other, env.browser] = await Promise.all([startSite(), startSite(), launchBrowser()]);
    env.gateway = await startGateway({
      args: [`--Switchboard:Management:Authentication:ApiKeys:0=${API_KEY}`, `--Switchboard:Management:AllowedOrigins:0=${env.admin.origin}`],
    });
  });
  after(async () => {
    await Promise.allSettled([env.browser?.close(), env.gateway?.stop(), env.admin?.close(), env.other?.close()]);
  });

  /** A broadcast with the key, as a backend sends it: had a forged message been delivered, it would come first. */
  async function assertOnlyGenuineArrives(victim) {
    const response = await fetch(`${env.gateway.endpoint}/@broadcast`, { method: 'POST', body: 'genuine', headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(response.status, 200);
    await waitForMessage(victim, 'genuine');
    assert.deepEqual(await messageTexts(victim), ['genuine']);
  }

  test('the console asks for the key, says when it is refused, then works with the right one for the rest of the tab', async () => {
    const context = await env.browser.newContext();
    try {
      const { page: victim, id } = await openClientPage(context, env.gateway.baseUrl, '?reconnect=0');
      const consolePage = await context.newPage();
      await consolePage.goto(`${env.gateway.baseUrl}/#/console`);
      await waitForTestIdText(consolePage, 'api-key-prompt', /requires an API key/);

      await consolePage.fill('[data-testid="api-key-input"]', 'not-the-operator-key-0123');
      await consolePage.click('[data-testid="api-key-submit"]');
      await waitForTestIdText(consolePage, 'api-key-prompt', 'The gateway refused this API key (HTTP 403 ForbiddenException: Forbidden). Enter another key.');
      assert.equal(await consolePage.evaluate(() => sessionStorage.getItem('switchboard.operatorApiKey')), null, 'a refused key is not kept');

      await consolePage.fill('[data-testid="api-key-input"]', API_KEY);
      await consolePage.click('[data-testid="api-key-submit"]');
      await consolePage.locator(row(id)).waitFor({ timeout: UI_TIMEOUT_MS });
      assert.equal(await consolePage.locator('[data-testid="api-key-card"]').count(), 0);

      // Kept for the tab: a reload does not ask again.
      await consolePage.reload();
      await consolePage.locator(row(id)).waitFor({ timeout: UI_TIMEOUT_MS });
      assert.equal(await consolePage.locator('[data-testid="api-key-card"]').count(), 0);

      await consolePage.locator(row(id)).locator('[data-testid="disconnect-button"]').click();
      await waitForTestIdText(victim, 'connection-status', 'closed');

      // Another tab (a new context has its own session storage) is asked again.
      const otherTab = await env.browser.newContext();
      try {
        const page = await otherTab.newPage();
        await page.goto(`${env.gateway.baseUrl}/#/console`);
        await waitForTestIdText(page, 'api-key-prompt', /requires an API key/);
      } finally {
        await otherTab.close();
      }
    } finally {
      await context.close();
    }
  });

  test("the allowed origin's page calls with the key and reads the answers, refusals included", async () => {
    const context = await env.browser.newContext();
    try {
      const { page: victim, id } = await openClientPage(context, env.gateway.baseUrl, '?reconnect=0');
      const admin = await context.newPage();
      await admin.goto(`${env.admin.origin}/`);
      const answers = await admin.evaluate(
        async ({ url, key }) => {
          const post = (authorization) => fetch(url, { method: 'POST', body: 'from the admin site', headers: { authorization } });
          const served = await post(`Bearer ${key}`);
          const refused = await post(`Bearer ${key}-wrong`);
          return { served: served.status, refused: refused.status, type: refused.headers.get('x-amzn-ErrorType'), body: await refused.text() };
        },
        { url: `${env.gateway.endpoint}/@connections/${encodeURIComponent(id)}`, key: API_KEY },
      );
      assert.deepEqual(answers, { served: 200, refused: 403, type: 'ForbiddenException', body: '{"message":"Forbidden"}' });
      await waitForMessage(victim, 'from the admin site');
    } finally {
      await context.close();
    }
  });

  test('a page of an origin not listed cannot change anything, even with the key', async () => {
    const context = await env.browser.newContext();
    try {
      const { page: victim, id } = await openClientPage(context, env.gateway.baseUrl, '?reconnect=0');
      const attacker = await context.newPage();
      await attacker.goto(`${env.other.origin}/`);
      const outcome = await attacker.evaluate(
        async ({ endpoint, id: target, key }) => {
          const url = `${endpoint}/@connections/${encodeURIComponent(target)}`;
          let cors;
          try {
            await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
            cors = 'answered';
          } catch (error) {
            cors = error.name; // the preflight got no CORS headers
          }
          const blind = await fetch(url, { method: 'POST', mode: 'no-cors', body: 'forged' });
          const broadcast = await fetch(`${endpoint}/@broadcast`, { method: 'POST', mode: 'no-cors', body: 'forged' });
          return { cors, blind: blind.type, broadcast: broadcast.type };
        },
        { endpoint: env.gateway.endpoint, id, key: API_KEY },
      );
      assert.deepEqual(outcome, { cors: 'TypeError', blind: 'opaque', broadcast: 'opaque' });
      await waitForTestIdText(victim, 'connection-status', 'connected');
      await assertOnlyGenuineArrives(victim);
    } finally {
      await context.close();
    }
  });
});
