// The rollout lock: one coordination.k8s.io/v1 Lease per environment and component, held for a whole
// operation, renewed in the background, released on every exit path. Decisions live in lease-logic.ts;
// this is client-go's protocol around them (GET; NotFound → create; otherwise update with the read
// resourceVersion; AlreadyExists/Conflict = somebody else won the race, so read again).
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node'
import { lockedError } from '../errors.js'
import { kubeStatusOf, toKubeError } from './errors.js'
import { withRetry } from './retry.js'
import type { ClusterConnection } from './client.js'
import { loadKubeClient } from './client.js'
import { hostname } from 'node:os'
import { holdUntilExit } from '../interrupt.js'
import { notice } from '../notices.js'
import { describeHeldLease, leaseDecision, lockedHints, leaseNameFor, leaseTime, nextLeaseSpec, parseHolderIdentity, renewIntervalMs } from './lease-logic.js'
import { isProcessAlive } from '../process-alive.js'

export const LOCK_LABEL = 'mkt.dev/lock'
export const LOCK_OPERATION_ANNOTATION = 'mkt.dev/operation'
export const LOCK_REASON_ANNOTATION = 'mkt.dev/reason'
export const DEFAULT_LEASE_SECONDS = 30
/** Clock difference allowed between the holder's machine and ours before a lease counts as expired. */
export const DEFAULT_SKEW_MS = 5_000

export interface LockOptions {
  environment: string
  component: string
  identity: string
  operation: string
  reason?: string
  durationSeconds?: number
  now?: () => number
}

export interface LockInfo {
  name: string
  component: string
  holder: string | null
  operation: string | null
  reason: string | null
  acquiredAt: string | null
  renewedAt: string | null
  expiresAt: string | null
  expired: boolean
}

export class LeaseLock {
  private renewTimer: NodeJS.Timeout | undefined
  private released = false
  private lease: V1Lease
  /** The renewal in flight, so release() never deletes with a resourceVersion a renewal is about to change. */
  private renewing: Promise<void> | undefined
  private renewedAt: number
  private readonly lostController = new AbortController()

  private constructor(
    private readonly api: CoordinationV1Api,
    private readonly connection: ClusterConnection,
    private readonly options: Required<Pick<LockOptions, 'identity' | 'durationSeconds' | 'now'>> & LockOptions,
    lease: V1Lease,
  ) {
    this.lease = lease
    this.renewedAt = options.now()
  }

  get name(): string {
    return this.lease.metadata?.name ?? ''
  }

  /** Aborted (with the reason) as soon as this process can no longer prove it holds the lock. */
  get lost(): AbortSignal {
    return this.lostController.signal
  }

  /** Throws the loss when the lock was lost: every write of the operation checks this first (fencing). */
  assertHeld(): void {
    if (this.lost.aborted) throw this.lost.reason
  }

