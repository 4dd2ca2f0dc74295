// `mkt deploy service`: plan, lock, roll each component out region by region in dependency waves, gate
// it on health, and roll back by itself when a gate fails. The decisions are the pure functions next to
// this file (plan, patches, gates, history); this module is the order of operations around them.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import { ExitCode, MktError, failedError, lockedError, type ExitCodeValue } from '../errors.js'
import { connectRegion } from '../kube/client.js'
import { LeaseLock, listLocks } from '../kube/lock.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import { RegionCluster } from './cluster.js'
import type { GateResult } from './gates.js'
import { MKT_ANNOTATIONS, revisionOf, type Verdict } from './objects.js'
import {
  canaryStartPatch,
  canaryStepPatch,
  pausePatch,
  promotePatch,
  rollbackPatch,
  rollingUpdateOf,
  rolloutPatch,
  verdictPatches,
  type PatchRequest,
  type ReleaseAudit,
  type RollingUpdateKnobs,
} from './patches.js'
import { hasChanges, planDeploy, type CurrentState, type PlanEntry, type Strategy } from './plan.js'
import { deploymentRolloutStatus, newReplicaSet } from './status.js'
import { waitForGates, type WaitResult } from './wait.js'

export type StepKind = 'lock' | 'patch' | 'wait' | 'passed' | 'failed' | 'rollback' | 'rolled-back' | 'rollback-failed' | 'undo' | 'warning' | 'paused'

export interface RolloutEvent {
  region: string
  component: string
  kind: StepKind
  message: string
}

export type EventSink = (event: RolloutEvent) => void

export interface DeployRequest {
  platform: Platform
  environment: Environment
  components: Component[]
  /** Regions in rollout order (primary first). */
  regions: Region[]
  componentWaves: string[][]
  image: string
  strategy: Strategy
  canarySteps?: number[]
  bakeMs: number
  timeoutMs: number
  rollbackTimeoutMs: number
  autoRollback: boolean
  onInterrupt: 'rollback' | 'pause'
  audit: ReleaseAudit
  identity: string
  signal: AbortSignal
  onEvent: EventSink
  /** Seconds between readiness probe rounds (tests speed this up). */
  probeIntervalMs?: number
}

export type ItemOutcome = 'deployed' | 'unchanged' | 'rolled-back' | 'rollback-failed' | 'failed' | 'not-started' | 'interrupted' | 'paused'

export interface ItemResult {
  region: string
  component: string
  from: string | null
  to: string | null
  fromRevision: number | null
  toRevision: number | null
  outcome: ItemOutcome
  reason: string
  gates: GateResult[]
  durationMs: number
  undo: string | null
  rollback: { toRevision: number; outcome: 'healthy' | 'unhealthy'; reason: string; durationMs: number } | null
}

export interface DeployResult {
  environment: string
  image: string
  strategy: Strategy
  changed: boolean
  exitCode: ExitCodeValue
  items: ItemResult[]
}

interface Connected {
  region: Region
  cluster: RegionCluster
}

/** Connects to every region and reads what each component runs now, then plans. Changes nothing. */
export async function prepareDeploy(request: Omit<DeployRequest, 'onEvent' | 'signal' | 'identity' | 'audit' | 'autoRollback' | 'onInterrupt' | 'rollbackTimeoutMs' | 'timeoutMs'>) {
  const connected: Connected[] = await Promise.all(
    request.regions.map(async (region) => ({ region, cluster: await RegionCluster.open(await connectRegion(request.platform, request.environment, region)) })),
  )
  const current: Record<string, Record<string, CurrentState>> = {}
  const deployments = new Map<string, V1Deployment>()
  await Promise.all(
    connected.flatMap(({ region, cluster }) =>
      request.components.map(async (component) => {
        const deployment = await cluster.readDeployment(component.name)
        current[region.name] ??= {}
        if (!deployment) {
          current[region.name]![component.name] = 'missing'
          return
        }
        deployments.set(key(region.name, component.name), deployment)
        const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === containerOf(component))
        current[region.name]![component.name] = {
          image: container?.image,
          revision: revisionOf(deployment),
          paused: deployment.spec?.paused === true,
          replicas: deployment.spec?.replicas ?? 1,
          strategyType: deployment.spec?.strategy?.type,
          autoscaler: await cluster.autoscalerOf(component.name),
        }
      }),
    ),
  )
  const plan = planDeploy({
    components: request.components.map((c) => ({ name: c.name, container: containerOf(c), ...(c.image ? { repository: c.image } : {}) })),
    regions: request.regions.map((r) => r.name),
    current,
    targetImage: request.image,
    strategy: request.strategy,
    ...(request.canarySteps ? { canarySteps: request.canarySteps } : {}),
    bakeMs: request.bakeMs,
    componentWaves: request.componentWaves,
  })
  return { plan, connected, deployments }
}

