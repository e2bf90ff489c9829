/**
 * The checkpointer's state machine (`decide()`, the real one) against FAKES of the API, the kubelet and the container
 * runtime (test/host/checkpointer/_fakes.ts): the scenarios of issue 16 on a FAKE three-master control plane, then the
 * single rules with hand-made observations.
 */
import {
  CheckpointerObservations,
  CheckpointerState,
  DEFAULT_CHECKPOINTER_TIMINGS,
  PreparedCheckpoint,
  decide,
} from '../../../lib/host/checkpointer';
import { FakeControlPlane } from './_fakes';

const T = DEFAULT_CHECKPOINTER_TIMINGS;

/**
 * A cluster that came up normally (the bootstrap API server on master01, the DaemonSet's pods, the bootstrap pod
 * removed): every master runs its DaemonSet pod and has written its first checkpoint.
 */
function steadyCluster(count = 3, staggerMs?: number): FakeControlPlane {
  const c = new FakeControlPlane(count, T, 10_000, staggerMs);
  c.bootstrapOn = 'master01';
  c.round();
  c.scheduleAll();
  c.rounds(2);
  c.bootstrapOn = undefined;
  c.runUntil(() => c.allServeFromDaemonSet() && c.masters.every((m) => m.disk.generations.length === 1));
  return c;
}

