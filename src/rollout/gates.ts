// The release gates, evaluated on one snapshot of the world. The orchestrator re-evaluates on every watch event
// and probe answer, feeding back `bakeStartedAt`; a gate says why it is pending or failed in one line.
//
//   progress   Deployment rollout status (kubectl's predicate), or for a canary step the new ReplicaSet having
//              its step's replicas available; ProgressDeadlineExceeded fails it.
//   pods       fail-fast signals of the new ReplicaSet's pods (signals.ts); passes when all its pods are ready.
//   readiness  every new pod's /health/ready answers Healthy or Degraded (HTTP 200 with an ASP.NET Core
//              HealthChecks report); fails after `readinessFailureThreshold` consecutive bad answers of a pod.
//   bake       the three above passed without interruption for `bakeMs`.

import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { formatDuration } from '../duration.js'
import { isPodReady, nameOf, podsOwnedBy, quote } from './objects.js'
import { DEFAULT_RESTART_BURST, podFailureSignals, summarizePods, type PodSignal } from './signals.js'
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
// Health reports

export type HealthStatus = 'Healthy' | 'Degraded' | 'Unhealthy'

export interface HealthEntry {
  status: HealthStatus | 'Unknown'
  description?: string
  duration?: string
  /** The exception text some writers include for a failed check. */
  exception?: string
}

export interface HealthReport {
  status: HealthStatus | 'Unknown'
  totalDuration?: string
  entries: Record<string, HealthEntry>
  /** Why the body could not be read as a report (status is then Unknown). */
  error?: string
}

/**
 * Reads an ASP.NET Core HealthChecks response body; never throws. Understands the JSON report
 * (`{"status":"Healthy","totalDuration":"…","entries":{"database":{"status":"Healthy",…}}}`, the
 * HealthChecks.UI writer; `results` is accepted as a synonym of `entries`, as in Microsoft's sample writer;
 * status as text in any case, or as the HealthStatus enum number 0/1/2), and the framework's default plain-text
 * writer (the body is just `Healthy`). Anything else is `{ status: 'Unknown', error }`.
 */
export function parseHealthReport(body: string | undefined): HealthReport {
  if (body === undefined || body.trim() === '') return { status: 'Unknown', entries: {}, error: 'empty body' }
  const plain = healthStatusOf(body.trim())
  if (plain !== undefined && /^[a-z]+$/i.test(body.trim())) return { status: plain, entries: {} }

  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { status: 'Unknown', entries: {}, error: 'not JSON' }
  }
  if (!isRecord(json)) return { status: 'Unknown', entries: {}, error: 'not a health report (expected a JSON object)' }
  const status = healthStatusOf(json.status)
  const entries: Record<string, HealthEntry> = {}
  const rawEntries = isRecord(json.entries) ? json.entries : isRecord(json.results) ? json.results : {}
  for (const [name, raw] of Object.entries(rawEntries)) {
    if (!isRecord(raw)) {
      entries[name] = { status: 'Unknown' }
      continue
    }
    entries[name] = {
      status: healthStatusOf(raw.status) ?? 'Unknown',
      ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
      ...(typeof raw.duration === 'string' ? { duration: raw.duration } : {}),
      ...(typeof raw.exception === 'string' ? { exception: raw.exception } : {}),
    }
  }
  const report: HealthReport = {
    status: status ?? 'Unknown',
    entries,
    ...(typeof json.totalDuration === 'string' ? { totalDuration: json.totalDuration } : {}),
  }
  if (status === undefined) {
    report.error = json.status === undefined ? 'no "status" field' : `unknown status ${JSON.stringify(json.status)}`
  }
  return report
}

/** `Unhealthy: database Unhealthy (timeout), cache Degraded`: the report's status and its entries that are not Healthy. */
export function describeHealthReport(report: HealthReport): string {
  if (report.status === 'Unknown') return `not a health report (${report.error ?? 'unknown status'})`
  const troubled = Object.entries(report.entries)
    .filter(([, entry]) => entry.status !== 'Healthy')
    .map(([name, entry]) => {
      const why = entry.description ?? entry.exception
      return `${name} ${entry.status}${why === undefined ? '' : ` (${oneLine(why)})`}`
    })
  return troubled.length === 0 ? report.status : `${report.status}: ${troubled.join(', ')}`
}

const HEALTH_STATUS_BY_ENUM_NUMBER: Record<number, HealthStatus> = { 0: 'Unhealthy', 1: 'Degraded', 2: 'Healthy' }

function healthStatusOf(value: unknown): HealthStatus | undefined {
  if (typeof value === 'number') return HEALTH_STATUS_BY_ENUM_NUMBER[value]
  if (typeof value !== 'string') return undefined
  const lower = value.toLowerCase()
  return lower === 'healthy' ? 'Healthy' : lower === 'degraded' ? 'Degraded' : lower === 'unhealthy' ? 'Unhealthy' : undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const oneLine = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat
}

// ---------------------------------------------------------------------------------------------------------
// Readiness probes

export interface ReadinessProbe {
  /** Pod name. */
  pod: string
  /** HTTP status of GET /health/ready through the API server proxy, or 'error' when no answer came back. */
  status: number | 'error'
  body?: string
  /** For status 'error': what went wrong (connection refused, timeout, proxy 503…). */
  error?: string
  /**
   * Consecutive answers of this pod that were not Healthy/Degraded, this one included (the caller counts;
   * absent = 1 when this answer is bad). The readiness gate fails when it reaches the threshold.
   */
  failures?: number
}

