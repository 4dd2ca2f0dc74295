// Waiting on a rollout's gates: watches (not polls) the Deployment, its ReplicaSets and pods, probes the
// new pods' /health/ready through the API server, and re-evaluates the pure gates (gates.ts) after every
// change and every probe answer, until they pass, one fails, the budget runs out or the operation is interrupted.
//
// Two budgets: `progressDeadlineMs` fails a rollout that has not moved forward for that long (status.ts
// madeProgress, the Deployment controller's own notion; baking counts as moving), and `timeoutMs` caps the whole
// wait. mkt enforces both itself, so they hold in a paused canary step too, where the Deployment's own
// progressDeadlineSeconds never fires.
import type { CoreV1Event, V1Deployment } from '@kubernetes/client-node'
import { formatDuration } from '../duration.js'
import { judgeHealthAnswer } from '../health/healthchecks.js'
import type { RegionCluster, Snapshot } from './cluster.js'
import { evaluateGates, type GateEvaluation, type GateResult, type ReadinessProbe } from './gates.js'
import { isPodReady, isTerminating, nameOf, podsOwnedBy, timeOf } from './objects.js'
import { DEFAULT_RESTART_BURST, observePods, type PodObservations } from './signals.js'
import { furthestProgress, madeProgress, newReplicaSet, rolloutProgressOf, type RolloutProgress } from './status.js'

export interface WaitOptions {
  deployment: V1Deployment
  /** Container port and readiness path of the component, probed through the pod proxy. */
  port: number
  readyPath: string
  bakeMs: number
  /** Overall cap of this wait. */
  timeoutMs: number
  /** Fails when the rollout makes no progress for this long (absent: only the cap applies). */
  progressDeadlineMs?: number
  /** How long a never-Ready pod may run past its probe budget (gates.ts). Default 30 s. */
  readyGraceMs?: number
  signal: AbortSignal
  expectedNewReplicas?: number
  probeReadiness?: boolean
  probeIntervalMs?: number
  /** Per probe answer; generous because the answer comes through the API server's proxy. Default 15 s. */
  probeTimeoutMs?: number
  /** Checked on every change: a reason ends the wait as failed (the release engine's fence: the template it
   *  released was replaced by someone else's, so these gates no longer speak for its release). */
  failWhen?: (snapshot: Snapshot) => string | undefined
  /** Called whenever the explanation of what is being waited on changes. */
  onProgress?: (evaluation: GateEvaluation) => void
  now?: () => number
}

export type WaitOutcome = 'passed' | 'failed' | 'timeout' | 'interrupted'

export interface WaitResult {
  outcome: WaitOutcome
  reason: string
  gates: GateResult[]
  warnings: string[]
  elapsedMs: number
  snapshot: Snapshot
}

/** MKT_PROBE_INTERVAL_MS: how often readiness is probed during a rollout (tests make it short). */
function probeIntervalFromEnv(): number | undefined {
  const value = Number(process.env.MKT_PROBE_INTERVAL_MS)
  return Number.isFinite(value) && value > 0 ? value : undefined
}

export const DEFAULT_GATE_PROBE_TIMEOUT_MS = 15_000

