// `mkt rollback` and `mkt history`: the fastest safe way back, and what was deployed when, by whom, why.
// Rollback goes to the last revision that passed its gates (not merely the previous one), with the exact
// patch `kubectl rollout undo` sends, so kubectl and mkt agree on revision numbers.
import { failedError, MktError, ExitCode, usageError } from '../errors.js'
import { connectRegion } from '../kube/client.js'
import { LeaseLock } from '../kube/lock.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import { RegionCluster } from './cluster.js'
import type { V1ReplicaSet } from '@kubernetes/client-node'
import { containerOf, type EventSink } from './deploy.js'
import { hasOwnRecord, ownChangeCause, releaseHistory, type ReleaseEntry } from './history.js'
import { regionTargets, type RegionTarget } from './region-targets.js'
import { annotationOf, CHANGE_CAUSE_ANNOTATION, revisionOf } from './objects.js'
import { externalVerdictPatch, rollbackPatch, verdictPatch, verdictPatches } from './patches.js'
import { newReplicaSet } from './status.js'
import { waitForGates } from './wait.js'

export interface HistoryResult {
  environment: string
  component: string
  regions: Array<{ region: string; revisions: ReleaseEntry[] }>
}

async function openRegion(platform: Platform, environment: Environment, region: Region): Promise<RegionCluster> {
  return RegionCluster.open(await connectRegion(platform, environment, region))
}

function missing(component: Component, region: string): MktError {
  return failedError(`deployment ${component.name} not found in region ${region}`, { hints: ['Check the namespace in mkt.yaml, or apply the manifests first.'] })
}

export async function readHistory(platform: Platform, environment: Environment, component: Component, regions: Region[]): Promise<HistoryResult> {
  const perRegion = await Promise.all(
    regions.map(async (region) => {
      if (region.containerApps) {
        const { openContainerApps, historyOf, missingApp } = await import('../runtime/containerapps/service.js')
        const apps = await openContainerApps(platform, environment, region)
        const revisions = await historyOf(apps, component)
        if (!revisions) throw missingApp(component, apps)
        return { region: region.name, revisions }
      }
      const cluster = await openRegion(platform, environment, region)
      const deployment = await cluster.readDeployment(component.name)
      if (!deployment) throw missing(component, region.name)
      return { region: region.name, revisions: releaseHistory(deployment, await cluster.replicaSetsOf(deployment), { container: containerOf(component) }) }
    }),
  )
  return { environment: environment.name, component: component.name, regions: perRegion }
}

export interface RollbackRequest {
  platform: Platform
  environment: Environment
  component: Component
  regions: Region[]
  toRevision?: number
  reason?: string
  wait: boolean
  timeoutMs: number
  identity: string
  forceUnlock: boolean
  onEvent: EventSink
  /** Called with the from → to of every region before anything changes (the command confirms there). */
  confirm: (moves: RollbackMove[]) => Promise<void>
  probeIntervalMs?: number
}

export interface RollbackMove {
  region: string
  fromRevision: number | null
  fromImage: string | null
  toRevision: number
  toImage: string | null
  /** Why this target in this region (its own last good revision, or the lead region's image). */
  why?: string
}

/** One region's from → to as the operator reads it before anything changes (with why, when several regions). */
export function describeMove(move: RollbackMove, withWhy: boolean): string {
  const arrow = move.fromRevision === move.toRevision ? `stays at revision ${move.toRevision} (${move.toImage ?? '-'})` : `revision ${move.fromRevision ?? '-'} (${move.fromImage ?? '-'}) -> revision ${move.toRevision} (${move.toImage ?? '-'})`
  return `${move.region}: ${arrow}${withWhy && move.why ? `: ${move.why}` : ''}`
}

/**
 * The `to` cell of rollback's table: the target, and which revision serves it now. A Kubernetes undo copies the
 * target's template into a new revision (`r2 now r4`); a revision that keeps its number (every Container Apps
 * rollback: revisions are immutable; a region already running the target) is the one serving (`r1 serving`).
 */