export const containerOf = (component: Component) => component.container ?? component.name
const key = (region: string, component: string) => `${region}\u0000${component}`

/** Fails with exit 73 when another operation holds the lock of a planned component (even an unchanged one). Read-only. */
export async function assertNotLocked(prepared: Awaited<ReturnType<typeof prepareDeploy>>, environment: string): Promise<void> {
  for (const { cluster } of prepared.connected) {
    for (const entry of prepared.plan.regions.find((r) => r.region === cluster.region)?.components ?? []) {
      const [held] = (await listLocks(cluster.connection, entry.component)).filter((lock) => !lock.expired)
      if (held) {
        throw lockedError(`${entry.component} in ${environment} is locked: held by ${held.holder} since ${held.acquiredAt}${held.operation ? `, running ${held.operation}` : ''}`, {
          hints: ['Wait for that operation to finish; `mkt lock status` shows it.'],
        })
      }
    }
  }
}

/** Runs a prepared plan. Never throws for a failed rollout: the result's exitCode says what happened. */
export async function executeDeploy(request: DeployRequest, prepared: Awaited<ReturnType<typeof prepareDeploy>>): Promise<DeployResult> {
  const { plan, connected } = prepared
  const byRegion = new Map(connected.map((c) => [c.region.name, c]))
  const componentByName = new Map(request.components.map((c) => [c.name, c]))
  const entryOf = (region: string, component: string) => plan.regions.find((r) => r.region === region)!.components.find((e) => e.component === component)!
  const results = new Map<string, ItemResult>()
  for (const region of plan.regions) {
    for (const entry of region.components) results.set(key(entry.region, entry.component), notStarted(entry))
  }

  if (plan.blockers.length > 0) {
    throw failedError(`cannot deploy: ${plan.blockers[0]}${plan.blockers.length > 1 ? ` (+${plan.blockers.length - 1} more)` : ''}`, {
      hints: ['Run with --plan to see every entry and what blocks it.'],
    })
  }

  // Take every lock before changing anything: a second deploy of the same component fails fast (73).
  const locks: LeaseLock[] = []
  const releaseAll = async () => {
    await Promise.allSettled(locks.map((lock) => lock.release()))
  }
  try {
    for (const item of plan.waves.flat()) {
      const { cluster } = byRegion.get(item.region)!
      locks.push(
        await LeaseLock.acquire(cluster.connection, {
          environment: request.environment.name,
          component: item.component,
          identity: request.identity,
          operation: `deploy ${entryOf(item.region, item.component).to}`,
          reason: request.audit.reason,
        }),
      )
      request.onEvent({ region: item.region, component: item.component, kind: 'lock', message: `locked (${locks.at(-1)!.name})` })
    }
  } catch (error) {
    await releaseAll()
    throw error
  }

  const changed: Array<{ item: ItemResult; baseline: V1ReplicaSet | undefined; knobs: RollingUpdateKnobs | undefined; rolledRs?: string }> = []
  let failure = false
  try {
    for (const wave of plan.waves) {
      if (failure || request.signal.aborted) break
      const outcomes = await Promise.all(
        wave.map(async (item) => {
          const { cluster } = byRegion.get(item.region)!
          const component = componentByName.get(item.component)!
          const entry = entryOf(item.region, item.component)
          const run = await deployOne(request, cluster, component, entry)
          results.set(key(item.region, item.component), run.result)
          if (run.result.outcome !== 'not-started') changed.push({ item: run.result, baseline: run.baseline, knobs: run.knobs, ...(run.rolledRs ? { rolledRs: run.rolledRs } : {}) })
          return run.result
        }),
      )
      if (outcomes.some((o) => o.outcome !== 'deployed')) failure = true
    }

    // A failure (or an interruption) stops the waves and rolls back what this call already changed.
    if ((failure || request.signal.aborted) && (request.autoRollback || request.signal.aborted)) {
      const interrupted = request.signal.aborted
      for (const { item, baseline, knobs, rolledRs } of changed.reverse()) {
        if (item.outcome !== 'deployed' && !(interrupted && item.outcome === 'interrupted')) continue
        if (!baseline) continue
        const { cluster } = byRegion.get(item.region)!
        const component = componentByName.get(item.component)!
        if (interrupted && request.onInterrupt === 'pause') {
          await cluster.patchDeployment(component.name, pausePatch())
          item.outcome = 'paused'
          request.onEvent({ region: item.region, component: item.component, kind: 'paused', message: 'left paused for a human (--on-interrupt=pause)' })
          continue
        }
        const why = interrupted ? 'interrupted' : 'another component of this deploy failed'
        item.rollback = await rollBackTo(request, cluster, component, baseline, knobs, why)
        item.outcome = item.rollback.outcome === 'healthy' ? 'rolled-back' : 'rollback-failed'
        if (!interrupted) item.reason = `rolled back because ${why}`
        else if (rolledRs) await recordVerdict(cluster, component.name, rolledRs, 'rolled-back', why, false)
      }
    }
  } finally {
    await releaseAll()
  }

  const items = [...results.values()]
  return {
    environment: request.environment.name,
    image: request.image,
    strategy: request.strategy,
    changed: hasChanges(plan),
    exitCode: exitCodeFor(items, request.signal.aborted),
    items,
  }
}

