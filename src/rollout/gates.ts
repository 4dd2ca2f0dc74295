// The release gates, evaluated on one snapshot of the world. The orchestrator re-evaluates on every watch event
// and probe answer, feeding back `bakeStartedAt`; a gate says why it is pending or failed in one line.
//
//   progress   Deployment rollout status (kubectl's predicate), or for a canary step the new ReplicaSet having
//              its step's replicas available; ProgressDeadlineExceeded fails it.
//   pods       fail-fast signals of the new ReplicaSet's pods (signals.ts); passes when all its pods are ready.
//   readiness  every new pod's /health/ready answers Healthy or Degraded (the HealthChecks judge in
//              health/healthchecks.ts, shared with `mkt health`). A pod Kubernetes calls Ready fails it after
//              `readinessFailureThreshold` consecutive Unhealthy answers; a pod that is never Ready fails it once
//              its container has run longer than its probe budget (readinessBudgetMs) + `readyGraceMs` while its
//              own answer is Unhealthy, with that answer as the reason.
//   bake       the three above passed without interruption for `bakeMs`.
//
// When nothing failed, the reason is the pending gate that explains the wait best (mostInformative): a pod's own
// health answer, then a pod's waiting state, then the rollout line.

import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { formatDuration } from '../duration.js'
import { judgeHealthAnswer, type HealthAnswer } from '../health/healthchecks.js'
import { isPodReady, nameOf, podsOwnedBy, quote, timeOf } from './objects.js'
import { DEFAULT_RESTART_BURST, podFailureSignals, summarizePods, type PodObservations, type PodSignal } from './signals.js'
import { PROGRESS_DEADLINE_EXCEEDED, deploymentRolloutStatus } from './status.js'

export const GATES = ['progress', 'pods', 'readiness', 'bake'] as const
export type GateName = (typeof GATES)[number]
export type GateStatus = 'passed' | 'failed' | 'pending'

export interface GateResult {
  gate: GateName
  status: GateStatus
  reason: string
}

// ---------------------------------------------------------------------------------------------------------
// Readiness probes

export interface ReadinessProbe extends HealthAnswer {
  /** Pod name. */
  pod: string
  /**
   * Consecutive Unhealthy answers of this pod while Kubernetes called it Ready, this one included (the caller
   * counts; absent = 1 when this answer is bad). The readiness gate fails a Ready pod when it reaches the threshold.
   */
  failures?: number
}

/** The Kubernetes defaults of a probe's numbers (core/v1 Probe). */
const PROBE_DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, failureThreshold: 3 }
export const DEFAULT_READY_GRACE_MS = 30_000

type ProbeNumbers = { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } | undefined

const probeBudgetMs = (probe: ProbeNumbers): number =>
  probe === undefined
    ? 0
    : ((probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds) +
        (probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold) * (probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds)) *
      1000

/**
 * How long a pod may take to become Ready by its own probes: for each container the readinessProbe's
 * `initialDelaySeconds + failureThreshold × periodSeconds`, or, with a startupProbe, the startupProbe's budget plus
 * one readiness period (readiness is only probed once startup succeeded); the largest over the containers.
 */
export function readinessBudgetMs(pod: V1Pod): number {
  const budgets = (pod.spec?.containers ?? []).map((container) => {
    const readiness = probeBudgetMs(container.readinessProbe)
    if (container.startupProbe === undefined) return readiness
    const readinessPeriod = container.readinessProbe === undefined ? 0 : (container.readinessProbe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds) * 1000
    return Math.max(readiness, probeBudgetMs(container.startupProbe) + readinessPeriod)
  })
  return Math.max(0, ...budgets)
}

/** Since when the pod's containers have all been running (the latest start), or undefined while one is not. */
function runningSince(pod: V1Pod): number | undefined {
  const statuses = pod.status?.containerStatuses ?? []
  if (statuses.length === 0) return undefined
  let latest = 0
  for (const status of statuses) {
    const started = timeOf(status.state?.running?.startedAt)
    if (started === undefined) return undefined
    latest = Math.max(latest, started)
  }
  return latest
}

/** A duration rounded to whole seconds for messages: `45s`, `1m5s`. */
const seconds = (ms: number): string => formatDuration(Math.max(0, Math.round(ms / 1000)) * 1000)

