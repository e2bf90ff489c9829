// What runs on this node, from the container runtime through crictl: CRI v1, the only CRI version containerd 2 and
// current kubelets serve, whatever the runtime.
import { execFile } from 'child_process';
import { CONTAINERD_ENDPOINT } from '../kubelet/kubelet-config';
import { RunningApiServer, RuntimeObservation } from './state-machine';

/** Options of `CrictlRuntime`. */
export interface CrictlRuntimeOptions {
  /**
   * The crictl binary (a name is looked up in `PATH`).
   * @default crictl
   */
  readonly crictl?: string;
  /**
   * The CRI endpoint.
   * @default unix:///run/containerd/containerd.sock
   */
  readonly endpoint?: string;
  /**
   * How long one crictl call may take.
   * @default 10000
   */
  readonly timeoutMs?: number;
}

/** Container names that count as an API server: the DaemonSet's, the checkpoint's and the bootstrap one. */
const API_SERVER_CONTAINER = /kube-apiserver/;

/**
 * Asks the container runtime which API server containers run on this node (`crictl ps --name kube-apiserver
 * --state running -o json`) and which pod sandboxes of a namespace are ready (`crictl pods --namespace <ns> --state
 * ready -o json`). Runs crictl with `execFile` (no shell) and a timeout.
 */
export class CrictlRuntime {
  /** The crictl binary. */
  public readonly crictl: string;
  /** The CRI endpoint crictl dials. */
  public readonly endpoint: string;
  /** How long one crictl call may take, in milliseconds. */
  public readonly timeoutMs: number;

  /** @param options the binary, endpoint and timeout (all optional) */

  constructor(options: CrictlRuntimeOptions = {}) {
    this.crictl = options.crictl ?? 'crictl';
    this.endpoint = options.endpoint ?? CONTAINERD_ENDPOINT;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The runtime's view for `decide()`; a failing crictl gives `{ ok: false }`, never an exception. */
  public async observe(namespace: string): Promise<RuntimeObservation> {
    try {
      // One after the other: the first failure is the one reported, the same every round.
      const ps = await this.json(['ps', '--name', 'kube-apiserver', '--state', 'running', '-o', 'json']);
      const pods = await this.json(['pods', '--namespace', namespace, '--state', 'ready', '-o', 'json']);
      const apiServers: RunningApiServer[] = (ps.containers ?? [])
        .filter((c: any) => c?.state === 'CONTAINER_RUNNING' && API_SERVER_CONTAINER.test(c?.metadata?.name ?? ''))
        .map((c: any) => ({
          container: c.metadata.name,
          podName: c.labels?.['io.kubernetes.pod.name'] ?? '',
          podNamespace: c.labels?.['io.kubernetes.pod.namespace'] ?? '',
          podUid: c.labels?.['io.kubernetes.pod.uid'] ?? '',
        }));
      const readySandboxUids: string[] = (pods.items ?? [])
        .filter(
          (p: any) =>
            p?.state === 'SANDBOX_READY' &&
            p?.metadata?.namespace === namespace &&
            typeof p?.metadata?.uid === 'string',
        )
        .map((p: any) => p.metadata.uid);
      return { ok: true, apiServers, readySandboxUids };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  private json(args: string[]): Promise<any> {
    const argv = ['--runtime-endpoint', this.endpoint, ...args];
    return new Promise((resolve, reject) => {
      execFile(
        this.crictl,
        argv,
        { timeout: this.timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const cmd = `${this.crictl} ${argv.join(' ')}`;
          if (err) {
            const why = (err as any).killed
              ? `timed out after ${this.timeoutMs} ms`
              : stderr.trim().split('\n').pop() || err.message;
            reject(new Error(`${cmd}: ${why}`));
            return;
          }
          try {
            resolve(JSON.parse(stdout));
          } catch {
            reject(new Error(`${cmd}: output is not JSON`));
          }
        },
      );
    });
  }
}
