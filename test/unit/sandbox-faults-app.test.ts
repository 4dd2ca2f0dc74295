import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { connectionRefused, formatTimeSpan, healthReport, respond, SimulatedApp } from '../../src/sandbox/app.js'
import { compilePathPattern, decideApiFault, faultRoutes, FaultRegistry, FaultValidationError, podFaultMatches, type ApiFault, type PodFault } from '../../src/sandbox/faults.js'
import type { KubeObject, SandboxRouteRequest } from '../../src/sandbox/types.js'

const podWith = (component: string, image: string) => ({ metadata: { labels: { 'app.kubernetes.io/name': component } }, spec: { containers: [{ image }] } })
const podFault = (extra: Partial<PodFault>): PodFault => ({ type: 'pod', id: 'f', component: 'web', kind: 'not-ready', ...extra })
const apiFault = (extra: Partial<ApiFault>): ApiFault => ({ type: 'api', id: 'a', pathPattern: '/apis/**', ...extra })

describe('fault rules', () => {
  it('match pods by app.kubernetes.io/name and, when given, image tag', () => {
    expect(podFaultMatches(podFault({}), podWith('web', 'acr/web:1'))).toBe(true)
    expect(podFaultMatches(podFault({}), podWith('api', 'acr/web:1'))).toBe(false)
    expect(podFaultMatches(podFault({ imageTag: '2' }), podWith('web', 'acr/web:1'))).toBe(false)
    expect(podFaultMatches(podFault({ imageTag: '2' }), podWith('web', 'registry:5000/acr/web:2'))).toBe(true)
    expect(podFaultMatches(podFault({ component: '*' }), podWith('anything', 'x'))).toBe(true)
  })

  it('path patterns are globs (* within a segment, ** across) or ^regular expressions', () => {
    expect(compilePathPattern('/apis/apps/v1/namespaces/*/deployments').test('/apis/apps/v1/namespaces/default/deployments')).toBe(true)
    expect(compilePathPattern('/apis/apps/v1/namespaces/*/deployments').test('/apis/apps/v1/namespaces/a/b/deployments')).toBe(false)
    expect(compilePathPattern('/apis/**').test('/apis/apps/v1/deployments')).toBe(true)
    expect(compilePathPattern('^/api/v1/.*/pods$').test('/api/v1/namespaces/x/pods')).toBe(true)
    expect(() => compilePathPattern('^(')).toThrow(FaultValidationError)
  })

  it('API faults: latency always, status/drop at errorRate, control routes exempt', () => {
    const faults = [apiFault({ latencyMs: 200 }), apiFault({ id: 'b', status: 429, retryAfterSeconds: 3, errorRate: 0.5 })]
    expect(decideApiFault(faults, { path: '/apis/apps/v1/deployments' }, () => 0.2)).toEqual({ latencyMs: 200, status: 429, retryAfter: 3 })
    expect(decideApiFault(faults, { path: '/apis/apps/v1/deployments' }, () => 0.7)).toEqual({ latencyMs: 200 })
    expect(decideApiFault(faults, { path: '/api/v1/pods' }, () => 0)).toBeUndefined()
    expect(decideApiFault([apiFault({ pathPattern: '/**', drop: true })], { path: '/_sandbox/faults' })).toBeUndefined()
    expect(decideApiFault([apiFault({ drop: true })], { path: '/apis/x' }, () => 0)).toEqual({ drop: true })
  })

  it('the registry validates, persists to faults.json (0600) and reloads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mkt-faults-'))
    try {
      const registry = FaultRegistry.load(dir)
      let changes = 0
      registry.onChange(() => changes++)
      const added = registry.add({ component: 'web', kind: 'slow-ready', durationMs: 5000 })
      expect(added).toMatchObject({ type: 'pod', component: 'web', kind: 'slow-ready', durationMs: 5000 })
      expect(added.id).toMatch(/^fault-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
      registry.add({ id: 'slow-api', pathPattern: '/apis/**', latencyMs: 100 })
      expect(() => registry.add({ component: 'web', kind: 'explode' })).toThrow(/invalid pod fault: kind/)
      expect(() => registry.add({ pathPattern: '/x' })).toThrow(/needs latencyMs, status or drop/)
      expect(changes).toBe(2)
      expect((await stat(join(dir, 'faults.json'))).mode & 0o777).toBe(0o600)
      expect(JSON.parse(await readFile(join(dir, 'faults.json'), 'utf8')).faults).toHaveLength(2)
      const reloaded = FaultRegistry.load(dir)
      expect(reloaded.list()).toEqual(registry.list())
      expect(await reloaded.before({ method: 'GET', path: '/apis/apps/v1' })).toEqual({ latencyMs: 100 })
      expect(reloaded.remove('slow-api')).toBe(true)
      expect(reloaded.remove('slow-api')).toBe(false)
      expect(reloaded.clear()).toBe(1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('the /_sandbox/faults handlers list, add (one or many), and delete one or all', () => {
    const registry = FaultRegistry.inMemory()
    const routes = faultRoutes(registry)
    const req = (extra: Partial<SandboxRouteRequest>): SandboxRouteRequest => ({ method: 'GET', path: '/_sandbox/faults', query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0), json: undefined, ...extra })
    expect(routes.add(req({ method: 'POST', json: { id: 'a', component: 'web', kind: 'crashloop' } }))).toMatchObject({ status: 201, body: { fault: { id: 'a' } } })
    expect(routes.add(req({ method: 'POST', json: [{ component: 'x', kind: 'degraded', entry: 'redis' }, { pathPattern: '/api/**', status: 503 }] })).status).toBe(201)
    expect(routes.add(req({ method: 'POST', json: { component: 'web', kind: 'not-ready', entry: 'mongo' } }))).toMatchObject({ status: 400, body: { reason: 'BadRequest' } })
    expect((routes.list(req({})).body as { faults: unknown[] }).faults).toHaveLength(3)
    expect(routes.remove(req({ method: 'DELETE', path: '/_sandbox/faults/a' }))).toEqual({ status: 200, body: { deleted: 1 } })
    expect(routes.remove(req({ method: 'DELETE', query: new URLSearchParams('id=a') })).status).toBe(404)
    expect(routes.remove(req({ method: 'DELETE' }))).toEqual({ status: 200, body: { deleted: 2 } })
  })
})

describe('fault patterns are bounded', () => {
  it('refuses a pattern over 1024 characters and one V8 cannot run, when added', () => {
    const registry = FaultRegistry.inMemory()
    expect(() => registry.add({ pathPattern: `/api/${'x'.repeat(40_000)}`, status: 500 })).toThrow(/pathPattern is at most 1024 characters/)
    expect(() => compilePathPattern(`^${'(a'.repeat(300)}`)).toThrow(FaultValidationError)
    expect(registry.list()).toEqual([])
    expect(decideApiFault(registry.apiFaults(), { path: '/api/v1/pods' })).toBeUndefined()
  })

  it('holds at most 100 rules', () => {
    const registry = FaultRegistry.inMemory()
    for (let i = 0; i < 100; i++) registry.add({ pathPattern: `/p${i}`, latencyMs: 1 })
    expect(() => registry.add({ pathPattern: '/one-more', latencyMs: 1 })).toThrow(/at most 100 fault rules/)
  })
})

describe('the simulated application', () => {
  const context = { startedAt: 0, now: 1000, random: () => 0.5 }

  it('answers HealthChecks JSON: Healthy 200 with database, servicebus, redis entries', () => {
    const response = respond('GET', '/health/ready', [], context)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json')
    expect(JSON.parse(response.body as string)).toEqual({
      status: 'Healthy',
      totalDuration: '00:00:00.0067000',
      entries: {
        database: { data: {}, duration: '00:00:00.0065000', status: 'Healthy', tags: ['ready'] },
        servicebus: { data: {}, duration: '00:00:00.0065000', status: 'Healthy', tags: ['ready'] },
        redis: { data: {}, duration: '00:00:00.0065000', status: 'Healthy', tags: ['ready'] },
      },
    })
    expect(respond('GET', '/health/live', [], context).status).toBe(200)
    expect(respond('GET', '/api/catalog', [], context).status).toBe(404)
  })

  it('degraded answers 200 Degraded; not-ready 503 on ready only; unhealthy 503 on both; slow-ready until its time', () => {
    const degraded = healthReport('ready', [podFault({ kind: 'degraded', entry: 'redis' })], context)
    expect(degraded.status).toBe('Degraded')
    expect(degraded.entries.redis).toMatchObject({ status: 'Degraded', description: expect.stringContaining('Redis') })
    expect(respond('GET', '/health/ready', [podFault({ kind: 'degraded' })], context).status).toBe(200)
    expect(respond('GET', '/health/ready', [podFault({ kind: 'not-ready' })], context).status).toBe(503)
    expect(respond('GET', '/health/live', [podFault({ kind: 'not-ready' })], context).status).toBe(200)
    expect(respond('GET', '/health/live', [podFault({ kind: 'unhealthy' })], context).status).toBe(503)
    const slow = [podFault({ kind: 'slow-ready', durationMs: 2000 })]
    expect(respond('GET', '/health/ready', slow, { ...context, now: 1999 }).status).toBe(503)
    expect(respond('GET', '/health/ready', slow, { ...context, now: 2000 }).status).toBe(200)
  })

  it('a pod whose container is not running does not answer: the proxy gets a refused connection (503)', async () => {
    const app = new SimulatedApp(FaultRegistry.inMemory(), { now: () => 0 })
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: {} },
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] },
      status: { podIP: '10.244.0.9', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    } as unknown as KubeObject
    expect(await app.handle(pod, 8080, 'GET', '/health/ready')).toEqual(connectionRefused('10.244.0.9', 8080))
    expect(JSON.parse(connectionRefused('10.244.0.9', 8080).body as string).message).toBe('error trying to reach service: dial tcp 10.244.0.9:8080: connect: connection refused')
  })

  it('formats durations as .NET TimeSpans', () => {
    expect(formatTimeSpan(12.3456)).toBe('00:00:00.0123456')
    expect(formatTimeSpan(3_723_004.5)).toBe('01:02:03.0045000')
  })
})
