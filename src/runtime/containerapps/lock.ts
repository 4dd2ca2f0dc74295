// The deploy lock on Container Apps: an ARM tag `mkt-lock` on the container app holding the holder, the operation
// and a lease end. Taken with a PATCH carrying If-Match: <the ETag just read>, so of two processes reading the same
// free lock only one write succeeds (the other gets 412 and reports exit 73); then read back to confirm. Renewed
// every LEASE_SECONDS/3 (read, check it is still ours, write the new lease end with If-Match); a lease that ran
// out without renewal counts as free, and so does a lease whose holder was an mkt process on this host that is no
// longer running (taken over at once, as on Kubernetes). Released by removing the tag, If-Match again. Broken by
// `mkt lock break` (breakTagLock): the tag removed and the break recorded in `mkt-lock-broken`, If-Match again.
import { configError, lockedError, MktError } from '../../errors.js'
import type { LockRequest, ReleaseLock } from '../../rollout/executor.js'
import type { ContainerAppsRegion } from './apps.js'
import { lockedHints } from '../../kube/lease-logic.js'
import { deadOnThisHost } from '../../kube/lock.js'
import { notice } from '../../notices.js'
import { encodeLock, encodeLockBreak, LOCK_BROKEN_TAG, LOCK_TAG, parseLock, type LockRecord } from './records.js'

export const LEASE_SECONDS = 60
/** Clock difference allowed between the holder's machine and ours before a lease counts as expired. */
const SKEW_MS = 5_000

/** Who holds the lock of an app now (undefined when free or expired). */
export function heldLock(tags: Record<string, string> | undefined, now = Date.now()): LockRecord | undefined {
  const lock = parseLock(tags?.[LOCK_TAG])
  return lock && Date.parse(lock.expiresAt) + SKEW_MS > now ? lock : undefined
}

export const describeHeld = (component: string, environment: string, lock: LockRecord) =>
  `${component} in ${environment} is locked: held by ${lock.holder} since ${lock.acquiredAt}${lock.operation ? `, running ${lock.operation}` : ''} (lease until ${lock.expiresAt})`

const missingApp = (apps: ContainerAppsRegion, app: string) =>
  configError(`container app ${app} does not exist in ${apps.connection.description}`, { hints: ["Check the component's containerApp name and the region's containerApps in mkt.yaml."] })

/**
 * Removes the `mkt-lock` tag of `app` whoever holds it (a live lease too: the operator decided), recording who broke
 * it, when, whose it was and why in the `mkt-lock-broken` tag of the same PATCH. If-Match makes the holder named the
 * one whose lock was removed; a renewal in between (412) is read again. The holder's next renewal finds its tag gone
 * and stops (lost the lock), as a Kubernetes holder does when its Lease is deleted.
 */
export async function breakTagLock(apps: ContainerAppsRegion, app: string, audit: { by: string; reason: string }): Promise<{ broken: boolean; holder: string | null }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const read = await apps.read(app)
    if (!read) throw missingApp(apps, app)
    if (read.app.tags?.[LOCK_TAG] === undefined) return { broken: false, holder: null }
    // A tag mkt cannot read is removed all the same: it blocks nothing, but it is in the way.
    const holder = parseLock(read.app.tags[LOCK_TAG])?.holder ?? null
    const record = encodeLockBreak({ brokenBy: audit.by, brokenAt: new Date().toISOString(), holder: holder ?? 'nobody', reason: audit.reason })
    try {
      await apps.update(read.app, { tags: { [LOCK_TAG]: null as unknown as string, [LOCK_BROKEN_TAG]: record } }, `break the lock of ${app}`, read.etag)
      return { broken: true, holder }
    } catch (error) {
      if (!(error instanceof MktError) || error.exitCode !== 73) throw error
    }
  }
  throw lockedError(`could not break the lock of container app ${app}: it kept changing while mkt was writing`, { hints: ['Retry in a moment (`mkt lock status` shows who holds it now).'] })
}

export class TagLock implements ReleaseLock {
  private readonly lostController = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private renewing: Promise<void> | undefined
  private released = false

  private constructor(
    private readonly apps: ContainerAppsRegion,
    private readonly app: string,
    private record: LockRecord,
  ) {}

