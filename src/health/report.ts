// The health model: what Kubernetes and the application say about each component in each region, rolled
// up to Healthy / Degraded / Unhealthy with the one line that explains it. Pure functions over API objects
// and probe answers (probe.ts does the I/O).
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import { judgeHealthAnswer, type Health, type HealthReport } from './healthchecks.js'
import { isPodReady, isTerminating } from '../rollout/objects.js'
import { summarizePods } from '../rollout/signals.js'
import { deploymentRolloutStatus } from '../rollout/status.js'
import type { ScalingView } from './scaling.js'

export type { Health } from './healthchecks.js'
/**
 * What the roll-up says of a component in a region, a region, or the environment: a Health, or Unknown when the
 * region could not be read. Unknown is not Unhealthy (nothing says the pods are down) but not Healthy either:
 * it ranks above Degraded, so a component healthy in one region and unknown in another is Unknown, and below
 * Unhealthy, so a known failure is never hidden by an unreachable region.
 */
export type HealthOrUnknown = Health | 'Unknown'
const RANK: Record<HealthOrUnknown, number> = { Healthy: 0, Degraded: 1, Unknown: 2, Unhealthy: 3 }

export function worst(...states: Health[]): Health
export function worst(...states: HealthOrUnknown[]): HealthOrUnknown
export function worst(...states: HealthOrUnknown[]): HealthOrUnknown {
  return states.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'Healthy')
}

/** How many components (or component lines of a region) are in each state. */
export type HealthCounts = Record<HealthOrUnknown, number>

export function countHealth(states: readonly HealthOrUnknown[]): HealthCounts {
  const counts: HealthCounts = { Healthy: 0, Degraded: 0, Unhealthy: 0, Unknown: 0 }
  for (const state of states) counts[state]++
  return counts
}

export interface ProbeAnswer {
  /** `ready`, `live`, or `url` (the optional direct URL), and for workers the pod it came from. */
  kind: 'ready' | 'live' | 'url'
  target: string
  status: number | 'error'
  body?: string
  error?: string
  durationMs: number
  /** Asked only to explain a pod Kubernetes already calls not ready: shown, but not rolled up. */
  explainOnly?: boolean
  /** When the answer came (ISO 8601): a served roll-up mixes signals of different ages. */
  at: string
}

export interface ProbeResult {
  kind: ProbeAnswer['kind']
  target: string
  health: Health
  httpStatus: number | null
  durationMs: number
  summary: string
  report: { status: string; entries: Array<{ name: string; status: string; duration: string | null; description: string | null }> } | null
  error: string | null
  explainOnly: boolean
  at: string
}

export interface PodSummary {
  name: string
  phase: string
  ready: boolean
  restarts: number
  reason: string | null
}

export interface ComponentRegionHealth {
  region: string
  /** Unknown only when the region could not be read (unreachableComponentRegion). */
  health: HealthOrUnknown
  explanation: string
  replicas: { desired: number; ready: number; updated: number; available: number }
  rolloutInProgress: boolean
  conditions: Array<{ type: string; status: string; reason: string | null }>
  pods: PodSummary[]
  probes: ProbeResult[]
  /** When the Kubernetes state behind this line was read (the list, or the latest watch event). */
  observedAt: string
  /** The HPA's or KEDA's view (scaling.ts), null when no autoscaler targets the Deployment. */
  scaling: ScalingView | null
}

/** Reads one probe answer with the HealthChecks judge the deploy gates use too (healthchecks.ts). */
export function judgeAnswer(answer: ProbeAnswer): ProbeResult {
  const judged = judgeHealthAnswer(answer)
  return {
    kind: answer.kind,
    target: answer.target,
    durationMs: answer.durationMs,
    explainOnly: answer.explainOnly === true,
    health: judged.health,
    httpStatus: answer.status === 'error' ? null : answer.status,
    summary: `${answer.kind}: ${judged.summary}`,
    report: judged.report === null ? null : toReportJson(judged.report),
    error: answer.status === 'error' ? (answer.error ?? 'no answer') : null,
    at: answer.at,
  }
}

