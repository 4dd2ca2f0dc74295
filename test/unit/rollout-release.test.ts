// The release state machine against a fake cluster: every failure path goes through the one compensation step.
// Each test asserts the patches sent (and their order), the verdicts written, the locks released and the exit code.
import { describe, expect, it } from 'vitest'
import { MktError } from '../../src/errors.js'
import { JSON_PATCH, canaryStartPatch, rolloutPatch } from '../../src/rollout/patches.js'
import { canaryStepsFor } from '../../src/rollout/plan.js'
import { runRelease, type ReleaseRequest, type ReleaseSpec } from '../../src/rollout/release.js'
import { component, FakeCluster, planEntry, type Call } from '../helpers/fake-release-cluster.js'

const audit = { deployedBy: 'alice@laptop', deployedAt: Date.parse('2026-12-01T10:00:00Z'), reason: 'PRJ-7' }

interface Setup {
  calls: Call[]
  clusters: Map<string, FakeCluster>
  spec: ReleaseSpec
  abort: AbortController
  events: string[]
  run: (overrides?: Partial<ReleaseRequest>) => ReturnType<typeof runRelease>
  cluster: (region: string) => FakeCluster
}

function setup(regions: string[], waves: string[][], options: { tag?: string; canary?: boolean } = {}): Setup {
  const calls: Call[] = []
  const tag = options.tag ?? '2.0.0'
  const clusters = new Map(regions.map((region) => [region, new FakeCluster(region, calls, waves.flat())]))
  const steps = options.canary ? canaryStepsFor([50, 100], 2) : undefined
  const spec: ReleaseSpec = {
    waves: regions.flatMap((region) =>
      waves.map((wave) =>
        wave.map((name) => ({
          entry: planEntry(region, name, `${name}:${tag}`, steps ? { strategy: 'canary', canarySteps: steps } : {}),
          component: component(name),
          change: {
            describe: `image ${name}:1.0.0 -> ${name}:${tag}`,
            rollout: (d: never) => rolloutPatch(d, name, `${name}:${tag}`, audit),
            canaryStart: (d: never, replicas: number) => canaryStartPatch(d, name, `${name}:${tag}`, audit, replicas),
          },
        })),
      ),
    ),
    unchanged: [],
  }
  const abort = new AbortController()
  const events: string[] = []
  const run = (overrides: Partial<ReleaseRequest> = {}) =>
    runRelease(
      {
        environment: 'local',
        identity: 'alice@laptop/42',
        operation: `deploy ${tag}`,
        bakeMs: 10,
        timeoutMs: 2_000,
        rollbackTimeoutMs: 2_000,
        autoRollback: true,
        onInterrupt: 'rollback',
        signal: abort.signal,
        onEvent: (e) => events.push(`${e.region}/${e.component} ${e.kind}: ${e.message}`),
        ...overrides,
      },
      spec,
      clusters,
    )
  return { calls, clusters, spec, abort, events, run, cluster: (region) => clusters.get(region)! }
}

type PatchCall = Extract<Call, { op: 'patch' }>
const patches = (calls: Call[], region?: string, name?: string) => calls.filter((c): c is PatchCall => c.op === 'patch' && (region === undefined || c.region === region) && (name === undefined || c.component === name))
const isRollback = (c: PatchCall) => c.contentType === JSON_PATCH && JSON.stringify(c.body).includes('"/spec/template"')
const isRollout = (c: PatchCall) => JSON.stringify(c.body).includes('"$setElementOrder/containers"')
const locksReleased = (s: Setup) => [...s.clusters.values()].every((c) => [...c.locks.values()].every((l) => l.released))
const lockCalls = (calls: Call[], op: 'lock' | 'release') => calls.filter((c) => c.op === op).map((c) => `${c.region}/${(c as { component: string }).component}`).sort()

/** Every rollback patch is sent before the first rollback wait starts (send all at once, then wait). */
function patchesBeforeWaits(calls: Call[]): boolean {
  const lastPatch = calls.findLastIndex((c) => c.op === 'patch' && isRollback(c))
  const firstWait = calls.findIndex((c) => c.op === 'gates' && c.bakeMs === 0)
  return lastPatch >= 0 && firstWait > lastPatch
}