// ---------------------------------------------------------------------------------------------------------
// Gate evaluation

export interface GateInput {
  deployment: V1Deployment
  /** The Deployment's new ReplicaSet (status.ts newReplicaSet); undefined until the controller creates it. */
  newRs: V1ReplicaSet | undefined
  /** Pods listed with the Deployment's selector; pods of other ReplicaSets are ignored. */
  pods: readonly V1Pod[]
  /** Latest probe answer per pod (older answers for the same pod are ignored; the last one wins). */
  readinessProbes: readonly ReadinessProbe[]
  /** When the current uninterrupted healthy stretch began: the previous evaluation's `bakeStartedAt`. */
  bakeStartedAt?: number
  bakeMs: number
  now: number
  /** Pin the revision being rolled out (kubectl `rollout status --revision`), compared once the spec is observed. */
  revision?: number
  /** A canary step: the new ReplicaSet's replicas that must be available, instead of a finished rollout. */
  expectedNewReplicas?: number
  /** false skips the readiness gate (e.g. while rolling back to a revision that already passed). Default true. */
  probeReadiness?: boolean
  /** Consecutive bad readiness answers of one pod that fail the gate. Default 3. */
  readinessFailureThreshold?: number
  /** How long a never-Ready pod may run past its probe budget before it fails the gate. Default 30 s. */
  readyGraceMs?: number
  restartBurst?: { count: number; windowMs: number }
  unschedulableAfterMs?: number
  /** What was seen of the pods over time (signals.ts observePods): restart windows, transient errors. */
  observations?: PodObservations
  /** How long ErrImagePull / CreateContainerConfigError must last to fail. Default 20 s. */
  transientWindowMs?: number
}

export interface GateEvaluation {
  /** failed if any gate failed; passed if all passed; pending otherwise. */
  verdict: GateStatus
  /** The first failed gate's reason, else the pending gate that explains the wait best, else a summary. */
  reason: string
  gates: GateResult[]
  /** Things that pass but deserve a line (Degraded readiness). */
  warnings: string[]
  /** Fail-fast pod signals found (also summarized in the pods gate). */
  signals: PodSignal[]
  /** Feed back as `bakeStartedAt` next time: undefined when the healthy stretch was broken or not started. */
  bakeStartedAt?: number
  /** The reason quotes a pod's own health answer (nothing explains a wait better). */
  quotesHealthAnswer: boolean
}

export const DEFAULT_READINESS_FAILURE_THRESHOLD = 3

/** Evaluates all four gates on one snapshot. Pure: the same input always gives the same answer. */
export function evaluateGates(input: GateInput): GateEvaluation {
  const warnings: string[] = []
  const newPods = input.newRs === undefined ? [] : podsOwnedBy(input.newRs, input.pods)
  const signals =
    input.newRs === undefined
      ? []
      : podFailureSignals(input.pods, {
          now: input.now,
          restartBurst: input.restartBurst ?? DEFAULT_RESTART_BURST,
          unschedulableAfterMs: input.unschedulableAfterMs,
          replicaSet: input.newRs,
          ...(input.observations === undefined ? {} : { observations: input.observations }),
          ...(input.transientWindowMs === undefined ? {} : { transientWindowMs: input.transientWindowMs }),
        })

  const progress = progressGate(input)
  const pods = podsGate(input.newRs, newPods, signals)
  const readiness = readinessGate(input, newPods, warnings)
  const others = [progress, pods, readiness.result]

  let bake: GateResult
  let bakeStartedAt: number | undefined
  if (others.every((gate) => gate.status === 'passed')) {
    bakeStartedAt = input.bakeStartedAt ?? input.now
    const healthyFor = Math.max(0, input.now - bakeStartedAt)
    bake =
      healthyFor >= input.bakeMs
        ? { gate: 'bake', status: 'passed', reason: input.bakeMs === 0 ? 'no bake time' : `healthy for ${formatDuration(healthyFor)}` }
        : { gate: 'bake', status: 'pending', reason: `baking: healthy for ${formatDuration(healthyFor)} of ${formatDuration(input.bakeMs)}` }
  } else {
    bake = {
      gate: 'bake',
      status: 'pending',
      reason:
        input.bakeStartedAt === undefined
          ? `starts when progress, pods and readiness pass (${formatDuration(input.bakeMs)})`
          : 'interrupted: restarts when progress, pods and readiness pass again',
    }
  }

  const gates = [...others, bake]
  const failed = gates.find((gate) => gate.status === 'failed')
  const pending = mostInformative(gates, readiness.quotesHealthAnswer, newPods)
  const verdict: GateStatus = failed !== undefined ? 'failed' : pending !== undefined ? 'pending' : 'passed'
  const reason =
    failed !== undefined
      ? `${failed.gate}: ${failed.reason}`
      : pending !== undefined
        ? `${pending.gate}: ${pending.reason}`
        : `all gates passed (${bake.reason})`
  const quotesHealthAnswer = readiness.quotesHealthAnswer && (failed ?? pending) === readiness.result
  return { verdict, reason, gates, warnings, signals, quotesHealthAnswer, ...(bakeStartedAt === undefined ? {} : { bakeStartedAt }) }
}

