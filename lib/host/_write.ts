import * as fs from 'fs';
import * as path from 'path';

/**
 * Writes a file atomically: the text goes to a temporary file in the same directory, which is then renamed over the
 * target, so a reader never sees half a file. Parent directories are created (0755). `mode` defaults to 0600:
 * unit files, kubelet configuration and load-balancer configs are root-only files (CIS 4.1.1, 4.1.9).
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { mode, flag: 'wx' });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