describe('a release that passes', () => {
  it('patches, binds and records passed for every component in every region; first release adopts the serving revision', async () => {
    const s = setup(['weu', 'neu'], [['catalog'], ['search'], ['indexer']])
    const result = await s.run()
    expect(result.exitCode).toBe(0)
    expect(result.items.map((i) => `${i.region}/${i.component}:${i.outcome}`)).toEqual([
      'weu/catalog:deployed', 'weu/search:deployed', 'weu/indexer:deployed', 'neu/catalog:deployed', 'neu/search:deployed', 'neu/indexer:deployed',
    ])
    for (const cluster of s.clusters.values()) {
      for (const name of ['catalog', 'search', 'indexer']) {
        expect(cluster.imageOf(name)).toBe(`${name}:2.0.0`)
        expect(cluster.verdicts(name)).toEqual({ [`${name}:1.0.0`]: 'passed', [`${name}:2.0.0`]: 'passed' })
        const released = cluster.sets(name).at(-1)!
        expect(released.metadata!.annotations!['mkt.dev/pod-template-hash']).toBe(released.metadata!.labels!['pod-template-hash'])
      }
    }
    expect(patches(s.calls).some(isRollback)).toBe(false)
    expect(lockCalls(s.calls, 'release')).toEqual(lockCalls(s.calls, 'lock'))
    // Regions in order: nothing in neu is patched before every weu wave passed.
    const firstNeu = s.calls.findIndex((c) => c.op === 'patch' && c.region === 'neu')
    const lastWeuGate = s.calls.findLastIndex((c) => c.op === 'gates' && c.region === 'weu')
    expect(firstNeu).toBeGreaterThan(lastWeuGate)
  })
})

