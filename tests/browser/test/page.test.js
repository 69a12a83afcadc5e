// The client page served by the gateway at `/`, in headless Chromium: it connects, shows its id, lists what the
// gateway sends (a CLI broadcast, another page's sendmessage), and fits a phone's width.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { runCli } from '../../compat-js/test/helpers/gateway.js';
import {
  browserSuite,
  messageTexts,
  openClientPage,
  pageWidths,
  useGatewayAndBrowser,
  waitForMessage,
  waitForTestIdText,
} from './helpers/browser.js';

browserSuite('client page', () => {
  const env = useGatewayAndBrowser();

  test('is served at / by the gateway, connects, and shows its connection id', async () => {
    const page = await env.context.newPage();
    const response = await page.goto(`${env.gateway.baseUrl}/`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/html/);
    assert.equal(await page.title(), 'Client · Switchboard');

    await waitForTestIdText(page, 'connection-status', 'connected');
    const id = await waitForTestIdText(page, 'connection-id', /^\S+$/);
    // The id shown is the one the gateway knows: the management API finds it (200, not 410).
    const info = await fetch(`${env.gateway.endpoint}/@connections/${encodeURIComponent(id)}`);
    assert.equal(info.status, 200, `GET @connections/${id}`);
    assert.match((await info.json()).identity.userAgent, /Chrome/);
    // whoami's reply sets the id and is not listed as a message.
    assert.deepEqual(await messageTexts(page), []);
  });

  test('shows a broadcast sent with the CLI in its message list', async () => {
    const { page } = await openClientPage(env.context, env.gateway.baseUrl);
    const text = `broadcast from the CLI ${randomUUID()} テスト`;

    const cli = await runCli(['broadcast', text, '--endpoint', env.gateway.endpoint]);
    assert.equal(cli.code, 0, `CLI exit code; stdout: ${cli.stdout} stderr: ${cli.stderr}`);
    assert.match(cli.stdout, /Broadcast to 1 connection/);

    await waitForMessage(page, text);
    assert.deepEqual(await messageTexts(page), [text]);
  });

  test("text sent with action sendmessage from one page appears in both pages' lists", async () => {
    const first = await openClientPage(env.context, env.gateway.baseUrl);
    const second = await openClientPage(env.context, env.gateway.baseUrl);
    assert.notEqual(first.id, second.id);
    const text = `hello from page 1 ${randomUUID()}`;

    assert.equal(await first.page.inputValue('[data-testid="send-action"]'), 'sendmessage');
    await first.page.fill('[data-testid="send-action"]', 'sendmessage');
    await first.page.fill('[data-testid="send-data"]', text);
    await first.page.click('[data-testid="send-button"]');

    await Promise.all([waitForMessage(first.page, text), waitForMessage(second.page, text)]);
    assert.deepEqual(await messageTexts(first.page), [text]);
    assert.deepEqual(await messageTexts(second.page), [text]);
    // The form is cleared for the next message.
    assert.equal(await first.page.inputValue('[data-testid="send-data"]'), '');
  });

  test('fits a 375 px wide phone screen without horizontal scrolling, page and console', async () => {
    const phone = await env.browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    try {
      const { page, id } = await openClientPage(phone, env.gateway.baseUrl);
      // Long content that must wrap: an unbroken 300-character word, JSON, Japanese text.
      const long = 'x'.repeat(300);
      for (const data of [long, JSON.stringify({ kind: 'json', items: [1, 2, 3], text: 'テスト' }), 'テスト'.repeat(40)]) {
        const cli = await runCli(['broadcast', data, '--endpoint', env.gateway.endpoint]);
        assert.equal(cli.code, 0, cli.stderr);
        await waitForMessage(page, data);
      }
      await page.fill('[data-testid="send-data"]', 'y'.repeat(200));

      const client = await pageWidths(page);
      assert.ok(client.scrollWidth <= client.innerWidth, `client page: scrollWidth ${client.scrollWidth} > innerWidth ${client.innerWidth}`);
      assert.equal(client.innerWidth, 375);
      // The send button is inside the screen, not pushed off to the right.
      const button = await page.locator('[data-testid="send-button"]').boundingBox();
      assert.ok(button.x >= 0 && button.x + button.width <= 375, `send button at x=${button.x}, width ${button.width}`);

      await page.click('[data-testid="nav-console"]');
      await page.locator(`[data-testid="connection-row"][data-connection-id="${id}"]`).waitFor();
      const consoleWidths = await pageWidths(page);
      assert.ok(
        consoleWidths.scrollWidth <= consoleWidths.innerWidth,
        `console: scrollWidth ${consoleWidths.scrollWidth} > innerWidth ${consoleWidths.innerWidth}`,
      );
      const disconnect = await page.locator('[data-testid="disconnect-button"]').first().boundingBox();
      assert.ok(disconnect.x >= 0 && disconnect.x + disconnect.width <= 375, `disconnect button at x=${disconnect.x}`);
    } finally {
      await phone.close();
    }
  });
});
