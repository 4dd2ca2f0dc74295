// Waiting on a rollout's gates: watches (not polls) the Deployment, its ReplicaSets and pods, probes the
// new pods' /health/ready through the API server, and re-evaluates the pure gates (gates.ts) after every
// change and every probe round, until they pass, one fails, the budget runs out or the operation is interrupted.
import type { V1Deployment } from '@kubernetes/client-node'
import { formatDuration } from '../duration.js'
import type { RegionCluster, Snapshot } from './cluster.js'
import { evaluateGates, type GateEvaluation, type GateResult, type ReadinessProbe } from './gates.js'
import { isPodReady, isTerminating, podsOwnedBy } from './objects.js'
import { newReplicaSet } from './status.js'

export interface WaitOptions {
  deployment: V1Deployment
  /** Container port and readiness path of the component, probed through the pod proxy. */
  port: number
  readyPath: string
  bakeMs: number
  timeoutMs: number
  signal: AbortSignal
  expectedNewReplicas?: number
  probeReadiness?: boolean
  probeIntervalMs?: number
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

export async function waitForGates(cluster: RegionCluster, options: WaitOptions): Promise<WaitResult> {
  const now = options.now ?? Date.now
  const started = now()
  const probeInterval = options.probeIntervalMs ?? probeIntervalFromEnv() ?? 1000
  const probes = new Map<string, ReadinessProbe>()
  const failures = new Map<string, number>()
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
    const newRs = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
    const evaluation = evaluateGates({
      deployment: snapshot.deployment,
      newRs,
      pods: snapshot.pods,
      readinessProbes: [...probes.values()],
      bakeStartedAt,
      bakeMs: options.bakeMs,
      now: now(),
      ...(options.expectedNewReplicas === undefined ? {} : { expectedNewReplicas: options.expectedNewReplicas }),
      probeReadiness: options.probeReadiness ?? true,
    })
    lastEvaluation = evaluation
    bakeStartedAt = evaluation.bakeStartedAt
    if (evaluation.reason !== lastReason) {
      lastReason = evaluation.reason
      options.onProgress?.(evaluation)
    }
    if (evaluation.verdict === 'passed') finish('passed', evaluation.reason, snapshot)
    else if (evaluation.verdict === 'failed') finish('failed', evaluation.reason, snapshot)
  }

  const probeRound = async () => {
    if (finished || !live.watch) return
    const snapshot = live.watch.snapshot()
    const newRs = newReplicaSet(snapshot.deployment, snapshot.replicaSets)
    if (newRs && options.probeReadiness !== false) {
      const pods = podsOwnedBy(newRs, snapshot.pods).filter((pod) => !isTerminating(pod) && pod.status?.podIP)
      await Promise.all(
        pods.map(async (pod) => {
          const name = pod.metadata?.name ?? ''
          const answer = await cluster.probePod(name, options.port, options.readyPath, options.probeTimeoutMs ?? 5000)
          const healthy = answer.status === 200
          // Count consecutive bad answers only once the kubelet calls the pod Ready (starting pods may fail).
          const count = healthy || !isPodReady(pod) ? 0 : (failures.get(name) ?? 0) + 1
          failures.set(name, count)
          probes.set(name, { pod: name, ...answer, ...(count > 0 ? { failures: count } : {}) })
        }),
      )
    }
    evaluate(live.watch.snapshot())
  }

  const timeout = setTimeout(() => {
    const snapshot = live.watch?.snapshot()
    if (snapshot) finish('timeout', `not done after ${formatDuration(options.timeoutMs)}: ${lastReason || 'waiting'}`, snapshot)
  }, options.timeoutMs)
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
    void probeRound()
  }, probeInterval)
  void probeRound()

  try {
    return await done
  } finally {
    clearTimeout(timeout)
    clearInterval(ticker)
    options.signal.removeEventListener('abort', onAbort)
    watch.stop()
  }
}