/**
 * The pending gate that explains a wait best: readiness when it quotes a pod's own health answer, then the pods
 * gate when a pod shows a waiting reason (ErrImagePull that may still clear, ContainerCreating…), then the first
 * pending gate in order (the rollout line, the bake).
 */
function mostInformative(gates: GateResult[], readinessQuotesAnswer: boolean, newPods: V1Pod[]): GateResult | undefined {
  const pending = gates.filter((gate) => gate.status === 'pending')
  const readiness = pending.find((gate) => gate.gate === 'readiness')
  if (readiness !== undefined && readinessQuotesAnswer) return readiness
  const pods = pending.find((gate) => gate.gate === 'pods')
  const waiting = newPods.some((pod) => (pod.status?.containerStatuses ?? []).some((status) => status.state?.waiting?.reason !== undefined))
  if (pods !== undefined && waiting) return pods
  return pending[0]
}

function progressGate(input: GateInput): GateResult {
  const { deployment, newRs } = input
  const observed = (deployment.metadata?.generation ?? 0) <= (deployment.status?.observedGeneration ?? 0)
  const progressing = deployment.status?.conditions?.find((condition) => condition.type === 'Progressing')
  if (observed && progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
    const why = progressing.message === undefined ? '' : ` (${progressing.message})`
    return { gate: 'progress', status: 'failed', reason: `deployment ${quote(nameOf(deployment))} exceeded its progress deadline${why}` }
  }

  if (input.expectedNewReplicas !== undefined) {
    if (!observed) return { gate: 'progress', status: 'pending', reason: 'Waiting for deployment spec update to be observed...' }
    if (newRs === undefined) return { gate: 'progress', status: 'pending', reason: 'waiting for the controller to create the new ReplicaSet' }
    const available = newRs.status?.availableReplicas ?? 0
    const expected = input.expectedNewReplicas
    return available >= expected
      ? { gate: 'progress', status: 'passed', reason: `${available} of ${expected} canary replicas available` }
      : { gate: 'progress', status: 'pending', reason: `${available} of ${expected} canary replicas available` }
  }

  // kubectl checks --revision before anything else; right after our patch the controller has not yet bumped the
  // revision annotation, so a pinned revision is only compared once the new generation is observed.
  const status = deploymentRolloutStatus(deployment, observed ? input.revision : undefined)
  if (status.state === 'failed') return { gate: 'progress', status: 'failed', reason: status.message }
  if (status.state === 'waiting') return { gate: 'progress', status: 'pending', reason: status.message }
  if (newRs === undefined) return { gate: 'progress', status: 'pending', reason: 'waiting for the controller to create the new ReplicaSet' }
  return { gate: 'progress', status: 'passed', reason: status.message }
}