export function describeRollbackTarget(r: Pick<RollbackResult['regions'][number], 'toImage' | 'toRevision' | 'newRevision'>): string {
  const now = r.newRevision === null ? 'restored' : r.newRevision === r.toRevision ? 'serving' : `now r${r.newRevision}`
  return `${r.toImage ?? '-'} (r${r.toRevision} ${now})`
}

export interface RollbackResult {
  environment: string
  component: string
  regions: Array<RollbackMove & { outcome: 'rolled-back' | 'unhealthy' | 'not-waited' | 'unchanged'; reason: string; durationMs: number; newRevision: number | null }>
}

/**
 * Plans every region first (nothing changes when any region has nothing to roll back to), with the locks taken
 * meanwhile; then sends every region's patch at once, waits for their health together, and records verdicts.
 * Every lock taken is released on every path, a region that fails early included.
 */
export async function rollback(request: RollbackRequest): Promise<RollbackResult> {
  const { component, environment } = request
  if (request.toRevision !== undefined && request.regions.length > 1) {
    throw usageError(`--to-revision ${request.toRevision} names a revision of one region's Deployment, and revision numbers differ per region (${request.regions.map((r) => r.name).join(', ')})`, {
      hints: [`Pass --regions <region> with --to-revision (\`mkt history ${component.name} --regions <region>\` lists that region's numbers), or leave --to-revision out: every region goes to the same image, the primary's newest verified one.`],
    })
  }
  if (request.regions.some((region) => region.containerApps)) {
    if (!request.regions.every((region) => region.containerApps)) throw usageError(`${environment.name} mixes Kubernetes and Container Apps regions: roll back one kind at a time`, { hints: ['Pass --regions with the regions of one runtime.'] })
    const { rollbackContainerApps } = await import('../runtime/containerapps/service.js')
    return rollbackContainerApps(request)
  }
  const clusters = await Promise.all(request.regions.map((region) => openRegion(request.platform, environment, region)))
  const takeLock = async (cluster: RegionCluster) => {
    if (request.forceUnlock) await breakAndRecord(cluster, environment.name, component.name, { by: request.identity, reason: request.reason ?? '', via: 'rollback --force-unlock' })
    return LeaseLock.acquire(cluster.connection, {
      environment: environment.name,
      component: component.name,
      identity: request.identity,
      operation: `rollback${request.toRevision === undefined ? '' : ` to revision ${request.toRevision}`}`,
      ...(request.reason ? { reason: request.reason } : {}),
    })
  }
  const readRegion = async (cluster: RegionCluster) => {
    const deployment = await cluster.readDeployment(component.name)
    if (!deployment) throw missing(component, cluster.region)
    const replicaSets = await cluster.replicaSetsOf(deployment)
    return { cluster, deployment, replicaSets, history: releaseHistory(deployment, replicaSets, { container: containerOf(component) }) }
  }
  type RegionRead = Awaited<ReturnType<typeof readRegion>> & { lock: LeaseLock }
  const planRegion = (read: RegionRead, target: RegionTarget) => {
    const { cluster, deployment, replicaSets } = read
    if (!target.ok) {
      const hint =
        target.reason === 'no-good-revision'
          ? 'Pass --to-revision N to pick one explicitly (`mkt history` lists them).'
          : target.reason === 'not-found'
            ? 'Run `mkt history` to see the revisions.'
            : target.reason === 'image-not-in-region'
              ? `\`mkt history ${component.name}\` shows every region's revisions; roll the regions back one at a time with --regions (and --to-revision) to pick different images.`
              : 'Nothing was changed.'
      throw target.reason === 'not-found'
        ? usageError(`${cluster.region}: ${target.message}`, { hints: [hint] })
        : failedError(`nothing to roll back to in ${cluster.region} for ${component.name}: ${target.message}`, { hints: [hint] })
    }
    const from = target.from
    const to = 'target' in target ? target.target : from!
    const move: RollbackMove = {
      region: cluster.region,
      fromRevision: from?.revision ?? null,
      fromImage: from?.image ?? null,
      toRevision: to.revision,
      toImage: to.image ?? null,
      why: target.why,
    }
    if (!('target' in target)) return { ...read, move, unchanged: true as const }
    const rs = replicaSets.find((r) => r.metadata?.name === target.target.replicaSet)!
    // The revision left is recorded rolled-back (never a default target again), except a verified one left by an
    // explicit --to-revision: choosing another revision says nothing against it, and the one-liner must still work.
    const leftVerified = request.toRevision !== undefined && from?.verdict === 'passed'
    return { ...read, rs, move, unchanged: false as const, fromRs: leftVerified ? undefined : newReplicaSet(deployment, replicaSets) }
  }

  // In an incident every round trip counts: the lock is taken while the history is read, in every region at once.
  const locks: LeaseLock[] = []
  try {
    const settled = await Promise.allSettled(
      clusters.map(async (cluster) => {
        const [read, lock] = await Promise.allSettled([readRegion(cluster), takeLock(cluster)])
        if (lock.status === 'fulfilled') locks.push(lock.value)
        if (read.status === 'rejected') throw read.reason
        if (lock.status === 'rejected') throw lock.reason
        return { ...read.value, lock: lock.value }
      }),
    )
    const refused = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (refused) throw refused.reason
    const reads = settled.map((r) => (r as PromiseFulfilledResult<RegionRead>).value)
    // One image everywhere (region-targets.ts): the lead region's target decides the others'.
    const targets = regionTargets(reads.map((r) => ({ region: r.cluster.region, history: r.history })), request.toRevision === undefined ? {} : { toRevision: request.toRevision })
    const planned = reads.map((read, i) => planRegion(read, targets[i] ?? targets[0]!))
    const plans = planned.filter((p) => !p.unchanged)
    const unchanged = planned.filter((p) => p.unchanged).map((p) => ({ ...p.move, outcome: 'unchanged' as const, reason: p.move.why ?? 'already runs the target image', durationMs: 0, newRevision: p.move.fromRevision }))
    await request.confirm(planned.map((p) => p.move))

    // Every patch first, then every wait: the slowest region's health check never delays another's patch.
    const sent = await Promise.all(
      plans.map(async (plan) => {
        const started = Date.now()
        const say = (kind: Parameters<EventSink>[0]['kind'], message: string) => request.onEvent({ region: plan.cluster.region, component: component.name, kind, message })
        say('rollback', `revision ${plan.move.fromRevision} (${plan.move.fromImage}) -> revision ${plan.move.toRevision} (${plan.move.toImage})`)
        plan.lock.assertHeld()
        const patched = await plan.cluster.patchDeployment(component.name, rollbackPatch(plan.deployment, plan.rs))
        say('undo', `undo: mkt rollback ${component.name} --env ${environment.name} --to-revision ${revisionOf(patched)}`)
        return { plan, patched, started, say }
      }),
    )
    const results = await Promise.all(
      sent.map(async ({ plan, patched, started, say }) => {
        const recordLeft = () => recordRolledBack(plan.cluster, plan.fromRs, plan.replicaSets, plan.lock, `rolled back by ${request.identity}${request.reason ? `: ${request.reason}` : ''}`)
        if (!request.wait) {
          await recordLeft()
          return { ...plan.move, outcome: 'not-waited' as const, reason: 'not waited for (--no-wait)', durationMs: Date.now() - started, newRevision: null }
        }
        // Going back to a revision that already passed: no bake and no canary steps, just a healthy rollout.
        const outcome = await waitForGates(plan.cluster, {
          deployment: patched,
          port: component.port,
          readyPath: component.health.ready,
          bakeMs: 0,
          timeoutMs: request.timeoutMs,
          signal: plan.lock.lost,
          ...(request.probeIntervalMs === undefined ? {} : { probeIntervalMs: request.probeIntervalMs }),
          onProgress: (evaluation) => say('wait', evaluation.reason),
        })
        await recordLeft()
        const newRs = newReplicaSet(outcome.snapshot.deployment, outcome.snapshot.replicaSets)
        const newRevision = newRs ? revisionOf(newRs) : null
        if (outcome.outcome === 'passed') {
          // The restored template is serving and healthy by the gates: that is its record now (an undo copied
          // whatever verdict it had before, `rolled-back` included).
          if (newRs && !plan.lock.lost.aborted) {
            const verdict = verdictPatches(newRs, 'passed', `restored by mkt rollback (${request.identity}) and healthy`)
            await plan.cluster.patchDeployment(component.name, verdict.deployment).catch(() => undefined)
            await plan.cluster.patchReplicaSet(verdict.replicaSet.name, verdict.replicaSet).catch(() => undefined)
          }
          say('rolled-back', `revision ${newRevision} is serving and healthy`)
          return { ...plan.move, outcome: 'rolled-back' as const, reason: outcome.reason, durationMs: Date.now() - started, newRevision }
        }
        const reason = plan.lock.lost.aborted ? (plan.lock.lost.reason as Error).message : outcome.reason
        say('rollback-failed', reason)
        return { ...plan.move, outcome: 'unhealthy' as const, reason, durationMs: Date.now() - started, newRevision }
      }),
    )
    return { environment: environment.name, component: component.name, regions: [...results, ...unchanged].sort((a, b) => planned.findIndex((p) => p.move.region === a.region) - planned.findIndex((p) => p.move.region === b.region)) }
  } finally {
    await Promise.allSettled(locks.map((lock) => lock.release()))
  }
}

