import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { warningsOf } from '../../lib/common';

/** Synthesizes what `build` adds to a fresh chart; returns the manifests (what `cdk8s synth` would write). */
export function synthObjects(build: (chart: Chart) => Construct | void): any[] {
  const chart = Testing.chart();
  build(chart);
  return Testing.synth(chart);
}

/** The first container of a Pod manifest. */
export function container(pod: any): any {
  return pod.spec.containers[0];
}

/** `--name=value` args as a map (`--flag` alone maps to ''; tokens that are not flags are left out). */
export function argMap(args: string[]): Record<string, string> {
  return Object.fromEntries(
    args
      .filter((a) => a.startsWith('--'))
      .map((a) => {
        const i = a.indexOf('=');
        return i < 0 ? [a.slice(2), ''] : [a.slice(2, i), a.slice(i + 1)];
      }),
  );
}

/** Snapshot serializer masking PEM blocks, so generated keys and certificates don't break snapshots. */
export const pemMask = {
  test: (v: unknown) => typeof v === 'string' && /-----BEGIN [A-Z ]+-----/.test(v),
  serialize: (v: string) => JSON.stringify(v.replace(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g, '<$1>')),
};

/**
 * Synthesizes like `synthObjects()`, capturing the warnings the constructs add at synth (`Annotations`: recorded as
 * construct metadata and printed to stderr, here captured instead of printed).
 */
export function synthWithWarnings(build: (chart: Chart) => Construct | void): {
  objects: any[];
  warnings: string[];
  printed: string[];
} {
  const chart = Testing.chart();
  build(chart);
  const printed: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    const objects = Testing.synth(chart);
    return { objects, warnings: warningsOf(chart), printed };
  } finally {
    spy.mockRestore();
  }
}
