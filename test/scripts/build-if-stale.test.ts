import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const { isStale } = require('../../scripts/build-if-stale.js');

describe('scripts/build-if-stale.js (npm run synth skips tsc when nothing changed)', () => {
  let dir: string;
  const setAge = (p: string, ageSeconds: number) => {
    const t = new Date(Date.now() - ageSeconds * 1000);
    fs.utimesSync(p, t, t);
  };
  const write = (rel: string, ageSeconds: number) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    setAge(file, ageSeconds);
  };
  /** Every directory of the tree as old as the sources (creating files touched them). */
  const ageDirs = (d = dir) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) ageDirs(path.join(d, e.name));
    setAge(d, 100);
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-stale-'));
    write('lib/spec/a.ts', 100);
    write('apps/main.ts', 100);
    write('tsconfig.json', 100);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no build: stale', () => {
    ageDirs();
    expect(isStale(dir)).toBe(true);
  });

  test('a build newer than every source: up to date', () => {
    write('build/apps/main.js', 10);
    write('build/.tsbuildinfo', 10);
    ageDirs();
    expect(isStale(dir)).toBe(false);
  });

  test('a changed source deep in lib/, a deleted source, or a changed tsconfig.json: stale', () => {
    write('build/apps/main.js', 10);
    write('build/.tsbuildinfo', 10);
    write('lib/spec/deeper/b.ts', 1);
    ageDirs();
    setAge(path.join(dir, 'lib/spec/deeper/b.ts'), 1);
    expect(isStale(dir)).toBe(true);

    fs.rmSync(path.join(dir, 'lib/spec/deeper/b.ts'));
    expect(isStale(dir)).toBe(true); // the directory's mtime moved

    ageDirs();
    expect(isStale(dir)).toBe(false);
    setAge(path.join(dir, 'tsconfig.json'), 1);
    expect(isStale(dir)).toBe(true);
  });
});
