// A release as a state machine over a thin executor (executor.ts):
//
//   plan ─▶ lock (every region, every component) ─▶ for each wave (regions in order, dependsOn waves within):
//             item: patch ─▶ bind record ─▶ gates ─▶ verdict
//           ─▶ release locks
//   any failure (a gate, an exception, a lost watch, SIGINT/SIGTERM, a lost lock) ─▶ compensate ─▶ release locks
//
// Compensation is one step for every cause: cancel the siblings still running, send every rollback patch at once
// (all components, all regions), then wait for their health together within the rollback budget, record the
// verdicts, and release the locks. A component whose lock was lost is not written to again.
//
// A region on a revision runtime (Container Apps, RevisionExecutor) goes through the same machine: its item runs
// the runtime's own steps (a new revision, traffic weights) and its compensation is the runtime's rollback
// (traffic back to the last verified revision), in the same single compensation step.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import { ExitCode, MktError, type ExitCodeValue } from '../errors.js'
import type { Component } from '../platform/schema.js'
import type { Snapshot } from './cluster.js'
import type { GateResult } from './gates.js'
import { autoRollbackTarget, ownChangeCause, releaseHistory, type ReleaseEntry } from './history.js'
import { isRevisionExecutor, type AnyExecutor, type RegionExecutor, type ReleaseLock, type RevisionExecutor, type RevisionOutcome, type RevisionRelease, type Workload } from './executor.js'
import { annotationOf, CANARY_ORIGINAL_ANNOTATION, CHANGE_CAUSE_ANNOTATION, revisionOf, type Verdict } from './objects.js'
import {
  bindPatches,
  canaryStepPatch,
  externalVerdictPatch,
  originalStateOf,
  pausePatch,
  promotePatch,
  rollbackPatch,
  verdictPatches,
  type CanaryOriginal,
  type PatchRequest,
} from './patches.js'
import type { CanaryStep, DeployPlan, PlanEntry } from './plan.js'
import { deploymentRolloutStatus, equalIgnoreHash, newReplicaSet, podTemplateHashOf } from './status.js'
import type { WaitResult } from './wait.js'

export type StepKind = 'lock' | 'patch' | 'wait' | 'passed' | 'failed' | 'rollback' | 'rolled-back' | 'rollback-failed' | 'undo' | 'warning' | 'paused'

export interface RolloutEvent {
  region: string
  component: string
  kind: StepKind
  message: string
}

export type EventSink = (event: RolloutEvent) => void

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

/** How one component changes: the patches that start the release on the Deployment as read just before. */
export interface ReleaseChange {
  /** The rolling patch (template + release record). */
  rollout(deployment: V1Deployment): PatchRequest
  /** The first canary step: the rollout plus `maxSurge=N, maxUnavailable=0` and the saved original. */
  canaryStart?(deployment: V1Deployment, canaryReplicas: number): PatchRequest
  /** Shown in progress lines (`image a -> b`). */
  describe: string
}

export interface ReleaseItem {
  entry: PlanEntry
  component: Component
  change: ReleaseChange
  /** This component's bake, when it differs from the release's (a release manifest sets it per component). */
  bakeMs?: number
}

/** The time budgets of a release, shared by deploys, config restarts and the engine. */
export interface RolloutBudgets {
  bakeMs: number
  /** Progress deadline of each component rollout: no progress for this long fails it (wait.ts). */
  timeoutMs: number
  /** Overall cap of each component rollout, canary steps included. Default: timeoutMs. */
  maxDurationMs?: number
  /** How long a never-Ready pod may run past its probe budget (gates.ts). Default 30 s. */
  readyGraceMs?: number
  rollbackTimeoutMs: number
}

export interface ReleaseRequest extends RolloutBudgets {
  environment: string
  identity: string
  /** Lock operation text (`deploy 2.0.0`). */
  operation: string
  reason?: string
  autoRollback: boolean
  onInterrupt: 'rollback' | 'pause'
  signal: AbortSignal
  onEvent: EventSink
  /**
   * Undoes what the caller changed besides the Deployments (a release's ConfigMaps), first thing in the one
   * compensation step, so the pods a rollback starts read what they read before. Never throws: it reports.
   */
  beforeCompensate?: () => Promise<void>
}

