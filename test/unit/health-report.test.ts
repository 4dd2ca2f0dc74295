import { describe, expect, it } from 'vitest'
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import { componentRegionHealth, healthExitCode, judgeAnswer, rollUp, worst, type ProbeAnswer } from '../../src/health/report.js'
import { composeModel, healthFailure } from '../../src/health/probe.js'
import { renderHealthTable } from '../../src/health/render.js'
import type { Component, Environment, Region } from '../../src/platform/schema.js'
import { withPool } from '../../src/pool.js'

const deployment = (ready: number, desired = 2): V1Deployment => ({
  metadata: { name: 'web', generation: 1, uid: 'u1' },
  spec: { replicas: desired, selector: { matchLabels: { app: 'web' } }, template: {} },
  status: { observedGeneration: 1, replicas: desired, updatedReplicas: desired, readyReplicas: ready, availableReplicas: ready, conditions: [] },
})
const pod = (name: string, ready: boolean, waiting?: string, restarts = 0): V1Pod => ({
  metadata: { name, labels: { app: 'web' } },
  status: {
    phase: waiting === 'ErrImagePull' ? 'Pending' : 'Running',
    podIP: '10.0.0.1',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'web', image: 'web:1', imageID: '', ready, restartCount: restarts, ...(waiting ? { state: { waiting: { reason: waiting } } } : { state: { running: {} } }) }],
  },
})
const AT = '2026-12-02T09:00:00.000Z'
const healthy = JSON.stringify({ status: 'Healthy', entries: { database: { status: 'Healthy', duration: '00:00:00.01' } } })
const answer = (over: Partial<ProbeAnswer>): ProbeAnswer => ({ kind: 'ready', target: 'service web', status: 200, body: healthy, durationMs: 5, at: AT, ...over })

describe('judging a probe answer', () => {
  it('200 Healthy/Degraded, 503 Unhealthy, and explains the failing entry', () => {
    expect(judgeAnswer(answer({})).health).toBe('Healthy')
    const degraded = judgeAnswer(answer({ body: JSON.stringify({ status: 'Degraded', entries: { redis: { status: 'Degraded', description: 'slow' } } }) }))
    expect(degraded.health).toBe('Degraded')
    expect(degraded.summary).toMatch(/redis Degraded \(slow\)/)
    const down = judgeAnswer(answer({ status: 503, body: JSON.stringify({ status: 'Unhealthy', entries: { database: { status: 'Unhealthy', description: 'timeout' } } }) }))
    expect(down).toMatchObject({ health: 'Unhealthy', httpStatus: 503 })
    expect(down.summary).toMatch(/database Unhealthy \(timeout\)/)
  })

  it('a body that is not a health report is reported as such, not crashed on', () => {
    expect(judgeAnswer(answer({ body: '<html>oops</html>' }))).toMatchObject({ health: 'Degraded', summary: expect.stringMatching(/not with a health report/) })
    expect(judgeAnswer(answer({ body: '' })).summary).toMatch(/empty body/)
    expect(judgeAnswer(answer({ status: 404, body: 'Not Found' })).summary).toBe('ready: answered 404')
    const noEndpoints = judgeAnswer(answer({ status: 503, body: JSON.stringify({ kind: 'Status', message: 'no endpoints available for service "web"' }) }))
    expect(noEndpoints.summary).toBe('ready: answered 503 (no endpoints available for service "web")')
    expect(judgeAnswer(answer({ status: 'error', error: 'timeout after 5 s' }))).toMatchObject({ health: 'Unhealthy', summary: 'ready: no answer (timeout after 5 s)', error: 'timeout after 5 s' })
  })
})