export interface ProbeVerdict {
  healthy: boolean
  degraded: boolean
  /** `/health/ready answered 503 Unhealthy: database Unhealthy (timeout)` */
  summary: string
}

/** Reads one probe answer: only HTTP 200 with a Healthy or Degraded report counts as healthy. */
export function judgeProbe(probe: ReadinessProbe): ProbeVerdict {
  if (probe.status === 'error') {
    return { healthy: false, degraded: false, summary: `/health/ready did not answer${probe.error === undefined ? '' : ` (${oneLine(probe.error)})`}` }
  }
  const report = parseHealthReport(probe.body)
  if (probe.status !== 200) {
    const detail = report.status === 'Unknown' ? '' : ` ${describeHealthReport(report)}`
    return { healthy: false, degraded: false, summary: `/health/ready answered ${probe.status}${detail}` }
  }
  switch (report.status) {
    case 'Healthy':
      return { healthy: true, degraded: false, summary: '/health/ready Healthy' }
    case 'Degraded':
      return { healthy: true, degraded: true, summary: `/health/ready ${describeHealthReport(report)}` }
    case 'Unhealthy':
      return { healthy: false, degraded: false, summary: `/health/ready answered 200 but ${describeHealthReport(report)}` }
    case 'Unknown':
      return { healthy: false, degraded: false, summary: `/health/ready answered 200 but the body is not a health report (${report.error})` }
  }
}

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
  restartBurst?: { count: number; windowMs: number }
  unschedulableAfterMs?: number
}

export interface GateEvaluation {
  /** failed if any gate failed; passed if all passed; pending otherwise. */
  verdict: GateStatus
  /** The first failed gate's reason, else the first pending gate's, else a summary. */
  reason: string
  gates: GateResult[]
  /** Things that pass but deserve a line (Degraded readiness). */
  warnings: string[]
  /** Fail-fast pod signals found (also summarized in the pods gate). */
  signals: PodSignal[]
  /** Feed back as `bakeStartedAt` next time: undefined when the healthy stretch was broken or not started. */
  bakeStartedAt?: number
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
        })

  const progress = progressGate(input)
  const pods = podsGate(input.newRs, newPods, signals)
  const readiness = readinessGate(input, newPods, warnings)
  const others = [progress, pods, readiness]

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
  const pending = gates.find((gate) => gate.status === 'pending')
  const verdict: GateStatus = failed !== undefined ? 'failed' : pending !== undefined ? 'pending' : 'passed'
  const reason =
    failed !== undefined
      ? `${failed.gate}: ${failed.reason}`
      : pending !== undefined
        ? `${pending.gate}: ${pending.reason}`
        : `all gates passed (${bake.reason})`
  return { verdict, reason, gates, warnings, signals, ...(bakeStartedAt === undefined ? {} : { bakeStartedAt }) }
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

function readinessGate(input: GateInput, newPods: V1Pod[], warnings: string[]): GateResult {
  if (input.probeReadiness === false) return { gate: 'readiness', status: 'passed', reason: 'not probed' }
  if (input.newRs === undefined) return { gate: 'readiness', status: 'pending', reason: 'waiting for the new ReplicaSet' }
  if (newPods.length === 0) {
    return (input.newRs.spec?.replicas ?? 0) === 0
      ? { gate: 'readiness', status: 'passed', reason: 'no pods to probe (0 replicas)' }
      : { gate: 'readiness', status: 'pending', reason: 'waiting for pods of the new ReplicaSet' }
  }

  const latestProbe = new Map<string, ReadinessProbe>()
  for (const probe of input.readinessProbes) latestProbe.set(probe.pod, probe)
  const threshold = input.readinessFailureThreshold ?? DEFAULT_READINESS_FAILURE_THRESHOLD

  let firstProblem: string | undefined
  for (const pod of newPods) {
    const name = nameOf(pod)
    const probe = latestProbe.get(name)
    // A pod the kubelet does not yet call Ready is still starting: its bad answers are expected and only make
    // the gate wait (a pod that never becomes ready is the progress deadline's business).
    if (!isPodReady(pod)) {
      firstProblem ??= `waiting for pod ${name} to become ready${probe === undefined ? '' : ` (${judgeProbe(probe).summary})`}`
      continue
    }
    if (probe === undefined) {
      firstProblem ??= `waiting for /health/ready of pod ${name}`
      continue
    }
    const verdict = judgeProbe(probe)
    if (verdict.healthy) {
      if (verdict.degraded) warnings.push(`pod ${name}: ${verdict.summary}`)
      continue
    }
    const failures = probe.failures ?? 1
    if (failures >= threshold) {
      return { gate: 'readiness', status: 'failed', reason: `pod ${name}: ${verdict.summary} (${failures} times in a row)` }
    }
    firstProblem ??= `pod ${name}: ${verdict.summary}`
  }
  if (firstProblem !== undefined) return { gate: 'readiness', status: 'pending', reason: firstProblem }
  const degraded = warnings.length > 0 ? ` (${warnings.length} Degraded)` : ''
  return { gate: 'readiness', status: 'passed', reason: `${newPods.length} of ${newPods.length} new pods pass /health/ready${degraded}` }
}