/** What the release ran: waves of items (regions in order, dependsOn waves within), and items left unchanged. */
export interface ReleaseSpec {
  waves: ReleaseItem[][]
  unchanged: PlanEntry[]
}

export interface ReleaseResult {
  exitCode: ExitCodeValue
  items: ItemResult[]
  /** The first failure, in one line (empty when the release passed). */
  failure: string
}

type ItemState = 'waiting' | 'running' | 'passed' | 'failed' | 'cancelled' | 'rolled-back' | 'rollback-failed' | 'paused'

/** One component in one region, as the state machine tracks it. */
interface Tracked {
  item: ReleaseItem
  executor: AnyExecutor
  /** On a revision runtime: this component's release there. */
  revision?: RevisionRelease
  lock?: ReleaseLock
  result: ItemResult
  state: ItemState
  /** A patch was sent (or may have been: its answer can be lost): this component needs compensating. */
  touched: boolean
  /** Where a rollback goes, chosen before the change (autoRollbackTarget). */
  target?: V1ReplicaSet
  /** The ReplicaSet of this release's template, once the controller made it. */
  released?: V1ReplicaSet
  /** Someone else changed the template during the release: never overwrite their change. */
  foreign?: string
  started: number
}

const keyOf = (region: string, component: string) => `${region}\u0000${component}`

/** Builds the release's items from a plan: only entries that change, in the plan's waves. */
export function releaseSpec(plan: DeployPlan, itemOf: (entry: PlanEntry) => ReleaseItem): ReleaseSpec {
  const entries = new Map(plan.regions.flatMap((r) => r.components.map((e) => [keyOf(e.region, e.component), e] as const)))
  return {
    waves: plan.waves.map((wave) => wave.map((w) => itemOf(entries.get(keyOf(w.region, w.component))!))).filter((wave) => wave.length > 0),
    unchanged: [...entries.values()].filter((e) => !e.changes),
  }
}

