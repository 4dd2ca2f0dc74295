// What the commands ask of a Container Apps region besides a release: what runs now (for the deploy plan), who
// holds the lock, the history, and `mkt rollback` (traffic to the last verified revision, activating it if
// needed), in the same result shapes as on Kubernetes.
import { failedError, usageError } from '../../errors.js'
import type { Component, Environment, Platform, Region } from '../../platform/schema.js'
import type { RolloutEvent } from '../../rollout/release.js'
import { rollbackTarget, type ReleaseEntry } from '../../rollout/history.js'
import type { CurrentState } from '../../rollout/plan.js'
import type { LockBreakAudit, RollbackMove, RollbackRequest } from '../../rollout/rollback.js'
import { ContainerAppsRegion } from './apps.js'
import { CONTAINER_APPS_ROLES, connectContainerApps, containerAppOf, containerAppsError } from './client.js'
import { gateRevision, moveTrafficTo, RecordWriter } from './executor.js'
import type { LockInfo } from '../../kube/lock.js'
import { breakTagLock, heldLock, TagLock } from './lock.js'
import { containerAppHistory, LOCK_TAG, parseLock, type LockRecord } from './records.js'

export async function openContainerApps(platform: Platform, environment: Environment, region: Region): Promise<ContainerAppsRegion> {
  return new ContainerAppsRegion(await connectContainerApps(platform, environment, region))
}

/**
 * What a component runs now, for the plan. Traffic weights are exact on Container Apps (no replica arithmetic), so
 * the plan is given 100 units: each canary weight stays its own step.
 */
export async function currentOf(apps: ContainerAppsRegion, component: Component): Promise<CurrentState> {
  const history = await historyOf(apps, component)
  if (!history) return 'missing'
  const serving = history.find((e) => e.current)
  return { ...(serving?.image ? { image: serving.image } : {}), revision: serving?.revision ?? 0, paused: false, replicas: 100 }
}

/** The app's revisions as history entries, or undefined when the app does not exist. */
export async function historyOf(apps: ContainerAppsRegion, component: Component): Promise<ReleaseEntry[] | undefined> {
  const name = containerAppOf(component)
  const read = await apps.read(name)
  if (!read) return undefined
  return containerAppHistory(read.app, await apps.revisions(name), component.container ?? component.name)
}

/** `mkt login`: can this identity list the container apps of the region's resource group? */
export async function checkContainerAppsAccess(platform: Platform, environment: Environment, region: Region): Promise<string> {
  const connection = await connectContainerApps(platform, environment, region)
  let count = 0
  try {
    for await (const page of connection.client.containerApps.listByResourceGroup(connection.target.resourceGroup).byPage()) {
      count += page.length
      break
    }
  } catch (error) {
    throw containerAppsError(error, connection, { what: `list the container apps of resource group ${connection.target.resourceGroup}`, write: false })
  }
  return `${connection.description}: can list container apps (${count} in the first page); deploys and rollbacks need "${CONTAINER_APPS_ROLES.write}", reads "${CONTAINER_APPS_ROLES.read}"`
}

export async function heldLockOf(apps: ContainerAppsRegion, component: Component): Promise<LockRecord | undefined> {
  return heldLock((await apps.read(containerAppOf(component)))?.app.tags)
}

/** `mkt lock status` on a Container Apps region: the `mkt-lock` tag of each component's app (expired ones too). */
export async function listContainerAppLocks(platform: Platform, environment: Environment, region: Region, components: readonly Component[]): Promise<LockInfo[]> {
  const apps = await openContainerApps(platform, environment, region)
  const found = await Promise.all(
    components.map(async (component): Promise<LockInfo | undefined> => {
      const tags = (await apps.read(containerAppOf(component)))?.app.tags
      const lock = parseLock(tags?.[LOCK_TAG])
      if (!lock) return undefined
      return { name: `${LOCK_TAG} on ${containerAppOf(component)}`, component: component.name, holder: lock.holder, operation: lock.operation || null, reason: lock.reason ?? null, acquiredAt: lock.acquiredAt, renewedAt: null, expiresAt: lock.expiresAt, expired: heldLock(tags) === undefined }
    }),
  )
  return found.filter((lock): lock is LockInfo => lock !== undefined)
}

/** `mkt lock break` (and rollback --force-unlock) on a Container Apps region: audited in the app's `mkt-lock-broken` tag. */
export async function breakContainerAppLock(apps: ContainerAppsRegion, component: Component, audit: LockBreakAudit): Promise<{ broken: boolean; holder: string | null }> {
  return breakTagLock(apps, containerAppOf(component), { by: audit.by, reason: audit.via ? `${audit.via}: ${audit.reason}` : audit.reason })
}

export const missingApp = (component: Component, apps: ContainerAppsRegion) =>
  failedError(`container app ${containerAppOf(component)} not found in region ${apps.region} (${apps.connection.description})`, { hints: ["Check the component's containerApp name and the region's containerApps in mkt.yaml."] })