describe('checkpointer state machine on a FAKE control plane (FAKE API, FAKE kubelet and runtime)', () => {
  test('first boot: nothing is started while the bootstrap API server runs; each master checkpoints its DaemonSet pod once it serves', () => {
    const c = new FakeControlPlane();
    c.bootstrapOn = 'master01';
    c.rounds(6); // the bootstrap control plane comes up; the manifests are not applied yet
    expect(c.masters.map((m) => m.history)).toEqual([[], [], []]);
    c.scheduleAll(); // manifests applied: the DaemonSet's pods; on master01 it crash-loops on the bootstrap server's port
    c.rounds(6);
    expect(c.master('master01').running).toBe('bootstrap');
    expect(c.master('master01').disk.generations).toEqual([]); // a pod that does not serve is never checkpointed
    expect(c.master('master02').disk.generations).toHaveLength(1);
    c.bootstrapOn = undefined; // `hacp bootstrap` removes the bootstrap pods
    c.runUntil(() => c.allServeFromDaemonSet() && c.master('master01').disk.generations.length === 1);
    for (const m of c.masters) {
      expect(c.actions(m.name, 'activate')).toEqual([]);
      expect(m.history.map((h) => h.action.kind)).toEqual(['write']);
    }
  });

  test('first boot of a one-master cluster: no checkpoint yet, so the gap after the bootstrap pods leave starts nothing', () => {
    const c = new FakeControlPlane(1);
    c.bootstrapOn = 'master01';
    c.schedule('master01');
    c.rounds(5);
    c.bootstrapOn = undefined;
    c.runUntil(() => c.allServeFromDaemonSet() && c.master('master01').disk.generations.length === 1);
    expect(c.actions('master01', 'activate')).toEqual([]);
  });

  test('steady state: one checkpoint per master, nothing else for hours', () => {
    const c = steadyCluster();
    const before = c.masters.map((m) => m.history.length);
    c.rounds(6 * 60 * 2); // two hours of 10 s rounds
    expect(c.masters.map((m) => m.history.length)).toEqual(before);
    expect(c.allServeFromDaemonSet()).toBe(true);
  });

  test('one master down: the others change nothing; the rebooted one gets its DaemonSet pod back from the API, without its checkpoint', () => {
    const c = steadyCluster();
    c.powerOff('master03');
    c.rounds(60);
    expect(c.masters.flatMap((m) => m.history.filter((h) => h.action.kind !== 'write'))).toEqual([]);
    expect(c.outageRounds).toEqual([]);
    c.powerOn('master03');
    c.runUntil(() => c.allServeFromDaemonSet());
    c.rounds(60);
    expect(c.actions('master03', 'activate')).toEqual([]);
    expect(c.master('master03').disk.generations).toHaveLength(1);
    expect(c.outageRounds).toEqual([]);
  });

  test('all masters down, then up at once: every master starts its checkpoint, then they hand over one after the other, never all at once', () => {
    const c = steadyCluster();
    for (const m of c.masters) c.powerOff(m.name);
    c.rounds(3);
    const off = c.now;
    for (const m of c.masters) c.powerOn(m.name);
    c.watchOutages();
    c.runUntil(() => c.masters.every((m) => m.running === 'checkpoint') && c.anyReady());
    for (const m of c.masters) {
      const [activation] = c.actions(m.name, 'activate');
      // started after activateAfter without any API server answering, not before
      expect(activation.at - off).toBeGreaterThanOrEqual(T.activateAfterMs);
      expect(activation.at - off).toBeLessThanOrEqual(T.activateAfterMs + 2 * c.tickMs);
    }
    c.runUntil(() => c.allServeFromDaemonSet(), 400);
    const handovers = c.masters.map((m) => c.actions(m.name, 'deactivate').map((h) => h.at));
    expect(handovers.every((h) => h.length === 1)).toBe(true);
    // staggered by the master's position (60 s apart by default)
    expect(handovers[1][0] - handovers[0][0]).toBeGreaterThanOrEqual(c.staggerMs);
    expect(handovers[2][0] - handovers[1][0]).toBeGreaterThanOrEqual(c.staggerMs);
    // once the API was back it never went away again, and nobody flapped
    expect(c.outageRounds).toEqual([]);
    for (const m of c.masters) expect(c.actions(m.name, 'activate')).toHaveLength(1);
    c.rounds(100);
    expect(c.allServeFromDaemonSet()).toBe(true);
    expect(c.masters.map((m) => m.disk.active)).toEqual([undefined, undefined, undefined]);
  });

  test('why the handover is staggered: with the same delay on every master they all hand over in one round and the API is gone', () => {
    const unstaggered = steadyCluster(3, 0);
    for (const m of unstaggered.masters) unstaggered.powerOff(m.name);
    for (const m of unstaggered.masters) unstaggered.powerOn(m.name);
    unstaggered.watchOutages();
    unstaggered.runUntil(() => unstaggered.allServeFromDaemonSet(), 400);
    expect(unstaggered.outageRounds.length).toBeGreaterThan(0);
  });

  test('all masters down, then up one by one: the first starts its checkpoint, the others find an API and need none', () => {
    const c = steadyCluster();
    for (const m of c.masters) c.powerOff(m.name);
    c.powerOn('master01');
    c.watchOutages();
    c.rounds(6); // master01 alone: its checkpoint runs but etcd has no quorum yet
    expect(c.master('master01').running).toBe('checkpoint');
    expect(c.anyReady()).toBe(false);
    c.powerOn('master02');
    c.rounds(2);
    expect(c.anyReady()).toBe(true);
    c.powerOn('master03');
    c.runUntil(() => c.allServeFromDaemonSet(), 400);
    expect(c.actions('master01', 'activate')).toHaveLength(1);
    // master02 saw master01's checkpoint answer before its own wait was over; master03 came up to a working API
    expect(c.actions('master03', 'activate')).toEqual([]);
    expect(c.outageRounds).toEqual([]);
  });

  test('all masters of a one-master cluster down then up: the checkpoint serves, then hands over (a gap is unavoidable) and is not restarted during it', () => {
    const c = steadyCluster(1);
    c.powerOff('master01');
    c.powerOn('master01');
    c.runUntil(() => c.master('master01').running === 'checkpoint' && c.anyReady());
    c.runUntil(() => c.allServeFromDaemonSet(), 400);
    expect(c.actions('master01', 'activate')).toHaveLength(1);
    expect(c.actions('master01', 'deactivate')).toHaveLength(1);
    c.rounds(100);
    expect(c.actions('master01', 'activate')).toHaveLength(1);
  });

  test('a new API server spec is checkpointed when its pod serves; the previous generation stays; a short absence during the rolling update deletes nothing', () => {
    const c = steadyCluster();
    const before = c.masters.map((m) => m.disk.goodDigest);
    c.changeSpec({ 'max-requests-inflight': '800' });
    for (const m of c.masters) {
      c.pods.delete(m.name); // the DaemonSet controller deletes the old pod ...
      c.rounds(3);
      c.schedule(m.name); // ... and creates the new one
      c.runUntil(() => m.disk.generations.length === 2);
    }
    for (const [i, m] of c.masters.entries()) {
      expect(m.disk.goodDigest).not.toBe(before[i]);
      expect(m.disk.generations.map((g) => g.digest)).toEqual([before[i], m.disk.goodDigest]);
      expect(c.actions(m.name, 'remove-all')).toEqual([]);
    }
    // the same spec on every master: the same digest
    expect(new Set(c.masters.map((m) => m.disk.goodDigest)).size).toBe(1);
  });

  test('a broken new spec never becomes the checkpoint: the last good one stays and is the one started after a full reboot', () => {
    const c = steadyCluster();
    const good = c.master('master01').disk.goodDigest;
    c.changeSpec({ 'etcd-servers': 'https://192.0.2.1:2379' });
    c.schedule('master01', { broken: true });
    c.rounds(30);
    expect(c.master('master01').disk.generations.map((g) => g.digest)).toEqual([good]);
    for (const m of c.masters) c.powerOff(m.name);
    for (const m of c.masters) c.powerOn(m.name);
    c.runUntil(() => c.master('master01').running === 'checkpoint');
    expect(c.master('master01').disk.active?.generation).toBe('gen-000001');
  });

  test('a rotated Secret: the same pod, new file contents, a new checkpoint', () => {
    const c = steadyCluster();
    const before = c.master('master02').disk.goodDigest;
    c.secretOverrides = { 'apiserver.crt': '-----BEGIN CERTIFICATE-----\nROTATED\n-----END CERTIFICATE-----\n' };
    c.rounds(2);
    for (const m of c.masters) {
      expect(m.disk.generations).toHaveLength(2);
      expect(c.actions(m.name, 'write')).toHaveLength(2);
    }
    expect(c.master('master02').disk.goodDigest).not.toBe(before);
    c.rounds(20);
    expect(c.actions('master02', 'write')).toHaveLength(2);
  });

  test('a corrupt checkpoint is discarded and never started; the previous good one is', () => {
    const c = steadyCluster();
    c.secretOverrides = { 'apiserver.crt': 'rotated' };
    c.rounds(2);
    const m1 = c.master('master01');
    expect(m1.disk.generations.map((g) => g.generation)).toEqual(['gen-000001', 'gen-000002']);
    m1.disk.generations[1].corrupt = 'apiserver.key does not match its digest';
    // A full reboot before the checkpointer's next round: the corrupt newest generation must not be the one started.
    for (const m of c.masters) c.powerOff(m.name);
    for (const m of c.masters) c.powerOn(m.name);
    c.round();
    expect(c.actions('master01', 'discard')).toEqual([
      expect.objectContaining({ action: { kind: 'discard', generations: ['gen-000002'] } }),
    ]);
    c.runUntil(() => m1.running === 'checkpoint');
    expect(m1.disk.active?.generation).toBe('gen-000001');
    c.runUntil(() => c.allServeFromDaemonSet(), 400);
    // back on the DaemonSet's pod, the current spec and Secret are checkpointed again
    c.runUntil(() => m1.disk.generations.length === 2);
    expect(m1.disk.generations.map((g) => g.generation)).toEqual(['gen-000001', 'gen-000003']);
  });

  test('every checkpoint corrupt: nothing is started, and it says so', () => {
    const c = steadyCluster(1);
    const m = c.master('master01');
    m.disk.generations[0].corrupt = 'pod.yaml does not match its digest';
    c.powerOff('master01');
    c.powerOn('master01');
    const state: CheckpointerState = { phase: 'inactive', since: 0, apiDownSince: 0 };
    const d = decide(state, { ...observation(), disk: m.disk.observe() }, T.activateAfterMs);
    expect(d.actions.map((a) => a.kind)).toEqual(['log', 'discard', 'log']);
    expect(d.actions[2]).toEqual({
      kind: 'log',
      level: 'warning',
      message: 'no API server answers and there is no good checkpoint to start',
    });
  });
});

