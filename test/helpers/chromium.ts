/**
 * Debian's Chromium for browser tests, driven by playwright-core: never a downloaded browser
 * build. Missing Chromium is an error that says how to install it, not a skipped test.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed (${CHROMIUM} is missing). The dashboard's browser test drives ` +
        "Debian's chromium: run `apt-get install -y chromium` (.ci/run does), never a downloaded browser build.",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}
