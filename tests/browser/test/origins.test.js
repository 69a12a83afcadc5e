// Switchboard:Security:AllowedOrigins (docs/security.md, "Origin allow-list"): with a list configured, a page on an
// origin that is not on it cannot open a WebSocket to the gateway, while a page on a listed origin can. Both pages are
// real pages on their own origins in Chromium, against the real executable.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { startGateway } from '../../compat-js/test/helpers/gateway.js';
import { browserSuite, launchBrowser } from './helpers/browser.js';

const LISTED_HOST = 'app.test';
const UNLISTED_HOST = 'attacker.test';

/** A web server on its own port that serves an empty page for every path. */
async function startSite() {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>site</title>');
  });
  await new Promise((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return { port: server.address().port, close: () => new Promise((resolveClose) => server.close(resolveClose)) };
}

/** Opens a WebSocket from the page; resolves 'open', or 'refused' with the close code when the handshake fails. */
function openWebSocket(page, url) {
  return page.evaluate(
    (target) =>
      new Promise((resolveOutcome) => {
        const socket = new WebSocket(target);
        socket.onopen = () => {
          socket.close(1000);
          resolveOutcome('open');
        };
        socket.onclose = (event) => resolveOutcome(`refused ${event.code}`);
      }),
    url,
  );
}

browserSuite('WebSocket origin allow-list', () => {
  const env = { gateway: null, browser: null, site: null };
  before(async () => {
    env.site = await startSite();
    [env.gateway, env.browser] = await Promise.all([
      startGateway({ args: [`--Switchboard:Security:AllowedOrigins:0=http://${LISTED_HOST}:${env.site.port}`] }),
      launchBrowser([`--host-resolver-rules=MAP ${LISTED_HOST} 127.0.0.1, MAP ${UNLISTED_HOST} 127.0.0.1`]),
    ]);
  });
  after(async () => {
    await Promise.allSettled([env.browser?.close(), env.gateway?.stop(), env.site?.close()]);
  });

  test('a page on an unlisted origin cannot open a WebSocket; a page on the listed origin can', async () => {
    const context = await env.browser.newContext();
    try {
      const webSocketUrl = env.gateway.wsUrl;

      const unlisted = await context.newPage();
      await unlisted.goto(`http://${UNLISTED_HOST}:${env.site.port}/`);
      const listed = await context.newPage();
      await listed.goto(`http://${LISTED_HOST}:${env.site.port}/`);

      // A page never sees the handshake's status (403 here): only that the connection failed (1006).
      assert.equal(await openWebSocket(unlisted, webSocketUrl), 'refused 1006');
      assert.equal(await openWebSocket(listed, webSocketUrl), 'open');
      // The same port, another name: the origin is scheme, host and port, so this one is not listed either.
      const sameSite = await context.newPage();
      await sameSite.goto(`http://127.0.0.1:${env.site.port}/`);
      assert.equal(await openWebSocket(sameSite, webSocketUrl), 'refused 1006');
    } finally {
      await context.close();
    }
  });
});