describe('every failure goes through one compensation step', () => {
  it('a gate failure in wave 2 of 3 rolls back waves 1 and 2 (patches first, then waits), never starts wave 3: exit 80', async () => {
    const s = setup(['weu'], [['catalog'], ['search'], ['indexer']])
    s.cluster('weu').gate = (call) => (call.component === 'search' ? { outcome: 'failed', reason: 'pods: CrashLoopBackOff' } : { outcome: 'passed' })
    const result = await s.run()
    expect(result.exitCode).toBe(80)
    expect(result.failure).toBe('weu/search: pods: CrashLoopBackOff')
    const weu = s.cluster('weu')
    expect(patches(s.calls, 'weu', 'indexer')).toEqual([])
    expect(patches(s.calls, 'weu', 'catalog').filter(isRollback)).toHaveLength(1)
    expect(patches(s.calls, 'weu', 'search').filter(isRollback)).toHaveLength(1)
    expect(patchesBeforeWaits(s.calls)).toBe(true)
    expect(weu.imageOf('catalog')).toBe('catalog:1.0.0')
    expect(weu.imageOf('search')).toBe('search:1.0.0')
    expect(weu.verdicts('catalog')['catalog:2.0.0']).toBe('rolled-back')
    expect(weu.verdicts('search')['search:2.0.0']).toBe('rolled-back')
    expect(result.items.find((i) => i.component === 'catalog')).toMatchObject({ outcome: 'rolled-back', reason: 'rolled back because weu/search failed: pods: CrashLoopBackOff' })
    expect(result.items.find((i) => i.component === 'search')).toMatchObject({ outcome: 'rolled-back', reason: 'pods: CrashLoopBackOff', rollback: { outcome: 'healthy' } })
    expect(result.items.find((i) => i.component === 'indexer')!.outcome).toBe('not-started')
    expect(locksReleased(s)).toBe(true)
  })

  it('a gate failure in region 2 of 2 rolls back region 1 too, all regions in parallel: exit 80', async () => {
    const s = setup(['weu', 'neu'], [['catalog', 'search']])
    s.cluster('neu').gate = (call) => (call.component === 'catalog' ? { outcome: 'failed', reason: 'readiness: Unhealthy' } : { outcome: 'passed' })
    const result = await s.run()
    expect(result.exitCode).toBe(80)
    for (const region of ['weu', 'neu']) {
      for (const name of ['catalog', 'search']) {
        expect(s.cluster(region).imageOf(name)).toBe(`${name}:1.0.0`)
        expect(s.cluster(region).verdicts(name)[`${name}:2.0.0`]).toBe('rolled-back')
      }
    }
    expect(patches(s.calls).filter(isRollback)).toHaveLength(4)
    expect(patchesBeforeWaits(s.calls)).toBe(true)
    expect(locksReleased(s)).toBe(true)
  })

  it('an exception in a sibling cancels the other (no waiting out its bake) and rolls both back: exit 80, not 69', async () => {
    const s = setup(['weu'], [['catalog', 'search']])
    const weu = s.cluster('weu')
    weu.gate = (call) => (call.component === 'catalog' ? { hang: true } : { outcome: 'passed' })
    // search's passed verdict cannot be written (the API is down longer than the retries).
    weu.before = (call) => {
      if (call.op === 'patch-rs' && call.name.startsWith('search') && JSON.stringify(call.body).includes('"mkt.dev/verdict":"passed"') && weu.imageOf('search') === 'search:2.0.0') {
        throw new MktError('UNAVAILABLE', 69, 'cannot reach the Kubernetes API in region weu to patch replicaset: ECONNRESET')
      }
    }
    const started = Date.now()
    const result = await s.run({ timeoutMs: 60_000 })
    expect(Date.now() - started).toBeLessThan(5_000) // catalog's hanging gate was cancelled, not waited out
    expect(result.exitCode).toBe(80)
    expect(result.failure).toMatch(/ECONNRESET/)
    expect(weu.imageOf('catalog')).toBe('catalog:1.0.0')
    expect(weu.imageOf('search')).toBe('search:1.0.0')
    expect(result.items.map((i) => i.outcome)).toEqual(['rolled-back', 'rolled-back'])
    expect(locksReleased(s)).toBe(true)
  })

  it('an error before anything changed is reported as itself (69), with every lock released and no patch sent', async () => {
    const s = setup(['weu', 'neu'], [['catalog']])
    s.cluster('weu').failNext('patch', 'catalog')
    const error = await s.run().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MktError)
    expect((error as MktError).exitCode).toBe(69)
    expect(patches(s.calls).filter(isRollout)).toEqual([])
    expect(locksReleased(s)).toBe(true)
  })

  it('a lock held elsewhere in region 2: exit 73 before anything changes, region 1 lock released', async () => {
    const s = setup(['weu', 'neu'], [['catalog']])
    s.cluster('neu').lockRefused.add('catalog')
    const error = await s.run().catch((e: unknown) => e)
    expect((error as MktError).exitCode).toBe(73)
    expect(patches(s.calls)).toEqual([])
    expect(lockCalls(s.calls, 'release')).toEqual(['weu/catalog'])
  })

  it('a lock lost mid-bake stops that component\'s writes at once (no rollback patch, no verdict), rolls back the rest: exit 81', async () => {
    const s = setup(['weu'], [['catalog', 'search']])
    const weu = s.cluster('weu')
    weu.gate = (call) => {
      if (call.component === 'catalog') {
        setTimeout(() => weu.loseLock('catalog'), 20)
        return { hang: true }
      }
      return { hang: true }
    }
    const result = await s.run({ timeoutMs: 60_000 })
    expect(result.exitCode).toBe(81)
    expect(result.failure).toMatch(/weu\/catalog: lost the lock of catalog/)
    const catalog = result.items.find((i) => i.component === 'catalog')!
    expect(catalog.outcome).toBe('rollback-failed')
    expect(catalog.reason).toMatch(/lost the lock/)
    const lostAt = s.calls.findIndex((c) => c.op === 'gates' && c.component === 'catalog')
    expect(s.calls.slice(lostAt + 1).filter((c) => (c.op === 'patch' && c.component === 'catalog') || (c.op === 'patch-rs' && c.name.startsWith('catalog')))).toEqual([])
    expect(weu.imageOf('search')).toBe('search:1.0.0')
    expect(weu.verdicts('search')['search:2.0.0']).toBe('rolled-back')
    expect(result.items.find((i) => i.component === 'search')!.outcome).toBe('rolled-back')
    expect(locksReleased(s)).toBe(true)
  })

  it('the Deployment changed by someone else mid-bake fails the gate instead of reporting their revision as ours, and is not overwritten', async () => {
    const s = setup(['weu'], [['catalog']])
    const weu = s.cluster('weu')
    weu.gate = () => {
      // Another writer (whose lock broke ours) changes the template while we bake.
      void weu.patch('catalog', rolloutPatch(weu.deployment('catalog'), 'catalog', 'catalog:7.7.8', { deployedBy: 'bob@ci', deployedAt: 0 }))
      return { outcome: 'passed' }
    }
    const result = await s.run()
    expect(result.exitCode).toBe(81)
    expect(result.failure).toMatch(/changed by someone else/)
    expect(result.items[0]!.outcome).toBe('rollback-failed')
    expect(patches(s.calls).filter(isRollback)).toEqual([])
    expect(weu.imageOf('catalog')).toBe('catalog:7.7.8')
    expect(s.events.some((e) => /7\.7\.8 is live|catalog:2\.0\.0 is live/.test(e))).toBe(false)
  })

  it('a revision left pending by a release that died is recorded failed by the next release', async () => {
    const s = setup(['weu'], [['catalog']])
    const weu = s.cluster('weu')
    weu.gate = () => ({ outcome: 'passed' })
    expect((await s.run()).exitCode).toBe(0)
    // Another mkt started 3.0.0 and was killed before its verdict: the revision stays pending.
    await weu.patch('catalog', rolloutPatch(weu.deployment('catalog'), 'catalog', 'catalog:3.0.0', audit))
    const rs = weu.sets('catalog').at(-1)!
    await weu.patchReplicaSet(rs.metadata!.name!, { contentType: 'application/strategic-merge-patch+json', body: { metadata: { annotations: { 'mkt.dev/pod-template-hash': rs.metadata!.labels!['pod-template-hash'] } } } })
    const next = setup(['weu'], [['catalog']], { tag: '4.0.0' })
    next.clusters.set('weu', weu)
    expect((await next.run()).exitCode).toBe(0)
    expect(weu.verdicts('catalog')).toMatchObject({ 'catalog:3.0.0': 'failed', 'catalog:4.0.0': 'passed' })
  })

  it('a rollback that does not become healthy: exit 81', async () => {
    const s = setup(['weu'], [['catalog']])
    s.cluster('weu').gate = () => ({ outcome: 'failed', reason: 'pods: OOMKilled' })
    s.cluster('weu').rollbackGate = () => ({ outcome: 'failed', reason: 'readiness: Unhealthy' })
    const result = await s.run()
    expect(result.exitCode).toBe(81)
    expect(result.items[0]!.rollback).toMatchObject({ outcome: 'unhealthy', reason: 'readiness: Unhealthy' })
    expect(s.cluster('weu').verdicts('catalog')['catalog:2.0.0']).toBe('rolled-back')
    expect(locksReleased(s)).toBe(true)
  })

  it('--no-auto-rollback leaves a failed gate in place with verdict failed: exit 1, no rollback patch', async () => {
    const s = setup(['weu'], [['catalog']])
    s.cluster('weu').gate = () => ({ outcome: 'failed', reason: 'pods: CrashLoopBackOff' })
    const result = await s.run({ autoRollback: false })
    expect(result.exitCode).toBe(1)
    expect(patches(s.calls).filter(isRollback)).toEqual([])
    expect(s.cluster('weu').imageOf('catalog')).toBe('catalog:2.0.0')
    expect(s.cluster('weu').verdicts('catalog')['catalog:2.0.0']).toBe('failed')
    expect(locksReleased(s)).toBe(true)
  })
})