describe('one component in one region', () => {
  it('is Healthy with all replicas ready and a Healthy report', () => {
    const h = componentRegionHealth('weu', deployment(2), [pod('web-a', true), pod('web-b', true)], [answer({})], AT)
    expect(h).toMatchObject({ health: 'Healthy', explanation: '2/2 ready, ready: Healthy' })
  })

  it('is Degraded with some replicas down, explained by the pod', () => {
    const h = componentRegionHealth('weu', deployment(1), [pod('web-a', true), pod('web-b', false, 'CrashLoopBackOff', 6)], [answer({})], AT)
    expect(h.health).toBe('Degraded')
    expect(h.explanation).toBe('1/2 ready: pod web-b CrashLoopBackOff, 6 restarts')
  })

  it('is Unhealthy with no replica ready, and a not-ready pod explains without counting', () => {
    const h = componentRegionHealth('weu', deployment(0), [pod('web-a', false)], [
      answer({ status: 503, body: JSON.stringify({ kind: 'Status', message: 'no endpoints available' }) }),
      answer({ target: 'pod web-a', status: 503, body: JSON.stringify({ status: 'Unhealthy', entries: { database: { status: 'Unhealthy', description: 'timeout' } } }), explainOnly: true }),
    ], AT)
    expect(h.health).toBe('Unhealthy')
    expect(h.explanation).toBe('0/1 ready: pod web-a Running, not ready; ready: Unhealthy: database Unhealthy (timeout)')
  })

  it('an explain-only probe does not make a partly ready component Unhealthy', () => {
    const h = componentRegionHealth('weu', deployment(1), [pod('web-a', true), pod('web-b', false)], [
      answer({}),
      answer({ target: 'pod web-b', status: 503, body: JSON.stringify({ status: 'Unhealthy', entries: {} }), explainOnly: true }),
    ], AT)
    expect(h.health).toBe('Degraded')
  })

  it('is Unhealthy when the deployment is missing; scaled to zero is Healthy', () => {
    expect(componentRegionHealth('weu', undefined, [], [], AT)).toMatchObject({ health: 'Unhealthy', explanation: 'deployment not found' })
    expect(componentRegionHealth('weu', deployment(0, 0), [], [], AT)).toMatchObject({ health: 'Healthy', explanation: 'scaled to zero' })
  })
})

describe('roll-up and exit codes', () => {
  it('takes the worst state and counts components', () => {
    expect(worst('Healthy', 'Degraded', 'Healthy')).toBe('Degraded')
    const region = (health: 'Healthy' | 'Degraded' | 'Unhealthy') => componentRegionHealth('weu', health === 'Healthy' ? deployment(2) : health === 'Degraded' ? deployment(1) : deployment(0), [], [], AT)
    const model = rollUp('prod', [{ region: 'weu', reachable: true, error: null, exitCode: null }], [
      { name: 'a', kind: 'service', health: 'Healthy', regions: [region('Healthy')], backlog: [] },
      { name: 'b', kind: 'worker', health: 'Degraded', regions: [region('Degraded')], backlog: [] },
    ], 10, AT)
    expect(model.health).toBe('Degraded')
    expect(model.counts).toEqual({ Healthy: 1, Degraded: 1, Unhealthy: 0, Unknown: 0 })
    expect(model.regions[0]).toMatchObject({ health: 'Degraded', counts: { Healthy: 1, Degraded: 1, Unhealthy: 0, Unknown: 0 } })
    expect(healthExitCode(model, 'unhealthy')).toBe(0)
    expect(healthExitCode(model, 'degraded')).toBe(82)
  })

  it('an unreachable region makes its lines Unknown, not Unhealthy; the reachable region keeps its real counts; exit 69', () => {
    const regions = [{ name: 'weu' }, { name: 'neu' }] as Region[]
    const components = [{ name: 'a', kind: 'service' }, { name: 'b', kind: 'worker' }, { name: 'c', kind: 'service' }] as Component[]
    const weu = { a: deployment(2), b: deployment(1), c: deployment(0) } as Record<string, V1Deployment>
    const model = composeModel(
      { environment: { name: 'prod' } as Environment, components, regions },
      [{ region: regions[0]!, at: AT }, { region: regions[1]!, error: 'ECONNREFUSED', exitCode: 69, at: AT }],
      (component, region) => componentRegionHealth(region.name, weu[component.name], [], [], AT),
      new Map(),
      10,
    )
    expect(model.regions).toEqual([
      { region: 'weu', reachable: true, health: 'Unhealthy', error: null, exitCode: null, counts: { Healthy: 1, Degraded: 1, Unhealthy: 1, Unknown: 0 } },
      { region: 'neu', reachable: false, health: 'Unknown', error: 'ECONNREFUSED', exitCode: 69, counts: { Healthy: 0, Degraded: 0, Unhealthy: 0, Unknown: 3 } },
    ])
    // Known bad stays bad; healthy or degraded where known and unknown elsewhere is Unknown.
    expect(model.components.map((c) => c.health)).toEqual(['Unknown', 'Unknown', 'Unhealthy'])
    expect(model.components[0]!.regions.map((r) => [r.health, r.explanation])).toEqual([['Healthy', '2/2 ready'], ['Unknown', 'region unreachable']])
    expect(model.counts).toEqual({ Healthy: 0, Degraded: 0, Unhealthy: 1, Unknown: 2 })
    expect(model.health).toBe('Unhealthy')
    expect(healthFailure(model, 'unhealthy')).toMatchObject({ exitCode: 69, message: 'region neu is unreachable: ECONNREFUSED' })

    const text = renderHealthTable(model, { style: (t) => t })
    expect(text).toMatch(/^b\s+worker\s+! degraded\s+\? unknown\s+weu: /m)
    expect(text.split('\n').at(-1)).toMatch(/^prod: ✗ unhealthy \(weu: 1 healthy, 1 degraded, 1 unhealthy; neu: unreachable, 3 unknown\) in 0\.0s$/)
  })
})

