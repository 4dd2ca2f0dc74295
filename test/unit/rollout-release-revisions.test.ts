// The release state machine over a revision runtime (RevisionExecutor, as Container Apps implements it), alone and
// beside a Kubernetes region: every failure path goes through the one compensation step (traffic back to the
// verified revision), verdicts are recorded, locks released, and the exit codes are those of a Kubernetes release.
import { describe, expect, it } from 'vitest'
import { configError } from '../../src/errors.js'
import type { LockRequest, ReleaseLock, RevisionExecutor, RevisionOutcome, RevisionRelease } from '../../src/rollout/executor.js'
import type { Verdict } from '../../src/rollout/objects.js'
import { rolloutPatch } from '../../src/rollout/patches.js'
import { canaryStepsFor } from '../../src/rollout/plan.js'
import { runRelease, type ReleaseItem, type ReleaseRequest } from '../../src/rollout/release.js'
import { component, FakeCluster, planEntry, type Call } from '../helpers/fake-release-cluster.js'

const passed: RevisionOutcome = { outcome: 'passed', reason: 'all ready', gates: [{ gate: 'readiness', status: 'passed', reason: '2/2 ready' }], warnings: [] }
const failed = (reason: string): RevisionOutcome => ({ outcome: 'failed', reason, gates: [{ gate: 'readiness', status: 'failed', reason }], warnings: [] })

/** A scripted revision runtime that records what the engine asked of it. */
class FakeRevisions implements RevisionExecutor {
  readonly runtime = 'revisions' as const
  readonly log: string[] = []
  readonly locks: Array<{ component: string; released: boolean; lost: AbortController }> = []
  run: (component: string, weights: number[], signal: AbortSignal) => Promise<RevisionOutcome> = async () => passed
  rollbackOutcome: RevisionOutcome = passed
  target: { revision: number; name: string; image: string } | undefined = { revision: 1, name: 'app--r1', image: 'app:1.0.0' }
  beginFails: string | undefined

  constructor(readonly region: string) {}

  async lock(request: LockRequest): Promise<ReleaseLock> {
    const entry = { component: request.component, released: false, lost: new AbortController() }
    this.locks.push(entry)
    return {
      name: `tag mkt-lock on ${request.component}`,
      lost: entry.lost.signal,
      assertHeld: () => {
        if (entry.lost.signal.aborted) throw new Error('lost the lock')
      },
      verify: async () => !entry.lost.signal.aborted,
      release: async () => {
        entry.released = true
      },
    }
  }

  async begin(c: { name: string }): Promise<RevisionRelease> {
    if (this.beginFails) throw configError(this.beginFails)
    const { log } = this
    const script = () => ({ run: this.run, target: this.target, rollbackOutcome: this.rollbackOutcome })
    let toRevision: number | null = null
    return {
      fromRevision: 1,
      ...(script().target ? { target: script().target } : {}),
      get toRevision() {
        return toRevision
      },
      async run(image, weights, gate, tools) {
        await tools.write(async () => log.push(`${c.name} create ${image}`))
        toRevision = 2
        return script().run(c.name, weights, gate.signal)
      },
      async recordVerdict(verdict: Verdict, reason: string) {
        log.push(`${c.name} verdict ${verdict}: ${reason}`)
      },
      async rollback() {
        log.push(`${c.name} rollback to ${script().target?.name}`)
        return script().rollbackOutcome
      },
    }
  }
}

const item = (region: string, name: string, canary = false): ReleaseItem => ({
  entry: planEntry(region, name, `${name}:2.0.0`, canary ? { strategy: 'canary', canarySteps: canaryStepsFor([25, 50, 100], 100) } : {}),
  component: component(name),
  change: { describe: 'image', rollout: (d: never) => rolloutPatch(d, name, `${name}:2.0.0`, { deployedBy: 'a', deployedAt: 0 }) },
})

function request(overrides: Partial<ReleaseRequest> = {}): ReleaseRequest & { events: string[] } {
  const events: string[] = []
  return { environment: 'aca', identity: 'alice/1', operation: 'deploy 2.0.0', bakeMs: 10, timeoutMs: 2000, rollbackTimeoutMs: 2000, autoRollback: true, onInterrupt: 'rollback', signal: new AbortController().signal, onEvent: (e) => events.push(`${e.component} ${e.kind}: ${e.message}`), events, ...overrides }
}

