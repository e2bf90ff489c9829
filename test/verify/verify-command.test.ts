import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hacp } from '../support/hacp';
import { FILE_CHECKS, editYaml, prepareCleanTree, writeTree } from './_fixture';

const checks = ['--checks', FILE_CHECKS.join(',')];

beforeAll(prepareCleanTree);

describe('hacp verify', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('exit 0 on a clean tree, report grouped by file', async () => {
    const dir = writeTree();
    dirs.push(dir);
    const r = await hacp(['verify', dir, '--example', 'static', ...checks]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^static-pods\/master0\/kube-apiserver\.yaml\n {2}warning security\/1\.2\.3: /);
    expect(r.out).toMatch(/0 errors, 5 warnings\n$/);
    expect((await hacp(['verify', dir, '--example', 'static', '--strict', ...checks])).code).toBe(1);
  });

  test('exit 1 with findings; --json for machines', async () => {
    const dir = writeTree((files) =>
      editYaml(files, 'static-pods/master0/kube-apiserver.yaml', (pod) => {
        pod.spec.containers[0].args.push('--insecure-port=0');
      }),
    );
    dirs.push(dir);
    const r = await hacp(['verify', dir, '--example', 'static', '--json', ...checks]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.errors).toBe(1);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        file: 'static-pods/master0/kube-apiserver.yaml',
        check: 'flags',
        id: 'flag-removed',
      }),
    );
  });

  test('exit 2 when it cannot run', async () => {
    const missing = path.join(os.tmpdir(), 'hacp-verify-does-not-exist');
    const r = await hacp(['verify', missing]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no such directory');
    const dir = writeTree();
    dirs.push(dir);
    expect((await hacp(['verify', dir, '--checks', 'schema,style'])).code).toBe(2);
    expect((await hacp(['verify', dir, '--cluster', path.join(dir, 'nope.yaml')])).code).not.toBe(0);
  });
});
