// Whether a process id names a live process on this machine: used to reclaim what a killed process left behind
// (the sandbox's data-dir lock and state file, a lease held by a dead mkt on this host).
import { readFileSync } from 'node:fs'

/**
 * True while `pid` runs. A process killed with -9 stays a zombie until its parent reaps it, and a detached sandbox's
 * parent is whatever adopted it (PID 1 or a subreaper, which may reap late): signal 0 still succeeds on a zombie,
 * so its /proc state is read too. EPERM means it exists but belongs to another user: alive.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return !isZombie(pid)
}

/** Linux: the state letter after the command in /proc/<pid>/stat (Z zombie, X dead). Elsewhere: never. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state === 'Z' || state === 'X'
  } catch {
    return false
  }
}
