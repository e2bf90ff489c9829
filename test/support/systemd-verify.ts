/**
 * Runs `systemd-analyze verify` on unit files without systemd as PID 1: the units go into a throwaway root that has
 * a copy of the host's /usr/lib/systemd/system (for targets such as multi-user.target) and the executables the units
 * name: copied from the host when they exist there, stubs for the few that only exist on a real node (kubelet,
 * bootkube). A missing executable, a bad section or an unknown key fails the check: verify's exit code alone misses
 * warnings (e.g. "Unknown key"), so any output counts as a failure too.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface VerifyResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly output: string;
}

export function systemdAnalyzeAvailable(): boolean {
  return spawnSync('systemd-analyze', ['--version']).status === 0;
}

/** Verifies `units` (file name → text). `stubs` are absolute paths of executables to fake in the root. */
export function verifyUnits(units: Record<string, string>, stubs: string[] = []): VerifyResult {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-systemd-'));
  try {
    fs.mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true });
    fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    const unitDir = path.join(root, 'etc/systemd/system');
    fs.mkdirSync(unitDir, { recursive: true });
    for (const [name, text] of Object.entries(units)) {
      fs.writeFileSync(path.join(unitDir, name), text);
      for (const m of text.matchAll(/^Exec\w*=[-@:+!]*(\/\S+)/gm)) {
        const exe = m[1];
        const dest = path.join(root, exe);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        if (stubs.includes(exe)) fs.writeFileSync(dest, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
        else if (fs.existsSync(exe)) fs.copyFileSync(exe, dest);
      }
    }
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...Object.keys(units)], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`.trim();
    return { ok: r.status === 0 && output === '', status: r.status, output };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