  /** Takes the lock or throws exit 73 naming the holder. Starts renewing in the background. */
  static async acquire(connection: ClusterConnection, options: LockOptions): Promise<LeaseLock> {
    const k8s = await loadKubeClient()
    const api = connection.kubeConfig.makeApiClient(k8s.CoordinationV1Api)
    const full = { durationSeconds: DEFAULT_LEASE_SECONDS, now: Date.now, ...options }
    const name = leaseNameFor(options.environment, options.component)
    const namespace = connection.namespace
    const where = { region: connection.region, server: connection.server, action: `take the lock ${name}` }
    for (let attempt = 0; attempt < 5; attempt++) {
      let current: V1Lease | undefined
      try {
        current = await api.readNamespacedLease({ name, namespace })
      } catch (error) {
        if (kubeStatusOf(error).code !== 404) throw toKubeError(error, where)
      }
      const now = full.now()
      let decision = leaseDecision(current, { identity: full.identity, now, durationSeconds: full.durationSeconds, skewMs: DEFAULT_SKEW_MS })
      if (decision.action === 'held-by-other' && deadOnThisHost(decision.holder)) {
        // Its process is gone (kill -9, a closed laptop lid mid-deploy): nobody will renew it, so waiting out the lease helps no one.
        decision = { action: 'acquire-expired', previousHolder: decision.holder, released: false }
      }
      if (decision.action === 'acquire-expired' && decision.previousHolder) {
        // A take-over is said, whoever held it: the operator may want to know what that holder left behind.
        const why = deadOnThisHost(decision.previousHolder) ? 'that process is no longer running on this host' : 'its lease expired without renewal'
        notice(`took over the lock ${name} from ${decision.previousHolder}: ${why}`)
      }
      if (decision.action === 'held-by-other') {
        const operation = current?.metadata?.annotations?.[LOCK_OPERATION_ANNOTATION]
        throw lockedError(`${options.component} in ${options.environment} is locked: ${describeHeldLease(decision, now)}${operation ? `, running ${operation}` : ''}`, {
          hints: lockedHints(options.component, options.environment),
        })
      }
      const spec = nextLeaseSpec(current, decision, { identity: full.identity, now, durationSeconds: full.durationSeconds })!
      const metadata = {
        name,
        namespace,
        labels: { ...(current?.metadata?.labels ?? {}), [LOCK_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'mkt', 'app.kubernetes.io/name': options.component },
        annotations: { ...(current?.metadata?.annotations ?? {}), [LOCK_OPERATION_ANNOTATION]: options.operation, [LOCK_REASON_ANNOTATION]: options.reason ?? '' },
        ...(current?.metadata?.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
      }
      const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec } as unknown as V1Lease
      try {
        const lease = current ? await api.replaceNamespacedLease({ name, namespace, body }) : await api.createNamespacedLease({ namespace, body })
        const lock = new LeaseLock(api, connection, full, lease)
        lock.startRenewing()
        // A second Ctrl-C skips the orderly wind-down; the lock is still given back (release is idempotent).
        holdUntilExit(() => lock.release())
        return lock
      } catch (error) {
        const code = kubeStatusOf(error).code
        if (code === 409) continue // lost a race: read again and decide again
        throw toKubeError(error, where)
      }
    }
    throw lockedError(`could not take the lock for ${options.component} in ${options.environment}: it keeps changing under us`, { hints: ['Retry in a moment.'] })
  }

  private startRenewing(): void {
    this.renewTimer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined))
    }, renewIntervalMs(this.options.durationSeconds))
    this.renewTimer.unref()
  }

  private where(action: string) {
    return { region: this.connection.region, server: this.connection.server, action: `${action} the lock ${this.name}` }
  }

  private markLost(message: string): void {
    if (this.lost.aborted) return
    if (this.renewTimer) clearInterval(this.renewTimer)
    this.lostController.abort(lockedError(`lost the lock of ${this.options.component} in ${this.options.environment}: ${message}`, {
      hints: ['mkt stopped changing this component. `mkt lock status` and `mkt history` show who holds it now and what runs.'],
    }))
  }

  /**
   * Renews the lease. A conflict re-reads it: still ours (our own earlier write raced), renew on the fresh copy;
   * someone else's or gone (broken with `mkt lock break`, or taken over) means the lock is lost. A transient
   * failure is retried at the next tick unless the lease may have expired meanwhile: then it is lost too.
   */
  private async renew(): Promise<void> {
    if (this.released || this.lost.aborted) return
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = this.options.now()
      const spec = nextLeaseSpec(this.lease, { action: 'renew' }, { identity: this.options.identity, now, durationSeconds: this.options.durationSeconds })!
      try {
        const renewed = await this.api.replaceNamespacedLease({ name: this.name, namespace: this.connection.namespace, body: { ...this.lease, spec } as unknown as V1Lease })
        if (renewed.metadata?.uid !== this.lease.metadata?.uid) {
          // Leases are created on update: ours was deleted (broken) and this renewal made a new one. Undo that.
          await this.api
            .deleteNamespacedLease({ name: this.name, namespace: this.connection.namespace, body: { preconditions: { uid: renewed.metadata?.uid, resourceVersion: renewed.metadata?.resourceVersion } } })
            .catch(() => undefined)
          return this.markLost('its lease was deleted (broken by `mkt lock break` or `--force-unlock`)')
        }
        this.lease = renewed
        this.renewedAt = now
        return
      } catch (error) {
        const code = kubeStatusOf(error).code
        if (code === 404) return this.markLost('its lease was deleted (broken by `mkt lock break` or `--force-unlock`)')
        if (code === 409) {
          const fresh = await this.readLease().catch(() => undefined)
          if (fresh === null) return this.markLost('its lease was deleted')
          if (fresh && fresh.spec?.holderIdentity === this.options.identity) {
            this.lease = fresh
            continue
          }
          if (fresh) return this.markLost(`it is held by ${fresh.spec?.holderIdentity || 'nobody'} now`)
        }
        if (this.options.now() > this.renewedAt + this.options.durationSeconds * 1000 - renewIntervalMs(this.options.durationSeconds)) {
          return this.markLost(`could not renew it for ${Math.round((this.options.now() - this.renewedAt) / 1000)} s: ${(error as Error).message}`)
        }
        return // transient: the next tick tries again
      }
    }
  }

  /**
   * Reads the lease now and says whether it is still ours; a lease deleted or held by someone else marks the lock
   * lost. Called before a write that must not trample another holder (a rollback after a failure).
   */
  async verify(): Promise<boolean> {
    if (this.lost.aborted) return false
    const fresh = await this.readLease()
    if (fresh === null) this.markLost('its lease was deleted (broken by `mkt lock break` or `--force-unlock`)')
    else if (fresh.spec?.holderIdentity !== this.options.identity) this.markLost(`it is held by ${fresh.spec?.holderIdentity || 'nobody'} now`)
    else this.lease = fresh
    return !this.lost.aborted
  }

  /** The lease now; null when it does not exist. */
  private async readLease(): Promise<V1Lease | null> {
    try {
      return await withRetry(() => this.api.readNamespacedLease({ name: this.name, namespace: this.connection.namespace }))
    } catch (error) {
      if (kubeStatusOf(error).code === 404) return null
      throw toKubeError(error, this.where('read'))
    }
  }

  /**
   * Releases the lock by deleting the lease, only while it is still ours (resourceVersion precondition). Waits
   * for a renewal in flight first; a conflict re-reads: still ours (a renewal changed the resourceVersion), delete
   * again; someone else's, leave it. Transient failures are retried.
   */
  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    if (this.renewTimer) clearInterval(this.renewTimer)
    await this.renewing
    if (this.lost.aborted) return
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await withRetry(() =>
          this.api.deleteNamespacedLease({ name: this.name, namespace: this.connection.namespace, body: { preconditions: { resourceVersion: this.lease.metadata?.resourceVersion } } }),
        )
        return
      } catch (error) {
        const code = kubeStatusOf(error).code
        if (code === 404) return
        if (code !== 409) throw toKubeError(error, this.where('release'))
        const fresh = await this.readLease()
        if (fresh === null || fresh.spec?.holderIdentity !== this.options.identity) return // broken and taken by someone else
        this.lease = fresh
      }
    }
    throw toKubeError(new Error('the lease kept changing'), this.where('release'))
  }
}

