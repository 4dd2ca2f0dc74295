// The autoscaler's view of a component for `mkt health`: its HorizontalPodAutoscaler (autoscaling/v2) or KEDA
// ScaledObject (keda.sh/v1alpha1), judged by the rules the README documents:
// - HPA: at its maximum (ScalingLimited True, TooManyReplicas) for longer than SATURATION_THRESHOLD_MS is
//   Degraded ("saturated at max 10 replicas for 7m"); AbleToScale or ScalingActive False is Degraded.
// - KEDA: Paused True, Ready False or Fallback True is Degraded, with the condition's reason and message; a
//   backlog that grows while KEDA cannot add replicas (at max, paused, not ready, in fallback) is Degraded.
// - Otherwise the view only informs (Healthy). Ages are measured on the API server's clock (its Date header).
// Pure functions over API objects and backlog samples.
import type { Health } from './report.js'

/** How long an HPA may sit at its maximum before the component reads Degraded. */
export const SATURATION_THRESHOLD_MS = 5 * 60_000

export interface ScalingCondition {
  type: string
  status: string
  reason: string | null
  message: string | null
  lastTransitionTime: string | null
}

export interface BacklogTrend {
  entity: string
  /** Active messages at the second sample. */
  active: number | null
  /** Change between the two samples mkt took during the run. */
  change: number | null
  overSeconds: number | null
  trend: 'growing' | 'shrinking' | 'steady' | 'unknown'
  /** KEDA's target: messages per replica (the trigger's messageCount). */
  messagesPerReplica: number
  /** Replicas KEDA's target asks for at this backlog (before min/max). */
  wantsReplicas: number | null
}

export interface ScalingView {
  kind: 'HorizontalPodAutoscaler' | 'ScaledObject'
  name: string
  minReplicas: number
  maxReplicas: number
  currentReplicas: number | null
  desiredReplicas: number | null
  /** The HPA's metric against its target (`cpu 20%/70%`), or KEDA's trigger (`queue x, 100 messages/replica`). */
  metric: string | null
  /** Since when the HPA has been held at its maximum (ScalingLimited TooManyReplicas). */
  atMaxSince: string | null
  conditions: ScalingCondition[]
  backlog: BacklogTrend | null
  health: Health
  summary: string
}

type Json = Record<string, unknown>
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {})
const arr = (value: unknown): Json[] => (Array.isArray(value) ? value.map(obj) : [])
const int = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : null)
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)

function conditionsOf(status: Json): ScalingCondition[] {
  return arr(status.conditions).map((c) => ({ type: String(c.type ?? ''), status: String(c.status ?? 'Unknown'), reason: text(c.reason), message: text(c.message), lastTransitionTime: text(c.lastTransitionTime) }))
}

/** `7m`, `1h5m`, `45s`. */
export function shortDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  return `${Math.floor(minutes / 60)}h${minutes % 60 ? `${minutes % 60}m` : ''}`
}

/** The scaler (HPA or ScaledObject) whose scaleTargetRef names this Deployment. */
export function scalerFor(deployment: string, scalers: readonly Json[]): Json | undefined {
  return scalers.find((s) => {
    const ref = obj(obj(s.spec).scaleTargetRef)
    return ref.name === deployment && (ref.kind === undefined || ref.kind === 'Deployment')
  })
}

/** `HorizontalPodAutoscaler x (2-10 replicas)` or `ScaledObject x (KEDA, 2-10 replicas)`. */
export function describeScaler(scaler: Json): string {
  const spec = obj(scaler.spec)
  const name = String(obj(scaler.metadata).name ?? '')
  return scaler.kind === 'ScaledObject'
    ? `ScaledObject ${name} (KEDA, ${int(spec.minReplicaCount) ?? 0}-${int(spec.maxReplicaCount) ?? 100} replicas)`
    : `HorizontalPodAutoscaler ${name} (${int(spec.minReplicas) ?? 1}-${int(spec.maxReplicas) ?? '?'} replicas)`
}

