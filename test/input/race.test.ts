/**
 * Two synths at once in one working directory (issue #17): both succeed, the second waits for the first (saying so),
 * and dist/ is one synth's whole output. A lock left by a killed synth is taken over.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { acquireOutputLock, outputLockFile } from '../../apps/_output-lock';
import { synthAll } from '../../apps/main';
import { copyWorkspace, makeBaseWorkspace, runSynth, sharedTmp, snapshot } from './_workspace';

jest.setTimeout(900_000);

let parent: string;
let base: string;
let reference: string[];
beforeAll(async () => {
  parent = sharedTmp('hacp-race-');
  base = path.join(parent, 'base');
  fs.mkdirSync(base);
  await makeBaseWorkspace(base);
  reference = snapshot(base, 'dist');
});
afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

test('two `npm run synth` started together: both succeed, one waits, dist/ is one whole synth', async () => {
  const ws = copyWorkspace(base, parent, 'two-synths');
  const [a, b] = await Promise.all([runSynth(ws), runSynth(ws)]);
  for (const r of [a, b]) {
    expect({ code: r.code, timedOut: r.timedOut, stderr: r.code ? r.stderr : '' }).toEqual({
      code: 0,
      timedOut: false,
      stderr: '',
    });
    expect(r.stdout).toContain('Validations ended succesfully');
  }
  expect(
    [a, b].filter((r) => /^waiting: another synth \(process \d+(, \d+)*\) is writing /m.test(r.stderr)),
  ).toHaveLength(1);
  expect(snapshot(ws, 'dist')).toEqual(reference);
  expect(fs.existsSync(outputLockFile(path.join(ws, 'dist')))).toBe(false);
});

test('two synthAll() at once into one output directory (the app without the wrapper): serialised, one consistent tree', async () => {
  const ws = copyWorkspace(base, parent, 'two-apps');
  const logs: string[][] = [[], []];
  const synth = (i: number) => {
    // As cdk8s synth does before running the app: each run starts by deleting the output directory.
    fs.rmSync(path.join(ws, 'dist'), { recursive: true, force: true });
    return synthAll({
      cwd: ws,
      outdir: path.join(ws, 'dist'),
      stateRoot: path.join(ws, 'pki'),
      log: (l) => logs[i].push(l),
    });
  };
  await Promise.all([synth(0), synth(1)]);
  expect(logs.filter((l) => l.some((x) => x.startsWith('waiting: another synth')))).toHaveLength(1);
  expect(snapshot(ws, 'dist')).toEqual(reference);
});

test('a lock left by a killed synth is taken over without waiting', async () => {
  const ws = copyWorkspace(base, parent, 'stale-lock');
  const dead = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.on('exit', () => resolve(child.pid!));
  });
  fs.writeFileSync(
    outputLockFile(path.join(ws, 'dist')),
    JSON.stringify({ token: 'left-behind', pids: [dead], outdir: path.join(ws, 'dist') }),
  );
  const r = await runSynth(ws);
  expect(r.code).toBe(0);
  expect(r.stderr).not.toContain('waiting');
  expect(snapshot(ws, 'dist')).toEqual(reference);
});

test('the app adopts the lock its wrapper holds ($HACP_SYNTH_LOCK) instead of waiting for it', async () => {
  const ws = copyWorkspace(base, parent, 'adopt');
  const outer = await acquireOutputLock(path.join(ws, 'dist'));
  process.env.HACP_SYNTH_LOCK = outer.token;
  try {
    const lines: string[] = [];
    await synthAll({
      cwd: ws,
      outdir: path.join(ws, 'dist'),
      stateRoot: path.join(ws, 'pki'),
      log: (l) => lines.push(l),
      cache: false,
    });
    expect(lines.some((l) => l.startsWith('waiting'))).toBe(false);
    expect(fs.existsSync(outer.file)).toBe(true); // still the wrapper's until it releases it
  } finally {
    delete process.env.HACP_SYNTH_LOCK;
    outer.release();
  }
  expect(fs.existsSync(outputLockFile(path.join(ws, 'dist')))).toBe(false);
});
