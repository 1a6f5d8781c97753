// Launches Debian's Chromium through playwright-core (no browser download), headless. Each
// launch runs on a fresh temporary profile (user-data-dir) that Playwright makes and removes;
// each principal gets its own isolated context.

import { chromium as pwChromium } from 'playwright-core';

export const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // WebGL for MapLibre without a GPU: SwiftShader through ANGLE.
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

export function chromium() {
  return pwChromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
}
