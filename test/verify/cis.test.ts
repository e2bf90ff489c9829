import * as fs from 'fs';
import * as path from 'path';
import { CIS_CHECKS } from '../../lib/verify';

test('CIS table: unique ids, every check documented in docs/verify.md with its title', () => {
  const ids = CIS_CHECKS.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  const doc = fs.readFileSync(path.join(__dirname, '../../docs/verify.md'), 'utf8');
  for (const c of CIS_CHECKS) expect(doc).toContain(`| ${c.id} | ${c.title} |`);
  expect(ids).toEqual(expect.arrayContaining(['1.1.1', '1.2.1', '1.2.30', '1.3.7', '1.4.2', '2.7', '4.2.14']));
});
