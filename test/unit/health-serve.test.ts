import { describe, expect, it } from 'vitest'
import { jittered } from '../../src/health/serve/aggregator.js'
import { autoscalerSeries } from '../../src/health/serve/metrics.js'
import { parseListen } from '../../src/health/serve/server.js'
import { createLimiter } from '../../src/pool.js'
import type { Attributes, SpanHandle } from '../../src/telemetry/index.js'
import { safeAttributes } from '../../src/telemetry/index.js'
import { traceRollout } from '../../src/telemetry/rollout.js'
import { redactor } from '../../src/redact.js'

describe('autoscaler series', () => {
  it('an HPA gives current and max; one KEDA owns (or a ScaledObject targets) is keda; a lone ScaledObject gives max', () => {
    const hpa = (name: string, target: string, current: number, max: number, owner?: string) => ({
      metadata: { name, ...(owner ? { ownerReferences: [{ apiVersion: 'keda.sh/v1alpha1', kind: owner, name: target, uid: 'u' }] } : {}) },
      spec: { scaleTargetRef: { kind: 'Deployment', name: target }, maxReplicas: max },
      status: { currentReplicas: current },
    })
    const scaledObject = (target: string, max?: number) => ({ metadata: { name: target }, spec: { scaleTargetRef: { name: target }, ...(max ? { maxReplicaCount: max } : {}) } })
    expect(
      autoscalerSeries(
        [hpa('search', 'marketplace-search-service', 3, 10), hpa('keda-hpa-indexing', 'asset-indexing-worker', 2, 20, 'ScaledObject')],
        [scaledObject('asset-indexing-worker', 20), scaledObject('installation-worker')],
      ),
    ).toEqual([
      { component: 'asset-indexing-worker', autoscaler: 'keda', current: 2, max: 20 },
      { component: 'installation-worker', autoscaler: 'keda', current: null, max: 100 },
      { component: 'marketplace-search-service', autoscaler: 'hpa', current: 3, max: 10 },
    ])
  })

  it('ignores HPAs that scale something other than a Deployment', () => {
    expect(autoscalerSeries([{ metadata: { name: 's' }, spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'db' }, maxReplicas: 3 } }], [])).toEqual([])
  })
})

describe('--listen', () => {
  it('takes host:port, [v6]:port and :port; rejects the rest', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseListen(':0')).toEqual({ host: '0.0.0.0', port: 0 })
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 })
    for (const bad of ['nope', '127.0.0.1', '1.2.3.4:70000', 'a:b']) expect(parseListen(bad), bad).toBeUndefined()
  })
})

describe('probe scheduling', () => {
  it('jitter stays within ±20 %', () => {
    expect(jittered(15_000, 0)).toBe(12_000)
    expect(jittered(15_000, 1)).toBe(18_000)
  })

  it('the limiter never runs more than its limit, even as tasks finish and arrive', async () => {
    const limit = createLimiter(3)
    let running = 0
    let peak = 0
    const task = (ms: number) => () =>
      new Promise<number>((resolve) => {
        running++
        peak = Math.max(peak, running)
        setTimeout(() => {
          running--
          resolve(ms)
        }, ms)
      })
    const first = Array.from({ length: 5 }, (_, i) => limit(task(5 + i)))
    await first[0]
    const more = Array.from({ length: 5 }, () => limit(task(3)))
    await Promise.all([...first, ...more])
    expect(peak).toBe(3)
    expect(running).toBe(0)
  })
})

interface Recorded {
  name: string
  attributes: Attributes
  start?: number
  end?: number
  error?: string
  events: string[]
  children: Recorded[]
}

function recorder(name = 'root'): { span: SpanHandle; record: Recorded } {
  const record: Recorded = { name, attributes: {}, events: [], children: [] }
  const span: SpanHandle = {
    setAttributes: (a) => Object.assign(record.attributes, a),
    addEvent: (n) => record.events.push(n),
    child: (n, a = {}, start) => {
      const child = recorder(n)
      Object.assign(child.record.attributes, a)
      if (start !== undefined) child.record.start = start
      record.children.push(child.record)
      return child.span
    },
    end: (o = {}) => {
      record.end = o.endTime ?? -1
      if (o.error) record.error = o.error
    },
  }
  return { span, record }
}

describe('rollout spans from engine events', () => {
  it('a span per item, a phase per event kind closed by the next, gates with verdicts, the rollback phase', () => {
    const { span, record } = recorder()
    let t = 0
    const seen: string[] = []
    const trace = traceRollout(span, 'deploy', (e) => seen.push(e.kind), () => (t += 10))
    const say = (kind: Parameters<typeof trace.onEvent>[0]['kind']) => trace.onEvent({ region: 'weu', component: 'web', kind, message: kind })
    for (const kind of ['lock', 'patch', 'undo', 'wait', 'wait', 'failed', 'rollback', 'rolled-back'] as const) say(kind)
    trace.finish([{ region: 'weu', component: 'web', attributes: { 'mkt.verdict': 'rolled-back' }, gates: [{ gate: 'pods', status: 'failed', reason: 'CrashLoopBackOff' }], error: 'CrashLoopBackOff' }])
    expect(seen).toHaveLength(8) // every event still reaches the progress sink
    const item = record.children[0]!
    expect(item).toMatchObject({ name: 'deploy web', attributes: { 'mkt.component': 'web', 'mkt.region': 'weu', 'mkt.verdict': 'rolled-back' }, error: 'CrashLoopBackOff' })
    expect(item.children.map((c) => c.name)).toEqual(['lock', 'patch', 'gates', 'rollback', 'gate pods'])
    const [lock, patch, gates, rollback, gate] = item.children
    expect([lock!.start, lock!.end, patch!.start, patch!.end]).toEqual([10, 20, 20, 40])
    expect(gates).toMatchObject({ start: 40, end: 60, events: ['wait', 'wait'] })
    expect(patch!.events).toEqual(['patch', 'undo'])
    expect(item.events).toEqual(['failed', 'rolled-back']) // outcomes belong to the item, after its phase closed
    expect(rollback).toMatchObject({ start: 70, end: 80 })
    expect(gate).toMatchObject({ start: 40, end: 60, attributes: { 'mkt.verdict': 'failed', 'mkt.gate': 'pods' }, error: 'CrashLoopBackOff' })
  })

  it('attribute values are redacted and empty ones dropped', () => {
    redactor.register('s3cr3t-value-123')
    try {
      expect(safeAttributes({ a: 'x s3cr3t-value-123 y', b: null, c: '', d: 3 })).toEqual({ a: 'x *** y', d: 3 })
    } finally {
      redactor.clear()
    }
  })
})
