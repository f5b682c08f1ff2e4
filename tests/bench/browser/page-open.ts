/**
 * (c) Page open to prompt: from navigation start (the page's time origin) to the first prompt
 * parsed by its terminal. Ours is started with a click on Start as soon as the page has loaded;
 * WeTTY and the floor start on their own.
 */
import type { Browser } from 'playwright-core';
import { TerminalPage, type Target } from './arms.ts';

export async function measurePageOpen(browser: Browser, target: Target): Promise<number> {
  const tp = await TerminalPage.open(browser, target);
  try {
    return await tp.prompt();
  } finally {
    await tp.close();
  }
}