  get name(): string {
    return `tag ${LOCK_TAG} on container app ${this.app}`
  }

  get lost(): AbortSignal {
    return this.lostController.signal
  }

  /** Takes the lock of `app` or throws exit 73 naming the holder. Renews it in the background until released. */
  static async acquire(apps: ContainerAppsRegion, app: string, request: LockRequest): Promise<TagLock> {
    const read = await apps.read(app)
    if (!read) throw missingApp(apps, app)
    const held = heldLock(read.app.tags)
    if (held && held.holder !== request.identity) {
      // Its process is gone (kill -9, a closed laptop lid mid-deploy): nobody will renew it, so waiting out the lease helps no one.
      if (!deadOnThisHost(held.holder)) throw lockedError(describeHeld(request.component, request.environment, held), { hints: lockedHints(request.component, request.environment) })
      notice(`took over the lock ${LOCK_TAG} on container app ${app} from ${held.holder}: that process is no longer running on this host`)
    }
    const now = Date.now()
    const record: LockRecord = { holder: request.identity, operation: request.operation, ...(request.reason ? { reason: request.reason } : {}), acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + LEASE_SECONDS * 1000).toISOString() }
    await apps.update(read.app, { tags: { [LOCK_TAG]: encodeLock(record) } }, `take the lock of ${app}`, read.etag)
    const lock = new TagLock(apps, app, record)
    if (!(await lock.verify())) throw lockedError(`could not take the lock of ${request.component} in ${request.environment}: another operation took it at the same time`, { hints: ['Retry in a moment.'] })
    lock.timer = setInterval(() => {
      lock.renewing ??= lock.renew().finally(() => (lock.renewing = undefined))
    }, (LEASE_SECONDS * 1000) / 3)
    lock.timer.unref()
    return lock
  }

  assertHeld(): void {
    if (this.lost.aborted) throw this.lost.reason instanceof Error ? this.lost.reason : new Error(String(this.lost.reason))
    if (Date.now() > Date.parse(this.record.expiresAt)) {
      this.markLost(`the lock on container app ${this.app} expired before it could be renewed`)
      throw this.lost.reason as Error
    }
  }

  async verify(): Promise<boolean> {
    if (this.lost.aborted) return false
    const read = await this.apps.read(this.app)
    const now = parseLock(read?.app.tags?.[LOCK_TAG])
    if (now?.holder === this.record.holder && now.acquiredAt === this.record.acquiredAt) return true
    this.markLost(now ? `the lock on container app ${this.app} was taken by ${now.holder}` : `the lock on container app ${this.app} was removed`)
    return false
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    clearInterval(this.timer)
    await this.renewing?.catch(() => {})
    if (this.lost.aborted) return
    const read = await this.apps.read(this.app)
    const now = parseLock(read?.app.tags?.[LOCK_TAG])
    if (!read || now?.holder !== this.record.holder || now.acquiredAt !== this.record.acquiredAt) return
    await this.apps.update(read.app, { tags: { [LOCK_TAG]: null as unknown as string } }, `release the lock of ${this.app}`, read.etag)
  }

  private async renew(): Promise<void> {
    // A write of ours between the read and the renewal changes the ETag (412, exit 73): read again, a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.released || this.lost.aborted) return
      try {
        if (!(await this.verify())) return
        const read = await this.apps.read(this.app)
        if (!read) return this.markLost(`container app ${this.app} disappeared`)
        const record = { ...this.record, expiresAt: new Date(Date.now() + LEASE_SECONDS * 1000).toISOString() }
        await this.apps.update(read.app, { tags: { [LOCK_TAG]: encodeLock(record) } }, `renew the lock of ${this.app}`, read.etag)
        this.record = record
        return
      } catch (error) {
        // ARM hiccupped: the next round tries again; the lease only counts as lost once it has run out (assertHeld).
        if (!(error instanceof MktError) || error.exitCode !== 73) return
      }
    }
  }

  private markLost(why: string): void {
    if (this.lost.aborted) return
    clearInterval(this.timer)
    this.lostController.abort(new Error(`lost the lock: ${why}`))
  }
}
