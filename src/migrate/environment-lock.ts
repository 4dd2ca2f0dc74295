// The environment's migration Lease (`mkt-lock-<env>-migrations`, the one the Job runner takes), waited for up to
// --lock-wait. The SQL runner takes it when the database cannot keep two sessions apart itself: the sandbox's
// PGlite is a single PostgreSQL session shared by every connection, so its advisory locks are granted to everyone
// and a second run would queue behind the first's transactions without ever naming it or honouring --lock-wait.
import { setTimeout as delay } from 'node:timers/promises'
import { ExitCode, lockedError, MktError } from '../errors.js'
import { LeaseLock } from '../kube/lock.js'
import { formatDuration } from '../duration.js'
import type { Environment, Platform, Region } from '../platform/schema.js'
import { connectRegion } from '../kube/client.js'
import { firstKubernetesRegion } from '../platform/environments.js'
import { LOCK_COMPONENT, primaryConnection } from './job-runner.js'

const RETRY_MS = 1_000

export interface MigrationLeaseOptions {
  identity: string
  operation: string
  waitMs: number
  signal: AbortSignal
  onEvent: (message: string) => void
}

/** Takes the Lease at once if free; otherwise says who holds it and retries every second until waitMs, then exit 73. */
export async function acquireMigrationLease(platform: Platform, environment: Environment, options: MigrationLeaseOptions): Promise<LeaseLock> {
  const connection = await leaseConnection(platform, environment)
  const started = Date.now()
  let said = false
  for (;;) {
    try {
      return await LeaseLock.acquire(connection, { environment: environment.name, component: LOCK_COMPONENT, identity: options.identity, operation: options.operation })
    } catch (error) {
      if (!(error instanceof MktError) || error.exitCode !== ExitCode.LOCKED) throw error
      const held = error.message.replace(/^migrations in /, 'migrations in environment ')
      if (Date.now() - started + RETRY_MS > options.waitMs || options.signal.aborted) {
        throw lockedError(held, { hints: ['Wait for that run to finish, or pass a longer --lock-wait. A runner that died loses the lock within 30 s.', ...error.hints.slice(1)] })
      }
      if (!said) options.onEvent(`waiting up to ${formatDuration(options.waitMs)} for the migration lock: ${held.replace(/^.*? is locked: /, '')}`)
      said = true
      await delay(RETRY_MS, undefined, { signal: options.signal }).catch(() => undefined)
    }
  }
}

/**
 * The primary Kubernetes region; for an environment on Container Apps alone, the sandbox's own cluster (this Lease
 * exists only for the sandbox's database, and the sandbox that serves it always has a cluster).
 */
async function leaseConnection(platform: Platform, environment: Environment) {
  if (firstKubernetesRegion(environment)) return primaryConnection(platform, environment)
  return connectRegion(platform, environment, { name: 'local', primary: true, sandbox: true, namespace: 'marketplace' } satisfies Region)
}
