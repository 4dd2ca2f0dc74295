// The autoscalers of a real AKS namespace, simulated: the HorizontalPodAutoscaler controller (autoscaling/v2,
// kube-controller-manager's podautoscaler) and KEDA's ScaledObject operator (keda.sh/v1alpha1). Both read a
// metric, decide a replica count within min/max, write it to the target Deployment's spec.replicas (as the
// scale subresource would) and report status with the conditions the real controllers set.
//
// Metrics are simulated: CPU utilization is a steady 20% of the pods' request unless a `load` pod fault raises
// the demand; KEDA's azure-servicebus trigger reads the active message count of the sandbox's own Service Bus.
import { formatTime } from '../clock.js'
import type { PodFault } from '../faults.js'
import type { KubeObject, Store } from '../types.js'
import { R } from './api.js'

export const HPA_RESOURCE = 'horizontalpodautoscalers.autoscaling'
export const SCALED_OBJECT_RESOURCE = 'scaledobjects.keda.sh'
/** The utilization the seeded pods run at without a load fault. */
export const BASELINE_CPU_PERCENT = 20
/** A load fault without cpuPercent: ten times the request at the minimum replicas. */
export const DEFAULT_LOAD_PERCENT = 1000
/** kube-controller-manager's --horizontal-pod-autoscaler-tolerance. */
const TOLERANCE = 0.1
export const KEDA_PAUSED = 'autoscaling.keda.sh/paused'
export const KEDA_PAUSED_REPLICAS = 'autoscaling.keda.sh/paused-replicas'

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  lastTransitionTime: string
}

type Spec = Record<string, unknown>
const num = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : fallback)

/** Keeps lastTransitionTime of a condition whose status did not change (as every controller does). */
export function withTransitions(previous: unknown, next: Omit<Condition, 'lastTransitionTime'>[], now: number): Condition[] {
  const before = Array.isArray(previous) ? (previous as Condition[]) : []
  return next.map((c) => {
    const old = before.find((b) => b.type === c.type)
    return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : formatTime(now) }
  })
}

// ---- HorizontalPodAutoscaler ----------------------------------------------------------------------

export interface HpaDecision {
  desired: number
  utilization: number
  status: Record<string, unknown>
}

/** The CPU utilization target of an HPA's metrics (autoscaling/v2 Resource cpu Utilization), default 80 like the API. */
export function cpuTarget(hpa: KubeObject): number {
  const metrics = Array.isArray(hpa.spec?.metrics) ? (hpa.spec.metrics as Spec[]) : []
  const cpu = metrics.find((m) => m.type === 'Resource' && (m.resource as Spec | undefined)?.name === 'cpu')
  return num(((cpu?.resource as Spec | undefined)?.target as Spec | undefined)?.averageUtilization, 80)
}

/**
 * One HPA sync (pure): utilization = demand / current replicas, desired = ceil(current × utilization / target)
 * outside the tolerance, clamped to min/max; conditions AbleToScale, ScalingActive, ScalingLimited as the
 * podautoscaler controller words them.
 */