export function exitCodeFor(items: ItemResult[], interrupted: boolean): ExitCodeValue {
  if (interrupted) return ExitCode.INTERRUPTED
  if (items.some((i) => i.outcome === 'rollback-failed')) return ExitCode.ROLLBACK_FAILED
  if (items.some((i) => i.outcome === 'rolled-back')) return ExitCode.ROLLED_BACK
  if (items.some((i) => i.outcome === 'failed' || i.outcome === 'interrupted')) return ExitCode.FAILED
  return ExitCode.OK
}

function notStarted(entry: PlanEntry): ItemResult {
  return {
    region: entry.region,
    component: entry.component,
    from: entry.from ?? null,
    to: entry.to ?? null,
    fromRevision: entry.revision ?? null,
    toRevision: null,
    outcome: entry.changes ? 'not-started' : 'unchanged',
    reason: entry.changes ? 'not started' : 'already runs this image',
    gates: [],
    durationMs: 0,
    undo: null,
    rollback: null,
  }
}

/** Rolls one component out in one region and gates it; on a failed gate rolls it back (when allowed). */
async function deployOne(request: DeployRequest, cluster: RegionCluster, component: Component, entry: PlanEntry) {
  const started = Date.now()
  const say = (kind: StepKind, message: string) => request.onEvent({ region: entry.region, component: component.name, kind, message })
  const result = notStarted(entry)
  const deployment = await cluster.readDeployment(component.name)
  if (!deployment) {
    result.outcome = 'failed'
    result.reason = `deployment ${component.name} disappeared`
    return { result, baseline: undefined, knobs: undefined }
  }
  const snapshot = await cluster.snapshot(deployment, { reread: false })
  const baseline = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
  const knobs = rollingUpdateOf(snapshot.deployment)
  await recordBaselineVerdict(cluster, snapshot.deployment, baseline)

  if (request.signal.aborted) return { result, baseline: undefined, knobs }
  const image = entry.to!
  const container = containerOf(component)
  const waitFor = (deploymentNow: V1Deployment, extra: { bakeMs: number; expectedNewReplicas?: number; timeoutMs: number }) =>
    waitForGates(cluster, {
      deployment: deploymentNow,
      port: component.port,
      readyPath: component.health.ready,
      bakeMs: extra.bakeMs,
      timeoutMs: extra.timeoutMs,
      signal: request.signal,
      ...(extra.expectedNewReplicas === undefined ? {} : { expectedNewReplicas: extra.expectedNewReplicas }),
      ...(request.probeIntervalMs === undefined ? {} : { probeIntervalMs: request.probeIntervalMs }),
      onProgress: (evaluation) => say('wait', evaluation.reason),
    })

  let outcome: WaitResult
  const deadline = started + request.timeoutMs
  if (entry.strategy === 'canary' && entry.canarySteps && entry.canarySteps.length > 0) {
    outcome = await runCanary(request, cluster, component, entry, snapshot.deployment, knobs, waitFor, deadline, say)
  } else {
    const patched = await cluster.patchDeployment(component.name, rolloutPatch(snapshot.deployment, container, image, request.audit))
    say('patch', `image ${entry.from} -> ${image}`)
    say('undo', `undo: mkt rollback ${component.name} --env ${request.environment.name}${baseline ? ` --to-revision ${revisionOf(baseline)}` : ''}`)
    outcome = await waitFor(patched, { bakeMs: request.bakeMs, timeoutMs: Math.max(1, deadline - Date.now()) })
  }

  const rolledRs = newReplicaSet(outcome.snapshot.deployment, outcome.snapshot.replicaSets)
  result.toRevision = rolledRs ? revisionOf(rolledRs) : null
  result.gates = outcome.gates
  result.undo = baseline ? `mkt rollback ${component.name} --env ${request.environment.name} --to-revision ${revisionOf(baseline)}` : null
  if (outcome.outcome === 'passed') {
    await recordVerdict(cluster, component.name, rolledRs?.metadata?.name, 'passed', outcome.reason, true)
    for (const warning of outcome.warnings) say('warning', warning)
    say('passed', `${image} is live (revision ${result.toRevision}): ${outcome.reason}`)
    result.outcome = 'deployed'
    result.reason = outcome.reason
    result.durationMs = Date.now() - started
    return { result, baseline, knobs }
  }

  if (outcome.outcome === 'interrupted') {
    result.outcome = 'interrupted'
    result.reason = 'interrupted'
    result.durationMs = Date.now() - started
    return { result, baseline, knobs, ...(rolledRs?.metadata?.name ? { rolledRs: rolledRs.metadata.name } : {}) }
  }

  const why = outcome.outcome === 'timeout' ? `timed out: ${outcome.reason}` : outcome.reason
  say('failed', why)
  result.reason = why
  if (!request.autoRollback || !baseline) {
    await recordVerdict(cluster, component.name, rolledRs?.metadata?.name, 'failed', why, true)
    result.outcome = 'failed'
    if (!baseline) result.reason = `${why}; no earlier revision to roll back to`
    result.durationMs = Date.now() - started
    return { result, baseline: undefined, knobs }
  }
  result.rollback = await rollBackTo(request, cluster, component, baseline, knobs, why)
  // Only now: while the failed ReplicaSet was current, the controller would copy the Deployment's `pending` over it.
  await recordVerdict(cluster, component.name, rolledRs?.metadata?.name, 'rolled-back', why, false)
  result.outcome = result.rollback.outcome === 'healthy' ? 'rolled-back' : 'rollback-failed'
  result.durationMs = Date.now() - started
  // Already rolled back: the outer loop must not roll it back again.
  return { result, baseline: undefined, knobs }
}

