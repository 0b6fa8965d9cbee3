// Builds the web console into OUTDIR (default: dist):
//   OUTDIR/index.html, OUTDIR/assets/app.js, OUTDIR/assets/app.css,
//   OUTDIR/assets/favicon.svg
// Run by CMake (cmake/web_console.cmake) after `npm ci`; the files are then
// embedded in the console library. No inline script or style: the server's
// Content-Security-Policy allows only 'self'.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, 'dist');
mkdirSync(join(out, 'assets'), { recursive: true });

await esbuild.build({
  entryPoints: { app: join(here, 'src/main.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome110', 'firefox115'],
  outdir: join(out, 'assets'),
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'src/favicon.svg'), join(out, 'assets/favicon.svg'));
