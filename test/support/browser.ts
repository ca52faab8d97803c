/**
 * The console in a real browser, as every browser test drives it: Debian's Chromium through playwright-core, a page
 * per signed-in person (each in its own context, so keys never mix), screenshots in test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../config';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = path.join(projectRoot, 'test-results');
export const UI_TIMEOUT = 30_000;

export type Viewport = { width: number; height: number };
const DEFAULT_VIEWPORT: Viewport = { width: 1280, height: 900 };

export interface ConsoleBrowser {
  browser: Browser;
  /** A fresh page (its own context) at `at`, not signed in. */
  page(at?: string, viewport?: Viewport): Promise<Page>;
  /** A fresh page signed in with `key` at `at`, once the console shows it signed in. */
  signedIn(key: string, at?: string, viewport?: Viewport): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  // Root in a container has no user namespace for Chromium's sandbox; the pages are our own.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Fills the sign-in form and waits for the console to show the session. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** A browser for the console served at `base` (a loopback URL). */
export async function openConsole(base: string): Promise<ConsoleBrowser> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const page = async (at = '/', viewport = DEFAULT_VIEWPORT) => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const opened = await context.newPage();
    opened.setDefaultTimeout(UI_TIMEOUT);
    await opened.goto(`${base}${at}`);
    return opened;
  };
  return {
    browser,
    page,
    signedIn: async (key, at, viewport) => {
      const opened = await page(at, viewport);
      await signIn(opened, key);
      return opened;
    },
    close: async () => {
      await Promise.all(contexts.map((c) => c.close().catch(() => {})));
      await browser.close();
    },
  };
}

/** A full-page screenshot in test-results/<name>.png. */
export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** A node on a React Flow canvas (the run page's or the designer's) by its id. */
export const nodeOf = (page: Page | Locator, nodeId: string) => page.locator(`.react-flow__node[data-id="${nodeId}"]`);

/** Connects two nodes on a React Flow canvas: a click on a source handle (first, or named), then on a target. */
export async function connect(page: Page, from: string, to: string, handle?: string): Promise<void> {
  const source = handle
    ? nodeOf(page, from).locator(`.react-flow__handle.source[data-handleid="${handle}"]`)
    : nodeOf(page, from).locator('.react-flow__handle.source').first();
  await source.click();
  await nodeOf(page, to).locator('.react-flow__handle.target').click();
}