type Waiter = (deployment: V1Deployment, extra: { bakeMs: number; expectedNewReplicas?: number; timeoutMs: number }) => Promise<WaitResult>

/**
 * Replica-count canary on the same Deployment (shared/reference/k8s.md §6): maxSurge=N/maxUnavailable=0 with
 * the new template, pause as soon as the new ReplicaSet exists, gate N canary pods for the bake time, then
 * promote (resume with the original knobs) and gate the full rollout. Intermediate weights are gated the same
 * way: each step widens the canary and pauses again.
 */
async function runCanary(
  request: DeployRequest,
  cluster: RegionCluster,
  component: Component,
  entry: PlanEntry,
  deployment: V1Deployment,
  knobs: RollingUpdateKnobs | undefined,
  waitFor: Waiter,
  deadline: number,
  say: (kind: StepKind, message: string) => void,
): Promise<WaitResult> {
  const steps = entry.canarySteps!
  let current = deployment
  for (const [index, step] of steps.entries()) {
    const remaining = () => Math.max(1, deadline - Date.now())
    if (step.promote) {
      current = await cluster.patchDeployment(component.name, promotePatch(knobs))
      say('patch', `promote: resume the rollout to every pod`)
      return waitFor(current, { bakeMs: request.bakeMs, timeoutMs: remaining() })
    }
    const patch = index === 0 ? canaryStartPatch(current, containerOf(component), entry.to!, request.audit, step.canaryReplicas) : canaryStepPatch(step.canaryReplicas)
    current = await cluster.patchDeployment(component.name, patch)
    if (index === 0) say('undo', `undo: mkt rollback ${component.name} --env ${request.environment.name}`)
    // Pause as soon as the controller has sized the new ReplicaSet for this step.
    current = await pauseWhenCanarySized(cluster, current, step.canaryReplicas, remaining())
    say('patch', `canary step ${step.weight}%: ${step.canaryReplicas} new pod(s) next to the stable ones (~${step.podShare}% of pods)`)
    const outcome = await waitFor(current, { bakeMs: request.bakeMs, expectedNewReplicas: step.canaryReplicas, timeoutMs: remaining() })
    if (outcome.outcome !== 'passed') return outcome
    say('wait', `canary step ${step.weight}% passed: ${outcome.reason}`)
  }
  // normalizeCanarySteps always ends with a promoting step; reaching here means there was none.
  return waitFor(current, { bakeMs: request.bakeMs, timeoutMs: Math.max(1, deadline - Date.now()) })
}

