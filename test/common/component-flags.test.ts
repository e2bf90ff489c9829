import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { Annotations, WARNING_METADATA, componentArgs, validateTree, warningsOf } from '../../lib/common';
import { synthWithWarnings } from '../support/synth';

const ROOT = path.resolve(__dirname, '../..');
const defaults = { 'bind-address': '127.0.0.1', profiling: 'false', 'secure-port': '10259' };

describe('componentArgs', () => {
  test('without overrides: the sorted defaults and no validation', () => {
    const scope = new Construct(Testing.chart(), 'x');
    expect(
      componentArgs(scope, { component: 'kube-scheduler', version: 'v1.35.4', defaults, hostNetwork: true }),
    ).toEqual(['--bind-address=127.0.0.1', '--profiling=false', '--secure-port=10259']);
    expect(scope.node.validate()).toEqual([]);
  });

  test('the validation: unknown and removed flags are errors; a no-op removal and a deprecated flag are warnings; all computed once', () => {
    const chart = Testing.chart();
    const scope = new Construct(chart, 'sched');
    const args = componentArgs(scope, {
      component: 'kube-scheduler',
      version: 'v1.35.4',
      defaults,
      hostNetwork: true,
      extraArgs: { port: '10251', 'no-such': 'x', kubeconfig: '/k' },
      removeArgs: ['nothing-here'],
    });
    expect(args).toEqual([
      '--bind-address=127.0.0.1',
      '--kubeconfig=/k',
      '--no-such=x',
      '--port=10251',
      '--profiling=false',
      '--secure-port=10259',
    ]);
    const printed: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const errors = [
        'extraArgs: --port was removed from kube-scheduler in 1.24 approx (insecure serving; use --secure-port)',
        'extraArgs: --no-such is not a flag of kube-scheduler v1.35.4',
      ];
      expect(scope.node.validate()).toEqual(errors);
      expect(scope.node.validate()).toEqual(errors); // cdk8s validates the whole app once per chart
      expect(() => Testing.synth(chart)).toThrow(
        `Validation failed with the following errors:\n  [test/sched] ${errors[0]}\n  [test/sched] ${errors[1]}`,
      );
    } finally {
      spy.mockRestore();
    }
    expect(warningsOf(chart)).toEqual([
      '[test/sched] extraArgs: --kubeconfig is deprecated in kube-scheduler v1.35.4 (deprecated: ignored if --config is given (use config file))',
      "[test/sched] removeArgs: 'nothing-here' is not a default flag of kube-scheduler; nothing is removed",
    ]);
    expect(printed).toEqual(warningsOf(chart).map((w) => `warning: ${w}\n`));
  });

  test('a pod-IP bind address is a weakening only off the host network (CIS 1.4.2 as hacp verify decides it)', () => {
    const pods = (hostNetwork: boolean) =>
      synthWithWarnings((chart) => {
        componentArgs(new Construct(chart, 's'), {
          component: 'kube-scheduler',
          version: 'v1.35.4',
          defaults,
          hostNetwork,
          extraArgs: { 'bind-address': '$(POD_IP)' },
        });
      }).warnings;
    expect(pods(false)).toEqual([
      "[test/s] weakens CIS 1.4.2 (scheduler --bind-address is 127.0.0.1): kube-scheduler: --bind-address is the pod IP (pod network, not the host's interfaces)",
    ]);
    expect(pods(true)).toEqual([
      '[test/s] weakens CIS 1.4.2 (scheduler --bind-address is 127.0.0.1): kube-scheduler: --bind-address is "$(POD_IP)", want 127.0.0.1',
    ]);
  });
});

describe('Annotations and validateTree', () => {
  test('a warning is construct metadata, printed once per construct and message', () => {
    const chart = Testing.chart();
    const a = new Construct(chart, 'a');
    const printed: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      Annotations.of(a).addWarning('one');
      Annotations.of(a).addWarning('one');
      Annotations.of(new Construct(a, 'b')).addWarning('two');
    } finally {
      spy.mockRestore();
    }
    expect(printed).toEqual(['warning: [test/a] one\n', 'warning: [test/a/b] two\n']);
    expect(warningsOf(chart)).toEqual(['[test/a] one', '[test/a/b] two']);
    expect(a.node.metadata.map((m) => [m.type, m.data])).toEqual([[WARNING_METADATA, 'one']]);
  });

  test('validateTree runs every validation below the scope and names each path', () => {
    const chart = Testing.chart();
    new Construct(chart, 'ok');
    new Construct(new Construct(chart, 'p'), 'bad').node.addValidation({ validate: () => ['broken'] });
    expect(() => validateTree(chart)).toThrow('Validation failed with the following errors:\n  [test/p/bad] broken');
  });
});

describe('loading', () => {
  // The compiled package, as another project loads it (`npm test` builds first).
  const built = path.join(ROOT, 'build/lib/common/component-flags.js');

  test('the constructs load neither ajv, commander nor the flag tables until a construct with overrides is validated', () => {
    expect(fs.existsSync(built)).toBe(true); // run `npm run build` first
    const script = `
      const { Testing } = require('cdk8s');
      const cp = require('./build/lib/control-plane');
      require('./build/lib/self-hosted'); require('./build/lib/addons'); require('./build/lib/common');
      const { STATIC_EXAMPLE_CLUSTER } = require('./build/lib/spec');
      const loaded = () => Object.keys(require.cache).map((f) => f.slice(${JSON.stringify(ROOT)}.length + 1))
        .filter((f) => /^node_modules\\/(ajv\\/dist\\/(ajv|core)\\.js|commander\\/)/.test(f) || /common\\/(flag-reference|cis-flag-checks)\\.js$/.test(f) || /^build\\/lib\\/verify\\//.test(f));
      const out = {};
      const plain = Testing.chart();
      new cp.StaticControlPlane(plain, 'cp', { cluster: STATIC_EXAMPLE_CLUSTER, master: 'master0' });
      Testing.synth(plain);
      out.plain = loaded();
      const custom = Testing.chart();
      new cp.StaticControlPlane(custom, 'cp', { cluster: STATIC_EXAMPLE_CLUSTER, master: 'master0', apiServer: { extraArgs: { v: '2' } } });
      out.beforeSynth = loaded();
      Testing.synth(custom);
      out.afterSynth = loaded();
      process.stdout.write(JSON.stringify(out));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
    expect(out).toEqual({
      plain: [],
      beforeSynth: [],
      afterSynth: ['build/lib/common/flag-reference.js', 'build/lib/common/cis-flag-checks.js'],
    });
  });
});
