// A fresh sandbox comes up like a namespace that has been running: its seeded Deployments Available before
// the sandbox answers (so the first `mkt health` is healthy), and its Key Vault holding a local value for every
// secret the local configuration references (so `mkt config plan --env local` finds them all).
import { randomBytes } from 'node:crypto'
import { PLATFORM_NAMESPACE } from './seed.js'
import type { SeedComponent, Store } from './types.js'

/** How long start-up waits for the seeded platform before answering anyway (it says so in the log). */
export const SEEDED_PLATFORM_TIMEOUT_MS = 10_000

const isAvailable = (store: Store, name: string): boolean => {
  const deployment = store.get('deployments.apps', PLATFORM_NAMESPACE, name)
  const conditions = (deployment?.status?.conditions ?? []) as Array<{ type: string; status: string }>
  const status = (deployment?.status ?? {}) as { updatedReplicas?: number; readyReplicas?: number; observedGeneration?: number }
  const desired = (deployment?.spec?.replicas as number | undefined) ?? 1
  return (
    deployment !== undefined &&
    conditions.some((c) => c.type === 'Available' && c.status === 'True') &&
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 1) &&
    (status.updatedReplicas ?? 0) >= desired &&
    (status.readyReplicas ?? 0) >= desired
  )
}

/** Resolves once every named Deployment is Available with all its replicas ready (or after the timeout). */
export async function waitForSeededPlatform(store: Store, names: readonly string[], log: (message: string) => void, timeoutMs = SEEDED_PLATFORM_TIMEOUT_MS): Promise<void> {
  const started = Date.now()
  for (;;) {
    const waiting = names.filter((name) => !isAvailable(store, name))
    if (waiting.length === 0) {
      log(`seeded platform Available after ${Date.now() - started} ms`)
      return
    }
    if (Date.now() - started > timeoutMs) {
      log(`seeded platform: ${waiting.length} deployments not Available after ${timeoutMs} ms (${waiting.slice(0, 3).join(', ')}…); answering anyway`)
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * A local value for each secret the seeded components reference: the sandbox's own database for connection
 * strings to `Database`, its Service Bus for Service Bus connections, a random placeholder for the rest.
 */
export function localSecretValues(components: readonly SeedComponent[], endpoints: { database: number; serviceBus: string }): Record<string, string> {
  const values: Record<string, string> = {}
  for (const name of new Set(components.flatMap((c) => c.secrets ?? []))) {
    if (/ConnectionStrings--Database$/i.test(name)) values[name] = `Host=127.0.0.1;Port=${endpoints.database};Database=postgres;Username=postgres`
    else if (/servicebus/i.test(name)) values[name] = endpoints.serviceBus
    else values[name] = `sandbox-placeholder-${randomBytes(12).toString('hex')}`
  }
  return values
}
