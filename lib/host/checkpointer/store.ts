// The checkpoints on disk: generation directories written atomically and verified against their digests, and the
// manifest that activates one in the kubelet's static pod directory.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ensureDir, writeFileAtomic, writeFilesAtomic } from '../../util/files';
import { CHECKPOINTS_DIR, CHECKPOINT_GENERATION_ANNOTATION, CHECKPOINT_POD_NAME, HostLayout } from './layout';
import { PreparedCheckpoint, canonicalJson, checkpointPod } from './checkpoint';
import { DiskObservation } from './state-machine';
import { isProcessAlive } from '../../util/process';

/** The metadata file of a generation, written last. */
const META = 'checkpoint.json';
/** The static pod of a generation (the file the activation copies). */
const POD = 'pod.yaml';
const GENERATION = /^gen-(\d{6})$/;
const TMP_PREFIX = '.tmp-gen-';

/** What `checkpoint.json` holds. */
export interface GenerationMeta {
  /** Version of this format. */
  readonly format: 1;
  /** The generation's directory name (`gen-000042`). */
  readonly generation: string;
  /** When it was written (ISO 8601). */
  readonly createdAt: string;
  /** The parent pod it was made from. */
  readonly parent: PreparedCheckpoint['parent'];
  /** `PreparedCheckpoint.digest`: what the checkpoint was made from. */
  readonly digest: string;
  /** SHA-256 of every file, by relative path (`pod.yaml` included). */
  readonly files: Readonly<Record<string, string>>;
  /** The directories (relative) the generation holds, even empty ones. */
  readonly dirs: readonly string[];
  /** SHA-256 of the fields above: a damaged but parseable metadata file fails too. */
  readonly integrity: string;
}

/** One generation on disk, verified. */
export interface GenerationInfo {
  /** Its directory name (`gen-000042`). */
  readonly generation: string;
  /** The number in its name: higher is newer. */
  readonly sequence: number;
  /** Undefined when it verifies. */
  readonly problem?: string;
  /** Its `checkpoint.json`; undefined when that cannot be read. */
  readonly meta?: GenerationMeta;
}

/** `DiskObservation` plus every generation, for `hacp checkpointer status`. */
export interface StoreInspection extends DiskObservation {
  /** Every generation, newest first. */
  readonly generations: readonly GenerationInfo[];
}

