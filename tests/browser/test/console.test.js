// The operator console (#/console) in headless Chromium: it lists the pages' connections, and its Disconnect
// button really disconnects one (a page without auto-reconnect then shows `closed`, a page with it reconnects
// under a new id).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  UI_TIMEOUT_MS,
  browserSuite,
  openClientPage,
  recordStatuses,
  statusLog,
  testIdText,
  useGatewayAndBrowser,
  waitForTestIdText,
} from './helpers/browser.js';

/** Matches any non-empty id except `id`. */
const otherIdThan = (id) => new RegExp(`^(?!${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$)\\S+$`);

const row = (id) => `[data-testid="connection-row"][data-connection-id="${id}"]`;

/** The connection ids the console's table lists. */
function listedIds(page) {
  return page.$$eval('[data-testid="connection-row"]', (rows) => rows.map((r) => r.getAttribute('data-connection-id')));
}

async function openConsole(context, baseUrl) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/#/console`);
  await page.locator('[data-testid="connections-table"]').waitFor();
  return page;
}

browserSuite('operator console', () => {
  const env = useGatewayAndBrowser();

  test('lists both pages, and Disconnect closes the one without auto-reconnect', async () => {
    const noReconnect = await openClientPage(env.context, env.gateway.baseUrl, '?reconnect=0');
    const other = await openClientPage(env.context, env.gateway.baseUrl);
    const consolePage = await openConsole(env.context, env.gateway.baseUrl);

    await consolePage.locator(row(noReconnect.id)).waitFor({ timeout: UI_TIMEOUT_MS });
    await consolePage.locator(row(other.id)).waitFor({ timeout: UI_TIMEOUT_MS });
    // Opening only the console adds no connection of its own.
    assert.deepEqual((await listedIds(consolePage)).sort(), [noReconnect.id, other.id].sort());
    assert.equal(await testIdText(consolePage, 'counter-connections'), '2');

    await consolePage.locator(row(noReconnect.id)).locator('[data-testid="disconnect-button"]').click();

    await waitForTestIdText(noReconnect.page, 'connection-status', 'closed');
    assert.equal(await testIdText(noReconnect.page, 'connection-id'), '');
    await waitForTestIdText(consolePage, 'console-notice', `Disconnected ${noReconnect.id}`);
    await consolePage.locator(row(noReconnect.id)).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    // The gateway agrees: the id is gone (410), the other page is untouched.
    assert.equal((await fetch(`${env.gateway.endpoint}/@connections/${encodeURIComponent(noReconnect.id)}`)).status, 410);
    assert.equal(await testIdText(other.page, 'connection-status'), 'connected');
    assert.equal(await testIdText(other.page, 'connection-id'), other.id);
    assert.deepEqual(await listedIds(consolePage), [other.id]);
  });

  test('a page with auto-reconnect shows reconnecting, then connected with a new id, after Disconnect', async () => {
    const client = await openClientPage(env.context, env.gateway.baseUrl);
    const consolePage = await openConsole(env.context, env.gateway.baseUrl);
    await consolePage.locator(row(client.id)).waitFor({ timeout: UI_TIMEOUT_MS });
    await recordStatuses(client.page);

    await consolePage.locator(row(client.id)).locator('[data-testid="disconnect-button"]').click();

    // The status is `connected` before and after: wait for a different id, which only a new connection brings.
    const newId = await waitForTestIdText(client.page, 'connection-id', otherIdThan(client.id));
    assert.notEqual(newId, client.id);
    assert.equal(await testIdText(client.page, 'connection-status'), 'connected');
    const log = await statusLog(client.page);
    const reconnecting = log.indexOf('reconnecting');
    assert.ok(reconnecting > 0, `status went through reconnecting: ${JSON.stringify(log)}`);
    assert.equal(log.at(-1), 'connected');
    assert.ok(!log.includes('closed'), `never closed: ${JSON.stringify(log)}`);

    // The console follows: the old id disappears, the new one is listed.
    await consolePage.locator(row(newId)).waitFor({ timeout: UI_TIMEOUT_MS });
    await consolePage.locator(row(client.id)).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await listedIds(consolePage), [newId]);
  });
});
