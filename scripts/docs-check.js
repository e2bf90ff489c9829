#!/usr/bin/env node
/**
 * `npm run docs:check`: runs typedoc over every entry point (typedoc.json) with warnings as errors, so an exported
 * member without a TSDoc comment (validation.notDocumented), a broken `{@link}` or a referenced but unexported type
 * fails the check. The HTML goes to a temporary directory that is removed afterwards: the check leaves docs/api alone.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-docs-check-'));
try {
  const typedoc = path.join(path.dirname(require.resolve('typedoc/package.json', { paths: [root] })), 'bin', 'typedoc');
  const result = spawnSync(
    process.execPath,
    [typedoc, '--treatWarningsAsErrors', '--out', out, ...process.argv.slice(2)],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (result.error) throw result.error;
  process.exitCode = result.status ?? 1;
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