export function hpaView(hpa: Json, now: number): ScalingView {
  const spec = obj(hpa.spec)
  const status = obj(hpa.status)
  const name = String(obj(hpa.metadata).name ?? '')
  const min = int(spec.minReplicas) ?? 1
  const max = int(spec.maxReplicas) ?? min
  const current = int(status.currentReplicas)
  const desired = int(status.desiredReplicas)
  const conditions = conditionsOf(status)
  const metric =
    arr(spec.metrics)
      .filter((m) => m.type === 'Resource')
      .map((m) => {
        const resource = obj(m.resource)
        const target = int(obj(resource.target).averageUtilization)
        const seen = arr(status.currentMetrics).find((c) => obj(c.resource).name === resource.name)
        const value = int(obj(obj(seen?.resource).current).averageUtilization)
        return `${String(resource.name)} ${value === null ? '?' : `${value}%`}/${target === null ? '?' : `${target}%`}`
      })
      .join(', ') || null
  const limited = conditions.find((c) => c.type === 'ScalingLimited' && c.status === 'True' && c.reason === 'TooManyReplicas')
  // ScalingLimited keeps its transition time from TooFewReplicas to TooManyReplicas (both True), so the later of
  // it and the last scale (the one that reached the maximum) is when the HPA hit its ceiling.
  const since = [limited?.lastTransitionTime, text(status.lastScaleTime)].filter((t): t is string => !!t && Number.isFinite(Date.parse(t)))
  const atMaxSince = limited ? (since.sort((a, b) => Date.parse(b) - Date.parse(a))[0] ?? null) : null
  const broken = conditions.find((c) => (c.type === 'AbleToScale' || c.type === 'ScalingActive') && c.status === 'False')
  const replicas = `${current ?? '?'}→${desired ?? '?'} replicas (min ${min}, max ${max})${metric ? `, ${metric}` : ''}`
  let health: Health = 'Healthy'
  let summary = `HPA ${replicas}`
  if (broken) {
    health = 'Degraded'
    summary = `HPA ${broken.type} False (${broken.reason ?? 'no reason'}): ${broken.message ?? ''}`.trim()
  } else if (limited) {
    const held = now - (Date.parse(atMaxSince ?? '') || now)
    if (held > SATURATION_THRESHOLD_MS) {
      health = 'Degraded'
      summary = `saturated at max ${max} replicas for ${shortDuration(held)}${metric ? ` (${metric})` : ''}`
    } else {
      summary = `HPA at max ${max} replicas for ${shortDuration(held)} (Degraded after ${shortDuration(SATURATION_THRESHOLD_MS)})${metric ? `, ${metric}` : ''}`
    }
  }
  return { kind: 'HorizontalPodAutoscaler', name, minReplicas: min, maxReplicas: max, currentReplicas: current, desiredReplicas: desired, metric, atMaxSince, conditions, backlog: null, health, summary }
}

/** The ScaledObject's first azure-servicebus trigger: its entity and messages per replica (KEDA's default 5). */
export function kedaTarget(scaledObject: Json): { entity: string; messagesPerReplica: number } | undefined {
  const trigger = arr(obj(scaledObject.spec).triggers).find((t) => t.type === 'azure-servicebus')
  const metadata = obj(trigger?.metadata)
  const entity = text(metadata.queueName) ?? (text(metadata.topicName) && text(metadata.subscriptionName) ? `${String(metadata.topicName)}/Subscriptions/${String(metadata.subscriptionName)}` : null)
  return trigger && entity ? { entity, messagesPerReplica: int(metadata.messageCount) ?? 5 } : undefined
}

/** Two backlog samples as a trend against KEDA's target. */
export function backlogTrend(entity: string, messagesPerReplica: number, first: number | null, second: number | null, overSeconds: number): BacklogTrend {
  const change = first !== null && second !== null ? second - first : null
  const trend = change === null ? 'unknown' : change > 0 ? 'growing' : change < 0 ? 'shrinking' : 'steady'
  return { entity, active: second ?? first, change, overSeconds: change === null ? null : Math.round(overSeconds * 10) / 10, trend, messagesPerReplica, wantsReplicas: (second ?? first) === null ? null : Math.ceil((second ?? first)! / messagesPerReplica) }
}

export function scaledObjectView(scaledObject: Json, deploymentReplicas: number, backlog: BacklogTrend | null): ScalingView {
  const spec = obj(scaledObject.spec)
  const status = obj(scaledObject.status)
  const name = String(obj(scaledObject.metadata).name ?? '')
  const min = int(spec.minReplicaCount) ?? 0
  const max = int(spec.maxReplicaCount) ?? 100
  const conditions = conditionsOf(status)
  const is = (type: string, value: string) => conditions.find((c) => c.type === type && c.status === value)
  const target = kedaTarget(scaledObject)
  const metric = target ? `${target.entity}, ${target.messagesPerReplica} messages/replica` : null
  const paused = is('Paused', 'True')
  const notReady = is('Ready', 'False')
  const fallback = is('Fallback', 'True')
  const stuck = paused ?? notReady ?? fallback
  const backlogText = backlog?.active != null ? `backlog ${backlog.active}${backlog.change !== null && backlog.change !== 0 ? ` ${backlog.trend} (${backlog.change > 0 ? '+' : ''}${backlog.change} in ${backlog.overSeconds}s)` : ''}, wants ${backlog.wantsReplicas} replicas` : null
  let health: Health = 'Healthy'
  let summary = `KEDA ${deploymentReplicas} replicas (min ${min}, max ${max})${metric ? `, ${metric}` : ''}${backlogText ? `; ${backlogText}` : ''}`
  if (stuck) {
    health = 'Degraded'
    const what = paused ? 'paused' : notReady ? 'not ready' : 'in fallback'
    summary = `KEDA ScaledObject ${what} (${stuck.reason ?? stuck.type}): ${stuck.message ?? ''}`.trim() + (backlogText ? `; ${backlogText}` : '')
  } else if (backlog?.trend === 'growing' && deploymentReplicas >= max) {
    health = 'Degraded'
    summary = `backlog growing at KEDA's max ${max} replicas: ${backlogText}`
  }
  return { kind: 'ScaledObject', name, minReplicas: min, maxReplicas: max, currentReplicas: deploymentReplicas, desiredReplicas: int(status.pausedReplicaCount) ?? null, metric, atMaxSince: null, conditions, backlog, health, summary }
}