/** The revision a rollback leaves is recorded `rolled-back` (never a default target again); never throws. */
async function recordRolledBack(cluster: RegionCluster, rs: V1ReplicaSet | undefined, all: V1ReplicaSet[], lock: LeaseLock, reason: string): Promise<void> {
  if (!rs?.metadata?.name || lock.lost.aborted) return
  const inheritedChangeCause = annotationOf(rs.metadata, CHANGE_CAUSE_ANNOTATION) !== undefined && ownChangeCause(rs, all) === undefined
  const patch = hasOwnRecord(rs) ? verdictPatch(rs, 'rolled-back', reason) : externalVerdictPatch(rs, 'rolled-back', reason, { inheritedChangeCause })
  await cluster.patchReplicaSet(patch.name, patch).catch(() => undefined)
}

/** Deletes the component's lock lease in a region, whoever holds it. */
export async function breakLock(cluster: RegionCluster, environment: string, component: string): Promise<{ broken: boolean; holder: string | null }> {
  const { listLocks } = await import('../kube/lock.js')
  const [lock] = await listLocks(cluster.connection, component)
  if (!lock || lock.name === '') return { broken: false, holder: null }
  const k8s = await import('@kubernetes/client-node')
  const api = cluster.kubeConfig.makeApiClient(k8s.CoordinationV1Api)
  try {
    await api.deleteNamespacedLease({ name: lock.name, namespace: cluster.namespace })
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw new MktError('FAILED', ExitCode.FAILED, `could not break the lock ${lock.name} of ${component} in ${environment}: ${(error as Error).message}`)
  }
  return { broken: true, holder: lock.holder }
}

