/**
 * The real kubectl for tests that drive it against the FAKE API server (test/support/fake-apiserver.ts).
 *
 * `$HACP_TEST_KUBECTL`, else `kubectl` from PATH, used only if `kubectl version --client` runs. On this machine
 * `/usr/bin/kubectl` is the gcloud SDK "dispatcher" (v1.32.4-dispatcher): it asks the server's `/version` first and
 * then runs `kubectl.<minor>` from its own directory (1.27 … 1.33; a newer server gets its built-in 1.32), and it
 * remembers that choice in `$HOME/.kube/cache`. So every test gives kubectl a fresh HOME (`kubectlEnv()`) and the
 * fake answers v1.33.0: the dispatcher then always runs the real kubectl 1.33.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

let found: string | null | undefined;

/** The kubectl binary, or undefined when none runs here. */
export function kubectlBinary(): string | undefined {
  if (found === undefined) {
    const bin = process.env.HACP_TEST_KUBECTL || 'kubectl';
    found = spawnSync(bin, ['version', '--client'], { encoding: 'utf8', timeout: 60_000 }).status === 0 ? bin : null;
  }
  return found ?? undefined;
}

/** `test` when kubectl runs here, else `test.skip` (the skip shows in jest's output). */
export const testWithKubectl: jest.It = kubectlBinary() ? test : test.skip;

/** An environment for kubectl with its own HOME (discovery cache, dispatcher cache) under `dir`. */
export function kubectlEnv(dir: string): NodeJS.ProcessEnv {
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  return { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' };
}

/** A temp dir removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** What a kubectl run printed. */
export interface KubectlRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs kubectl asynchronously (never `spawnSync`: the FAKE API server answers from this process's event loop, so a
 * synchronous child would wait for it forever). Killed after `timeoutMs`.
 */
export function runKubectl(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<KubectlRun> {
  return new Promise((resolve) => {
    const p = spawn(kubectlBinary()!, args, { env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
