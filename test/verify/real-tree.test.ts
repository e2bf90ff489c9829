/**
 * The real synth output (apps/main.ts `synthAll`, both trees, fresh PKI in a temp dir) passes `hacp verify`:
 * no schema, flag, consistency or CIS error (warnings are allowed: Manual CIS checks and documented deviations).
 * The `cluster` check is not asserted here yet: today's trees are incomplete clusters (issues 15 and 16 complete them);
 * test/verify/cluster/frozen.test.ts pins what it reports on them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthAll } from '../../apps/main';
import { treeSpecResolver, verifyTree } from '../../lib/verify';

jest.setTimeout(240_000);

test('the synthesized tree has no schema, flag or consistency error and no CIS error', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-real-'));
  try {
    await synthAll({
      outdir: path.join(tmp, 'dist'),
      stateRoot: path.join(tmp, 'pki'),
      cwd: tmp,
      log: () => undefined,
    });
    const report = verifyTree(path.join(tmp, 'dist'), {
      spec: treeSpecResolver({ cwd: tmp }),
      checks: ['schema', 'flags', 'security', 'consistency'],
    });
    const errors = report.findings.filter((f) => f.severity === 'error');
    expect(
      errors.filter((f) => f.check !== 'security').map((f) => `${f.file} ${f.check}/${f.id}: ${f.message}`),
    ).toEqual([]);
    expect(errors.map((f) => `${f.file} ${f.id}: ${f.message}`)).toEqual([]);
    expect(report.objects).toBeGreaterThan(50);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
