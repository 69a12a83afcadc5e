// A gateway serving another stage than `production`: the page at `/` (no `?stage=` in the URL) and its console
// use the stage the gateway wrote into the page, so they connect and list connections instead of failing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserSuite, openClientPage, testIdText, useGatewayAndBrowser } from './helpers/browser.js';

const STAGE = 'dev';

/** The content of the page's <meta name="switchboard-stage">, or null. */
const servedStageOf = (html) => /<meta name="switchboard-stage" content="([^"]*)">/.exec(html)?.[1] ?? null;

browserSuite('a gateway on another stage', () => {
  const env = useGatewayAndBrowser({ gateway: { stage: STAGE } });

  test('writes its stage into the page at / and /index.html, never cached across gateways', async () => {
    for (const path of ['/', '/index.html']) {
      const response = await fetch(`${env.gateway.baseUrl}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type'), /^text\/html/);
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.match(response.headers.get('content-security-policy'), /frame-ancestors 'none'/);
      const html = await response.text();
      assert.equal(servedStageOf(html), STAGE, `${path}: ${html}`);
      assert.equal(Number(response.headers.get('content-length')), Buffer.byteLength(html));
    }
    const head = await fetch(`${env.gateway.baseUrl}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  test('the page at / connects to that stage and says so', async () => {
    const { page, id } = await openClientPage(env.context, env.gateway.baseUrl);
    assert.equal(await testIdText(page, 'stage'), `stage ${STAGE}`);
    const info = await fetch(`${env.gateway.endpoint}/@connections/${encodeURIComponent(id)}`);
    assert.equal(info.status, 200, `GET /${STAGE}/@connections/${id}`);
  });

  test('the console at /#/console lists the page on that stage', async () => {
    const { id } = await openClientPage(env.context, env.gateway.baseUrl);
    const consolePage = await env.context.newPage();
    await consolePage.goto(`${env.gateway.baseUrl}/#/console`);
    await consolePage.locator(`[data-testid="connection-row"][data-connection-id="${id}"]`).waitFor();
    assert.equal(await testIdText(consolePage, 'stage'), `stage ${STAGE}`);
  });
});