export { openRegion }

/** Who broke a lock and why, as the audit records it (`via` the command when it was not `mkt lock break`). */
export interface LockBreakAudit {
  by: string
  reason: string
  via?: string
}

export const describeLockBreak = (holder: string | null, audit: LockBreakAudit) => `lock held by ${holder ?? 'nobody'} broken by ${audit.by}${audit.via ? ` (${audit.via})` : ''}: ${audit.reason}`

/** Breaks the component's lock in a Kubernetes region and records it as a Warning Event (MktLockBroken) on its Deployment. */
export async function breakAndRecord(cluster: RegionCluster, environment: string, component: string, audit: LockBreakAudit): Promise<{ broken: boolean; holder: string | null }> {
  const outcome = await breakLock(cluster, environment, component)
  if (outcome.broken) await recordEvent(cluster, component, 'MktLockBroken', describeLockBreak(outcome.holder, audit))
  return outcome
}

/** Records an operator action as a Kubernetes Event on the component's Deployment (kubectl describe shows it). */
export async function recordEvent(cluster: RegionCluster, component: string, reason: string, message: string): Promise<void> {
  const k8s = await import('@kubernetes/client-node')
  const api = cluster.kubeConfig.makeApiClient(k8s.CoreV1Api)
  const now = new Date()
  await api.createNamespacedEvent({
    namespace: cluster.namespace,
    body: {
      metadata: { generateName: `${component}.mkt-`, namespace: cluster.namespace },
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: component, namespace: cluster.namespace },
      reason,
      message,
      type: 'Warning',
      source: { component: 'mkt' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  })
}
