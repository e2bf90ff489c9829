import { EXAMPLE_CLUSTERS, ResolvedClusterSpec, loadClusterSpec } from '../spec';

/** Options of `treeSpecResolver()`: the same as the apps' and the CLI's spec options. */
export interface TreeSpecOptions {
  /** Cluster spec file. @default - `$HACP_CLUSTER`, else `./cluster.yaml` when it exists */
  readonly cluster?: string;
  /** Built-in example for every folder (`static` or `bootkube`) when there is no spec file. @default - per folder */
  readonly example?: string;
  /** Directory to look for `cluster.yaml` in. @default - the working directory */
  readonly cwd?: string;
}

/**
 * The spec each file of a tree was synthesized from, as the apps choose it: a spec file (explicit, `$HACP_CLUSTER`
 * or `./cluster.yaml`) for the whole tree; otherwise the built-in example of the folder: `bootkube/...` the bootkube
 * example, everything else (`static-pods/...`) the static example, unless `example` names one for all.
 * Throws `SpecValidationError` for a bad spec file and `Error` for an unknown example.
 */
export function treeSpecResolver(options: TreeSpecOptions = {}): (rel: string) => ResolvedClusterSpec {
  if (options.example !== undefined && !EXAMPLE_CLUSTERS[options.example]) {
    throw new Error(`--example: '${options.example}' is not one of ${Object.keys(EXAMPLE_CLUSTERS).join(', ')}`);
  }
  const cache = new Map<string, ResolvedClusterSpec>();
  const load = (name: string) => {
    if (!cache.has(name)) {
      cache.set(
        name,
        loadClusterSpec({
          file: options.cluster,
          example: EXAMPLE_CLUSTERS[name],
          cwd: options.cwd,
          onWarning: () => undefined,
        }).spec,
      );
    }
    return cache.get(name)!;
  };
  return (rel) => load(options.example ?? (/(^|\/)bootkube(\/|$)/.test(rel) ? 'bootkube' : 'static'));
}
