/**
 * References: every ServiceAccount, Secret, ConfigMap (and key), PriorityClass, Namespace and RBAC `roleRef` an object
 * names must resolve to an object of the tree or to a built-in one (builtins.ts), and every image must be able to
 * run (builtins.ts `RETIRED_IMAGES`).
 */
import { componentOf } from '../_workloads';
import { FlagComponent } from '../flags';
import { Finding } from '../finding';
import { RETIRED_IMAGES, imageRepository } from './builtins';
import { ClusterModel, ModelObject, Workload, containerFlags, objectData, readInContainer } from './model';
import { listNames } from './placement';

/** Flags naming files (the same families the consistency check follows). */
const FILE_FLAG = /(file|cafile|certfile|keyfile|kubeconfig|-config|-certificate|-key|-authority|config-file)$/;

/** The reference findings of a model. */
export function referenceFindings(model: ClusterModel): Finding[] {
  const out: Finding[] = [];
  const b = model.builtins;
  const add = (severity: Finding['severity'], id: string, file: string, message: string) =>
    out.push({ severity, check: 'cluster', id, file, message });
  const find = (kind: string, name: string, namespace?: string): ModelObject | undefined =>
    model.objects.find(
      (o) => o.kind === kind && o.name === name && (namespace === undefined || o.namespace === namespace),
    );
  const namespaces = new Set([
    ...b.namespaces,
    ...model.objects.filter((o) => o.kind === 'Namespace').map((o) => o.name),
  ]);

  // Namespaces of every namespaced object.
  const missingNs = new Map<string, ModelObject[]>();
  for (const o of model.objects) {
    if (o.namespace !== undefined && !namespaces.has(o.namespace))
      missingNs.set(o.namespace, [...(missingNs.get(o.namespace) ?? []), o]);
  }
  for (const [ns, objs] of missingNs) {
    add(
      'error',
      'ref-namespace',
      objs[0].file.rel,
      `namespace ${ns} is neither in the tree nor built in, so ${listNames(objs.map((o) => `${o.kind} ${ns}/${o.name}`))} cannot be created`,
    );
  }

  const secretOrConfigMap = (
    w: Workload,
    kind: 'Secret' | 'ConfigMap',
    name: string,
    optional: boolean,
    keys: string[],
    how: string,
  ) => {
    if (optional) return;
    if (kind === 'ConfigMap' && (b.configMapsInEveryNamespace.has(name) || b.configMaps.get(w.namespace)?.has(name)))
      return;
    const obj = find(kind, name, w.namespace);
    if (!obj) {
      add(
        'error',
        kind === 'Secret' ? 'ref-secret' : 'ref-configmap',
        w.obj.file.rel,
        `${w.id}: ${how} ${kind} ${w.namespace}/${name}, which is not in the tree: the pod cannot start`,
      );
      return;
    }
    const data = objectData(obj.object);
    const absent = keys.filter((k) => !(k in data));
    if (absent.length)
      add(
        'error',
        'ref-key',
        w.obj.file.rel,
        `${w.id}: ${how} key(s) ${absent.join(', ')} of ${kind} ${w.namespace}/${name} (${obj.file.rel}), which has only ${Object.keys(data).join(', ') || 'no keys'}`,
      );
  };

  for (const w of model.workloads) {
    const s = w.spec;
    if (w.obj.delivery === 'apply') {
      const sa = s.serviceAccountName ?? s.serviceAccount ?? 'default';
      if (!b.serviceAccountsInEveryNamespace.has(sa) && !find('ServiceAccount', sa, w.namespace)) {
        add(
          'error',
          'ref-serviceaccount',
          w.obj.file.rel,
          `${w.id}: serviceAccountName ${sa} is not in the tree (namespace ${w.namespace}): the ${w.kind}'s pods are rejected`,
        );
      }
    }
    if (
      s.priorityClassName &&
      !b.priorityClasses.has(s.priorityClassName) &&
      !find('PriorityClass', s.priorityClassName)
    ) {
      add(
        'error',
        'ref-priorityclass',
        w.obj.file.rel,
        `${w.id}: priorityClassName ${s.priorityClassName} is neither in the tree nor built in (${[...b.priorityClasses].join(', ')}): its pods are rejected`,
      );
    }
    for (const v of s.volumes ?? []) {
      if (v.secret)
        secretOrConfigMap(
          w,
          'Secret',
          v.secret.secretName,
          v.secret.optional === true,
          (v.secret.items ?? []).map((i: any) => i.key),
          `mounts (volume ${v.name})`,
        );
      if (v.configMap)
        secretOrConfigMap(
          w,
          'ConfigMap',
          v.configMap.name,
          v.configMap.optional === true,
          (v.configMap.items ?? []).map((i: any) => i.key),
          `mounts (volume ${v.name})`,
        );
      for (const src of v.projected?.sources ?? []) {
        if (src.secret)
          secretOrConfigMap(
            w,
            'Secret',
            src.secret.name,
            src.secret.optional === true,
            (src.secret.items ?? []).map((i: any) => i.key),
            `mounts (projected volume ${v.name})`,
          );
        if (src.configMap)
          secretOrConfigMap(
            w,
            'ConfigMap',
            src.configMap.name,
            src.configMap.optional === true,
            (src.configMap.items ?? []).map((i: any) => i.key),
            `mounts (projected volume ${v.name})`,
          );
      }
    }
    for (const ps of s.imagePullSecrets ?? []) secretOrConfigMap(w, 'Secret', ps.name, false, [], 'pulls images with');
    for (const c of [...(s.initContainers ?? []), ...s.containers]) {
      for (const e of c.env ?? []) {
        const sk = e.valueFrom?.secretKeyRef;
        const ck = e.valueFrom?.configMapKeyRef;
        if (sk) secretOrConfigMap(w, 'Secret', sk.name, sk.optional === true, [sk.key], `reads env ${e.name} from`);
        if (ck) secretOrConfigMap(w, 'ConfigMap', ck.name, ck.optional === true, [ck.key], `reads env ${e.name} from`);
      }
      for (const ef of c.envFrom ?? []) {
        if (ef.secretRef)
          secretOrConfigMap(
            w,
            'Secret',
            ef.secretRef.name,
            ef.secretRef.optional === true,
            [],
            'reads its environment from',
          );
        if (ef.configMapRef)
          secretOrConfigMap(
            w,
            'ConfigMap',
            ef.configMapRef.name,
            ef.configMapRef.optional === true,
            [],
            'reads its environment from',
          );
      }
      // Files a component flag names inside a Secret or ConfigMap volume must be keys of it.
      const comp = componentOf(c) as FlagComponent | undefined;
      if (comp && w.obj.delivery === 'apply') {
        for (const [flag, value] of containerFlags(c, comp)) {
          if (!value || !value.startsWith('/') || !FILE_FLAG.test(flag)) continue;
          const mount = (c.volumeMounts ?? [])
            .filter((m: any) => value === m.mountPath || value.startsWith(`${String(m.mountPath).replace(/\/$/, '')}/`))
            .sort((x: any, y: any) => String(y.mountPath).length - String(x.mountPath).length)[0];
          const vol = mount && (s.volumes ?? []).find((v: any) => v.name === mount.name);
          if (!vol || !(vol.secret || vol.configMap)) continue;
          const kind = vol.secret ? 'Secret' : 'ConfigMap';
          const name = vol.secret ? vol.secret.secretName : vol.configMap.name;
          if (!find(kind, name, w.namespace)) continue; // reported above
          if (!readInContainer(model, w, c, value)) {
            add(
              'error',
              'ref-key',
              w.obj.file.rel,
              `${w.id}: ${comp} ${flag}=${value} is in volume ${vol.name} (${kind} ${w.namespace}/${name}), which has no key for it`,
            );
          }
        }
      }
    }
  }

  // RBAC roleRefs and ServiceAccount subjects.
  for (const o of model.objects.filter((x) => x.kind === 'RoleBinding' || x.kind === 'ClusterRoleBinding')) {
    const ref = o.object.roleRef ?? {};
    const what = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
    const builtin =
      ref.kind === 'ClusterRole' ? b.clusterRoles.has(ref.name) : b.roles.get(o.namespace ?? '')?.has(ref.name);
    if (!builtin && !find(ref.kind, ref.name, ref.kind === 'Role' ? o.namespace : undefined)) {
      add(
        'error',
        'ref-role',
        o.file.rel,
        `${what}: roleRef ${ref.kind} ${ref.name} is neither in the tree nor built into Kubernetes ${b.minor}: the binding grants nothing`,
      );
    }
    for (const sub of o.object.subjects ?? []) {
      if (sub.kind !== 'ServiceAccount') continue;
      const ns = sub.namespace ?? o.namespace;
      if (!b.serviceAccountsInEveryNamespace.has(sub.name) && !find('ServiceAccount', sub.name, ns)) {
        add(
          'warning',
          'ref-subject',
          o.file.rel,
          `${what}: subject ServiceAccount ${ns}/${sub.name} is not in the tree`,
        );
      }
    }
  }

  // Aggregated APIs.
  for (const o of model.objects.filter((x) => x.kind === 'APIService' && x.object.spec?.service)) {
    const svc = o.object.spec.service;
    if (!find('Service', svc.name, svc.namespace))
      add(
        'error',
        'ref-service',
        o.file.rel,
        `APIService ${o.name}: Service ${svc.namespace}/${svc.name} is not in the tree: the API group is unavailable and discovery reports it failing`,
      );
  }

  // Images that cannot run.
  for (const w of model.workloads) {
    for (const c of [...(w.spec.initContainers ?? []), ...w.spec.containers]) {
      const repo = imageRepository(String(c.image ?? ''));
      const retired = RETIRED_IMAGES.find((r) => r.repository === repo);
      if (retired)
        add(
          retired.severity,
          'image-retired',
          w.obj.file.rel,
          `${w.id}: container ${c.name} runs ${c.image}: ${retired.reason}`,
        );
    }
  }
  return out;
}