export function decideHpa(hpa: KubeObject, current: number, demandPercent: number, now: number): HpaDecision {
  const min = num(hpa.spec?.minReplicas, 1)
  const max = num(hpa.spec?.maxReplicas, min)
  const target = cpuTarget(hpa)
  const utilization = current > 0 ? Math.round(demandPercent / current) : 0
  const ratio = utilization / target
  const proposed = current === 0 ? min : Math.abs(ratio - 1) <= TOLERANCE ? current : Math.ceil(current * ratio)
  const desired = Math.min(max, Math.max(min, proposed))
  const limited =
    proposed > max
      ? { status: 'True' as const, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' }
      : proposed < min
        ? { status: 'True' as const, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' }
        : { status: 'False' as const, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' }
  const previous = hpa.status ?? {}
  const rescaled = desired !== current
  const conditions = withTransitions(
    previous.conditions,
    [
      rescaled
        ? { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
      { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' },
      { type: 'ScalingLimited', ...limited },
    ],
    now,
  )
  return {
    desired,
    utilization,
    status: {
      observedGeneration: hpa.metadata.generation ?? 1,
      ...(rescaled ? { lastScaleTime: formatTime(now) } : previous.lastScaleTime ? { lastScaleTime: previous.lastScaleTime } : {}),
      currentReplicas: current,
      desiredReplicas: desired,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: utilization, averageValue: `${Math.round(utilization * 2.5)}m` } } }],
      conditions,
    },
  }
}

// ---- KEDA ScaledObject -------------------------------------------------------------------------------

interface ServiceBusTrigger {
  entity: string
  metricName: string
  target: number
  activation: number
}

/** The first azure-servicebus trigger: its queue (or topic/Subscriptions/subscription), messageCount and activation. */
export function serviceBusTrigger(scaledObject: KubeObject): ServiceBusTrigger | undefined {
  const triggers = Array.isArray(scaledObject.spec?.triggers) ? (scaledObject.spec.triggers as Spec[]) : []
  const trigger = triggers.find((t) => t.type === 'azure-servicebus')
  const metadata = (trigger?.metadata ?? {}) as Record<string, string>
  const entity = metadata.queueName ?? (metadata.topicName && metadata.subscriptionName ? `${metadata.topicName}/Subscriptions/${metadata.subscriptionName}` : undefined)
  if (!trigger || !entity) return undefined
  return { entity, metricName: `s0-azure-servicebus-${(metadata.queueName ?? metadata.topicName)!.toLowerCase()}`, target: num(metadata.messageCount, 5), activation: num(metadata.activationMessageCount, 0) }
}

export interface ScaledObjectDecision {
  /** undefined: leave the Deployment as it is (paused without a replica count). */
  desired: number | undefined
  status: Record<string, unknown>
}

/**
 * One ScaledObject sync (pure). Paused (annotation) keeps or pins the replicas; an unreadable metric (a queue
 * that does not exist) counts a failure in status.health and, past the fallback's failureThreshold, scales to the
 * fallback replicas (Fallback True); Ready is about the ScaledObject's own definition (target, trigger);
 * otherwise replicas = ceil(depth / messageCount) within min/max, 0 below the activation when min is 0.
 */
export function decideScaledObject(scaledObject: KubeObject, targetExists: boolean, current: number, depth: number | undefined, now: number): ScaledObjectDecision {
  const spec = scaledObject.spec ?? {}
  const previous = scaledObject.status ?? {}
  const min = num(spec.minReplicaCount, 0)
  const max = num(spec.maxReplicaCount, 100)
  const trigger = serviceBusTrigger(scaledObject)
  const annotations = scaledObject.metadata.annotations ?? {}
  const pausedReplicas = annotations[KEDA_PAUSED_REPLICAS]
  const paused = annotations[KEDA_PAUSED] === 'true' || pausedReplicas !== undefined
  const health = (previous.health ?? {}) as Record<string, { numberOfFailures: number; status: string }>
  const failuresBefore = trigger ? (health[trigger.metricName]?.numberOfFailures ?? 0) : 0
  const failures = depth === undefined ? failuresBefore + 1 : 0
  const fallback = spec.fallback as { failureThreshold?: number; replicas?: number } | undefined
  const inFallback = !paused && fallback !== undefined && depth === undefined && failures >= num(fallback.failureThreshold, 3)

  let ready: Omit<Condition, 'lastTransitionTime'> = { type: 'Ready', status: 'True', reason: 'ScaledObjectReady', message: 'ScaledObject is defined correctly and is ready for scaling' }
  if (!targetExists) ready = { type: 'Ready', status: 'False', reason: 'ScaledObjectCheckFailed', message: `ScaledObject doesn't have correct scaleTargetRef specification: deployments.apps "${String((spec.scaleTargetRef as Spec | undefined)?.name)}" not found` }
  else if (!trigger) ready = { type: 'Ready', status: 'False', reason: 'ScaledObjectCheckFailed', message: 'ScaledObject has no azure-servicebus trigger with a queueName or topicName/subscriptionName' }

  const active = depth !== undefined && trigger !== undefined && depth > trigger.activation
  let desired: number | undefined
  if (!targetExists || !trigger) desired = undefined
  else if (paused) desired = pausedReplicas !== undefined ? num(pausedReplicas, current) : undefined
  else if (inFallback) desired = num(fallback!.replicas, current)
  else if (depth === undefined) desired = undefined
  else desired = Math.min(max, Math.max(min, active ? Math.ceil(depth / trigger.target) : min === 0 ? 0 : min))

  const conditions = withTransitions(
    previous.conditions,
    [
      ready,
      active
        ? { type: 'Active', status: 'True', reason: 'ScalerActive', message: 'Scaling is performed because triggers are active' }
        : { type: 'Active', status: 'False', reason: 'ScalerNotActive', message: depth === undefined && trigger ? `Scaling is not performed: error getting metric ${trigger.metricName}: messaging entity ${trigger.entity} could not be found` : 'Scaling is not performed because triggers are not active' },
      inFallback
        ? { type: 'Fallback', status: 'True', reason: 'FallbackExists', message: `At least one trigger is falling back on this scaled object (${fallback!.replicas} replicas)` }
        : { type: 'Fallback', status: 'False', reason: 'NoFallbackFound', message: 'No fallbacks are active on this scaled object' },
      paused
        ? { type: 'Paused', status: 'True', reason: 'ScaledObjectPaused', message: `ScaledObject is paused${pausedReplicas !== undefined ? ` at ${pausedReplicas} replicas` : ''}` }
        : { type: 'Paused', status: 'False', reason: 'ScaledObjectUnpaused', message: 'ScaledObject is not paused' },
    ],
    now,
  )
  return {
    desired,
    status: {
      scaleTargetKind: 'apps/v1.Deployment',
      scaleTargetGVKR: { group: 'apps', kind: 'Deployment', resource: 'deployments', version: 'v1' },
      originalReplicaCount: previous.originalReplicaCount ?? current,
      ...(active ? { lastActiveTime: formatTime(now) } : previous.lastActiveTime ? { lastActiveTime: previous.lastActiveTime } : {}),
      ...(trigger ? { externalMetricNames: [trigger.metricName] } : {}),
      // KEDA keeps the per-trigger failure count only for a ScaledObject with a fallback (it drives the fallback);
      // without one an unreadable queue changes nothing in the status, so nothing is written every poll.
      ...(trigger && fallback ? { health: { [trigger.metricName]: { numberOfFailures: failures, status: failures > 0 ? 'Failing' : 'Happy' } } } : {}),
      hpaName: `keda-hpa-${scaledObject.metadata.name}`,
      ...(paused && pausedReplicas !== undefined ? { pausedReplicaCount: num(pausedReplicas, current) } : {}),
      conditions,
    },
  }
}

// ---- The loop --------------------------------------------------------------------------------------------

export interface AutoscalerDeps {
  store: Store
  now: () => number
  /** The pod faults of a component (for `load`). */
  podFaults: (component: string) => PodFault[]
  /** Active messages of a Service Bus queue or `topic/Subscriptions/sub`; undefined when it does not exist. */
  queueDepth: (entity: string) => number | undefined
  log: (message: string, error?: unknown) => void
}

function targetOf(store: Store, scaler: KubeObject): KubeObject | undefined {
  const ref = (scaler.spec?.scaleTargetRef ?? {}) as Spec
  if (ref.kind !== undefined && ref.kind !== 'Deployment') return undefined
  return typeof ref.name === 'string' ? store.get(R.deployments, scaler.metadata.namespace, ref.name) : undefined
}

/** Writes the decided replicas to the Deployment (what `PUT …/deployments/{name}/scale` does) and the status. */
function apply(deps: AutoscalerDeps, resource: string, scaler: KubeObject, target: KubeObject | undefined, desired: number | undefined, status: Record<string, unknown>): void {
  if (target && desired !== undefined && desired !== (target.spec?.replicas ?? 1)) {
    deps.store.update(R.deployments, { ...target, spec: { ...target.spec, replicas: desired } })
    deps.log(`${resource === HPA_RESOURCE ? 'hpa' : 'keda'}: ${scaler.metadata.namespace}/${scaler.metadata.name} scaled ${target.metadata.name} to ${desired}`)
  }
  deps.store.update(resource, { ...scaler, status }, { subresource: 'status' })
}

/** The load a component's pods are under, as total CPU utilization at `minReplicas` pods. */
export function demandPercent(faults: readonly PodFault[], minReplicas: number): number {
  const load = faults.find((f) => f.kind === 'load')
  return (load ? (load.cpuPercent ?? DEFAULT_LOAD_PERCENT) : BASELINE_CPU_PERCENT) * Math.max(1, minReplicas)
}

export function syncHpa(deps: AutoscalerDeps, hpa: KubeObject): void {
  const target = targetOf(deps.store, hpa)
  const now = deps.now()
  if (!target) {
    const conditions = withTransitions(hpa.status?.conditions, [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: deployments/scale.apps "${String((hpa.spec?.scaleTargetRef as Spec | undefined)?.name)}" not found` }], now)
    deps.store.update(HPA_RESOURCE, { ...hpa, status: { ...hpa.status, observedGeneration: hpa.metadata.generation ?? 1, currentReplicas: 0, desiredReplicas: 0, conditions } }, { subresource: 'status' })
    return
  }
  const component = (target.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels?.['app.kubernetes.io/name'] ?? target.metadata.name
  const decision = decideHpa(hpa, num(target.spec?.replicas, 1), demandPercent(deps.podFaults(component), num(hpa.spec?.minReplicas, 1)), now)
  apply(deps, HPA_RESOURCE, hpa, target, decision.desired, decision.status)
}

export function syncScaledObject(deps: AutoscalerDeps, scaledObject: KubeObject): void {
  const target = targetOf(deps.store, scaledObject)
  const trigger = serviceBusTrigger(scaledObject)
  const depth = trigger ? deps.queueDepth(trigger.entity) : undefined
  const decision = decideScaledObject(scaledObject, target !== undefined, num(target?.spec?.replicas, 1), depth, deps.now())
  apply(deps, SCALED_OBJECT_RESOURCE, scaledObject, target, decision.desired, decision.status)
}