describe('SIGINT at each phase', () => {
  it('while the locks are being taken: nothing changes, every lock released, exit 130', async () => {
    const s = setup(['weu', 'neu'], [['catalog']])
    s.cluster('neu').before = (call) => {
      if (call.op === 'lock') s.abort.abort()
    }
    const result = await s.run()
    expect(result.exitCode).toBe(130)
    expect(patches(s.calls)).toEqual([])
    expect(locksReleased(s)).toBe(true)
  })

  it('right after the rollout patch: rolled back, verdict rolled-back, exit 130', async () => {
    const s = setup(['weu'], [['catalog']])
    const weu = s.cluster('weu')
    weu.before = (call) => {
      if (call.op === 'patch' && isRollout(call)) setTimeout(() => s.abort.abort(), 0)
    }
    weu.gate = () => ({ hang: true })
    const result = await s.run()
    expect(result.exitCode).toBe(130)
    expect(weu.imageOf('catalog')).toBe('catalog:1.0.0')
    expect(weu.verdicts('catalog')['catalog:2.0.0']).toBe('rolled-back')
    expect(result.items[0]).toMatchObject({ outcome: 'rolled-back', reason: 'interrupted' })
    expect(locksReleased(s)).toBe(true)
  })

  it('during the gates of wave 2: wave 1 (already passed) is rolled back too', async () => {
    const s = setup(['weu'], [['catalog'], ['search']])
    const weu = s.cluster('weu')
    weu.gate = (call) => {
      if (call.component !== 'search') return { outcome: 'passed' }
      setTimeout(() => s.abort.abort(), 10)
      return { hang: true }
    }
    const result = await s.run()
    expect(result.exitCode).toBe(130)
    expect(weu.imageOf('catalog')).toBe('catalog:1.0.0')
    expect(weu.imageOf('search')).toBe('search:1.0.0')
    expect(weu.verdicts('catalog')['catalog:2.0.0']).toBe('rolled-back')
    expect(patchesBeforeWaits(s.calls)).toBe(true)
    expect(locksReleased(s)).toBe(true)
  })

  it('while the verdict is written: the component is still rolled back and recorded, exit 130', async () => {
    const s = setup(['weu'], [['catalog']])
    const weu = s.cluster('weu')
    let rs = 0
    weu.before = (call) => {
      // adoption, bind, then the passed verdict: interrupt as that one is sent
      if (call.op === 'patch-rs' && ++rs === 3) s.abort.abort()
    }
    const result = await s.run()
    expect(result.exitCode).toBe(130)
    expect(weu.imageOf('catalog')).toBe('catalog:1.0.0')
    expect(weu.verdicts('catalog')['catalog:2.0.0']).toBe('rolled-back')
    expect(locksReleased(s)).toBe(true)
  })

  it('--on-interrupt=pause pauses the running component and keeps the canary original for mkt rollback: exit 130', async () => {
    const s = setup(['weu'], [['catalog']], { canary: true })
    const weu = s.cluster('weu')
    weu.gate = () => {
      setTimeout(() => s.abort.abort(), 5)
      return { hang: true }
    }
    const result = await s.run({ onInterrupt: 'pause' })
    expect(result.exitCode).toBe(130)
    expect(result.items[0]!.outcome).toBe('paused')
    const deployment = weu.deployment('catalog')
    expect(deployment.spec!.paused).toBe(true)
    expect(JSON.parse(deployment.metadata!.annotations!['mkt.dev/canary-original']!)).toEqual({ paused: false, rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } })
    expect(patches(s.calls).filter(isRollback)).toEqual([])
    expect(locksReleased(s)).toBe(true)
  })
})

