/** True when process `pid` exists on this host (EPERM: it exists, owned by someone else). For stale-lock checks. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}