/** Kubernetes rollback's request without what Container Apps has no use for (the probe interval). */
export type ContainerAppsRollbackRequest = Omit<RollbackRequest, 'probeIntervalMs' | 'confirm'> & {
  confirm: (moves: Array<Omit<RollbackMove, 'why'>>) => Promise<void>
}

/**
 * Every region planned and locked first; then, per region at once: the target activated if needed, 100% of the
 * traffic to it, the revision left deactivated and recorded rolled-back; then its gates. Locks released on every path.
 */
export async function rollbackContainerApps(request: ContainerAppsRollbackRequest) {
  const { component, environment } = request
  const name = containerAppOf(component)
  const regions = await Promise.all(request.regions.map((region) => openContainerApps(request.platform, environment, region)))
  const locks: TagLock[] = []
  try {
    const plans = await Promise.all(
      regions.map(async (apps) => {
        const history = await historyOf(apps, component)
        if (!history) throw missingApp(component, apps)
        const target = rollbackTarget(history, request.toRevision === undefined ? {} : { toRevision: request.toRevision })
        if (!target.ok) {
          throw target.reason === 'not-found'
            ? usageError(`${apps.region}: ${target.message}`, { hints: ['Run `mkt history` to see the revisions.'] })
            : failedError(`nothing to roll back to in ${apps.region} for ${component.name}: ${target.message}`, { hints: ['Pass --to-revision N to pick one explicitly (`mkt history` lists them).'] })
        }
        if (request.forceUnlock) await breakContainerAppLock(apps, component, { by: request.identity, reason: request.reason ?? '', via: 'rollback --force-unlock' })
        const lock = await TagLock.acquire(apps, name, { environment: environment.name, component: component.name, identity: request.identity, operation: `rollback${request.toRevision === undefined ? '' : ` to revision ${request.toRevision}`}`, ...(request.reason ? { reason: request.reason } : {}) })
        locks.push(lock)
        const move = { region: apps.region, fromRevision: target.from?.revision ?? null, fromImage: target.from?.image ?? null, toRevision: target.target.revision, toImage: target.target.image ?? null }
        return { apps, lock, move, target: target.target, from: target.from }
      }),
    )
    await request.confirm(plans.map((p) => p.move))
    return {
      environment: environment.name,
      component: component.name,
      regions: await Promise.all(
        plans.map(async ({ apps, lock, move, target, from }) => {
          const started = Date.now()
          const say = (kind: RolloutEvent['kind'], message: string) => request.onEvent({ region: apps.region, component: component.name, kind, message })
          say('rollback', `revision ${move.fromRevision} (${move.fromImage}) -> revision ${move.toRevision} (${move.toImage})`)
          lock.assertHeld()
          const read = await apps.read(name)
          if (!read) throw missingApp(component, apps)
          await moveTrafficTo(apps, read.app, target.replicaSet, (message) => say('patch', message))
          const why = `rolled back by ${request.identity}${request.reason ? `: ${request.reason}` : ''}`
          if (from && from.replicaSet !== target.replicaSet) {
            await apps.deactivate(name, from.replicaSet)
            say('patch', `deactivated ${from.replicaSet}`)
            // An explicit --to-revision away from a verified revision says nothing against it.
            if (!(request.toRevision !== undefined && from.verdict === 'passed')) await recordVerdict(apps, name, from.replicaSet, 'rolled-back', why).catch(() => undefined)
          }
          say('undo', `undo: mkt rollback ${component.name} --env ${environment.name} --to-revision ${from?.revision ?? move.toRevision}`)
          // Revisions are immutable and keep their numbers: the target itself serves now, waited for or not.
          if (!request.wait) return { ...move, outcome: 'not-waited' as const, reason: 'not waited for (--no-wait)', durationMs: Date.now() - started, newRevision: move.toRevision }
          const outcome = await gateRevision(apps, name, target.replicaSet, { bakeMs: 0, timeoutMs: request.timeoutMs, signal: lock.lost, readyGraceMs: 30_000, readyPath: component.health.ready }, (reason) => say('wait', reason))
          if (outcome.outcome === 'passed') {
            await recordVerdict(apps, name, target.replicaSet, 'passed', `restored by mkt rollback (${request.identity}) and healthy`).catch(() => undefined)
            say('rolled-back', `revision ${move.toRevision} is serving and healthy`)
            return { ...move, outcome: 'rolled-back' as const, reason: outcome.reason, durationMs: Date.now() - started, newRevision: move.toRevision }
          }
          say('rollback-failed', outcome.reason)
          return { ...move, outcome: 'unhealthy' as const, reason: outcome.reason, durationMs: Date.now() - started, newRevision: move.toRevision }
        }),
      ),
    }
  } finally {
    await Promise.allSettled(locks.map((lock) => lock.release()))
  }
}

const recordVerdict = (apps: ContainerAppsRegion, name: string, revision: string, verdict: 'passed' | 'rolled-back', reason: string) => new RecordWriter(apps, name).write(revision, { verdict, verdictReason: reason })