async function pauseWhenCanarySized(cluster: RegionCluster, deployment: V1Deployment, canaryReplicas: number, timeoutMs: number): Promise<V1Deployment> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const snapshot = await cluster.snapshot(deployment)
    const rs = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
    const observed = (snapshot.deployment.metadata?.generation ?? 0) <= (snapshot.deployment.status?.observedGeneration ?? 0)
    if (observed && rs && (rs.spec?.replicas ?? 0) >= canaryReplicas) return cluster.patchDeployment(deployment.metadata!.name!, pausePatch())
    if (Date.now() > until) return cluster.patchDeployment(deployment.metadata!.name!, pausePatch())
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Rolls back to `target` (the revision that was serving before) with its own time budget, and gates it. */
async function rollBackTo(
  request: Pick<DeployRequest, 'rollbackTimeoutMs' | 'onEvent' | 'probeIntervalMs'>,
  cluster: RegionCluster,
  component: Component,
  target: V1ReplicaSet,
  knobs: RollingUpdateKnobs | undefined,
  why: string,
): Promise<NonNullable<ItemResult['rollback']>> {
  const started = Date.now()
  const say = (kind: StepKind, message: string) => request.onEvent({ region: cluster.region, component: component.name, kind, message })
  const toRevision = revisionOf(target)
  say('rollback', `rolling back to revision ${toRevision} (${target.spec?.template?.spec?.containers?.map((c) => c.image).join(', ')}) because ${why}`)
  try {
    const deployment = await cluster.readDeployment(component.name)
    if (!deployment) throw new MktError('FAILED', ExitCode.FAILED, `deployment ${component.name} disappeared`)
    const patched = await cluster.patchDeployment(component.name, rollbackPatch(deployment, target, knobs))
    // Its own budget, separate from the rollout's, and its own signal: an interrupt must not stop a rollback.
    const outcome = await waitForGates(cluster, {
      deployment: patched,
      port: component.port,
      readyPath: component.health.ready,
      bakeMs: 0,
      timeoutMs: request.rollbackTimeoutMs,
      signal: new AbortController().signal,
      ...(request.probeIntervalMs === undefined ? {} : { probeIntervalMs: request.probeIntervalMs }),
    })
    if (outcome.outcome === 'passed') {
      say('rolled-back', `back on revision ${revisionOf(newReplicaSet(outcome.snapshot.deployment, outcome.snapshot.replicaSets))}, healthy`)
      return { toRevision, outcome: 'healthy', reason: outcome.reason, durationMs: Date.now() - started }
    }
    say('rollback-failed', `rollback not healthy: ${outcome.reason}`)
    return { toRevision, outcome: 'unhealthy', reason: outcome.reason, durationMs: Date.now() - started }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    say('rollback-failed', `rollback failed: ${message}`)
    return { toRevision, outcome: 'unhealthy', reason: message, durationMs: Date.now() - started }
  }
}

/**
 * The revision serving when mkt first deploys over it has no verdict yet; it was fully available (kubectl's
 * definition of rolled out), so record it as passed: it is then a target for `mkt rollback`.
 */
async function recordBaselineVerdict(cluster: RegionCluster, deployment: V1Deployment, baseline: V1ReplicaSet | undefined): Promise<void> {
  if (!baseline || baseline.metadata?.annotations?.[MKT_ANNOTATIONS.verdict]) return
  if (deploymentRolloutStatus(deployment).state !== 'done') return
  const patches = verdictPatches(baseline.metadata!.name!, 'passed', 'serving and fully available when mkt deployed over it')
  await cluster.patchReplicaSet(patches.replicaSet.name, patches.replicaSet)
}

