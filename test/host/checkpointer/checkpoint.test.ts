/**
 * Turning the self-hosted API server's pod, as a FAKE API server returns it (the real DaemonSet's template plus the
 * DaemonSet controller's and defaulting's fields), into the checkpoint static pod.
 */
import { CHECKPOINT_ANNOTATION } from '../../../lib/common';
import {
  CHECKPOINT_REQUEST_ANNOTATION,
  CheckpointError,
  CheckpointSources,
  GENERATION_DIR_TOKEN,
  KubeObject,
  checkpointPod,
  prepareCheckpoint,
  referencedSources,
  selectParent,
} from '../../../lib/host/checkpointer';
import { SCHEMA_MINORS, validateObject } from '../../../lib/verify';
import { apiServerObjects, fakeApiServerPod, fakeApiServerSecret } from './_fakes';

const { daemonSet, secret, configMap } = apiServerObjects();
const sources = {
  secrets: { 'kube-apiserver': fakeApiServerSecret(secret) },
  configMaps: { 'kube-apiserver-config': configMap },
};
const parentOf = (pod: KubeObject) => selectParent([pod], 'master01', 'kube-apiserver')!;
const genDir = '/etc/kubernetes/checkpoints/kube-system/kube-apiserver/gen-000001';

describe('checkpoint of the self-hosted API server pod', () => {
  const apiPod = fakeApiServerPod(daemonSet, 'master01', 'uid-1');
  const prepared = prepareCheckpoint(parentOf(apiPod), sources, 'kube-apiserver');
  const pod = checkpointPod(prepared, genDir, 'gen-000001');

  test('the annotation the DaemonSet sets is the one the checkpointer looks for', () => {
    expect(CHECKPOINT_REQUEST_ANNOTATION).toBe(CHECKPOINT_ANNOTATION);
    expect(daemonSet.spec.template.metadata.annotations[CHECKPOINT_ANNOTATION]).toBe('true');
  });

  test('a valid static pod for every supported Kubernetes minor', () => {
    for (const minor of SCHEMA_MINORS) expect(validateObject(pod, minor)).toEqual([]);
  });

  test('sanitized: own name and labels, no owner, ServiceAccount, scheduling fields, ports or status', () => {
    expect(pod.metadata).toEqual({
      name: 'kube-apiserver-checkpoint',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-apiserver-checkpoint', tier: 'control-plane' },
      annotations: {
        'checkpointer.alpha.coreos.com/checkpoint-of': 'kube-apiserver',
        'hacp.io/checkpoint-generation': 'gen-000001',
      },
    });
    // the DaemonSet's selector must not match the mirror pod (its controller would adopt it)
    expect(Object.entries(daemonSet.spec.selector.matchLabels).every(([k, v]) => pod.metadata.labels[k] === v)).toBe(
      false,
    );
    expect(pod.status).toBeUndefined();
    for (const gone of [
      'nodeName',
      'nodeSelector',
      'affinity',
      'serviceAccountName',
      'serviceAccount',
      'automountServiceAccountToken',
      'schedulerName',
      'priority',
      'preemptionPolicy',
      'enableServiceLinks',
    ]) {
      expect(pod.spec).not.toHaveProperty(gone);
    }
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.priorityClassName).toBe('system-node-critical');
    const c = pod.spec.containers[0];
    expect(c.ports).toBeUndefined();
    expect(c.args).toEqual(daemonSet.spec.template.spec.containers[0].args);
    expect(c.image).toBe(daemonSet.spec.template.spec.containers[0].image);
    expect(c.readinessProbe.httpGet.port).toBe(443);
  });

  test('Secret and ConfigMap volumes become hostPath directories of the generation; hostPath volumes stay', () => {
    expect(pod.spec.volumes).toEqual([
      { name: 'secrets', hostPath: { path: `${genDir}/volumes/secrets`, type: 'Directory' } },
      { name: 'config', hostPath: { path: `${genDir}/volumes/config`, type: 'Directory' } },
      { name: 'ca-certs', hostPath: { path: '/etc/ssl/certs', type: 'DirectoryOrCreate' } },
      { name: 'audit-log', hostPath: { path: '/var/log/kubernetes/audit', type: 'DirectoryOrCreate' } },
    ]);
    expect(prepared.dirs).toEqual(['volumes/secrets', 'volumes/config']);
    expect(prepared.files.map((f) => f.path)).toEqual(
      [
        ...Object.keys(configMap.data).map((k) => `volumes/config/${k}`),
        ...Object.keys(secret.stringData).map((k) => `volumes/secrets/${k}`),
      ].sort(),
    );
    expect(prepared.files.find((f) => f.path === 'volumes/secrets/apiserver.key')!.content).toBe(
      secret.stringData['apiserver.key'],
    );
    // every file the API server's flags name is there
    const files = new Set(
      prepared.files.map((f) =>
        f.path
          .replace(/^volumes\/secrets\//, '/etc/kubernetes/secrets/')
          .replace(/^volumes\/config\//, '/etc/kubernetes/config/'),
      ),
    );
    const fileFlags = pod.spec.containers[0].args
      .map((a: string) => a.split('=')[1])
      .filter((v: string) => /^\/etc\/kubernetes\/(secrets|config)\//.test(v));
    expect(fileFlags.length).toBeGreaterThan(10);
    for (const f of fileFlags) expect(files).toContain(f);
  });

  test("the digest depends on the spec and the Secret, not on the parent pod's name or UID", () => {
    const again = prepareCheckpoint(
      parentOf(fakeApiServerPod(daemonSet, 'master01', 'uid-2', { name: 'kube-apiserver-zzzzz' })),
      sources,
      'kube-apiserver',
    );
    expect(again.digest).toBe(prepared.digest);
    expect(prepared.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const rotated = {
      ...sources,
      secrets: { 'kube-apiserver': fakeApiServerSecret(secret, { 'apiserver.crt': 'new' }) },
    };
    expect(prepareCheckpoint(parentOf(apiPod), rotated, 'kube-apiserver').digest).not.toBe(prepared.digest);
    const newSpec = fakeApiServerPod(
      apiServerObjects({ 'max-requests-inflight': '800' }).daemonSet,
      'master01',
      'uid-1',
    );
    expect(prepareCheckpoint(parentOf(newSpec), sources, 'kube-apiserver').digest).not.toBe(prepared.digest);
    expect(JSON.stringify(prepared.pod)).toContain(GENERATION_DIR_TOKEN);
  });

  test("the references it reads with the node's credentials: exactly the Secret and ConfigMap the pod mounts", () => {
    expect(referencedSources(apiPod)).toEqual([
      { kind: 'Secret', name: 'kube-apiserver', optional: false },
      { kind: 'ConfigMap', name: 'kube-apiserver-config', optional: false },
    ]);
  });
});

describe('selectParent', () => {
  const pod = (uid: string, extra: Record<string, any> = {}) => {
    const p: any = fakeApiServerPod(daemonSet, 'master01', uid, extra);
    return p;
  };

  test("the DaemonSet's annotated, bound, live pod; the newest during a rolling update", () => {
    const old = pod('uid-old', { created: '2026-01-01T00:00:00Z' });
    const fresh = pod('uid-new', { created: '2026-02-01T00:00:00Z', ready: false });
    expect(selectParent([old, fresh], 'master01', 'kube-apiserver')).toMatchObject({ uid: 'uid-new', ready: false });
    expect(selectParent([old], 'master01', 'kube-apiserver')).toMatchObject({ uid: 'uid-old', ready: true });
  });

  test("never a mirror pod, a terminating or finished pod, another node's, another owner's, or one without the annotation", () => {
    const variants: any[] = [
      {
        ...pod('a'),
        metadata: {
          ...pod('a').metadata,
          annotations: { ...pod('a').metadata.annotations, 'kubernetes.io/config.mirror': 'x' },
        },
      },
      pod('b', { deleting: true }),
      { ...pod('c'), status: { phase: 'Failed' } },
      fakeApiServerPod(daemonSet, 'master02', 'd'),
      { ...pod('e'), metadata: { ...pod('e').metadata, ownerReferences: [{ kind: 'DaemonSet', name: 'other' }] } },
      { ...pod('f'), metadata: { ...pod('f').metadata, annotations: {} } },
    ];
    for (const v of variants) expect(selectParent([v], 'master01', 'kube-apiserver')).toBeUndefined();
  });
});

describe('what a static pod cannot do is refused, naming the field', () => {
  const withSpec = (mutate: (spec: any) => void): KubeObject => {
    const p: any = fakeApiServerPod(daemonSet, 'master01', 'uid-1');
    mutate(p.spec);
    return p;
  };
  const attempt =
    (p: KubeObject, s: CheckpointSources = sources) =>
    () =>
      prepareCheckpoint(parentOf(p), s, 'kube-apiserver');

  test('environment from a Secret or ConfigMap', () => {
    expect(
      attempt(
        withSpec((s) =>
          s.containers[0].env.push({
            name: 'TOKEN',
            valueFrom: { secretKeyRef: { name: 'kube-apiserver', key: 'apiserver.key' } },
          }),
        ),
      ),
    ).toThrow(
      new CheckpointError(
        'spec.containers[0] (kube-apiserver).env[1] (TOKEN): reads Secret kube-apiserver; a checkpoint cannot (mount it as a volume instead)',
      ),
    );
    expect(
      attempt(
        withSpec((s) => {
          s.containers[0].envFrom = [{ configMapRef: { name: 'x' } }];
        }),
      ),
    ).toThrow('envFrom[0]: reads ConfigMap x');
  });

  test('persistent volumes, a missing Secret, a missing key, binary data, a path escaping its volume', () => {
    expect(
      attempt(withSpec((s) => s.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'd' } }))),
    ).toThrow('spec.volumes[4] (data): a static pod cannot use a persistentVolumeClaim volume');
    expect(
      attempt(
        withSpec(() => undefined),
        { ...sources, secrets: {} },
      ),
    ).toThrow('spec.volumes[0] (secrets): Secret kube-apiserver does not exist');
    expect(
      attempt(
        withSpec((s) => {
          s.volumes[0].secret.items = [{ key: 'nope', path: 'nope' }];
        }),
      ),
    ).toThrow('Secret kube-apiserver has no key nope');
    const binary = {
      ...sources,
      secrets: {
        'kube-apiserver': {
          ...fakeApiServerSecret(secret),
          data: { 'k.der': Buffer.from([0xff, 0xfe, 0x00]).toString('base64') },
        },
      },
    };
    expect(
      attempt(
        withSpec(() => undefined),
        binary,
      ),
    ).toThrow('key k.der holds binary data');
    expect(
      attempt(
        withSpec((s) => {
          s.volumes[0].secret.items = [{ key: 'ca.crt', path: '../../etc/passwd' }];
        }),
      ),
    ).toThrow("must be relative, without '..'");
  });

  test('optional sources may be missing; items pick and rename keys; named probe ports are resolved', () => {
    const p = withSpec((s) => {
      s.volumes.push({ name: 'extra', secret: { secretName: 'absent', optional: true } });
      s.volumes[0].secret.items = [{ key: 'ca.crt', path: 'pki/ca.pem' }];
      s.containers[0].livenessProbe.httpGet.port = 'https';
    });
    const prepared = prepareCheckpoint(parentOf(p), sources, 'kube-apiserver');
    expect(prepared.files.filter((f) => f.path.startsWith('volumes/secrets/')).map((f) => f.path)).toEqual([
      'volumes/secrets/pki/ca.pem',
    ]);
    expect(prepared.dirs).toContain('volumes/extra');
    expect((prepared.pod as any).spec.containers[0].livenessProbe.httpGet.port).toBe(443);
  });

  test('the ServiceAccount token volume is dropped with its mounts', () => {
    const p = withSpec((s) => {
      s.volumes.push({
        name: 'kube-api-access-x1',
        projected: {
          sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'kube-root-ca.crt' } }],
        },
      });
      s.containers[0].volumeMounts.push({
        name: 'kube-api-access-x1',
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      });
    });
    expect(referencedSources(p).map((r) => r.name)).toEqual(['kube-apiserver', 'kube-apiserver-config']);
    const out: any = prepareCheckpoint(parentOf(p), sources, 'kube-apiserver').pod;
    expect(out.spec.volumes.map((v: any) => v.name)).not.toContain('kube-api-access-x1');
    expect(out.spec.containers[0].volumeMounts.map((m: any) => m.name)).not.toContain('kube-api-access-x1');
  });
});
