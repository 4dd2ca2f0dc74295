// waitForGates' own timing rules against a scripted cluster: probe rounds never overlap for a pod, the progress
// deadline fires without progress and names the best reason it has (the last Warning event of a new pod).
import type { CoreV1Event } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import type { RegionCluster, Snapshot } from '../../src/rollout/cluster.js'
import { waitForGates } from '../../src/rollout/wait.js'
import { healthy } from '../helpers/health-bodies.js'
import { APP, REPO, T0, deployment, pod, replicaSet } from '../helpers/rollout-fixtures.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const image = `${REPO}:2.0.0`
const newRs = replicaSet({ image, hash: '5f6d8c7b9', revision: 3, created: T0 - 120_000, replicas: 1 })

/** A cluster whose watch always shows `snapshot` and whose pod proxy answers after `latencyMs`. */
function scriptedCluster(snapshot: Snapshot, answer: { status: number | 'error'; body?: string; error?: string }, latencyMs: number, events: CoreV1Event[] = []) {
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0 }
  const cluster = {
    namespace: 'marketplace',
    watch: async () => ({ stop: () => undefined, snapshot: () => snapshot }),
    probePod: async () => {
      stats.calls++
      stats.inFlight++
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
      await sleep(latencyMs)
      stats.inFlight--
      return answer
    },
    core: { listNamespacedEvent: async () => ({ items: events }) },
  }
  return { cluster: cluster as unknown as RegionCluster, stats }
}

const options = (over: Partial<Parameters<typeof waitForGates>[1]> = {}): Parameters<typeof waitForGates>[1] => ({
  deployment: deployment({ image, revision: 3, replicas: 1 }),
  port: 8080,
  readyPath: '/health/ready',
  bakeMs: 300,
  timeoutMs: 10_000,
  signal: new AbortController().signal,
  probeIntervalMs: 10,
  ...over,
})

describe('waitForGates', () => {
  it('never probes a pod again before its last answer is in: a slow proxy does not pile up probes', async () => {
    const ready = pod({ rs: newRs, suffix: 'a1b2c' })
    const { cluster, stats } = scriptedCluster({ deployment: deployment({ image, revision: 3, replicas: 1 }), replicaSets: [newRs], pods: [ready] }, { status: 200, body: healthy }, 120)
    const result = await waitForGates(cluster, options())
    expect(result.outcome).toBe('passed')
    expect(stats.maxInFlight).toBe(1) // a 10 ms interval with 120 ms answers would otherwise keep ~12 in flight
    expect(stats.calls).toBeGreaterThanOrEqual(2)
  })

  it('fails on the progress deadline, not the cap, naming the last Warning event of the stuck pod', async () => {
    const stuck = pod({ rs: newRs, suffix: 'x7k2p', ready: false, created: Date.now() - 1_000 })
    const midRollout = deployment({ image, revision: 3, replicas: 1, status: { replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 } })
    const warning = {
      involvedObject: { kind: 'Pod', name: stuck.metadata!.name },
      reason: 'Unhealthy',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 404',
      type: 'Warning',
      count: 7,
      lastTimestamp: new Date(),
    } as CoreV1Event
    const { cluster } = scriptedCluster({ deployment: midRollout, replicaSets: [newRs], pods: [stuck] }, { status: 'error', error: 'connect ECONNREFUSED' }, 1, [warning])
    const started = Date.now()
    const result = await waitForGates(cluster, options({ progressDeadlineMs: 200 }))
    expect(result.outcome).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(result.reason).toMatch(/^no progress for 200ms: /)
    expect(result.reason).toContain(`pod ${APP}-5f6d8c7b9-x7k2p: last event Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404 (×7)`)
  })

  it('the cap ends a wait that keeps baking longer than it', async () => {
    const ready = pod({ rs: newRs, suffix: 'a1b2c' })
    const { cluster } = scriptedCluster({ deployment: deployment({ image, revision: 3, replicas: 1 }), replicaSets: [newRs], pods: [ready] }, { status: 200, body: healthy }, 1)
    // Baking counts as progress, so only the cap can end it.
    const result = await waitForGates(cluster, options({ bakeMs: 60_000, progressDeadlineMs: 100, timeoutMs: 400 }))
    expect(result.outcome).toBe('timeout')
    expect(result.reason).toMatch(/^not done after 400ms: bake: baking/)
  })
})
