// Small file reads, durable file writes and the names of the files in the sandbox's data dir. Kept
// free of heavy imports: the CLI side (lifecycle.ts) loads this without loading the sandbox.
import { chmod, open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

export const STATE_FILE = 'state.json'
export const LOCK_FILE = 'sandbox.lock'
export const OBJECTS_FILE = 'objects.json'
export const SEED_FILE = 'seed.json'
export const LOG_FILE = 'sandbox.log'
/** Regional clusters live in this directory of the data dir (regions.ts); `regions.json` there lists them. */
export const REGIONS_DIR = 'regions'
export const REGIONS_FILE = 'regions.json'
/** A sandbox region named `local` is the main cluster; any other name is a regional cluster of that name. */
export const MAIN_CLUSTER_REGION = 'local'

/** The state.json document a running sandbox writes (read by lifecycle.ts on the CLI side). */
export interface SandboxState {
  version: 1
  pid: number
  /** Distinguishes two runs of the same pid (tests start several sandboxes in one process). */
  instance: string
  startedAt: string
  dataDir: string
  endpoints: {
    kubernetes: string
    /** The embedded PostgreSQL (PGlite), `postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres`; it starts on first use. */
    postgres?: string
    /** The Key Vault (secrets API), `https://127.0.0.1:PORT`, for `new SecretClient(url, …)` (keyvault/). */
    keyVault?: string
    /** The Service Bus administration API (ATOM/XML), `https://127.0.0.1:PORT` (servicebus/). */
    serviceBus?: string
    /** Azure Resource Manager (AKS managedClusters get / list credentials), `https://127.0.0.1:PORT` (arm/). */
    arm?: string
  }
  kubeconfigPath: string
}

/** The file's text; undefined when it does not exist (any other error is thrown). */
export async function readFileIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Replaces `path` so that a crash at any moment leaves either the old or the new content:
 * write a temp file, fsync it, rename over the target, fsync the directory (makes the rename durable).
 */
export async function writeFileDurably(path: string, content: string, mode = 0o600): Promise<void> {
  const temp = `${path}.tmp`
  const file = await open(temp, 'w', mode)
  try {
    await file.writeFile(content, 'utf8')
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temp, path)
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/** A durable write readable by the owner only (0600). */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await writeFileDurably(path, content, 0o600)
  await chmod(path, 0o600)
}
