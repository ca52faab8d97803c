/**
 * What the designer's browser tests share: a world (the harness and the console in Chromium) opened once per file,
 * and the calls they make around it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { createHarness, type Harness } from '../harness';
import { openConsole, screenshot, type ConsoleBrowser } from './browser';

/** Opens the world before the file's tests and closes it after them; read `h` and `browser` inside tests only. */
export function designerWorld(definition: object) {
  let h: Harness;
  let browser: ConsoleBrowser;
  beforeAll(async () => {
    h = await createHarness();
    browser = await openConsole(await h.app.listen({ port: 0, host: '127.0.0.1' }));
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });
  const read = async (url: string) => (await h.api(h.tenant.adminKey, { method: 'GET', url })).json();
  return {
    get h() {
      return h;
    },
    get browser() {
      return browser;
    },
    /** Creates a draft (`definition` unless another is given); answers its id. */
    async newWorkflow(name: string, body: object = definition): Promise<string> {
      const created = await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name, definition: body },
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json().id as string;
    },
    /** A page signed in with `key` at `at`, as wide as the designer wants. */
    signedIn: (key: string, at: string) => browser.signedIn(key, at, { width: 1400, height: 950 }),
    shot: (page: Page, name: string) => screenshot(page, `designer-${name}`),
    draftOf: async (id: string) => (await read(`/api/workflows/${id}`)).definition,
    versionsOf: async (id: string) => (await read(`/api/workflows/${id}/versions`)).items,
  };
}
