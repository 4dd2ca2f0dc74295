// The CLI side of the sandbox's life: find it (state.json), check it answers, start it detached,
// stop it, reset it. Imports nothing of mkt; talks to the sandbox over HTTPS and signals only.
import { spawn } from 'node:child_process'
import { existsSync, openSync, closeSync } from 'node:fs'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { request } from 'node:https'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LOCK_FILE, LOG_FILE, REGIONS_DIR, REGIONS_FILE, SEED_FILE, STATE_FILE, writePrivateFile, type SandboxState } from './files.js'
import type { SeedComponent } from './types.js'
import { isProcessAlive } from '../process-alive.js'

export type { SandboxState } from './files.js'
export { LOG_FILE } from './files.js'
/**
 * What a reset removes: every object, fault, secret, message, container app and the database (`pgdata/`, so migrations start from
 * version 0 again). CA, server certificate, token, kubeconfig and the database's port and password stay, so
 * kubeconfigs and connection strings handed out keep working.
 */
export const RESET_FILES = ['objects.json', 'objects.json.tmp', 'faults.json', 'faults.json.tmp', 'keyvault.json', 'keyvault.json.tmp', 'servicebus.json', 'servicebus.json.tmp', 'arm.json', 'arm.json.tmp', 'containerapps.json', 'containerapps.json.tmp', 'pgdata']

/** `MKT_SANDBOX_DIR`, else `$XDG_STATE_HOME/mkt/sandbox`, else `~/.local/state/mkt/sandbox`. */
export function defaultSandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MKT_SANDBOX_DIR) return resolve(env.MKT_SANDBOX_DIR)
  const stateHome = env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(stateHome, 'mkt', 'sandbox')
}

export async function readSandboxState(dataDir: string): Promise<SandboxState | undefined> {
  try {
    const state = JSON.parse(await readFile(join(dataDir, STATE_FILE), 'utf8')) as SandboxState
    return typeof state.pid === 'number' && typeof state.endpoints?.kubernetes === 'string' ? state : undefined
  } catch {
    return undefined
  }
}

/** GET /readyz (anonymous, like a real apiserver's health check), trusting the sandbox CA. */
export async function readyzAnswers(endpoint: string, caCert: string | undefined, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const req = request(`${endpoint}/readyz`, { method: 'GET', ca: caCert, timeout: timeoutMs, rejectUnauthorized: caCert !== undefined }, (res) => {
      res.resume()
      resolvePromise(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolvePromise(false))
    req.end()
  })
}

async function caOf(dataDir: string): Promise<string | undefined> {
  try {
    return await readFile(join(dataDir, 'ca.crt'), 'utf8')
  } catch {
    return undefined
  }
}

/** True when the process named in state.json is alive and its API answers /readyz. */
export async function isSandboxRunning(state: SandboxState | undefined): Promise<boolean> {
  if (state === undefined || !isProcessAlive(state.pid)) return false
  return readyzAnswers(state.endpoints.kubernetes, await caOf(state.dataDir ?? dirname(state.kubeconfigPath)))
}

/**
 * The sandbox process entry: main.js next to this file (tsc output), else the tsc output found by
 * walking up (this file may be bundled into dist/cli/chunks/, or run from src/ in tests).
 */
export function defaultEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const sibling = join(here, 'main.js')
  if (existsSync(sibling)) return sibling
  for (let dir = here; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'dist', 'src', 'sandbox', 'main.js'), join(dir, 'src', 'sandbox', 'main.js')]) {
      if (existsSync(candidate)) return candidate
    }
    if (dirname(dir) === dir) return sibling
  }
}

export interface StartDetachedOptions {
  dataDir: string
  /** Written to seed.json (used when the store is empty). */
  seed?: SeedComponent[]
  podStartDelayMs?: number
  /** How long to wait for /readyz (default 20 s). */
  timeoutMs?: number
  /** The script to run (default: main.js next to this file). */
  entry?: string
  /** Extra arguments for main.js (e.g. --no-controllers). */
  extraArgs?: string[]
}

async function tail(path: string, lines = 20): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Starts the sandbox as a detached process (stdout/stderr to sandbox.log) and waits until it answers.
 * Idempotent: a running sandbox is reused; a stale state.json (dead pid) is replaced.
 */
