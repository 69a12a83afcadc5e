// Headless Chromium for the browser tests: Debian's /usr/bin/chromium (or $CHROMIUM_PATH) driven by playwright-core.
// No browser is ever downloaded. When Chromium is missing the suite fails under CI=true and is skipped otherwise,
// with a message that says what to install.
import { accessSync, constants } from 'node:fs';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startGateway } from '../../../compat-js/test/helpers/gateway.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Timeout of every wait on the page (status, messages, rows). */
export const UI_TIMEOUT_MS = 15_000;

export function chromiumPath() {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** Why Chromium cannot be used, or null when it can. */
export function chromiumProblem() {
  const path = chromiumPath();
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return (
      `Chromium is missing: ${path} is not an executable file. Install Debian's package ` +
      '(apt-get install --no-install-recommends chromium; ./test.sh does it when run as root) ' +
      'or set CHROMIUM_PATH to a Chromium binary. playwright-core never downloads a browser.'
    );
  }
}

/**
 * describe() for a file of browser tests. Without Chromium: under CI=true one failing test with the reason (a CI
 * run must not pass without having run them), elsewhere the whole suite is skipped with the reason.
 */
export function browserSuite(name, body) {
  const problem = chromiumProblem();
  if (!problem) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      test('Chromium is available (CI=true)', () => {
        throw new Error(problem);
      });
    });
  } else {
    describe(name, () => {
      test('needs Chromium', { skip: problem }, () => {});
    });
  }
}

/** `extraArgs` add Chromium switches, e.g. `--host-resolver-rules=MAP attacker.test 127.0.0.1`. */
export function launchBrowser(extraArgs = []) {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * For the body of a browserSuite(): starts a gateway and Chromium before the suite's tests and stops both after
 * them, with a fresh browser context for each test (`contextPerTest`, the default) or one for the whole suite.
 * Returns { gateway, browser, context }, filled in by the hooks; a test may replace `gateway` (a restart), and the
 * one there at the end is stopped.
 */
export function useGatewayAndBrowser({ contextPerTest = true, gateway = {} } = {}) {
  const env = { gateway: null, browser: null, context: null };
  before(async () => {
    [env.gateway, env.browser] = await Promise.all([startGateway(gateway), launchBrowser()]);
    if (!contextPerTest) env.context = await env.browser.newContext();
  });
  after(async () => {
    if (!contextPerTest) await env.context?.close();
    await Promise.allSettled([env.browser?.close(), env.gateway?.stop()]);
  });
  if (contextPerTest) {
    beforeEach(async () => {
      env.context = await env.browser.newContext();
    });
    afterEach(async () => {
      await env.context?.close();
    });
  }
  return env;
}

const byTestId = (id) => `[data-testid="${id}"]`;

/** The text of the first element with that data-testid ('' when there is none). */
export async function testIdText(page, id) {
  return page.evaluate((selector) => document.querySelector(selector)?.textContent ?? '', byTestId(id));
}

/** Waits until the element with that data-testid has exactly (or, for a RegExp, matches) `expected`; returns its text. */
export async function waitForTestIdText(page, id, expected, { timeout = UI_TIMEOUT_MS } = {}) {
  const pattern = expected instanceof RegExp ? { source: expected.source, flags: expected.flags } : null;
  try {
    const handle = await page.waitForFunction(
      ({ selector, text, pattern: p }) => {
        const value = document.querySelector(selector)?.textContent ?? null;
        if (value === null) return false;
        const ok = p ? new RegExp(p.source, p.flags).test(value) : value === text;
        return ok ? value : false;
      },
      { selector: byTestId(id), text: pattern ? null : expected, pattern },
      { timeout, polling: 'raf' },
    );
    return await handle.jsonValue();
  } catch (error) {
    const actual = await testIdText(page, id).catch(() => '(page gone)');
    throw new Error(`${id} did not become ${expected} within ${timeout} ms; it is "${actual}" (${error.message.split('\n')[0]})`);
  }
}

/** The texts of the message list's items (message-data), oldest first. */
export function messageTexts(page) {
  return page.$$eval(`${byTestId('message-item')} ${byTestId('message-data')}`, (items) => items.map((item) => item.textContent));
}

/** Waits until one item of the message list shows exactly `text`. */
export async function waitForMessage(page, text, { timeout = UI_TIMEOUT_MS } = {}) {
  try {
    await page.waitForFunction(
      ({ selector, expected }) => [...document.querySelectorAll(selector)].some((item) => item.textContent === expected),
      { selector: `${byTestId('message-item')} ${byTestId('message-data')}`, expected: text },
      { timeout, polling: 'raf' },
    );
  } catch (error) {
    throw new Error(`The message list did not show "${text}" within ${timeout} ms; it has ${JSON.stringify(await messageTexts(page))}`, {
      cause: error,
    });
  }
}

/**
 * Opens the client page of a gateway (`query` e.g. '?reconnect=0') and waits until it shows `connected` and an id.
 * Returns { page, id }.
 */
export async function openClientPage(context, baseUrl, query = '') {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/${query}`);
  await waitForTestIdText(page, 'connection-status', 'connected');
  const id = await waitForTestIdText(page, 'connection-id', /^\S+$/);
  return { page, id };
}

/**
 * Records every text the connection-status element shows from now on (a MutationObserver in the page), so that a
 * short-lived state such as `reconnecting` is seen even when it lasts less than one poll. Read it with statusLog().
 */
export async function recordStatuses(page) {
  await page.evaluate((selector) => {
    const log = [document.querySelector(selector)?.textContent ?? ''];
    window.__statusLog = log;
    new MutationObserver(() => {
      const value = document.querySelector(selector)?.textContent ?? '';
      if (log[log.length - 1] !== value) log.push(value);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, byTestId('connection-status'));
}

export function statusLog(page) {
  return page.evaluate(() => window.__statusLog ?? []);
}

/** { scrollWidth, innerWidth }: the page scrolls sideways when scrollWidth > innerWidth. */
export function pageWidths(page) {
  return page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}