describe('the why column', () => {
  it('a component Unhealthy from its backlog while Degraded in one region says the backlog, not the Degraded region', () => {
    const regions = [{ name: 'weu' }, { name: 'neu' }] as Region[]
    const components = [{ name: 'w', kind: 'worker' }] as Component[]
    const backlog = new Map([['w', [{ entity: 'orders/w', active: 10, deadLetter: 250, health: 'Unhealthy' as const, summary: 'orders/w: 250 dead-lettered', at: AT }]]])
    const model = composeModel(
      { environment: { name: 'prod' } as Environment, components, regions },
      [{ region: regions[0]!, at: AT }, { region: regions[1]!, at: AT }],
      (_component, region) => componentRegionHealth(region.name, region.name === 'weu' ? deployment(1) : deployment(2), [], [], AT),
      backlog,
      10,
    )
    expect(model.components[0]!.health).toBe('Unhealthy')
    expect(renderHealthTable(model, { style: (t) => t })).toMatch(/^w\s+worker\s+! degraded\s+✓ healthy\s+orders\/w: 250 dead-lettered$/m)
    expect(healthFailure(model, 'unhealthy')?.message).toBe('prod is unhealthy: 1 component (w: orders/w: 250 dead-lettered)')
  })
})

describe('bounded pool', () => {
  it('never runs more than the limit at once and keeps result order', async () => {
    let running = 0
    let peak = 0
    const tasks = Array.from({ length: 20 }, (_, i) => async () => {
      running++
      peak = Math.max(peak, running)
      await new Promise((r) => setTimeout(r, 5))
      running--
      return i
    })
    expect(await withPool(tasks, 4)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(peak).toBe(4)
  })
})

describe('worker backlog', () => {
  it('is Degraded above the thresholds, naming the counts', async () => {
    const { judgeBacklog } = await import('../../src/health/backlog.js')
    expect(judgeBacklog('q', { active: 10, deadLetter: 0 }, { active: 1000, deadLetter: 0 }, AT)).toMatchObject({ health: 'Healthy' })
    const over = judgeBacklog('q', { active: 1500, deadLetter: 3 }, { active: 1000, deadLetter: 0 }, AT)
    expect(over.health).toBe('Degraded')
    expect(over.summary).toBe('backlog q: 1500 messages waiting (over 1000), 3 dead-lettered (over 0)')
  })
})
