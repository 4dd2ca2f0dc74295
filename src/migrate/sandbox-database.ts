// `database.url: { sandbox: true }`: the sandbox's PostgreSQL (PGlite). Like `sandbox: true` for a region, this is
// the one place that knows what it means: start the sandbox if needed, ask its database to start (it starts lazily,
// a first start takes seconds), wait until it is ready, and hand back an ordinary connection string.
import { setTimeout as sleep } from 'node:timers/promises'
import { timeoutError, unavailableError } from '../errors.js'
import { ensureSandbox, sandboxControl } from '../kube/sandbox.js'
import type { Platform } from '../platform/schema.js'

interface PostgresStatus {
  state: 'idle' | 'starting' | 'ready' | 'failed'
  url: string
  error?: string
}

/** What the commands say the connection string came from. */
export const SANDBOX_DATABASE_SOURCE = 'the embedded sandbox database'

export async function ensureSandboxDatabase(platform: Platform, options: { timeoutMs?: number; onWait?: (message: string) => void; environment?: string } = {}): Promise<string> {
  const state = await ensureSandbox(platform, { environment: options.environment })
  if (!state.endpoints.postgres) {
    throw unavailableError('the running sandbox has no database (it was started by an older mkt)', { hints: ['Restart it: mkt sandbox stop && mkt sandbox start (objects are kept).'] })
  }
  // A first start is initdb in WebAssembly: about 6 s idle, 16 s and more on a busy machine. Wait that out
  // (the sandbox runs it off its API's event loop, so polling keeps answering), but not forever.
  const timeoutMs = options.timeoutMs ?? 180_000
  const deadline = Date.now() + timeoutMs
  let status = (await sandboxControl<PostgresStatus>(state, 'POST', '/_sandbox/postgres/start')).body
  let told = false
  while (status.state !== 'ready') {
    if (status.state === 'failed') {
      throw unavailableError(`the sandbox database could not start: ${status.error ?? 'unknown error'}`, { hints: [`See ${state.dataDir}/sandbox.log; \`mkt sandbox stop\` and start again, or remove ${state.dataDir}/pgdata to start from an empty database.`] })
    }
    if (Date.now() > deadline) {
      throw timeoutError(`the sandbox database (PGlite, ${withoutPassword(status.url)}) did not become ready within ${Math.round(timeoutMs / 1000)} s`, {
        hints: [`See ${state.dataDir}/sandbox.log; run the command again to keep waiting (the database goes on starting).`],
      })
    }
    if (!told) options.onWait?.(`starting the sandbox database (PGlite at ${withoutPassword(status.url)}; the first start takes a few seconds)`)
    told = true
    await sleep(100)
    status = (await sandboxControl<PostgresStatus>(state, 'GET', '/_sandbox/postgres')).body
  }
  return status.url
}

/** The URL as it may be shown: the sandbox database's password never is. */
function withoutPassword(url: string | undefined): string {
  if (!url) return 'unknown address'
  try {
    const parsed = new URL(url)
    parsed.password = ''
    return parsed.toString()
  } catch {
    return 'an unparsable address'
  }
}
