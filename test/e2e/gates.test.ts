// The release gates with DEFAULT flags and the sandbox's default timing (pod start 1.5 s, readiness probed every
// second, the seeded readinessProbe: periodSeconds 5 × failureThreshold 3 = 15 s budget, --ready-grace 30 s):
// what an operator meets without tuning anything. No --timeout, no --bake: those are the product.
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-gates-e2e-'))
const env = { MKT_SANDBOX_DIR: dataDir }
const mkt = (...args: string[]) => runMkt(args, { env, timeoutMs: 280_000 })
let kubeconfig = ''
let kubectl = ''
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const imageOf = (deployment: string) => kc('get', `deployment/${deployment}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}')

interface Item {
  component: string
  outcome: string
  reason: string
  durationMs: number
  rollback: { outcome: string; durationMs: number } | null
}

/** The seeded readinessProbe budget (0 + 3 × 5 s), the default --ready-grace, and the default pod start delay. */
const BUDGET_MS = 15_000
const GRACE_MS = 30_000
const POD_START_MS = 1_500

async function deploy(component: string, image: string): Promise<{ exitCode: number | null; item: Item; message: string; elapsedMs: number }> {
  const started = Date.now()
  const run = await mkt('deploy', 'service', component, '--image', image, '--yes', '--json')
  const elapsedMs = Date.now() - started
  const envelope = parseEnvelope(run)
  expect(validateEnvelope('deploy service', envelope)).toEqual([])
  const [item] = (envelope.result as { items: Item[] }).items
  return { exitCode: run.exitCode, item: item!, message: envelope.error?.message ?? '', elapsedMs }
}

beforeAll(async () => {
  kubectl = await kubectlPath()
  kubeconfig = (parseEnvelope(await mkt('sandbox', 'start', '--json')).result as { kubeconfig: string }).kubeconfig
  kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=120s')
}, 300_000)

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe.concurrent('gates with default flags', () => {
  it('a release whose pods never become ready (--not-ready, --unhealthy database) is rolled back after the probe budget + grace, quoting the pod', async () => {
    expect((await mkt('sandbox', 'fault', 'set', 'catalog', '--image-tag', '2.0.0', '--not-ready')).exitCode).toBe(0)
    expect((await mkt('sandbox', 'fault', 'set', 'search', '--image-tag', '2.0.0', '--unhealthy', 'database')).exitCode).toBe(0)
    const runs = await Promise.all([deploy('catalog', '2.0.0'), deploy('search', '2.0.0')])
    for (const [run, deployment, fault] of [
      [runs[0], 'marketplace-catalog-service', '--not-ready'],
      [runs[1], 'marketplace-search-service', '--unhealthy database'],
    ] as const) {
      expect(run.exitCode, run.message).toBe(80)
      expect(run.item.outcome).toBe('rolled-back')
      expect(run.item.rollback).toMatchObject({ outcome: 'healthy' })
      // The pod's own answer, not the rollout line.
      expect(run.item.reason).toMatch(fault === '--not-ready' ? /^readiness: pod \S+ not ready after (\d+)s: Unhealthy: startup Unhealthy \(Not ready to serve traffic/ : /^readiness: pod \S+ not ready after (\d+)s: Unhealthy: database Unhealthy \(A connection to the database could not be established/)
      expect(run.message).toContain(fault === '--not-ready' ? 'Unhealthy: startup Unhealthy' : 'Unhealthy: database Unhealthy')
      const waited = Number(/not ready after (\d+)s/.exec(run.item.reason)![1]) * 1000
      expect(waited).toBeGreaterThanOrEqual(BUDGET_MS + GRACE_MS) // not failed early
      // Within the budget + grace + the rollback, not the 10-minute --timeout: measured by the engine from the
      // patch to the end of the rollback (the CLI's own start-up, plan and lock come before; ~3 s when idle).
      expect(run.item.durationMs, run.item.reason).toBeLessThan(BUDGET_MS + GRACE_MS + POD_START_MS + run.item.rollback!.durationMs + 10_000)
      expect(imageOf(deployment)).toBe(`${deployment}:1.0.0`)
      console.log(`${deployment}: exit 80 after ${(run.elapsedMs / 1000).toFixed(1)} s wall clock, ${(run.item.durationMs / 1000).toFixed(1)} s from the patch (pod not ready for ${waited / 1000} s, rollback ${(run.item.rollback!.durationMs / 1000).toFixed(1)} s)`)
    }
    // The sandbox's kubelet recorded the failed probes like a kubelet: Warning Unhealthy, aggregated, one per period.
    const events = JSON.parse(kc('get', 'events', '--field-selector', 'reason=Unhealthy,involvedObject.kind=Pod', '-o', 'json')) as {
      items: Array<{ type: string; message: string; count: number; involvedObject: { name: string } }>
    }
    const failedPod = /pod (\S+) not ready/.exec(runs[0].item.reason)![1]
    const ofFailedPod = events.items.filter((e) => e.involvedObject.name === failedPod)
    expect(ofFailedPod).toHaveLength(1)
    expect(ofFailedPod[0]).toMatchObject({ type: 'Warning', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' })
    // periodSeconds 5 over the ~45 s the pod ran: about 9 failed probes (a 1 s period would make 45).
    expect(ofFailedPod[0]!.count).toBeGreaterThanOrEqual(7)
    expect(ofFailedPod[0]!.count).toBeLessThanOrEqual(20) // a 1 s period would give ~45; 13 was seen on a slow run
  }, 300_000)

  it('a canary step whose pod never becomes ready fails the same way, though the paused Deployment never reaches its own deadline', async () => {
    expect((await mkt('sandbox', 'fault', 'set', 'portal', '--image-tag', '2.0.0', '--not-ready')).exitCode).toBe(0)
    const run = await mkt('deploy', 'service', 'portal', '--image', '2.0.0', '--strategy', 'canary', '--steps', '50', '--yes', '--json')
    expect(run.exitCode, run.stderr).toBe(80)
    const [item] = (parseEnvelope(run).result as { items: Item[] }).items
    expect(item!.reason).toMatch(/^readiness: pod \S+ not ready after \d+s: Unhealthy: startup Unhealthy/)
    expect(item!.durationMs).toBeLessThan(BUDGET_MS + GRACE_MS + POD_START_MS + item!.rollback!.durationMs + 10_000)
    expect(imageOf('publisher-portal-service')).toBe('publisher-portal-service:1.0.0')
  }, 300_000)

  it('a slow starter whose readinessProbe budget covers it (--slow-ready 20s, budget 10 + 4 × 5 = 30 s) passes', async () => {
    const probe = { httpGet: { path: '/health/ready', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 4 }
    kc('patch', 'deployment/license-service', '--type', 'strategic', '-p', JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'license-service', readinessProbe: probe }] } } } }))
    kc('rollout', 'status', 'deployment/license-service', '--timeout=120s')
    expect((await mkt('sandbox', 'fault', 'set', 'license', '--image-tag', '2.0.0', '--slow-ready', '20s')).exitCode).toBe(0)
    const run = await deploy('license', '2.0.0')
    expect(run.exitCode, run.message).toBe(0)
    expect(run.item.outcome).toBe('deployed')
    expect(imageOf('license-service')).toBe('license-service:2.0.0')
  }, 300_000)

  it('a pod answering 200 with an Unhealthy body fails the deploy gate, and mkt health calls it unhealthy too', async () => {
    expect((await mkt('sandbox', 'fault', 'set', 'pricing', '--image-tag', '2.0.0', '--unhealthy', 'database', '--http-status', '200')).exitCode).toBe(0)
    const run = await deploy('pricing', '2.0.0')
    expect(run.exitCode, run.message).toBe(80)
    const words = 'answered 200 with Unhealthy: database Unhealthy'
    // The kubelet's probe passes on 200, so the pods are Ready: mkt's own probe catches it, 3 answers in a row.
    expect(run.item.reason).toMatch(new RegExp(`^readiness: pod \\S+: ready: ${words}.*\\(3 times in a row\\)$`))

    expect((await mkt('sandbox', 'fault', 'set', 'reviews', '--unhealthy', 'database', '--http-status', '200')).exitCode).toBe(0)
    const health = await mkt('health', '-c', 'reviews', '--json')
    expect(health.exitCode).toBe(82)
    const model = parseEnvelope(health).result as { components: Array<{ health: string; regions: Array<{ explanation: string }> }> }
    expect(model.components[0]).toMatchObject({ health: 'Unhealthy' })
    expect(model.components[0]!.regions[0]!.explanation).toContain(`ready: ${words}`)
  }, 300_000)

  it('a Degraded release passes with a warning, and mkt health says Degraded with the same warning (exit 0)', async () => {
    expect((await mkt('sandbox', 'fault', 'set', 'dependencies', '--image-tag', '2.0.0', '--degraded', 'redis')).exitCode).toBe(0)
    const run = await mkt('deploy', 'service', 'dependencies', '--image', '2.0.0', '--yes', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    const words = 'ready: Degraded: redis Degraded (Redis responses are slow'
    expect(parseEnvelope(run).warnings.join('\n')).toContain(words)

    const health = await mkt('health', '-c', 'dependencies', '--json')
    expect(health.exitCode).toBe(0)
    const envelope = parseEnvelope(health)
    expect((envelope.result as { components: Array<{ health: string }> }).components[0]!.health).toBe('Degraded')
    expect(envelope.warnings.join('\n')).toContain(words)
  }, 300_000)

  it('7 s of latency on the pod proxy does not fail a healthy release (probes never overlap)', async () => {
    const fault = await mkt('sandbox', 'fault', 'api', '--path', '/api/v1/namespaces/*/pods/asset-version-service-*/proxy/**', '--latency', '7s')
    expect(fault.exitCode).toBe(0)
    const run = await deploy('asset-version', '2.0.0')
    expect(run.exitCode, run.message).toBe(0)
    expect(run.item.outcome).toBe('deployed')
  }, 300_000)

  it('--timeout is a progress deadline: a rollout slower than it but moving passes; a stuck one fails naming the pod', async () => {
    // Each new pod takes ~6.5 s to be Ready (1.5 s start, ready at the probe after 4 s): 2 pods + 10 s bake ≈ 23 s,
    // three times --timeout, but never 8 s without progress.
    expect((await mkt('sandbox', 'fault', 'set', 'publishing-worker', '--image-tag', '2.0.0', '--slow-ready', '4s')).exitCode).toBe(0)
    const slow = await mkt('deploy', 'service', 'publishing-worker', '--image', '2.0.0', '--timeout', '8s', '--max-duration', '2m', '--yes', '--json')
    expect(slow.exitCode, slow.stderr).toBe(0)

    expect((await mkt('sandbox', 'fault', 'set', 'scan-worker', '--image-tag', '2.0.0', '--not-ready')).exitCode).toBe(0)
    const stuck = await mkt('deploy', 'service', 'scan-worker', '--image', '2.0.0', '--timeout', '8s', '--yes', '--json')
    expect(stuck.exitCode).toBe(80)
    const [item] = (parseEnvelope(stuck).result as { items: Item[] }).items
    // Stuck before its readiness allowance ran out: the deadline fires, and the reason is the pod's own answer.
    expect(item!.reason).toMatch(/^timed out: no progress for 8s: readiness: pod \S+ not ready yet \(allowed 45s\): Unhealthy: startup Unhealthy/)
  }, 300_000)
})