function toReportJson(report: HealthReport) {
  return {
    status: report.status,
    entries: Object.entries(report.entries).map(([name, entry]) => ({
      name,
      status: entry.status,
      duration: entry.duration ?? null,
      description: entry.description ?? null,
    })),
  }
}

export function podSummaries(pods: readonly V1Pod[]): PodSummary[] {
  return pods
    .filter((pod) => !isTerminating(pod))
    .map((pod) => {
      const statuses = pod.status?.containerStatuses ?? []
      const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason
      const oom = statuses.find((s) => s.lastState?.terminated?.reason === 'OOMKilled') ? 'OOMKilled' : undefined
      return {
        name: pod.metadata?.name ?? '',
        phase: pod.status?.phase ?? 'Unknown',
        ready: isPodReady(pod),
        restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
        reason: waiting ?? oom ?? (pod.status?.phase === 'Pending' ? 'Pending' : null),
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * One component in one region: the Kubernetes picture (replicas, rollout, pods) and the application's
 * answers, rolled up to the worst of them, explained by the most important problem.
 */
export function componentRegionHealth(region: string, deployment: V1Deployment | undefined, pods: readonly V1Pod[], answers: readonly ProbeAnswer[], observedAt: string): ComponentRegionHealth {
  // The cluster answered and has no such Deployment: nothing serves the component there, which is a known failure.
  if (!deployment) return emptyComponentRegion(region, 'Unhealthy', 'deployment not found', observedAt)
  const status = deployment.status ?? {}
  const replicas = {
    desired: deployment.spec?.replicas ?? 1,
    ready: status.readyReplicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    available: status.availableReplicas ?? 0,
  }
  const rollout = deploymentRolloutStatus(deployment)
  const probes = answers.map(judgeAnswer)
  const livePods = pods.filter((pod) => !isTerminating(pod))
  const conditions = (status.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? null }))

  // Kubernetes' view first: no ready pod is down whatever the app says; fewer than desired is degraded.
  let kube: Health = 'Healthy'
  let kubeWhy = `${replicas.ready}/${replicas.desired} ready`
  if (replicas.desired === 0) {
    kubeWhy = 'scaled to zero'
  } else if (replicas.ready === 0) {
    kube = 'Unhealthy'
    kubeWhy = summarizePods(livePods)
    if (livePods.length === 0) kubeWhy = `0/${replicas.desired} ready: no pods`
  } else if (replicas.ready < replicas.desired || livePods.some((pod) => !isPodReady(pod))) {
    kube = 'Degraded'
    kubeWhy = summarizePods(livePods)
  }
  if (rollout.state === 'failed') {
    kube = worst(kube, 'Degraded')
    kubeWhy = `${rollout.message}; ${kubeWhy}`
  }

  const counted = probes.filter((p) => !p.explainOnly)
  const app = worst(...counted.map((p) => p.health))
  const health = worst(kube, app)
  // Explain with the worst signal: the Kubernetes state when it is as bad as the app's, else the worst probe.
  // A not-ready pod's own health report says why Kubernetes holds it back: add it.
  // A pod's own answer names the pod: prefer it to the Service's (which reached one pod at random).
  const worstProbes = counted.filter((p) => p.health === app && app !== 'Healthy')
  const badPods = worstProbes.filter((p) => p.target.startsWith('pod '))
  const worstProbe = badPods[0] ?? worstProbes[0]
  const podReport = probes.find((p) => p.explainOnly && p.health !== 'Healthy' && p.report !== null)
  const explanation =
    health === 'Healthy'
      ? `${kubeWhy}${counted.some((p) => p.kind === 'ready') ? ', ready: Healthy' : ''}`
      : RANK[kube] >= RANK[app] || !worstProbe
        ? `${kubeWhy}${podReport ? `; ${podReport.summary}` : ''}`
        : badPods[0] === worstProbe
          ? `${worstProbe.target}: ${worstProbe.summary}${badPods.length > 1 ? ` (and ${badPods.length - 1} more pod${badPods.length > 2 ? 's' : ''})` : ''}`
          : worstProbe.summary
  return { region, health, explanation, replicas, rolloutInProgress: rollout.state === 'waiting', conditions, pods: podSummaries(livePods), probes, observedAt, scaling: null }
}

/** Adds the autoscaler's view: its health counts in the roll-up; it explains when nothing worse does. */
export function withScaling(regionHealth: ComponentRegionHealth, scaling: ScalingView | null): ComponentRegionHealth {
  if (!scaling) return regionHealth
  const health = worst(regionHealth.health, scaling.health)
  const explanation = RANK[scaling.health] > RANK[regionHealth.health] ? scaling.summary : regionHealth.explanation
  return { ...regionHealth, health, explanation, scaling }
}

/** A component in a region that could not be read: its state is unknown, the region's error says why. */
export function unreachableComponentRegion(region: string, observedAt: string): ComponentRegionHealth {
  return emptyComponentRegion(region, 'Unknown', 'region unreachable', observedAt)
}

function emptyComponentRegion(region: string, health: HealthOrUnknown, explanation: string, observedAt: string): ComponentRegionHealth {
  return {
    region,
    health,
    explanation,
    replicas: { desired: 0, ready: 0, updated: 0, available: 0 },
    rolloutInProgress: false,
    conditions: [],
    pods: [],
    probes: [],
    observedAt,
    scaling: null,
  }
}

export interface ComponentHealth {
  name: string
  kind: 'service' | 'worker'
  /** The worst of its regions and backlog (Unknown when a region could not be read and none is Unhealthy). */
  health: HealthOrUnknown
  regions: ComponentRegionHealth[]
  /** Service Bus backlog of what it consumes (environment-wide: one namespace serves every region). */
  backlog: Array<{ entity: string; active: number | null; deadLetter: number | null; health: Health; summary: string; at: string }>
}

export interface RegionHealth {
  region: string
  reachable: boolean
  health: HealthOrUnknown
  error: string | null
  /** The exit code of `error` (69 unreachable, 77 no or rejected credential). */
  exitCode: number | null
  /** The components' lines in this region by state (all Unknown when it is unreachable). */
  counts: HealthCounts
}

export interface HealthModel {
  environment: string
  health: HealthOrUnknown
  regions: RegionHealth[]
  components: ComponentHealth[]
  /** Components by their rolled-up health (across regions and backlog). */
  counts: HealthCounts
  durationMs: number
  /** When this roll-up was made (ISO 8601). */
  checkedAt: string
}

export function rollUp(environment: string, regions: ReadonlyArray<Omit<RegionHealth, 'health' | 'counts'>>, components: ComponentHealth[], durationMs: number, checkedAt: string): HealthModel {
  // Each region counts its own lines: an unreachable region's are Unknown, the others keep their real state.
  const regionHealth = regions.map((r) => {
    const lines = components.flatMap((c) => c.regions.filter((cr) => cr.region === r.region).map((cr) => cr.health))
    return { ...r, health: r.reachable ? worst(...lines) : ('Unknown' as const), counts: countHealth(lines) }
  })
  return {
    environment,
    health: worst(...regionHealth.map((r) => r.health), ...components.map((c) => c.health)),
    regions: regionHealth,
    components,
    counts: countHealth(components.map((c) => c.health)),
    durationMs,
    checkedAt,
  }
}

/** Exit code of `mkt health` once every region was read: 0 healthy, 82 unhealthy (or degraded with --fail-on degraded). */
export function healthExitCode(model: HealthModel, failOn: 'unhealthy' | 'degraded'): 0 | 82 {
  if (model.health === 'Unhealthy') return 82
  if (failOn === 'degraded' && model.health === 'Degraded') return 82
  return 0
}