export async function waitForGates(cluster: RegionCluster, options: WaitOptions): Promise<WaitResult> {
  const now = options.now ?? Date.now
  const started = now()
  const probeInterval = options.probeIntervalMs ?? probeIntervalFromEnv() ?? 1000
  const probes = new Map<string, ReadinessProbe>()
  const failures = new Map<string, number>()
  /** Pods with a probe on the way: a pod is never probed again before its last answer is in (slow proxies). */
  const inFlight = new Set<string>()
  let observations: PodObservations = new Map()
  let furthest: RolloutProgress | undefined
  let lastProgressAt = started
  let bakeStartedAt: number | undefined
  let lastReason = ''
  let lastEvaluation: GateEvaluation | undefined
  let settle: (result: WaitResult) => void = () => undefined
  const done = new Promise<WaitResult>((resolve) => (settle = resolve))
  let finished = false
  const live: { watch?: Awaited<ReturnType<RegionCluster['watch']>> } = {}

  const finish = (outcome: WaitOutcome, reason: string, snapshot: Snapshot) => {
    if (finished) return
    finished = true
    settle({ outcome, reason, gates: lastEvaluation?.gates ?? [], warnings: lastEvaluation?.warnings ?? [], elapsedMs: now() - started, snapshot })
  }

  const evaluate = (snapshot: Snapshot) => {
    if (finished) return
    const foreign = options.failWhen?.(snapshot)
    if (foreign !== undefined) return finish('failed', foreign, snapshot)
    const at = now()
    const newRs = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
    observations = observePods(observations, snapshot.pods, at, DEFAULT_RESTART_BURST.windowMs)
    const evaluation = evaluateGates({
      deployment: snapshot.deployment,
      newRs,
      pods: snapshot.pods,
      readinessProbes: [...probes.values()],
      bakeStartedAt,
      bakeMs: options.bakeMs,
      now: at,
      ...(options.expectedNewReplicas === undefined ? {} : { expectedNewReplicas: options.expectedNewReplicas }),
      probeReadiness: options.probeReadiness ?? true,
      observations,
      ...(options.readyGraceMs === undefined ? {} : { readyGraceMs: options.readyGraceMs }),
    })
    lastEvaluation = evaluation
    bakeStartedAt = evaluation.bakeStartedAt
    const progress = rolloutProgressOf(snapshot.deployment, newRs)
    if (madeProgress(furthest, progress) || bakeStartedAt !== undefined) lastProgressAt = at
    furthest = furthestProgress(furthest, progress)
    if (evaluation.reason !== lastReason) {
      lastReason = evaluation.reason
      options.onProgress?.(evaluation)
    }
    if (evaluation.verdict === 'passed') finish('passed', evaluation.reason, snapshot)
    else if (evaluation.verdict === 'failed') finish('failed', evaluation.reason, snapshot)
  }

  const probeOne = async (pod: Snapshot['pods'][number]) => {
    const name = nameOf(pod)
    inFlight.add(name)
    try {
      const answer = await cluster.probePod(name, options.port, options.readyPath, options.probeTimeoutMs ?? DEFAULT_GATE_PROBE_TIMEOUT_MS)
      // Count consecutive Unhealthy answers only while the kubelet calls the pod Ready (a starting pod may fail,
      // and the gate times a never-Ready one itself). No answer at all says more about the proxy than the pod.
      const bad = answer.status !== 'error' && judgeHealthAnswer(answer).health === 'Unhealthy'
      const count = bad && isPodReady(pod) ? (failures.get(name) ?? 0) + 1 : 0
      failures.set(name, count)
      probes.set(name, { pod: name, ...answer, failures: count })
    } finally {
      inFlight.delete(name)
    }
    if (live.watch) evaluate(live.watch.snapshot())
  }

  const probeRound = () => {
    if (finished || !live.watch) return
    const snapshot = live.watch.snapshot()
    const newRs = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
    if (newRs && options.probeReadiness !== false) {
      const due = podsOwnedBy(newRs, snapshot.pods).filter((pod) => !isTerminating(pod) && pod.status?.podIP && !inFlight.has(nameOf(pod)))
      for (const pod of due) void probeOne(pod)
    }
    evaluate(snapshot)
  }

  /** Budget spent: say the most informative thing we know, with the last Warning event of a new pod when there is one. */
  let givingUp = false
  const giveUp = async (why: string) => {
    if (finished || givingUp || !live.watch) return
    givingUp = true
    const snapshot = live.watch.snapshot()
    const reason = lastReason || 'waiting'
    const event = lastEvaluation?.quotesHealthAnswer === true ? undefined : await lastWarningOfNewPods(cluster, snapshot).catch(() => undefined)
    finish('timeout', `${why}: ${event === undefined ? reason : `${reason}; ${event}`}`, live.watch.snapshot())
  }

  const timeout = setTimeout(() => void giveUp(`not done after ${formatDuration(options.timeoutMs)}`), options.timeoutMs)
  const onAbort = () => {
    const snapshot = live.watch?.snapshot()
    if (snapshot) finish('interrupted', 'interrupted', snapshot)
  }
  options.signal.addEventListener('abort', onAbort, { once: true })

  let watchError: Error | undefined
  const watch = await cluster.watch(
    options.deployment,
    (snapshot) => evaluate(snapshot),
    (error) => {
      watchError = error
    },
  )
  live.watch = watch
  if (options.signal.aborted) onAbort()
  evaluate(watch.snapshot())
  const ticker = setInterval(() => {
    if (watchError) {
      const snapshot = watch.snapshot()
      finish('failed', `lost the watch on ${options.deployment.metadata?.name}: ${watchError.message}`, snapshot)
      return
    }
    if (options.progressDeadlineMs !== undefined && now() - lastProgressAt > options.progressDeadlineMs) {
      void giveUp(`no progress for ${formatDuration(options.progressDeadlineMs)}`)
      return
    }
    probeRound()
  }, probeInterval)
  probeRound()

  try {
    return await done
  } finally {
    clearTimeout(timeout)
    clearInterval(ticker)
    options.signal.removeEventListener('abort', onAbort)
    watch.stop()
  }
}

/**
 * `pod web-x7k: Warning Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503 (×12)`: the latest
 * Warning event of a new pod that is not ready, or undefined when there is none.
 */
async function lastWarningOfNewPods(cluster: RegionCluster, snapshot: Snapshot): Promise<string | undefined> {
  const newRs = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
  if (!newRs) return undefined
  const waiting = new Set(podsOwnedBy(newRs, snapshot.pods).filter((pod) => !isPodReady(pod)).map(nameOf))
  if (waiting.size === 0) return undefined
  const events = await cluster.core.listNamespacedEvent({ namespace: cluster.namespace, fieldSelector: 'involvedObject.kind=Pod,type=Warning' })
  const when = (event: CoreV1Event) => timeOf(event.lastTimestamp) ?? timeOf(event.eventTime as Date | undefined) ?? 0
  const latest = events.items.filter((event) => waiting.has(event.involvedObject?.name ?? '')).sort((a, b) => when(a) - when(b)).at(-1)
  if (latest === undefined) return undefined
  const count = (latest.count ?? 1) > 1 ? ` (×${latest.count})` : ''
  return `pod ${latest.involvedObject.name}: last event ${latest.reason}: ${latest.message ?? ''}${count}`
}