function initialResult(entry: PlanEntry): ItemResult {
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

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Runs a release to its end. Throws only when nothing was changed (lock held, cluster unreachable...). */
export async function runRelease(request: ReleaseRequest, spec: ReleaseSpec, executors: ReadonlyMap<string, AnyExecutor>): Promise<ReleaseResult> {
  const tracked: Tracked[] = spec.waves.flat().map((item) => ({
    item,
    executor: executors.get(item.entry.region)!,
    result: initialResult(item.entry),
    state: 'waiting',
    touched: false,
    started: 0,
  }))
  const byKey = new Map(tracked.map((t) => [keyOf(t.item.entry.region, t.item.entry.component), t]))
  const say = (t: Tracked, kind: StepKind, message: string) => request.onEvent({ region: t.item.entry.region, component: t.item.entry.component, kind, message })

  // Lock: every component in every region before anything changes; all or none.
  const taken = await Promise.allSettled(
    tracked.map(async (t) => {
      t.lock = await t.executor.lock({ environment: request.environment, component: t.item.component.name, identity: request.identity, operation: request.operation, ...(request.reason ? { reason: request.reason } : {}) })
      say(t, 'lock', `locked (${t.lock.name})`)
    }),
  )
  const releaseLocks = async () => {
    await Promise.allSettled(tracked.map((t) => t.lock?.release()))
  }
  const refused = taken.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (refused) {
    await releaseLocks()
    throw refused.reason
  }

  // The first failure cancels everything still running (fail fast); its reason explains the others' rollbacks.
  const cancel = new AbortController()
  let failure: { where: string; reason: string; error?: unknown } | undefined
  const fail = (t: Tracked, reason: string, error?: unknown) => {
    failure ??= { where: `${t.item.entry.region}/${t.item.entry.component}`, reason, ...(error === undefined ? {} : { error }) }
    cancel.abort()
  }
  const interrupted = () => request.signal.aborted
  const onInterrupt = () => cancel.abort()
  request.signal.addEventListener('abort', onInterrupt, { once: true })
  if (request.signal.aborted) cancel.abort()

  try {
    for (const wave of spec.waves) {
      if (cancel.signal.aborted) break
      await Promise.allSettled(
        wave.map(async (item) => {
          const t = byKey.get(keyOf(item.entry.region, item.entry.component))!
          try {
            await runItem(request, t, cancel.signal, (kind, message) => say(t, kind, message), fail)
          } catch (error) {
            t.state = 'failed'
            t.result.outcome = 'failed'
            t.result.reason = messageOf(error)
            say(t, 'failed', t.result.reason)
            fail(t, t.result.reason, error)
          } finally {
            t.result.durationMs = Date.now() - t.started
          }
        }),
      )
    }

    if (failure !== undefined || interrupted()) await compensate(request, tracked, failure, say)
  } finally {
    request.signal.removeEventListener('abort', onInterrupt)
    await releaseLocks()
  }

  const items = [...tracked.map((t) => t.result), ...spec.unchanged.map(initialResult)]
  // Nothing changed: the error itself is the answer (69 unreachable, 77 denied...), not a rollback code.
  if (failure?.error !== undefined && !tracked.some((t) => t.touched) && !interrupted()) {
    const error = failure.error
    if (error instanceof MktError) throw new MktError(error.code, error.exitCode, error.message, { hints: error.hints, result: error.result, cause: error })
    throw error
  }
  return { exitCode: exitCodeFor(items, interrupted()), items, failure: failure ? `${failure.where}: ${failure.reason}` : '' }
}

export function exitCodeFor(items: ItemResult[], interrupted: boolean): ExitCodeValue {
  if (interrupted) return ExitCode.INTERRUPTED
  if (items.some((i) => i.outcome === 'rollback-failed')) return ExitCode.ROLLBACK_FAILED
  if (items.some((i) => i.outcome === 'rolled-back')) return ExitCode.ROLLED_BACK
  if (items.some((i) => i.outcome === 'failed' || i.outcome === 'interrupted')) return ExitCode.FAILED
  return ExitCode.OK
}

/** patch → bind → gates → verdict for one component in one region. A failure calls `fail` (or throws). */
async function runItem(
  request: ReleaseRequest,
  t: Tracked,
  cancelled: AbortSignal,
  say: (kind: StepKind, message: string) => void,
  fail: (t: Tracked, reason: string, error?: unknown) => void,
): Promise<void> {
  const { executor, item } = t
  const lock = t.lock!
  const signal = AbortSignal.any([cancelled, lock.lost])
  t.started = Date.now()
  t.state = 'running'
  const deadline = t.started + (request.maxDurationMs ?? request.timeoutMs)
  const remaining = () => Math.max(1, deadline - Date.now())
  const write = async <T>(send: () => Promise<T>): Promise<T> => {
    lock.assertHeld()
    if (cancelled.aborted) throw new Error('cancelled')
    t.touched = true // before sending: a patch whose answer is lost may still have been applied
    return send()
  }
  if (isRevisionExecutor(executor)) {
    const outcome = await runRevisionItem(request, t, executor, { write, say, signal, cancelled, remaining })
    if (outcome) {
      await settleItem(request, t, outcome, say, fail, async () => {
        t.lock!.assertHeld()
        await t.revision!.recordVerdict('passed', outcome.reason)
      })
    }
    return
  }

  const workload = await executor.read(item.component.name)
  if (!workload) throw new Error(`deployment ${item.component.name} disappeared`)
  const { deployment } = workload
  const serving = newReplicaSet(deployment, workload.replicaSets)
  const servingComplete = deploymentRolloutStatus(deployment).state === 'done'
  const history = await adoptServingRevision(executor, item.component, workload, serving, servingComplete)
  await closeAbandonedRelease(executor, item.component.name, serving, history)
  const targetEntry = autoRollbackTarget(history, servingComplete)
  if (targetEntry) t.target = workload.replicaSets.find((rs) => rs.metadata?.name === targetEntry.replicaSet)
  if (targetEntry) t.result.undo = `mkt rollback ${item.component.name} --env ${request.environment} --to-revision ${targetEntry.revision}`
  if (cancelled.aborted) return

  // The fence: gates speak for this release only while the Deployment's new ReplicaSet is the one it made.
  const failWhen = (snapshot: Snapshot) => {
    const hash = t.released && podTemplateHashOf(t.released)
    const now = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
    if (hash === undefined || now === undefined || podTemplateHashOf(now) === hash) return undefined
    t.foreign = `the Deployment was changed by someone else during this release (its template is now revision ${revisionOf(now)}, not this release's)`
    return t.foreign
  }
  const gate = (patched: V1Deployment, extra: { bakeMs: number; expectedNewReplicas?: number }) =>
    executor.gates(item.component, patched, {
      bakeMs: extra.bakeMs,
      timeoutMs: remaining(),
      progressDeadlineMs: request.timeoutMs,
      ...(request.readyGraceMs === undefined ? {} : { readyGraceMs: request.readyGraceMs }),
      signal,
      failWhen,
      ...(extra.expectedNewReplicas === undefined ? {} : { expectedNewReplicas: extra.expectedNewReplicas }),
      onProgress: (evaluation) => say('wait', evaluation.reason),
    })
  const bind = async (patched: V1Deployment, replicas?: number) => {
    const found = await executor.awaitNewReplicaSet(patched, { timeoutMs: remaining(), signal, ...(replicas === undefined ? {} : { replicas }) })
    if (!found.newReplicaSet) return found.deployment
    if (!t.released) {
      t.released = found.newReplicaSet
      t.result.toRevision = revisionOf(found.newReplicaSet)
      const patches = bindPatches(found.newReplicaSet)
      await write(() => executor.patch(item.component.name, patches.deployment))
      await write(() => executor.patchReplicaSet(patches.replicaSet.name, patches.replicaSet))
    }
    return found.deployment
  }

  let outcome: WaitResult
  const steps = item.entry.strategy === 'canary' ? item.entry.canarySteps : undefined
  if (steps && steps.length > 0 && item.change.canaryStart) {
    outcome = await runCanary(request, t, deployment, steps, { write, bind, gate, say, signal })
  } else {
    const patched = await write(() => executor.patch(item.component.name, item.change.rollout(deployment)))
    say('patch', item.change.describe)
    if (t.result.undo) say('undo', `undo: ${t.result.undo}`)
    const current = await bind(patched)
    outcome = await gate(current, { bakeMs: item.bakeMs ?? request.bakeMs })
  }
  await settleItem(request, t, outcome, say, fail, async () => {
    const rs = t.released ?? newReplicaSet(outcome.snapshot.deployment, outcome.snapshot.replicaSets)
    if (rs) {
      t.result.toRevision = revisionOf(rs)
      await recordVerdict(executor, item.component.name, rs, 'passed', outcome.reason, true, lock)
    }
  })
}

/** The item's end from its gates' outcome: passed (verdict recorded by `recordPassed`), interrupted or failed. */
async function settleItem(request: ReleaseRequest, t: Tracked, outcome: RevisionOutcome, say: (kind: StepKind, message: string) => void, fail: (t: Tracked, reason: string, error?: unknown) => void, recordPassed: () => Promise<void>): Promise<void> {
  const { item } = t
  const lock = t.lock!
  t.result.gates = outcome.gates

  if (outcome.outcome === 'passed') {
    await recordPassed()
    for (const warning of outcome.warnings) say('warning', warning)
    say('passed', `${item.entry.to} is live (revision ${t.result.toRevision}): ${outcome.reason}`)
    t.state = 'passed'
    t.result.outcome = 'deployed'
    t.result.reason = outcome.reason
    return
  }
  if (outcome.outcome === 'interrupted') {
    t.state = 'cancelled'
    if (lock.lost.aborted) {
      t.result.outcome = 'rollback-failed'
      t.result.reason = messageOf(lock.lost.reason)
      say('failed', t.result.reason)
      fail(t, t.result.reason)
      return
    }
    t.result.outcome = 'interrupted'
    t.result.reason = interruptedWhy(request)
    return
  }
  const why = outcome.outcome === 'timeout' ? `timed out: ${outcome.reason}` : outcome.reason
  say('failed', why)
  t.state = 'failed'
  t.result.outcome = 'failed'
  t.result.reason = why
  fail(t, why)
}

const interruptedWhy = (request: ReleaseRequest) => (request.signal.aborted ? 'interrupted' : 'cancelled: another component of this release failed')

interface ItemTools {
  write: <T>(send: () => Promise<T>) => Promise<T>
  bind: (patched: V1Deployment, replicas?: number) => Promise<V1Deployment>
  gate: (patched: V1Deployment, extra: { bakeMs: number; expectedNewReplicas?: number }) => Promise<WaitResult>
  say: (kind: StepKind, message: string) => void
  signal: AbortSignal
}

/**
 * Replica-count canary on the same Deployment (shared/reference/k8s.md §6): the first patch saves the original
 * strategy and paused state and sets maxSurge=N/maxUnavailable=0 with the new template; pause as soon as the new
 * ReplicaSet has its N pods; gate them for the bake time; widen step by step; promote with the saved original.
 */
async function runCanary(request: ReleaseRequest, t: Tracked, deployment: V1Deployment, steps: CanaryStep[], tools: ItemTools): Promise<WaitResult> {
  const name = t.item.component.name
  const executor = t.executor as RegionExecutor
  const original: CanaryOriginal = originalStateOf(deployment)
  let current = deployment
  let last: WaitResult | undefined
  for (const [index, step] of steps.entries()) {
    if (step.promote) {
      current = await tools.write(() => executor.patch(name, promotePatch(original)))
      tools.say('patch', `promote: resume the rollout to every pod`)
      return tools.gate(current, { bakeMs: t.item.bakeMs ?? request.bakeMs })
    }
    const patch = index === 0 ? t.item.change.canaryStart!(current, step.canaryReplicas) : canaryStepPatch(step.canaryReplicas)
    current = await tools.write(() => executor.patch(name, patch))
    if (index === 0) {
      tools.say('patch', t.item.change.describe)
      if (t.result.undo) tools.say('undo', `undo: ${t.result.undo}`)
    }
    // Pause as soon as the controller has sized the new ReplicaSet for this step.
    await tools.bind(current, step.canaryReplicas)
    current = await tools.write(() => executor.patch(name, pausePatch()))
    tools.say('patch', `canary step ${step.weight}%: ${step.canaryReplicas} new pod(s) next to the stable ones (~${step.podShare}% of pods)`)
    last = await tools.gate(current, { bakeMs: t.item.bakeMs ?? request.bakeMs, expectedNewReplicas: step.canaryReplicas })
    if (last.outcome !== 'passed') return last
    tools.say('wait', `canary step ${step.weight}% passed: ${last.reason}`)
  }
  // normalizeCanarySteps always ends with a promoting step; reaching here means there was none.
  return last ?? tools.gate(current, { bakeMs: t.item.bakeMs ?? request.bakeMs })
}

/**
 * One component on a revision runtime: settle where it stands (known-good, undo command), then the runtime's own
 * release (a new revision, traffic weights: 100 for rolling, the canary's steps otherwise). Undefined when the
 * release was cancelled before it changed anything.
 */
async function runRevisionItem(
  request: ReleaseRequest,
  t: Tracked,
  executor: RevisionExecutor,
  tools: { write: <T>(send: () => Promise<T>) => Promise<T>; say: (kind: StepKind, message: string) => void; signal: AbortSignal; cancelled: AbortSignal; remaining: () => number },
): Promise<RevisionOutcome | undefined> {
  const { entry, component } = t.item
  const release = await executor.begin(component, tools.signal)
  t.revision = release
  if (release.fromRevision !== null) t.result.fromRevision = release.fromRevision
  if (release.target) t.result.undo = `mkt rollback ${component.name} --env ${request.environment} --to-revision ${release.target.revision}`
  if (tools.cancelled.aborted) return undefined
  const weights = entry.strategy === 'canary' && entry.canarySteps?.length ? entry.canarySteps.map((step) => step.weight) : [100]
  if (t.result.undo) tools.say('undo', `undo: ${t.result.undo}`)
  const outcome = await release.run(entry.to!, weights, { bakeMs: request.bakeMs, timeoutMs: tools.remaining(), progressDeadlineMs: request.timeoutMs, signal: tools.signal }, { write: tools.write, say: tools.say })
  t.result.toRevision = release.toRevision
  return outcome
}

/**
 * The first time mkt releases a component (no revision has a verdict of its own), the revision serving then,
 * fully available, is recorded as passed: it is the known-good state mkt found. Otherwise an unverified serving
 * revision (an external one) stays unverified. Returns the history as it now stands.
 */
async function adoptServingRevision(executor: RegionExecutor, component: Component, workload: Workload, serving: V1ReplicaSet | undefined, complete: boolean): Promise<ReleaseEntry[]> {
  const container = component.container ?? component.name
  const history = releaseHistory(workload.deployment, workload.replicaSets, { container })
  if (!serving || !complete || history.some((entry) => entry.verdict !== 'external')) return history
  const inheritedChangeCause = annotationOf(serving.metadata, CHANGE_CAUSE_ANNOTATION) !== undefined && ownChangeCause(serving, workload.replicaSets) === undefined
  const adopt = externalVerdictPatch(serving, 'passed', 'serving and fully available when mkt first released this component', { inheritedChangeCause })
  // On the Deployment too: the controller copies its annotations over its current ReplicaSet.
  await executor.patch(workload.deployment.metadata!.name!, { contentType: adopt.contentType, body: adopt.body } as PatchRequest)
  await executor.patchReplicaSet(adopt.name, adopt)
  return history.map((entry) => (entry.current ? { ...entry, verdict: 'passed' as const } : entry))
}

/**
 * A serving revision still `pending` while this call holds the lock belongs to a release that ended without a
 * verdict (its lock was broken, or its process died): record it `failed` so it never reads as in progress.
 */
async function closeAbandonedRelease(executor: RegionExecutor, deploymentName: string, serving: V1ReplicaSet | undefined, history: ReleaseEntry[]): Promise<void> {
  const entry = history.find((e) => e.current)
  if (!serving || entry?.verdict !== 'pending') return
  const patches = verdictPatches(serving, 'failed', 'abandoned: its release ended without a verdict (lock lost or process killed)')
  await executor.patch(deploymentName, patches.deployment)
  await executor.patchReplicaSet(patches.replicaSet.name, patches.replicaSet)
  entry.verdict = 'failed'
}

/** Writes a verdict on the ReplicaSet, and on the Deployment while that ReplicaSet is its current one. */
async function recordVerdict(executor: RegionExecutor, deploymentName: string, rs: V1ReplicaSet, verdict: Verdict, reason: string, stillCurrent: boolean, lock: ReleaseLock): Promise<void> {
  lock.assertHeld()
  const patches = verdictPatches(rs, verdict, reason)
  // Deployment first: while this ReplicaSet is current the controller copies the Deployment's value over it.
  if (stillCurrent) await executor.patch(deploymentName, patches.deployment)
  await executor.patchReplicaSet(patches.replicaSet.name, patches.replicaSet)
}

/**
 * The one compensation step. Pause (on request) or roll back every component this call changed, whatever
 * failed: every rollback patch first, in parallel across components and regions, then their health together
 * within the rollback budget, then the verdicts. With --no-auto-rollback a failed gate leaves the release in
 * place for a human (verdict `failed`); an interrupt, an error or a lost lock still compensates.
 */
async function compensate(request: ReleaseRequest, tracked: Tracked[], failure: { where: string; reason: string; error?: unknown } | undefined, say: (t: Tracked, kind: StepKind, message: string) => void): Promise<void> {
  const interrupted = request.signal.aborted
  await request.beforeCompensate?.().catch(() => undefined)
  const touched = tracked.filter((t) => t.touched)
  const why = interrupted ? 'interrupted' : `${failure?.where} failed: ${failure?.reason}`
  const lockLost = (t: Tracked) => t.lock?.lost.aborted === true

  if (interrupted && request.onInterrupt === 'pause') {
    await Promise.allSettled(
      touched
        .filter((t) => t.state !== 'passed' && !lockLost(t))
        .map(async (t) => {
          // A revision runtime has nothing to pause: its traffic stays where the release left it.
          if (!isRevisionExecutor(t.executor)) await t.executor.patch(t.item.component.name, pausePatch())
          t.state = 'paused'
          t.result.outcome = 'paused'
          t.result.reason = 'interrupted: left paused for a human (--on-interrupt=pause); `mkt rollback` restores it'
          say(t, 'paused', 'left paused for a human (--on-interrupt=pause)')
        }),
    )
    return
  }
  const gateFailureOnly = !interrupted && failure?.error === undefined && !tracked.some(lockLost)
  if (!request.autoRollback && gateFailureOnly) {
    await Promise.allSettled(
      touched
        .filter((t) => t.state === 'failed' && (t.released || t.revision?.toRevision != null) && t.foreign === undefined)
        .map((t) => (t.revision ? t.revision.recordVerdict('failed', t.result.reason) : recordVerdict(t.executor as RegionExecutor, t.item.component.name, t.released!, 'failed', t.result.reason, true, t.lock!))),
    )
    return
  }

  // Fenced: a component whose lock is no longer ours, or whose template someone else changed, is left alone.
  await Promise.all(touched.map((t) => t.lock!.verify().catch(() => true)))
  const toRollBack = touched.filter((t) => {
    if (lockLost(t) || t.foreign !== undefined) {
      t.state = 'rollback-failed'
      t.result.outcome = 'rollback-failed'
      t.result.reason = lockLost(t) ? `${messageOf(t.lock!.lost.reason)}; stopped writing, left as it is` : `${t.foreign}; left as it is`
      say(t, 'rollback-failed', t.result.reason)
      return false
    }
    return true
  })
  const moves = await Promise.all(toRollBack.filter((t) => !t.revision).map((t) => sendRollback(t, why, say)))
  await Promise.all([
    ...toRollBack.filter((t) => t.revision).map((t) => rollbackRevision(t, why, request.rollbackTimeoutMs, say)),
    ...moves.map(async (move) => {
      const { t } = move
      if (!move.sent) return
      const outcome = await (t.executor as RegionExecutor).gates(t.item.component, move.sent, { bakeMs: 0, timeoutMs: request.rollbackTimeoutMs, signal: new AbortController().signal })
      finishRollback(t, outcome, move.started, say)
    }),
  ])
  // Verdicts last: while the released ReplicaSet was current the controller would copy `pending` over them.
  await Promise.allSettled(
    toRollBack
      .filter((t) => (t.released || t.revision?.toRevision != null) && (t.state === 'rolled-back' || t.state === 'rollback-failed'))
      .map((t) => (t.revision ? t.revision.recordVerdict('rolled-back', t.result.reason) : recordVerdict(t.executor as RegionExecutor, t.item.component.name, t.released!, 'rolled-back', t.result.reason, false, t.lock!))),
  )
}

/** The failed component keeps its own reason; the others say why they were rolled back with it. */
const reasonFor = (t: Tracked, why: string) => (t.state === 'failed' ? t.result.reason : why === 'interrupted' ? 'interrupted' : `rolled back because ${why}`)

/** Sends one rollback patch (or finds none is needed); never throws. */
async function sendRollback(t: Tracked, why: string, say: (t: Tracked, kind: StepKind, message: string) => void): Promise<{ t: Tracked; sent?: V1Deployment; started: number }> {
  const started = Date.now()
  const name = t.item.component.name
  const reason = reasonFor(t, why)
  t.result.reason = reason
  if (!t.target) {
    noRollbackTarget(t, reason, say)
    return { t, started }
  }
  const toRevision = revisionOf(t.target)
  const executor = t.executor as RegionExecutor
  try {
    t.lock!.assertHeld()
    const workload = await executor.read(name)
    if (!workload) throw new Error(`deployment ${name} disappeared`)
    say(t, 'rollback', `rolling back to revision ${toRevision} (${imagesOf(t.target)}) because ${why}`)
    const { deployment } = workload
    const settled = equalIgnoreHash(deployment.spec?.template, t.target.spec?.template) && deployment.spec?.paused !== true && originalUnchanged(deployment)
    const sent = settled ? deployment : await executor.patch(name, rollbackPatch(deployment, t.target))
    t.result.rollback = { toRevision, outcome: 'unhealthy', reason: 'waiting', durationMs: 0 }
    return { t, sent, started }
  } catch (error) {
    t.state = 'rollback-failed'
    t.result.outcome = 'rollback-failed'
    t.result.rollback = { toRevision, outcome: 'unhealthy', reason: messageOf(error), durationMs: Date.now() - started }
    say(t, 'rollback-failed', `rollback failed: ${messageOf(error)}`)
    return { t, started }
  }
}

function noRollbackTarget(t: Tracked, reason: string, say: (t: Tracked, kind: StepKind, message: string) => void): void {
  t.result.outcome = t.state === 'failed' ? 'failed' : 'rollback-failed'
  t.state = 'rollback-failed'
  t.result.reason = `${reason}; no verified revision to roll back to (mkt history shows them; mkt rollback --to-revision N picks one)`
  if (t.result.outcome === 'rollback-failed') say(t, 'rollback-failed', t.result.reason)
}

/** A revision runtime's rollback (traffic back to the last verified revision, then its gates); never throws. */
async function rollbackRevision(t: Tracked, why: string, timeoutMs: number, say: (t: Tracked, kind: StepKind, message: string) => void): Promise<void> {
  const started = Date.now()
  const reason = reasonFor(t, why)
  t.result.reason = reason
  const target = t.revision!.target
  if (!target) return noRollbackTarget(t, reason, say)
  try {
    t.lock!.assertHeld()
    say(t, 'rollback', `rolling back to revision ${target.revision} (${target.image}) because ${why}`)
    t.result.rollback = { toRevision: target.revision, outcome: 'unhealthy', reason: 'waiting', durationMs: 0 }
    const outcome = await t.revision!.rollback(timeoutMs, (message) => say(t, 'rollback', message))
    const healthy = outcome.outcome === 'passed'
    t.state = healthy ? 'rolled-back' : 'rollback-failed'
    t.result.outcome = healthy ? 'rolled-back' : 'rollback-failed'
    t.result.rollback = { toRevision: target.revision, outcome: healthy ? 'healthy' : 'unhealthy', reason: outcome.reason, durationMs: Date.now() - started }
    if (healthy) say(t, 'rolled-back', `back on revision ${target.revision}, healthy`)
    else say(t, 'rollback-failed', `rollback not healthy: ${outcome.reason}`)
  } catch (error) {
    t.state = 'rollback-failed'
    t.result.outcome = 'rollback-failed'
    t.result.rollback = { toRevision: target.revision, outcome: 'unhealthy', reason: messageOf(error), durationMs: Date.now() - started }
    say(t, 'rollback-failed', `rollback failed: ${messageOf(error)}`)
  }
}

const originalUnchanged = (deployment: V1Deployment) => deployment.metadata?.annotations?.[CANARY_ORIGINAL_ANNOTATION] === undefined

const imagesOf = (rs: V1ReplicaSet) => (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image).join(', ')

function finishRollback(t: Tracked, outcome: WaitResult, started: number, say: (t: Tracked, kind: StepKind, message: string) => void): void {
  const healthy = outcome.outcome === 'passed'
  t.state = healthy ? 'rolled-back' : 'rollback-failed'
  t.result.outcome = healthy ? 'rolled-back' : 'rollback-failed'
  t.result.rollback = { toRevision: t.result.rollback?.toRevision ?? 0, outcome: healthy ? 'healthy' : 'unhealthy', reason: outcome.reason, durationMs: Date.now() - started }
  const now = newReplicaSet(outcome.snapshot.deployment, outcome.snapshot.replicaSets)
  if (healthy) say(t, 'rolled-back', `back on revision ${now ? revisionOf(now) : '?'}, healthy`)
  else say(t, 'rollback-failed', `rollback not healthy: ${outcome.reason}`)
}
