/**
 * Durations for `--timeout` and `--poll-interval`: seconds as a plain number (`300`), or a Go-style duration
 * (`300s`, `5m`, `1h30m`, `1.5m`), as kubectl's own `--timeout=` takes them.
 */
export function parseDuration(flag: string, value: string): number {
  const text = value.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    seconds = Number(text);
  } else if (/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(text)) {
    const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
    seconds = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
  } else {
    throw new Error(`${flag}: ${JSON.stringify(value)} is not a duration (seconds, or e.g. 300s, 5m, 1h)`);
  }
  if (!(seconds > 0)) throw new Error(`${flag}: ${JSON.stringify(value)} must be more than 0 seconds`);
  if (seconds > MAX_DURATION_SECONDS) throw new Error(`${flag}: ${JSON.stringify(value)} is more than 24h`);
  return seconds;
}

/** The longest `--timeout` or `--poll-interval`: a day (a bring-up wait is minutes; a typo like `300h` is refused). */
export const MAX_DURATION_SECONDS = 24 * 3600;

/** `300` → `300s`, `0.5` → `1s` (kubectl's `--timeout=` takes whole seconds here; rounded up, never 0). */
export function kubectlSeconds(seconds: number): string {
  return `${Math.max(1, Math.ceil(seconds))}s`;
}

/** A point in time a group of waits must finish by. */
export class Deadline {
  private readonly end: number;

  constructor(
    /** The time allowed from construction, in seconds (may be fractional). */
    public readonly seconds: number,
    /** The clock, in milliseconds since the epoch (tests pass their own). */
    private readonly now: () => number = Date.now,
  ) {
    this.end = now() + seconds * 1000;
  }

  /** Seconds left (never negative). */
  remaining(): number {
    return Math.max(0, (this.end - this.now()) / 1000);
  }

  /** True once the time is up. */
  passed(): boolean {
    return this.now() >= this.end;
  }
}

/**
 * Milliseconds as Node's timers and `execFile`'s `timeout` take them: a whole number (execFile throws on a fraction)
 * from 1 up to 2^31-1 (a larger one makes Node fire after 1 ms instead).
 */
export function timerMs(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(ms)));
}

/** The longest delay a Node timer takes: 2^31-1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