describe('canary state', () => {
  it('a failed canary rolls back to the stable template, unpaused, with the original strategy restored and the saved state gone', async () => {
    const s = setup(['weu'], [['catalog']], { canary: true })
    const weu = s.cluster('weu')
    weu.gate = () => ({ outcome: 'failed', reason: 'readiness: Unhealthy' })
    const result = await s.run()
    expect(result.exitCode).toBe(80)
    const [start] = patches(s.calls, 'weu', 'catalog').filter(isRollout)
    expect((start!.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations['mkt.dev/canary-original']).toBe('{"paused":false,"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}')
    const deployment = weu.deployment('catalog')
    expect(deployment.spec!.paused).toBe(false)
    expect(deployment.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: '25%' })
    expect(deployment.metadata!.annotations!['mkt.dev/canary-original']).toBeUndefined()
    expect(weu.imageOf('catalog')).toBe('catalog:1.0.0')
  })

  it('a canary that passes is promoted with the original strategy and leaves no saved state', async () => {
    const s = setup(['weu'], [['catalog']], { canary: true })
    const result = await s.run()
    expect(result.exitCode).toBe(0)
    const deployment = s.cluster('weu').deployment('catalog')
    expect(deployment.spec!.paused).toBe(false)
    expect(deployment.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: '25%' })
    expect(deployment.metadata!.annotations!['mkt.dev/canary-original']).toBeUndefined()
  })
})

describe('the automatic rollback target', () => {
  it('is the newest verified revision when the one serving was never verified (made outside mkt)', async () => {
    const s = setup(['weu'], [['catalog']])
    const weu = s.cluster('weu')
    expect((await s.run()).exitCode).toBe(0) // 1.0.0 adopted as passed, 2.0.0 passed
    // kubectl set image: a revision mkt never verified; the controller copies 2.0.0's record onto it.
    await weu.patch('catalog', { contentType: 'application/strategic-merge-patch+json', body: { spec: { template: { spec: { containers: [{ name: 'catalog', image: 'catalog:crashy' }] } } } } })
    const again = setup(['weu'], [['catalog']], { tag: '3.0.0' })
    again.clusters.set('weu', weu)
    weu.gate = () => ({ outcome: 'failed', reason: 'pods: CrashLoopBackOff' })
    const result = await again.run()
    expect(result.exitCode).toBe(80)
    expect(weu.imageOf('catalog')).toBe('catalog:2.0.0')
    expect(weu.verdicts('catalog')['catalog:crashy']).toBe('passed') // the copy: history reads it as external (not its hash)
    const crashy = weu.sets('catalog').find((rs) => rs.spec!.template!.spec!.containers[0]!.image === 'catalog:crashy')!
    expect(crashy.metadata!.annotations!['mkt.dev/pod-template-hash']).not.toBe(crashy.metadata!.labels!['pod-template-hash'])
  })
})
