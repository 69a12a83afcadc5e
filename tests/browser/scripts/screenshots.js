// Regenerates the documentation screenshots (npm run screenshots): docs/images/page.png (the client page with a few
// messages) and docs/images/console.png (the console with two connections), taken in headless Chromium from a
// gateway started for the purpose (the built Switchboard.Server.dll, see ../compat-js/test/helpers/gateway.js).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, startGateway } from '../../compat-js/test/helpers/gateway.js';
import { chromiumProblem, launchBrowser, openClientPage, waitForMessage, waitForTestIdText } from '../test/helpers/browser.js';

const imagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/images');
// A short viewport: fullPage screenshots then end where the content ends.
const VIEWPORT = { width: 1100, height: 480 };

const problem = chromiumProblem();
if (problem) {
  console.error(problem);
  process.exit(1);
}

/** A full-page screenshot with nothing focused or hovered, scrolled to the top (the top bar is sticky). */
async function shoot(page, name) {
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.scrollTo(0, 0);
  });
  await page.mouse.move(0, VIEWPORT.height - 1);
  await page.evaluate(() => new Promise((resolveFrame) => requestAnimationFrame(() => resolveFrame())));
  await page.screenshot({ path: resolve(imagesDir, name), fullPage: true });
}

mkdirSync(imagesDir, { recursive: true });
const gateway = await startGateway();
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: 'light' });
  const first = await openClientPage(context, gateway.baseUrl);
  const second = await openClientPage(context, gateway.baseUrl);

  // A few messages, as a person would produce them: typed into either page (sendmessage reaches both), a CLI broadcast.
  const say = async (page, text) => {
    await page.fill('[data-testid="send-data"]', text);
    await page.click('[data-testid="send-button"]');
    await waitForMessage(first.page, text);
    await waitForMessage(second.page, text);
  };
  await say(first.page, 'Hello, everyone!');
  await say(second.page, 'Hi from the second tab');
  const broadcast = 'Maintenance at 22:00 UTC (sent with ./switchboard broadcast)';
  const cli = await runCli(['broadcast', broadcast, '--endpoint', gateway.endpoint]);
  if (cli.code !== 0) throw new Error(`broadcast failed: ${cli.stderr}`);
  await waitForMessage(first.page, broadcast);
  await say(second.page, JSON.stringify({ type: 'chat', user: 'bob', text: 'JSON is shown as sent' }));

  await shoot(first.page, 'page.png');

  // The console, opened from the first page's tab (so one row is marked "this tab"), with both connections.
  await first.page.click('[data-testid="nav-console"]');
  for (const id of [first.id, second.id]) {
    await first.page.locator(`[data-testid="connection-row"][data-connection-id="${id}"]`).waitFor();
  }
  await waitForTestIdText(first.page, 'counter-connections', '2');
  await first.page.fill('[data-testid="broadcast-input"]', 'Deploy finished');
  await first.page.click('[data-testid="broadcast-button"]');
  await waitForTestIdText(first.page, 'broadcast-result', /Broadcast delivered to 2 recipients/);
  await shoot(first.page, 'console.png');

  await context.close();
  console.log(`Wrote ${resolve(imagesDir, 'page.png')} and ${resolve(imagesDir, 'console.png')}`);
} finally {
  await Promise.allSettled([browser.close(), gateway.stop()]);
}