function podsGate(newRs: V1ReplicaSet | undefined, newPods: V1Pod[], signals: PodSignal[]): GateResult {
  if (newRs === undefined) return { gate: 'pods', status: 'pending', reason: 'waiting for the new ReplicaSet' }
  if (signals.length > 0) {
    const [first] = signals
    const more = signals.length > 1 ? ` (+${signals.length - 1} more)` : ''
    return { gate: 'pods', status: 'failed', reason: `pod ${first!.pod}: ${first!.message}${more}` }
  }
  const desired = newRs.spec?.replicas ?? 0
  if (newPods.length === 0) {
    return desired === 0
      ? { gate: 'pods', status: 'passed', reason: 'no pods (0 replicas)' }
      : { gate: 'pods', status: 'pending', reason: `waiting for pods of ReplicaSet ${nameOf(newRs)}` }
  }
  const allReady = newPods.every(isPodReady)
  return { gate: 'pods', status: allReady && newPods.length >= desired ? 'passed' : 'pending', reason: summarizePods(newPods) }
}

function readinessGate(input: GateInput, newPods: V1Pod[], warnings: string[]): { result: GateResult; quotesHealthAnswer: boolean } {
  const gate = (status: GateStatus, reason: string, quotesHealthAnswer = false) => ({ result: { gate: 'readiness' as const, status, reason }, quotesHealthAnswer })
  if (input.probeReadiness === false) return gate('passed', 'not probed')
  if (input.newRs === undefined) return gate('pending', 'waiting for the new ReplicaSet')
  if (newPods.length === 0) {
    return (input.newRs.spec?.replicas ?? 0) === 0 ? gate('passed', 'no pods to probe (0 replicas)') : gate('pending', 'waiting for pods of the new ReplicaSet')
  }

  const latestProbe = new Map<string, ReadinessProbe>()
  for (const probe of input.readinessProbes) latestProbe.set(probe.pod, probe)
  const threshold = input.readinessFailureThreshold ?? DEFAULT_READINESS_FAILURE_THRESHOLD
  const grace = input.readyGraceMs ?? DEFAULT_READY_GRACE_MS

  // The first problem found, preferring one that quotes a pod's own answer (it says why).
  let problem: { reason: string; quotes: boolean } | undefined
  const note = (reason: string, quotes: boolean) => {
    if (problem === undefined || (quotes && !problem.quotes)) problem = { reason, quotes }
  }
  for (const pod of newPods) {
    const name = nameOf(pod)
    const probe = latestProbe.get(name)
    const judged = probe === undefined ? undefined : judgeHealthAnswer(probe)
    // The pod's own words: an HTTP answer (no answer at all says more about the path to the pod than about it).
    const ownWords = probe !== undefined && probe.status !== 'error'
    if (!isPodReady(pod)) {
      // Never Ready: allowed its probe budget plus the grace from its (latest) container start, then its own
      // Unhealthy answer fails the gate. Without an answer, or with a healthy one, it only waits (the progress
      // deadline bounds that, with the best reason we have).
      const since = runningSince(pod)
      if (since === undefined) {
        note(`waiting for pod ${name} to start`, false)
        continue
      }
      const runFor = input.now - since
      const allowed = readinessBudgetMs(pod) + grace
      if (judged?.health === 'Unhealthy' && runFor >= allowed) {
        return gate('failed', `pod ${name} not ready after ${seconds(runFor)}: ${judged.summary}`, ownWords)
      }
      // The reason names the allowance, not the running time: it changes only when something happens.
      if (judged === undefined) note(`waiting for pod ${name} to become ready (allowed ${seconds(allowed)})`, false)
      else if (judged.health === 'Unhealthy') note(`pod ${name} not ready yet (allowed ${seconds(allowed)}): ${judged.summary}`, ownWords)
      else note(`waiting for Kubernetes to call pod ${name} Ready (it answers ${judged.summary})`, false)
      continue
    }
    if (judged === undefined) {
      note(`waiting for /health/ready of pod ${name}`, false)
      continue
    }
    if (judged.health === 'Degraded') warnings.push(`pod ${name}: ready: ${judged.summary}`)
    if (judged.health !== 'Unhealthy') continue
    const failures = probe?.failures ?? 1
    if (failures >= threshold) return gate('failed', `pod ${name}: ready: ${judged.summary} (${failures} times in a row)`, true)
    note(`pod ${name}: ready: ${judged.summary}`, ownWords)
  }
  if (problem !== undefined) return gate('pending', problem.reason, problem.quotes)
  const degraded = warnings.length > 0 ? ` (${warnings.length} Degraded)` : ''
  return gate('passed', `${newPods.length} of ${newPods.length} new pods pass /health/ready${degraded}`)
}
