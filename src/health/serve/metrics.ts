// /metrics of `mkt health serve`, in the Prometheus text format through prom-client (loaded only here).
// Label sets are bounded by the platform (environment × region × component × probe kind), never by pod
// names or messages, so the series count stays fixed however long the process runs.
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Health, HealthModel } from '../report.js'
import type { HealthAggregator } from './aggregator.js'

export const HEALTH_VALUE: Record<Health, number> = { Healthy: 0, Degraded: 1, Unhealthy: 2 }

export interface AutoscalerSeries {
  component: string
  autoscaler: 'hpa' | 'keda'
  current: number | null
  max: number
}

interface Autoscaling extends KubernetesObject {
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; maxReplicas?: number; maxReplicaCount?: number }
  status?: { currentReplicas?: number }
}

/**
 * Pure: current and maximum replicas per scaled Deployment. An HPA says both; KEDA scales through an HPA it
 * owns (keda-hpa-<name>), so a ScaledObject names the autoscaler, and stands alone (its maxReplicaCount,
 * default 100) only until KEDA has made that HPA.
 */
export function autoscalerSeries(hpas: readonly Autoscaling[], scaledObjects: readonly Autoscaling[]): AutoscalerSeries[] {
  const kedaTargets = new Set(scaledObjects.map((so) => so.spec?.scaleTargetRef?.name).filter((n): n is string => n !== undefined))
  const series = new Map<string, AutoscalerSeries>()
  for (const hpa of hpas) {
    const target = hpa.spec?.scaleTargetRef
    if (!target?.name || (target.kind !== undefined && target.kind !== 'Deployment')) continue
    const keda = kedaTargets.has(target.name) || (hpa.metadata?.ownerReferences ?? []).some((o) => o.kind === 'ScaledObject')
    series.set(target.name, { component: target.name, autoscaler: keda ? 'keda' : 'hpa', current: hpa.status?.currentReplicas ?? null, max: hpa.spec?.maxReplicas ?? 0 })
  }
  for (const so of scaledObjects) {
    const name = so.spec?.scaleTargetRef?.name
    if (name && !series.has(name)) series.set(name, { component: name, autoscaler: 'keda', current: null, max: so.spec?.maxReplicaCount ?? 100 })
  }
  return [...series.values()].sort((a, b) => a.component.localeCompare(b.component))
}

export interface HealthMetrics {
  contentType: string
  render(): Promise<string>
}

export async function createHealthMetrics(aggregator: HealthAggregator, environment: string): Promise<HealthMetrics> {
  const client = await import('prom-client')
  const registry = new client.Registry()
  registry.setDefaultLabels({ env: environment })
  client.collectDefaultMetrics({ register: registry })
  const line = ['region', 'component', 'kind'] as const
  const componentHealth = new client.Gauge({ name: 'mkt_component_health', help: 'Health of a component in a region: 0 Healthy, 1 Degraded, 2 Unhealthy.', labelNames: line, registers: [registry] })
  const replicasReady = new client.Gauge({ name: 'mkt_replicas_ready', help: 'Ready replicas of the component (Deployment status).', labelNames: line, registers: [registry] })
  const replicasDesired = new client.Gauge({ name: 'mkt_replicas_desired', help: 'Desired replicas of the component (Deployment spec).', labelNames: line, registers: [registry] })
  const regionReachable = new client.Gauge({ name: 'mkt_region_reachable', help: '1 when the region API server answers the watches, else 0.', labelNames: ['region'], registers: [registry] })
  const backlogActive = new client.Gauge({ name: 'mkt_backlog_active_messages', help: 'Active messages waiting in a consumed queue or subscription.', labelNames: ['component', 'entity'], registers: [registry] })
  const backlogDead = new client.Gauge({ name: 'mkt_backlog_dead_letter_messages', help: 'Dead-lettered messages of a consumed queue or subscription.', labelNames: ['component', 'entity'], registers: [registry] })
  const updatedAt = new client.Gauge({ name: 'mkt_health_updated_timestamp_seconds', help: 'When the roll-up was last recomputed (Unix time).', registers: [registry] })
  const probeDuration = new client.Histogram({
    name: 'mkt_probe_duration_seconds',
    help: 'Latency of health probes (/health/ready, /health/live through the API server, or the direct URL).',
    labelNames: ['region', 'component', 'probe', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const autoscalerLabels = ['region', 'component', 'autoscaler'] as const
  const autoscalers = () => aggregator.watches().flatMap(({ region, watch }) => autoscalerSeries(watch.objects('horizontalpodautoscalers'), watch.objects('scaledobjects')).map((s) => ({ region, ...s })))
  new client.Gauge({
    name: 'mkt_autoscaler_replicas_current',
    help: 'Replicas the autoscaler (HPA, or KEDA through its HPA) currently wants.',
    labelNames: autoscalerLabels,
    registers: [registry],
    collect() {
      this.reset()
      for (const s of autoscalers()) if (s.current !== null) this.set({ region: s.region, component: s.component, autoscaler: s.autoscaler }, s.current)
    },
  })
  new client.Gauge({
    name: 'mkt_autoscaler_replicas_max',
    help: 'The most replicas the autoscaler may scale to.',
    labelNames: autoscalerLabels,
    registers: [registry],
    collect() {
      this.reset()
      for (const s of autoscalers()) this.set({ region: s.region, component: s.component, autoscaler: s.autoscaler }, s.max)
    },
  })

  const record = (model: HealthModel) => {
    for (const gauge of [componentHealth, replicasReady, replicasDesired, regionReachable, backlogActive, backlogDead]) gauge.reset()
    for (const region of model.regions) regionReachable.set({ region: region.region }, region.reachable ? 1 : 0)
    for (const component of model.components) {
      for (const r of component.regions) {
        // An unreachable region's lines are unknown: no sample (mkt_region_reachable 0 says why), not a made-up value.
        if (r.health === 'Unknown') continue
        const labels = { region: r.region, component: component.name, kind: component.kind }
        componentHealth.set(labels, HEALTH_VALUE[r.health])
        replicasReady.set(labels, r.replicas.ready)
        replicasDesired.set(labels, r.replicas.desired)
      }
      for (const b of component.backlog) {
        if (b.active !== null) backlogActive.set({ component: component.name, entity: b.entity }, b.active)
        if (b.deadLetter !== null) backlogDead.set({ component: component.name, entity: b.entity }, b.deadLetter)
      }
    }
    updatedAt.set(Date.parse(model.checkedAt) / 1000)
  }
  const current = aggregator.current()
  if (current) record(current)
  aggregator.subscribe({
    updated: record,
    probed: (region, component, answer) =>
      probeDuration.observe({ region, component, probe: answer.kind, outcome: answer.status === 'error' ? 'error' : String(answer.status) }, answer.durationMs / 1000),
  })
  return { contentType: registry.contentType, render: () => registry.metrics() }
}