export async function startDetached(options: StartDetachedOptions): Promise<SandboxState> {
  const { dataDir } = options
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const existing = await readSandboxState(dataDir)
  if (existing !== undefined && (await isSandboxRunning(existing))) return existing
  if (existing !== undefined && !isProcessAlive(existing.pid)) await rm(join(dataDir, STATE_FILE), { force: true })
  if (options.seed !== undefined) await writePrivateFile(join(dataDir, SEED_FILE), `${JSON.stringify({ components: options.seed }, null, 2)}\n`)

  const logPath = join(dataDir, LOG_FILE)
  const logFd = openSync(logPath, 'a', 0o600)
  const args = [options.entry ?? defaultEntry(), '--dir', dataDir]
  if (options.podStartDelayMs !== undefined) args.push('--pod-start-delay-ms', String(options.podStartDelayMs))
  args.push(...(options.extraArgs ?? []))
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd], env: process.env })
  closeSync(logFd)
  let exitCode: number | null | undefined
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal ? 128 : 1)
  })
  child.unref()

  const deadline = Date.now() + (options.timeoutMs ?? 20_000)
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      // Lost a start race against another process? Then that one is the sandbox: wait for it to answer.
      const winner = await readSandboxState(dataDir)
      if (winner !== undefined && (await isSandboxRunning(winner))) return winner
      const holder = await lockHolder(dataDir)
      if (holder !== undefined && holder !== child.pid && isProcessAlive(holder)) {
        await sleep(100)
        continue
      }
      throw new Error(`the sandbox exited during start-up (code ${exitCode}); ${logPath}:\n${await tail(logPath)}`)
    }
    const state = await readSandboxState(dataDir)
    if (state !== undefined && state.pid === child.pid && (await isSandboxRunning(state))) return state
    await sleep(100)
  }
  if (child.pid !== undefined && isProcessAlive(child.pid)) process.kill(child.pid, 'SIGTERM')
  throw new Error(`the sandbox did not answer within ${Math.round((options.timeoutMs ?? 20_000) / 1000)} s; ${logPath}:\n${await tail(logPath)}`)
}

/** The pid holding the data dir's lock, if any. */
async function lockHolder(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true
    await sleep(50)
  }
  return !isProcessAlive(pid)
}

/**
 * Stops the sandbox of dataDir: SIGTERM, then SIGKILL after timeoutMs. Only a process that is
 * provably the sandbox (it answers /readyz or holds the data dir's lock) is signalled. Returns
 * whether a running sandbox was stopped.
 */
export async function stopSandbox(dataDir: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const state = await readSandboxState(dataDir)
  const holder = await lockHolder(dataDir)
  const pid = state?.pid ?? holder
  let stopped = false
  if (pid !== undefined && pid !== process.pid && isProcessAlive(pid) && (holder === pid || (await isSandboxRunning(state)))) {
    process.kill(pid, 'SIGTERM')
    if (!(await waitForExit(pid, options.timeoutMs ?? 10_000))) {
      process.kill(pid, 'SIGKILL')
      await waitForExit(pid, 2000)
    }
    stopped = true
  }
  await rm(join(dataDir, STATE_FILE), { force: true })
  if (holder !== undefined && !isProcessAlive(holder)) await rm(join(dataDir, LOCK_FILE), { force: true })
  return stopped
}

/**
 * Stops the sandbox and forgets its objects and faults; the next start seeds from seed.json again.
 * Credentials and kubeconfig are kept on purpose: kubeconfigs already handed out stay valid.
 */
export async function resetSandbox(dataDir: string): Promise<void> {
  await stopSandbox(dataDir)
  for (const file of RESET_FILES) await rm(join(dataDir, file), { force: true, recursive: true })
  // Regional clusters: their objects and faults go, their kubeconfigs (and ports) stay; they start again on use.
  const regionsDir = join(dataDir, REGIONS_DIR)
  await rm(join(regionsDir, REGIONS_FILE), { force: true })
  const regions = await readdir(regionsDir, { withFileTypes: true }).catch(() => [])
  for (const region of regions.filter((entry) => entry.isDirectory())) {
    for (const file of RESET_FILES) await rm(join(regionsDir, region.name, file), { force: true, recursive: true })
  }
}