const sha256 = (data: string | Buffer) => `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;

function integrityOf(meta: Omit<GenerationMeta, 'integrity'>): string {
  const { format, generation, createdAt, parent, digest, files, dirs } = meta;
  return sha256(canonicalJson({ format, generation, createdAt, parent, digest, files, dirs }));
}

/** fsync a file or directory, so that a power loss right after a rename cannot leave it empty. */
function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The checkpoints of one DaemonSet on this node: `/etc/kubernetes/checkpoints/<namespace>/<daemonSet>/gen-NNNNNN/`
 * (directories 0700, files 0600), each with `pod.yaml` (the static pod), `volumes/<volume>/<key>` (the Secrets and
 * ConfigMaps it mounts) and `checkpoint.json` (digests of all of them, written last). A generation is written in a
 * temporary directory, synced and renamed into place: a new spec or a rotated Secret replaces the old checkpoint in
 * one step, and a crash or power loss leaves either the old or the new one. Generations are never changed after.
 */
export class CheckpointStore {
  /** The generations' parent directory as a host path (what the manifests' hostPaths name). */
  public readonly hostDir: string;
  /** The same directory on this machine (below the layout's root). */
  public readonly dir: string;

  /**
   * @param layout where the host's files are (its root may be a test directory)
   * @param namespace the parent DaemonSet's namespace
   * @param daemonSet the parent DaemonSet's name
   */
  constructor(
    /** Where the host's files are. */
    public readonly layout: HostLayout,
    namespace: string,
    daemonSet: string,
  ) {
    this.hostDir = HostLayout.checkpointHostDir(namespace, daemonSet);
    this.dir = layout.local(this.hostDir);
  }

  /** Every generation (verified), the newest good one, the corrupt ones and the active manifest. */
  public inspect(): StoreInspection {
    const generations = this.generationNames().map((g) => this.verify(g));
    generations.sort((a, b) => b.sequence - a.sequence);
    const goodGen = generations.find((g) => !g.problem);
    let active: DiskObservation['active'];
    const manifest = readText(this.layout.activeManifest);
    if (manifest !== undefined) {
      let generation: string | undefined;
      try {
        generation = parseYaml(manifest)?.metadata?.annotations?.[CHECKPOINT_GENERATION_ANNOTATION];
      } catch {
        generation = undefined;
      }
      const gen = generations.find((g) => g.generation === generation);
      const intact =
        gen !== undefined && !gen.problem && readText(path.join(this.dir, gen.generation, POD)) === manifest;
      active = { generation: typeof generation === 'string' ? generation : undefined, intact };
    }
    return {
      generations,
      good: goodGen ? { generation: goodGen.generation, digest: goodGen.meta!.digest } : undefined,
      corrupt: generations.filter((g) => g.problem).map((g) => ({ generation: g.generation, reason: g.problem! })),
      active,
    };
  }

  /** Checks one generation against its `checkpoint.json`. */
  public verify(generation: string): GenerationInfo {
    const m = GENERATION.exec(generation);
    if (!m) throw new Error(`${generation}: not a generation name`);
    const sequence = Number(m[1]);
    const dir = path.join(this.dir, generation);
    const fail = (problem: string, meta?: GenerationMeta): GenerationInfo => ({ generation, sequence, problem, meta });
    let meta: GenerationMeta;
    try {
      const text = readText(path.join(dir, META));
      if (text === undefined) return fail(`${META} is missing`);
      meta = JSON.parse(text);
    } catch (e) {
      return fail(`${META} is unreadable: ${(e as Error).message}`);
    }
    if (
      meta?.format !== 1 ||
      meta.generation !== generation ||
      typeof meta.files !== 'object' ||
      !Array.isArray(meta.dirs)
    )
      return fail(`${META} does not describe ${generation}`);
    if (meta.integrity !== integrityOf(meta)) return fail(`${META} does not match its integrity digest`);
    for (const d of meta.dirs) {
      if (!fs.statSync(path.join(dir, d), { throwIfNoEntry: false })?.isDirectory())
        return fail(`${d}/ is missing`, meta);
    }
    for (const [rel, digest] of Object.entries(meta.files)) {
      const file = path.join(dir, rel);
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) return fail(`${rel} is missing`, meta);
      if (sha256(fs.readFileSync(file)) !== digest) return fail(`${rel} does not match its digest`, meta);
    }
    if (!meta.files[POD]) return fail(`${POD} is not listed`, meta);
    try {
      const pod = parseYaml(fs.readFileSync(path.join(dir, POD), 'utf8'));
      if (
        pod?.kind !== 'Pod' ||
        pod.metadata?.name !== CHECKPOINT_POD_NAME ||
        pod.metadata?.annotations?.[CHECKPOINT_GENERATION_ANNOTATION] !== generation
      ) {
        return fail(`${POD} is not the checkpoint pod of ${generation}`, meta);
      }
    } catch (e) {
      return fail(`${POD} is not YAML: ${(e as Error).message}`, meta);
    }
    return { generation, sequence, meta };
  }

  /** Writes `checkpoint` as the next generation; returns its name. The previous generations stay. */
  public write(checkpoint: PreparedCheckpoint, now: Date = new Date()): string {
    this.ensureBaseDirs();
    const sequence = Math.max(0, ...this.allSequences()) + 1;
    if (sequence > 999_999)
      throw new Error(
        `${this.dir}: generation numbers are exhausted; remove the directory and let the checkpointer start over`,
      );
    const generation = `gen-${String(sequence).padStart(6, '0')}`;
    const tmp = path.join(this.dir, `${TMP_PREFIX}${String(sequence).padStart(6, '0')}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    try {
      const pod = checkpointPod(checkpoint, `${this.hostDir}/${generation}`, generation);
      const podYaml = manifestText(pod, checkpoint);
      const files = [...checkpoint.files, { path: POD, content: podYaml }];
      // Every directory 0700 (writeFilesAtomic would make intermediate ones 0755).
      ensureDir(tmp, true, true);
      for (const d of new Set([...checkpoint.dirs, ...files.map((f) => path.posix.dirname(f.path))])) {
        if (d !== '.') ensureDir(path.join(tmp, d), true, true);
      }
      writeFilesAtomic(
        tmp,
        files.map((f) => ({ path: f.path, content: f.content, mode: 0o600 })),
      );
      const base = {
        format: 1 as const,
        generation,
        createdAt: now.toISOString(),
        parent: checkpoint.parent,
        digest: checkpoint.digest,
        files: Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])),
        dirs: [...checkpoint.dirs],
      };
      writeFileAtomic(
        path.join(tmp, META),
        `${JSON.stringify({ ...base, integrity: integrityOf(base) }, null, 2)}\n`,
        0o600,
      );
      for (const f of [...files.map((x) => x.path), META]) fsyncPath(path.join(tmp, f));
      for (const d of new Set(['.', ...checkpoint.dirs, ...files.map((f) => path.posix.dirname(f.path))]))
        fsyncPath(path.join(tmp, d));
      fs.renameSync(tmp, path.join(this.dir, generation));
      fsyncPath(this.dir);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return generation;
  }

  /** Puts `generation`'s static pod into the kubelet's manifest directory (0600, atomic, synced). */
  public activate(generation: string): void {
    const info = this.verify(generation);
    if (info.problem) throw new Error(`refusing to activate ${generation}: ${info.problem}`);
    const pod = fs.readFileSync(path.join(this.dir, generation, POD), 'utf8');
    fs.mkdirSync(this.layout.manifestsDir, { recursive: true, mode: 0o755 });
    writeFileAtomic(this.layout.activeManifest, pod, 0o600, { fsync: true });
    fsyncPath(this.layout.manifestsDir);
  }

  /** Removes the checkpoint manifest from the kubelet's manifest directory, if it is there. Returns whether it was. */
  public deactivate(): boolean {
    try {
      fs.unlinkSync(this.layout.activeManifest);
    } catch (e: any) {
      if (e.code === 'ENOENT') return false;
      throw e;
    }
    fsyncPath(this.layout.manifestsDir);
    return true;
  }

  /** Deletes generations (never the one the active manifest names). */
  public discard(generations: readonly string[]): void {
    const active = this.inspect().active?.generation;
    for (const g of generations) {
      if (!GENERATION.test(g)) throw new Error(`${g}: not a generation name`);
      if (g !== active) fs.rmSync(path.join(this.dir, g), { recursive: true, force: true });
    }
  }

  /** Deletes every generation (the caller deactivates first). */
  public removeAll(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Deletes what is no longer needed: generations older than the newest `keep` good ones (except the active one) and
   * temporary directories a crash left behind. Corrupt generations are left to `discard()`, which logs them.
   */
  public gc(keep = 2): string[] {
    const { generations, active } = this.inspect();
    const keepSet = new Set(
      generations
        .filter((g) => !g.problem)
        .slice(0, keep)
        .map((g) => g.generation),
    );
    if (active?.generation) keepSet.add(active.generation);
    const removed: string[] = [];
    for (const g of generations) {
      if (!g.problem && !keepSet.has(g.generation)) {
        fs.rmSync(path.join(this.dir, g.generation), { recursive: true, force: true });
        removed.push(g.generation);
      }
    }
    for (const name of this.entries().filter((n) => n.startsWith(TMP_PREFIX)))
      fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
    return removed;
  }

  /** Creates `/etc/kubernetes/checkpoints` and the DaemonSet's directory below it, 0700. */
  public ensureBaseDirs(): void {
    ensureDir(this.layout.local(CHECKPOINTS_DIR), true, true);
    ensureDir(this.dir, true, true);
  }

  private entries(): string[] {
    try {
      return fs.readdirSync(this.dir);
    } catch (e: any) {
      if (e.code === 'ENOENT') return [];
      throw e;
    }
  }

  private generationNames(): string[] {
    return this.entries().filter((n) => GENERATION.test(n) && fs.statSync(path.join(this.dir, n)).isDirectory());
  }

  private allSequences(): number[] {
    return this.entries()
      .map((n) => /^(?:gen-|\.tmp-gen-)(\d{6})$/.exec(n))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]));
  }
}

