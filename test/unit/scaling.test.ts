// Pure functions behind the AKS-shaped sandbox and `mkt health`'s scaling view: the HPA and KEDA decisions the
// sandbox's controllers make, how health judges them, and how a probe finds its Service port and pods.
import { describe, expect, it } from 'vitest'
import { decideHpa, decideScaledObject, demandPercent } from '../../src/sandbox/controllers/autoscaler.js'
import { backlogTrend, hpaView, scaledObjectView, SATURATION_THRESHOLD_MS } from '../../src/health/scaling.js'
import { selectorMatches, servicePortFor } from '../../src/health/targets.js'
import type { KubeObject } from '../../src/sandbox/types.js'

const NOW = Date.parse('2026-01-01T12:00:00Z')
const hpa = (status: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'api', generation: 1 },
  spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' }, minReplicas: 2, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
  status,
})
const scaledObject = (annotations: Record<string, string> = {}, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledObject',
  metadata: { name: 'worker', annotations },
  spec: { scaleTargetRef: { name: 'worker' }, minReplicaCount: 2, maxReplicaCount: 10, triggers: [{ type: 'azure-servicebus', metadata: { queueName: 'worker', messageCount: '100' } }], ...extra },
})

describe('the sandbox HPA controller', () => {
  it('stays at min at the baseline load, scales to max (TooManyReplicas) under a load fault', () => {
    expect(decideHpa(hpa(), 2, demandPercent([], 2), NOW)).toMatchObject({ desired: 2, utilization: 20 })
    const loaded = decideHpa(hpa(), 2, demandPercent([{ type: 'pod', id: 'l', component: 'api', kind: 'load', cpuPercent: 1000 }], 2), NOW)
    expect(loaded.desired).toBe(10)
    expect(loaded.status.conditions).toContainEqual(expect.objectContaining({ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas' }))
    expect(loaded.status.lastScaleTime).toBe('2026-01-01T12:00:00Z')
  })
})

describe('the sandbox KEDA operator', () => {
  it('follows the queue depth within min/max, pauses on the annotation, falls back after failures', () => {
    expect(decideScaledObject(scaledObject(), true, 2, 750, NOW).desired).toBe(8)
    expect(decideScaledObject(scaledObject(), true, 2, 5000, NOW).desired).toBe(10)
    expect(decideScaledObject(scaledObject(), true, 8, 0, NOW).desired).toBe(2)
    const paused = decideScaledObject(scaledObject({ 'autoscaling.keda.sh/paused': 'true' }), true, 8, 5000, NOW)
    expect(paused.desired).toBeUndefined()
    expect(paused.status.conditions).toContainEqual(expect.objectContaining({ type: 'Paused', status: 'True' }))
    // No queue: nothing changes (and nothing is written every poll) without a fallback; with one, it falls back.
    expect(decideScaledObject(scaledObject(), true, 4, undefined, NOW)).toMatchObject({ desired: undefined })
    let so = scaledObject({}, { fallback: { failureThreshold: 2, replicas: 6 } })
    so = { ...so, status: decideScaledObject(so, true, 4, undefined, NOW).status }
    const fallen = decideScaledObject(so, true, 4, undefined, NOW)
    expect(fallen.desired).toBe(6)
    expect(fallen.status.conditions).toContainEqual(expect.objectContaining({ type: 'Fallback', status: 'True' }))
  })
})

describe('mkt health: the scaling view', () => {
  const atMax = (since: string) => hpa({ currentReplicas: 10, desiredReplicas: 10, lastScaleTime: since, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200 } } }], conditions: [{ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', lastTransitionTime: '2026-01-01T10:00:00Z' }] }) as never

  it('an HPA at max is Degraded only past the threshold, timed from the later of transition and last scale', () => {
    const recent = hpaView(atMax(new Date(NOW - 60_000).toISOString()), NOW)
    expect(recent).toMatchObject({ health: 'Healthy', atMaxSince: new Date(NOW - 60_000).toISOString() })
    const long = hpaView(atMax(new Date(NOW - SATURATION_THRESHOLD_MS - 120_000).toISOString()), NOW)
    expect(long).toMatchObject({ health: 'Degraded', summary: 'saturated at max 10 replicas for 7m (cpu 200%/70%)' })
  })

  it('KEDA paused, not ready or in fallback is Degraded; a growing backlog at max is Degraded', () => {
    const paused = { ...scaledObject(), status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Paused', status: 'True', reason: 'ScaledObjectPaused', message: 'ScaledObject is paused' }] } }
    expect(scaledObjectView(paused as never, 2, null)).toMatchObject({ health: 'Degraded', summary: 'KEDA ScaledObject paused (ScaledObjectPaused): ScaledObject is paused' })
    const ready = { ...scaledObject(), status: { conditions: [{ type: 'Ready', status: 'True' }] } }
    const growing = backlogTrend('worker', 100, 2000, 2400, 1.5)
    expect(growing).toMatchObject({ trend: 'growing', change: 400, wantsReplicas: 24 })
    expect(scaledObjectView(ready as never, 10, growing)).toMatchObject({ health: 'Degraded', summary: "backlog growing at KEDA's max 10 replicas: backlog 2400 growing (+400 in 1.5s), wants 24 replicas" })
    expect(scaledObjectView(ready as never, 6, growing).health).toBe('Healthy')
  })
})

describe('mkt health: probe targets', () => {
  it('matches matchLabels and matchExpressions like the API server', () => {
    const selector = { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'canary', operator: 'DoesNotExist' }] }
    expect(selectorMatches(selector, { app: 'a', tier: 'api' })).toBe(true)
    expect(selectorMatches(selector, { app: 'a', tier: 'db' })).toBe(false)
    expect(selectorMatches(selector, { app: 'a', tier: 'web', canary: 'x' })).toBe(false)
    expect(selectorMatches({}, { app: 'a' })).toBe(false)
  })

  it('finds the Service port targeting the container port by name or number, and says when none does', () => {
    const container = { name: 'api', ports: [{ name: 'http', containerPort: 8080 }] }
    const byName = servicePortFor({ metadata: { name: 'api' }, spec: { ports: [{ name: 'metrics', port: 9090 }, { name: 'web', port: 80, targetPort: 'http' as never }] } }, container, 8080)
    expect(byName).toMatchObject({ ok: true, proxyPort: 'web' })
    const byNumber = servicePortFor({ metadata: { name: 'api' }, spec: { ports: [{ port: 80, targetPort: 8080 as never }] } }, container, 8080)
    expect(byNumber).toMatchObject({ ok: true, proxyPort: '80' })
    const none = servicePortFor({ metadata: { name: 'api' }, spec: { ports: [{ port: 80, targetPort: 9000 as never }] } }, container, 8080)
    expect(none).toEqual({ ok: false, reason: 'Service api has no port targeting container port 8080 (http) (ports: 80→9000)' })
  })
})
