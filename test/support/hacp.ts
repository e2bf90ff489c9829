import { buildProgram } from '../../lib/cli/hacp';

/** What an in-process `hacp` run wrote and how it ended. */
export interface HacpRun {
  /** `process.exitCode` the command left (0 when it set none). */
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `hacp <args>` in-process with `env` added to the environment; captures stdout and stderr. The exit code is
 * reset before and after the run, and the environment restored, so runs do not leak into each other or the test.
 */
export async function hacp(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HacpRun> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => (out.push(String(s)), true));
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => (err.push(String(s)), true));
  process.exitCode = undefined;
  try {
    Object.assign(process.env, env);
    await buildProgram().parseAsync(['node', 'hacp', ...args], { from: 'node' });
    return { code: Number(process.exitCode ?? 0), out: out.join(''), err: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    process.exitCode = undefined;
  }
}