/** Writes a verdict on the ReplicaSet, and on the Deployment when that ReplicaSet is still current. */
async function recordVerdict(cluster: RegionCluster, deploymentName: string, rsName: string | undefined, verdict: Verdict, reason: string, stillCurrent: boolean) {
  if (!rsName) return
  const patches = verdictPatches(rsName, verdict, reason)
  if (stillCurrent) await cluster.patchDeployment(deploymentName, patches.deployment)
  await cluster.patchReplicaSet(patches.replicaSet.name, patches.replicaSet)
}

export function describePlanEntry(entry: PlanEntry): string {
  if (entry.blockers.length > 0) return `blocked: ${entry.blockers.join('; ')}`
  if (!entry.changes) return `unchanged (${entry.from})`
  const steps = entry.canarySteps ? ` canary ${entry.canarySteps.map((s) => `${s.weight}%`).join(' > ')}` : ' rolling'
  return `${entry.from} -> ${entry.to}${steps}`
}

export interface TemplateChangeRequest {
  environment: string
  bakeMs: number
  timeoutMs: number
  rollbackTimeoutMs: number
  autoRollback: boolean
  signal: AbortSignal
  onEvent: EventSink
  probeIntervalMs?: number
}

/**
 * Rolls a pod-template change other than an image (a config checksum, say) through the same gates and
 * automatic rollback as a deploy. Used by `mkt config push --restart`.
 */
export async function rollTemplateChange(request: TemplateChangeRequest, cluster: RegionCluster, component: Component, patch: PatchRequest, what: string): Promise<ItemResult> {
  const started = Date.now()
  const say = (kind: StepKind, message: string) => request.onEvent({ region: cluster.region, component: component.name, kind, message })
  const deployment = await cluster.readDeployment(component.name)
  const result: ItemResult = { region: cluster.region, component: component.name, from: null, to: null, fromRevision: null, toRevision: null, outcome: 'failed', reason: '', gates: [], durationMs: 0, undo: null, rollback: null }
  if (!deployment) {
    result.reason = `deployment ${component.name} not found`
    return result
  }
  const snapshot = await cluster.snapshot(deployment, { reread: false })
  const baseline = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
  await recordBaselineVerdict(cluster, snapshot.deployment, baseline)
  result.fromRevision = baseline ? revisionOf(baseline) : null
  const patched = await cluster.patchDeployment(component.name, patch)
  say('patch', what)
  result.undo = baseline ? `mkt rollback ${component.name} --env ${request.environment} --to-revision ${revisionOf(baseline)}` : null
  if (result.undo) say('undo', `undo: ${result.undo}`)
  const outcome = await waitForGates(cluster, {
    deployment: patched,
    port: component.port,
    readyPath: component.health.ready,
    bakeMs: request.bakeMs,
    timeoutMs: request.timeoutMs,
    signal: request.signal,
    ...(request.probeIntervalMs === undefined ? {} : { probeIntervalMs: request.probeIntervalMs }),
    onProgress: (evaluation) => say('wait', evaluation.reason),
  })
  const rolledRs = newReplicaSet(outcome.snapshot.deployment, outcome.snapshot.replicaSets)
  result.toRevision = rolledRs ? revisionOf(rolledRs) : null
  result.gates = outcome.gates
  if (outcome.outcome === 'passed') {
    await recordVerdict(cluster, component.name, rolledRs?.metadata?.name, 'passed', outcome.reason, true)
    say('passed', `${what}: ${outcome.reason}`)
    return { ...result, outcome: 'deployed', reason: outcome.reason, durationMs: Date.now() - started }
  }
  const why = outcome.outcome === 'timeout' ? `timed out: ${outcome.reason}` : outcome.reason
  say('failed', why)
  if (!request.autoRollback || !baseline || outcome.outcome === 'interrupted') {
    await recordVerdict(cluster, component.name, rolledRs?.metadata?.name, 'failed', why, true)
    return { ...result, outcome: outcome.outcome === 'interrupted' ? 'interrupted' : 'failed', reason: why, durationMs: Date.now() - started }
  }
  result.rollback = await rollBackTo(request, cluster, component, baseline, rollingUpdateOf(snapshot.deployment), why)
  await recordVerdict(cluster, component.name, rolledRs?.metadata?.name, 'rolled-back', why, false)
  return { ...result, outcome: result.rollback.outcome === 'healthy' ? 'rolled-back' : 'rollback-failed', reason: why, durationMs: Date.now() - started }
}