/** Observations of a node whose API is down everywhere, nothing running, one good checkpoint. */
function observation(overrides: Partial<CheckpointerObservations> = {}): CheckpointerObservations {
  return {
    api: { localReady: false, peersReady: 0, peersConfigured: 2 },
    parent: { state: 'unknown', reason: 'FAKE: no API server answers' },
    runtime: { ok: true, apiServers: [], readySandboxUids: [] },
    disk: { good: { generation: 'gen-000001', digest: 'sha256:a' }, corrupt: [] },
    ...overrides,
  };
}
const kinds = (d: { actions: readonly { kind: string }[] }) =>
  d.actions.filter((a) => a.kind !== 'log').map((a) => a.kind);
const inactive: CheckpointerState = { phase: 'inactive', since: 0 };

describe('checkpointer state machine: single rules (hand-made FAKE observations)', () => {
  test('activation waits activateAfter without a break; one answering API server resets the wait', () => {
    let s = decide(inactive, observation(), 0).next;
    expect(s.apiDownSince).toBe(0);
    expect(kinds(decide(s, observation(), T.activateAfterMs - 1))).toEqual([]);
    const blip = decide(s, observation({ api: { localReady: false, peersReady: 1, peersConfigured: 2 } }), 10_000);
    expect(blip.next.apiDownSince).toBeUndefined();
    s = decide(blip.next, observation(), 20_000).next;
    expect(kinds(decide(s, observation(), 20_000 + T.activateAfterMs - 1))).toEqual([]);
    const d = decide(s, observation(), 20_000 + T.activateAfterMs);
    expect(kinds(d)).toEqual(['activate']);
    expect(d.next.phase).toBe('active');
  });

  test('never activates while any API server container runs here (starting, or waiting for etcd)', () => {
    const running = observation({
      runtime: {
        ok: true,
        apiServers: [
          { container: 'kube-apiserver', podName: 'kube-apiserver-x', podNamespace: 'kube-system', podUid: 'u1' },
        ],
        readySandboxUids: [],
      },
    });
    expect(kinds(decide({ ...inactive, apiDownSince: 0 }, running, 3_600_000))).toEqual([]);
  });

  test('never activates when the runtime or the credentials cannot be read', () => {
    const noRuntime = decide(
      { ...inactive, apiDownSince: 0 },
      observation({ runtime: { ok: false, error: 'FAKE crictl: connection refused' } }),
      3_600_000,
    );
    expect(kinds(noRuntime)).toEqual([]);
    expect(noRuntime.actions).toContainEqual({
      kind: 'log',
      level: 'warning',
      message:
        'no API server answers, but the container runtime cannot be asked (FAKE crictl: connection refused); not starting the checkpoint',
    });
    const noCreds = decide(
      { ...inactive, apiDownSince: 0 },
      observation({
        api: { localReady: false, peersReady: 0, peersConfigured: 2, error: '/etc/kubernetes/kubelet.conf: missing' },
      }),
      3_600_000,
    );
    expect(kinds(noCreds)).toEqual([]);
  });

  test('an unknown parent never counts as absent: the grace period needs an unbroken run of "absent" answers', () => {
    const up = { api: { localReady: true, peersReady: 2, peersConfigured: 2 } };
    let s = decide(inactive, observation({ ...up, parent: { state: 'absent' } }), 0).next;
    expect(s.parentAbsentSince).toBe(0);
    s = decide(s, observation({ ...up, parent: { state: 'unknown', reason: 'HTTP 500' } }), 60_000).next;
    expect(s.parentAbsentSince).toBeUndefined();
    s = decide(s, observation({ ...up, parent: { state: 'absent' } }), 120_000).next;
    expect(
      kinds(decide(s, observation({ ...up, parent: { state: 'absent' } }), 120_000 + T.parentGraceMs - 1)),
    ).toEqual([]);
    expect(kinds(decide(s, observation({ ...up, parent: { state: 'absent' } }), 120_000 + T.parentGraceMs))).toEqual([
      'remove-all',
    ]);
  });

  test('an active checkpoint whose parent is gone is stopped only while another API server answers', () => {
    const active: CheckpointerState = { phase: 'active', since: 0, parentAbsentSince: 0 };
    const disk = {
      good: { generation: 'gen-000001', digest: 'sha256:a' },
      corrupt: [],
      active: { generation: 'gen-000001', intact: true },
    };
    const alone = decide(
      active,
      observation({ api: { localReady: true, peersReady: 0, peersConfigured: 2 }, parent: { state: 'absent' }, disk }),
      T.parentGraceMs,
    );
    expect(kinds(alone)).toEqual([]);
    expect(alone.next.phase).toBe('active');
    const withPeer = decide(
      active,
      observation({ api: { localReady: true, peersReady: 1, peersConfigured: 2 }, parent: { state: 'absent' }, disk }),
      T.parentGraceMs,
    );
    expect(kinds(withPeer)).toEqual(['deactivate', 'remove-all']);
  });

  test('handover needs a peer that answers (the last API server of a cluster is never stopped for a handover)', () => {
    const disk = {
      good: { generation: 'gen-000001', digest: 'sha256:a' },
      corrupt: [],
      active: { generation: 'gen-000001', intact: true },
    };
    const parent = { state: 'present' as const, name: 'kube-apiserver-a', uid: 'u1', ready: false };
    const runtime = {
      ok: true as const,
      apiServers: [
        {
          container: 'kube-apiserver',
          podName: 'kube-apiserver-checkpoint-master01',
          podNamespace: 'kube-system',
          podUid: 'c',
        },
      ],
      readySandboxUids: ['u1'],
    };
    const s: CheckpointerState = { phase: 'active', since: 0, handoverReadySince: 0 };
    expect(
      kinds(
        decide(
          s,
          observation({ api: { localReady: true, peersReady: 0, peersConfigured: 2 }, parent, runtime, disk }),
          3_600_000,
        ),
      ),
    ).toEqual([]);
    const d = decide(
      s,
      observation({ api: { localReady: true, peersReady: 1, peersConfigured: 2 }, parent, runtime, disk }),
      T.handoverAfterMs,
    );
    expect(kinds(d)).toEqual(['deactivate']);
    expect(d.next.phase).toBe('handover');
    // ... and the kubelet must have taken the parent on (a ready sandbox)
    expect(
      kinds(
        decide(
          s,
          observation({
            api: { localReady: true, peersReady: 1, peersConfigured: 2 },
            parent,
            runtime: { ...runtime, readySandboxUids: [] },
            disk,
          }),
          3_600_000,
        ),
      ),
    ).toEqual([]);
  });

  test('during a handover nothing is started until handoverTimeout; then the checkpoint may start again', () => {
    const s: CheckpointerState = { phase: 'handover', since: 0, apiDownSince: 0 };
    expect(kinds(decide(s, observation(), T.handoverTimeoutMs - 1))).toEqual([]);
    const d = decide(s, observation(), T.handoverTimeoutMs);
    expect(kinds(d)).toEqual(['activate']);
    expect(d.actions.filter((a) => a.kind === 'log').map((a: any) => a.message)).toEqual([
      'handover -> inactive: handover timed out after 360s: no parent pod',
      'inactive -> active: no API server has answered for 360s and none runs here: starting checkpoint gen-000001',
    ]);
  });

  test('the manifest found in place (a restarted checkpointer) is adopted as active; removed by someone else, the phase follows', () => {
    const disk = {
      good: { generation: 'gen-000001', digest: 'sha256:a' },
      corrupt: [],
      active: { generation: 'gen-000001', intact: true },
    };
    expect(decide(inactive, observation({ disk }), 0).next.phase).toBe('active');
    expect(
      decide(
        { phase: 'active', since: 0 },
        observation({ api: { localReady: true, peersReady: 2, peersConfigured: 2 } }),
        0,
      ).next.phase,
    ).toBe('inactive');
  });

  test('a damaged active manifest is replaced by the good generation when nothing serves', () => {
    const disk = {
      good: { generation: 'gen-000002', digest: 'sha256:b' },
      corrupt: [],
      active: { generation: undefined, intact: false },
    };
    const d = decide({ phase: 'active', since: 0, apiDownSince: 0 }, observation({ disk }), T.activateAfterMs);
    expect(kinds(d)).toEqual(['activate']);
    expect(d.actions).toContainEqual({ kind: 'activate', generation: 'gen-000002' });
  });

  test('a parent that cannot be checkpointed is reported; the previous checkpoint stays', () => {
    const d = decide(
      inactive,
      observation({
        api: { localReady: true, peersReady: 2, peersConfigured: 2 },
        parent: {
          state: 'present',
          name: 'kube-apiserver-a',
          uid: 'u1',
          ready: true,
          checkpointError: 'spec.volumes[0] (data): a static pod cannot use a persistentVolumeClaim volume',
        },
        runtime: {
          ok: true,
          apiServers: [
            { container: 'kube-apiserver', podName: 'kube-apiserver-a', podNamespace: 'kube-system', podUid: 'u1' },
          ],
          readySandboxUids: ['u1'],
        },
      }),
      0,
    );
    expect(kinds(d)).toEqual([]);
    expect(d.actions).toContainEqual({
      kind: 'log',
      level: 'warning',
      message:
        'cannot checkpoint kube-apiserver-a: spec.volumes[0] (data): a static pod cannot use a persistentVolumeClaim volume; keeping gen-000001',
    });
  });

  test("nothing is written from a parent that is Ready in the API but not running here (or while this node's API is down)", () => {
    const checkpoint = { digest: 'sha256:new' } as PreparedCheckpoint;
    const parent = { state: 'present' as const, name: 'kube-apiserver-a', uid: 'u1', ready: true, checkpoint };
    const up = { localReady: true, peersReady: 2, peersConfigured: 2 };
    const runs = {
      ok: true as const,
      apiServers: [
        { container: 'kube-apiserver', podName: 'kube-apiserver-a', podNamespace: 'kube-system', podUid: 'u1' },
      ],
      readySandboxUids: ['u1'],
    };
    expect(kinds(decide(inactive, observation({ api: up, parent, runtime: runs }), 0))).toEqual(['write']);
    expect(kinds(decide(inactive, observation({ api: up, parent }), 0))).toEqual([]);
    expect(
      kinds(decide(inactive, observation({ api: { ...up, localReady: false }, parent, runtime: runs }), 0)),
    ).toEqual([]);
    expect(
      kinds(
        decide(
          inactive,
          observation({
            api: up,
            parent,
            runtime: runs,
            disk: { good: { generation: 'gen-000004', digest: 'sha256:new' }, corrupt: [] },
          }),
          0,
        ),
      ),
    ).toEqual([]);
  });
});