/** The manifest text: a header saying what it is, then the pod. The activation copies it byte for byte. */
function manifestText(pod: Record<string, any>, checkpoint: PreparedCheckpoint): string {
  const p = checkpoint.parent;
  return [
    `# Checkpoint of DaemonSet ${p.namespace}/${p.daemonSet} (made from pod ${p.name}, uid ${p.uid}) by hacp checkpointer.`,
    "# While this file is in the kubelet's static pod directory, this checkpoint is the node's API server; the",
    "# checkpointer removes it once the DaemonSet's pod runs again. Do not edit: a changed file is not activated.",
    stringifyYaml(pod),
  ].join('\n');
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** This boot's ID (Linux): a lock written before a reboot is stale whatever its PID, which may belong to another process now. */
function bootId(): string {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() ?? '';
}

/**
 * A lock file held while a checkpointer runs on this root (`<pid> <boot id>`). A lock of a process that is gone, or of
 * an earlier boot, is stale and taken over; a live holder is an error naming its PID.
 */
export function acquireCheckpointerLock(layout: HostLayout): () => void {
  const dir = layout.local(CHECKPOINTS_DIR);
  ensureDir(dir, true, true);
  const file = path.join(dir, '.lock');
  const boot = bootId();
  const mine = `${process.pid} ${boot}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, mine);
      fs.closeSync(fd);
      return () => {
        if (readText(file) === mine) fs.rmSync(file, { force: true });
      };
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      const [pidText, lockBoot = ''] = (readText(file) ?? '').trim().split(/\s+/);
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && lockBoot === boot && isProcessAlive(pid)) {
        throw new Error(`another checkpointer (pid ${pid}) holds ${file}`, { cause: e });
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone, or it is from an earlier boot
    }
  }
  throw new Error(`cannot take ${file}`);
}