describe('a release on a revision runtime', () => {
  it('passes: the verdict is recorded, the undo names the verified revision, the locks are released', async () => {
    const aca = new FakeRevisions('westeurope')
    let weightsSeen: number[] = []
    aca.run = async (_c, weights) => {
      weightsSeen = weights
      return passed
    }
    const req = request()
    const result = await runRelease(req, { waves: [[item('westeurope', 'catalog', true)]], unchanged: [] }, new Map([['westeurope', aca]]))
    expect(result.exitCode).toBe(0)
    expect(weightsSeen).toEqual([25, 50, 100])
    expect(result.items[0]).toMatchObject({ outcome: 'deployed', fromRevision: 1, toRevision: 2, undo: 'mkt rollback catalog --env aca --to-revision 1' })
    expect(aca.log).toEqual(['catalog create catalog:2.0.0', 'catalog verdict passed: all ready'])
    expect(aca.locks.every((l) => l.released)).toBe(true)
  })

  it('a failed gate rolls back by the runtime (exit 80) and records rolled-back', async () => {
    const aca = new FakeRevisions('westeurope')
    aca.run = async () => failed('replica x not ready after 45 s')
    const result = await runRelease(request(), { waves: [[item('westeurope', 'catalog')]], unchanged: [] }, new Map([['westeurope', aca]]))
    expect(result.exitCode).toBe(80)
    expect(result.items[0]).toMatchObject({ outcome: 'rolled-back', reason: 'replica x not ready after 45 s', rollback: { toRevision: 1, outcome: 'healthy' } })
    expect(aca.log).toEqual(['catalog create catalog:2.0.0', 'catalog rollback to app--r1', 'catalog verdict rolled-back: replica x not ready after 45 s'])
    expect(aca.locks.every((l) => l.released)).toBe(true)
  })

  it('an unhealthy rollback is exit 81', async () => {
    const aca = new FakeRevisions('westeurope')
    aca.run = async () => failed('crash loop')
    aca.rollbackOutcome = failed('the old revision is down too')
    const result = await runRelease(request(), { waves: [[item('westeurope', 'catalog')]], unchanged: [] }, new Map([['westeurope', aca]]))
    expect(result.exitCode).toBe(81)
    expect(result.items[0]!.rollback).toMatchObject({ outcome: 'unhealthy', reason: 'the old revision is down too' })
  })

  it('with no verified revision the failure says so and nothing is moved', async () => {
    const aca = new FakeRevisions('westeurope')
    aca.target = undefined
    aca.run = async () => failed('crash loop')
    const result = await runRelease(request(), { waves: [[item('westeurope', 'catalog')]], unchanged: [] }, new Map([['westeurope', aca]]))
    expect(result.items[0]!.reason).toContain('no verified revision to roll back to')
    expect(aca.log.some((l) => l.startsWith('catalog rollback to'))).toBe(false)
  })

  it('--no-auto-rollback leaves the failed revision for a human with verdict failed', async () => {
    const aca = new FakeRevisions('westeurope')
    aca.run = async () => failed('not ready')
    const result = await runRelease(request({ autoRollback: false }), { waves: [[item('westeurope', 'catalog')]], unchanged: [] }, new Map([['westeurope', aca]]))
    expect(result.exitCode).toBe(1)
    expect(aca.log).toEqual(['catalog create catalog:2.0.0', 'catalog verdict failed: not ready'])
  })

  it('an error before anything changed is the error itself (its exit code), not a rollback', async () => {
    const aca = new FakeRevisions('westeurope')
    aca.beginFails = 'container app catalog not found'
    await expect(runRelease(request(), { waves: [[item('westeurope', 'catalog')]], unchanged: [] }, new Map([['westeurope', aca]]))).rejects.toMatchObject({ exitCode: 78 })
    expect(aca.locks.every((l) => l.released)).toBe(true)
  })

  it('SIGINT during the gates rolls back and exits 130', async () => {
    const aca = new FakeRevisions('westeurope')
    const abort = new AbortController()
    aca.run = (_c, _w, signal) =>
      new Promise((resolve) => {
        setTimeout(() => abort.abort(), 5)
        signal.addEventListener('abort', () => resolve({ outcome: 'interrupted', reason: 'interrupted', gates: [], warnings: [] }))
      })
    const result = await runRelease(request({ signal: abort.signal }), { waves: [[item('westeurope', 'catalog')]], unchanged: [] }, new Map([['westeurope', aca]]))
    expect(result.exitCode).toBe(130)
    expect(aca.log).toContain('catalog rollback to app--r1')
  })

  it('a lost lock stops the writes: the component is left as it is (exit 81)', async () => {
    const aca = new FakeRevisions('westeurope')
    aca.run = async () => {
      aca.locks[0]!.lost.abort(new Error('lost the lock: taken by bob'))
      return { outcome: 'interrupted', reason: 'interrupted', gates: [], warnings: [] }
    }
    const result = await runRelease(request(), { waves: [[item('westeurope', 'catalog')]], unchanged: [] }, new Map([['westeurope', aca]]))
    expect(result.exitCode).toBe(81)
    expect(aca.log.some((l) => l.startsWith('catalog rollback to'))).toBe(false)
  })
})

describe('a release across both runtimes', () => {
  it('a failure on Container Apps rolls the Kubernetes region back too, in the one compensation step', async () => {
    const calls: Call[] = []
    const kube = new FakeCluster('westeurope', calls, ['catalog'])
    const aca = new FakeRevisions('northeurope')
    aca.run = async () => failed('replica not ready')
    const result = await runRelease(
      request(),
      { waves: [[item('westeurope', 'catalog')], [item('northeurope', 'catalog')]], unchanged: [] },
      new Map<string, FakeCluster | FakeRevisions>([
        ['westeurope', kube],
        ['northeurope', aca],
      ]),
    )
    expect(result.exitCode).toBe(80)
    expect(result.items.map((i) => [i.region, i.outcome])).toEqual([
      ['westeurope', 'rolled-back'],
      ['northeurope', 'rolled-back'],
    ])
    expect(result.items[0]!.reason).toBe('rolled back because northeurope/catalog failed: replica not ready')
    expect(aca.log).toContain('catalog rollback to app--r1')
    expect([...kube.locks.values()].every((l) => l.released) && aca.locks.every((l) => l.released)).toBe(true)
  })
})
