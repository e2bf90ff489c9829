/**
 * A FAKE crictl: an executable Node script that answers `crictl --runtime-endpoint <ep> ps ... -o json` and
 * `... pods ... -o json` from a JSON state file the test writes, in crictl's JSON shapes (CRI v1 ListContainers /
 * ListPodSandbox), and logs every argv. Not a container runtime: nothing runs.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A container the FAKE runtime reports. */
export interface FakeContainer {
  readonly name: string;
  readonly podName: string;
  readonly podUid: string;
  readonly namespace?: string;
  readonly state?: 'CONTAINER_RUNNING' | 'CONTAINER_EXITED';
}

/** A pod sandbox the FAKE runtime reports. */
export interface FakeSandbox {
  readonly name: string;
  readonly uid: string;
  readonly namespace?: string;
  readonly state?: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
}

export interface FakeCrictlState {
  containers: FakeContainer[];
  sandboxes: FakeSandbox[];
  /** Fail every call like a runtime whose socket is gone. */
  fail?: boolean;
}

const SCRIPT = `
const fs = require('fs');
const [stateFile, logFile] = [__STATE__, __LOG__];
const argv = process.argv.slice(2);
fs.appendFileSync(logFile, JSON.stringify(argv) + '\\n');
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const die = (msg) => { process.stderr.write(msg + '\\n'); process.exit(1); };
if (argv[0] !== '--runtime-endpoint' || !argv[1]) die('FAKE crictl: --runtime-endpoint first');
if (state.fail) die('time="2026" level=fatal msg="validate service connection: FAKE: connect: no such file or directory"');
const [cmd, ...rest] = argv.slice(2);
const opt = (name) => { const i = rest.indexOf(name); return i >= 0 ? rest[i + 1] : undefined; };
if (opt('-o') !== 'json') die('FAKE crictl: only -o json');
if (cmd === 'ps') {
  const name = opt('--name'); const st = opt('--state');
  const containers = state.containers
    .filter((c) => !name || new RegExp(name).test(c.name))
    .filter((c) => !st || (c.state || 'CONTAINER_RUNNING') === 'CONTAINER_' + st.toUpperCase())
    .map((c, i) => ({ id: 'c' + i, podSandboxId: 'p' + i, metadata: { name: c.name, attempt: 0 }, image: { image: 'registry.k8s.io/kube-apiserver:v1.35.4' },
      imageRef: 'sha256:fake', state: c.state || 'CONTAINER_RUNNING', createdAt: '1767225600000000000',
      labels: { 'io.kubernetes.container.name': c.name, 'io.kubernetes.pod.name': c.podName, 'io.kubernetes.pod.namespace': c.namespace || 'kube-system', 'io.kubernetes.pod.uid': c.podUid },
      annotations: {} }));
  process.stdout.write(JSON.stringify({ containers }, null, 2));
} else if (cmd === 'pods') {
  const ns = opt('--namespace'); const st = opt('--state');
  const items = state.sandboxes
    .filter((p) => !ns || new RegExp(ns).test(p.namespace || 'kube-system'))
    .filter((p) => !st || (p.state || 'SANDBOX_READY') === (st === 'ready' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY'))
    .map((p, i) => ({ id: 's' + i, metadata: { name: p.name, uid: p.uid, namespace: p.namespace || 'kube-system', attempt: 0 }, state: p.state || 'SANDBOX_READY',
      createdAt: '1767225600000000000', labels: { 'io.kubernetes.pod.name': p.name, 'io.kubernetes.pod.uid': p.uid }, annotations: {}, runtimeHandler: '' }));
  process.stdout.write(JSON.stringify({ items }, null, 2));
} else die('FAKE crictl: unknown command ' + cmd);
`;

/** Writes the FAKE crictl into `dir`; returns its path and helpers to set its state and read its call log. */
export function fakeCrictl(dir: string, initial: FakeCrictlState = { containers: [], sandboxes: [] }) {
  fs.mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, 'fake-crictl-state.json');
  const logFile = path.join(dir, 'fake-crictl-calls.log');
  const bin = path.join(dir, 'crictl');
  fs.writeFileSync(
    bin,
    `#!${process.execPath}\n${SCRIPT.replace('__STATE__', JSON.stringify(stateFile)).replace('__LOG__', JSON.stringify(logFile))}`,
    { mode: 0o755 },
  );
  const set = (state: FakeCrictlState) => fs.writeFileSync(stateFile, JSON.stringify(state));
  set(initial);
  return {
    bin,
    set,
    calls: (): string[][] =>
      fs.existsSync(logFile)
        ? fs
            .readFileSync(logFile, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
  };
}
