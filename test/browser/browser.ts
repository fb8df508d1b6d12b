import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { nextOtp, smsTo } from '../support/auth';

/** Screenshots of failed browser tests are kept here for whoever debugs them. */
export const failureDir = path.resolve(__dirname, '..', '..', '.data', 'browser-failures');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
}

export const phone: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/**
 * Runs `fn` with a fresh page (its own storage); when it fails, the page's screenshot is kept in
 * failureDir and its path printed. Console errors and CSP violations fail the test too.
 */
export async function withPage(
  browser: Browser,
  t: TestContext,
  fn: (page: Page) => Promise<void>,
  options: BrowserContextOptions = {},
): Promise<void> {
  const context = await browser.newContext({ locale: 'en-IN', acceptDownloads: true, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    // A refused request is logged by the browser; the page shows the API's message for it.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
  });
  try {
    await fn(page);
    assert.deepEqual(pageErrors, [], 'errors in the page');
  } catch (err) {
    fs.mkdirSync(failureDir, { recursive: true });
    const file = path.join(failureDir, `${t.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80)}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    console.error(`browser test failed; screenshot: ${file}`);
    throw err;
  } finally {
    await context.close();
  }
}

/** Signs in through the portal's form with the code the SMS sink received. */
export async function signIn(page: Page, baseUrl: string, smsUrl: string, mobile: string): Promise<void> {
  await page.goto(baseUrl + '/');
  const seen = (await smsTo(smsUrl, mobile)).length;
  await page.getByLabel('Mobile number').fill(mobile);
  await page.getByRole('button', { name: 'Send code' }).click();
  const otp = await nextOtp(smsUrl, mobile, seen);
  await page.getByLabel('Code from the SMS').fill(otp);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Opens a page of the portal through its menu, as a person would. */
export async function openFromMenu(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

interface AxeResult {
  violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }>;
}

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The page's critical accessibility violations, by axe-core running in the page. It is evaluated
 * over the DevTools protocol: addScriptTag would add an inline script, which the portal's CSP
 * (rightly) refuses.
 */
export async function criticalViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run: () => Promise<unknown> } }).axe.run(),
  );
  return (result as AxeResult).violations
    .filter((v) => v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${JSON.stringify(v.nodes.map((n) => n.target))})`);
}
