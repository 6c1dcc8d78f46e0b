// Bundles the designer's studio (web/ui/studio/src/studio.js) with esbuild into
// web/ui/static/build/studio.js + studio.css (+ fonts under build/assets/), and the managers'
// dashboard charts (src/dashboard.js, ECharts) into build/dashboard.js. Run by `npm run build`
// (scripts/setup after `npm ci`); the output is not committed.
//
// `import lintConfig from 'bpmnlint-config'` in the sources is the project's .bpmnlintrc compiled
// by bpmnlint's own packer (lib/support/compile-config.js): the rules it enables, bundled for the
// browser, as bpmn-js-bpmnlint expects ({ config, resolver }).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const outdir = path.join(root, 'web', 'ui', 'static', 'build');

const bpmnlintConfig = {
  name: 'bpmnlint-config',
  setup(build) {
    build.onResolve({ filter: /^bpmnlint-config$/ }, () => ({ path: 'bpmnlint-config', namespace: 'bpmnlint' }));
    build.onLoad({ filter: /.*/, namespace: 'bpmnlint' }, async () => {
      const compileConfig = require('bpmnlint/lib/support/compile-config');
      const config = JSON.parse(await readFile(path.join(root, '.bpmnlintrc'), 'utf8'));
      return {
        contents: await compileConfig(config),
        loader: 'js',
        // the compiled module imports the rules as `bpmnlint/rules/…`: resolve them from the project
        resolveDir: root
      };
    });
  }
};

const result = await esbuild.build({
  entryPoints: { studio: path.join(here, 'src', 'studio.js'), dashboard: path.join(here, 'src', 'dashboard.js') },
  outdir,
  bundle: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: process.env.STUDIO_DEV !== '1',
  sourcemap: process.env.STUDIO_DEV === '1' ? 'linked' : false,
  legalComments: 'linked',
  assetNames: 'assets/[name]-[hash]',
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [bpmnlintConfig],
  metafile: true,
  logLevel: 'warning'
});

const outputs = Object.entries(result.metafile.outputs)
  .filter(([file]) => /\.(js|css)$/.test(file))
  .map(([file, info]) => `${path.relative(root, file)} ${(info.bytes / 1024).toFixed(0)} KB`);
console.log(outputs.join('\n'));
