// Bundles src/index.js and the modules it imports (@spindle/kv included) into build/bundle.js, the one file j2w
// componentizes into dist/<package name>.wasm (`npm run build` runs this, then j2w). The WIT interfaces that the
// dependencies declare (their package.json `config.witDependencies`) stay imports: the build tools' esbuild plugin
// marks them external, and componentize-js links them to the host.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { SpinEsbuildPlugin } from '@spinframework/build-tools/plugins/esbuild/index.js';

// j2w reports a failure on stderr but exits 0, so a stale component must not survive a failed build.
const { name } = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync(`dist/${name}.wasm`, { force: true });
mkdirSync('dist', { recursive: true });

await build({
  entryPoints: ['src/index.js'],
  outfile: 'build/bundle.js',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  logLevel: 'warning',
  plugins: [await SpinEsbuildPlugin()],
});