/** True when `holder` names a process on this machine that no longer exists (identities from holderIdentity). */
export function deadOnThisHost(holder: string, host = hostname()): boolean {
  const parts = parseHolderIdentity(holder)
  if (!parts || parts.host !== (host.trim().replace(/[\s/]+/g, '-').replace(/@/g, '-') || 'unknown') || parts.pid === process.pid) return false
  return !isProcessAlive(parts.pid)
}

/** Every mkt lock in a region's namespace, optionally for one component. */
export async function listLocks(connection: ClusterConnection, component?: string, now = Date.now()): Promise<LockInfo[]> {
  const k8s = await loadKubeClient()
  const api = connection.kubeConfig.makeApiClient(k8s.CoordinationV1Api)
  const labelSelector = component ? `${LOCK_LABEL}=true,app.kubernetes.io/name=${component}` : `${LOCK_LABEL}=true`
  try {
    const { items } = await api.listNamespacedLease({ namespace: connection.namespace, labelSelector })
    return items.map((lease) => describeLock(lease, now)).sort((a, b) => a.component.localeCompare(b.component))
  } catch (error) {
    throw toKubeError(error, { region: connection.region, server: connection.server, action: 'list locks' })
  }
}

export function describeLock(lease: V1Lease, now: number): LockInfo {
  const spec = lease.spec ?? {}
  const iso = (value: number | undefined) => (value === undefined ? null : new Date(value).toISOString())
  // The same expiry rule a deploy applies when it meets this lease (an identity no holder has).
  const decision = leaseDecision(lease, { identity: '', now, durationSeconds: DEFAULT_LEASE_SECONDS, skewMs: DEFAULT_SKEW_MS })
  const renewed = leaseTime(spec.renewTime) ?? leaseTime(spec.acquireTime)
  return {
    name: lease.metadata?.name ?? '',
    component: lease.metadata?.labels?.['app.kubernetes.io/name'] ?? '',
    holder: spec.holderIdentity || null,
    operation: lease.metadata?.annotations?.[LOCK_OPERATION_ANNOTATION] || null,
    reason: lease.metadata?.annotations?.[LOCK_REASON_ANNOTATION] || null,
    acquiredAt: iso(leaseTime(spec.acquireTime)),
    renewedAt: iso(leaseTime(spec.renewTime)),
    expiresAt: iso(renewed === undefined ? undefined : renewed + (spec.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS) * 1000),
    expired: decision.action !== 'held-by-other',
  }
}
