// With TRUCELINE_WEB_DIST set (a folder, normally `dist`), the browser tests load the
// console's files from that folder instead of those the binary embedded when it was built,
// so that a console change can be tested against a server binary built before it. The API
// (/v1/...) is the real server's either way, and so are the headers of the page itself
// (its Content-Security-Policy among them): only the bodies of the console's files change.
// Without it (as in CI, which builds the binary from the committed web/dist), nothing is
// routed.

import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, extname } from 'node:path';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };

export async function useLocalDist(context) {
  const dir = process.env.TRUCELINE_WEB_DIST;
  if (!dir) return;
  const root = resolve(dir);
  await context.route((url) => !url.pathname.startsWith('/v1/'), async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(root, path === '/' ? 'index.html' : path);
    if (!file.startsWith(root) || !existsSync(file)) return route.continue();
    // The page's own headers from the server (the CSP), with the local file's body.
    const real = await route.fetch({ url: new URL('/', route.request().url()).href });
    const headers = { ...real.headers(), 'content-type': TYPES[extname(file)] || 'application/octet-stream' };
    delete headers['content-length'];
    await route.fulfill({ status: 200, headers, body: readFileSync(file) });
  });
}
