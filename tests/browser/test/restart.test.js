// The page across a gateway restart: when the server stops, a page with auto-reconnect shows `reconnecting` (and one
// opened with ?reconnect=0 shows `closed`); when a server starts again on the same port, the first page is
// `connected` again, under a new id, and receives messages again.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { runCli, startGateway } from '../../compat-js/test/helpers/gateway.js';
import {
  browserSuite,
  openClientPage,
  recordStatuses,
  statusLog,
  testIdText,
  useGatewayAndBrowser,
  waitForMessage,
  waitForTestIdText,
} from './helpers/browser.js';

browserSuite('gateway restart', () => {
  const env = useGatewayAndBrowser({ contextPerTest: false });

  test('stopping the server shows reconnecting/closed; starting it again on the same port reconnects the page', async () => {
    const reconnecting = await openClientPage(env.context, env.gateway.baseUrl);
    const noReconnect = await openClientPage(env.context, env.gateway.baseUrl, '?reconnect=0');
    await recordStatuses(reconnecting.page);
    const { port, baseUrl } = env.gateway;

    await env.gateway.stop();
    env.gateway = null;

    await waitForTestIdText(reconnecting.page, 'connection-status', 'reconnecting');
    await waitForTestIdText(noReconnect.page, 'connection-status', 'closed');
    assert.equal(await testIdText(reconnecting.page, 'connection-id'), '');
    // Graceful shutdown closes every connection with 1001 "Server shutting down"; the page says so.
    assert.match(await noReconnect.page.textContent('.card'), /Last close: code 1001/);
    // While nothing listens, the page keeps retrying and stays `reconnecting`.
    await reconnecting.page.waitForFunction(() => /Reconnecting \(attempt [2-9]/.test(document.body.textContent), null, {
      timeout: 15_000,
    });
    assert.equal(await testIdText(reconnecting.page, 'connection-status'), 'reconnecting');

    env.gateway = await startGateway({ port });
    assert.equal(env.gateway.baseUrl, baseUrl);

    await waitForTestIdText(reconnecting.page, 'connection-status', 'connected', { timeout: 30_000 });
    const newId = await waitForTestIdText(reconnecting.page, 'connection-id', /^\S+$/);
    assert.notEqual(newId, reconnecting.id);
    const log = await statusLog(reconnecting.page);
    assert.deepEqual(log.filter((s, i) => i === 0 || s !== log[i - 1]).slice(0, 3), ['connected', 'reconnecting', 'connected'], JSON.stringify(log));

    // The reconnected page is a working connection of the new server, and the page without reconnect stays closed.
    const text = `after the restart ${randomUUID()}`;
    const cli = await runCli(['broadcast', text, '--endpoint', env.gateway.endpoint]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Broadcast to 1 connection\./);
    await waitForMessage(reconnecting.page, text);
    assert.equal(await testIdText(noReconnect.page, 'connection-status'), 'closed');
  });
});
