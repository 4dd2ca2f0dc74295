import { describe, expect, it } from 'vitest'
import { evaluateGates, readinessBudgetMs, type GateInput, type ReadinessProbe } from '../../src/rollout/gates.js'
import { nameOf as name } from '../../src/rollout/objects.js'
import { degraded, healthy, unhealthy } from '../helpers/health-bodies.js'
import { APP, REPO, T0, deployment, pod, replicaSet } from '../helpers/rollout-fixtures.js'

describe('evaluateGates', () => {
  const image = `${REPO}:2.0.0`
  const newRs = replicaSet({ image, hash: '5f6d8c7b9', revision: 3, created: T0 - 120_000, replicas: 2 })
  const oldRs = replicaSet({ image: `${REPO}:1.4.0`, hash: '7d9c8b6f5', revision: 2, created: T0 - 86_400_000 })
  const rolledOut = deployment({ image, revision: 3 })
  const podA = pod({ rs: newRs, suffix: 'a1b2c' })
  const podB = pod({ rs: newRs, suffix: 'x7k2p' })
  const probes = (body: string, status = 200, failures?: number): ReadinessProbe[] =>
    [podA, podB].map((p) => ({ pod: p.metadata!.name!, status, body, ...(failures === undefined ? {} : { failures }) }))
  const base: GateInput = { deployment: rolledOut, newRs, pods: [podA, podB], readinessProbes: probes(healthy), bakeMs: 60_000, now: T0 }
  const statusOf = (evaluation: ReturnType<typeof evaluateGates>) => Object.fromEntries(evaluation.gates.map((g) => [g.gate, g.status]))

  it('starts the bake when everything is healthy, and passes after bakeMs', () => {
    const first = evaluateGates(base)
    expect(statusOf(first)).toEqual({ progress: 'passed', pods: 'passed', readiness: 'passed', bake: 'pending' })
    expect(first.verdict).toBe('pending')
    expect(first.bakeStartedAt).toBe(T0)
    expect(first.reason).toBe('bake: baking: healthy for 0s of 1m')

    const later = evaluateGates({ ...base, bakeStartedAt: first.bakeStartedAt, now: T0 + 60_000 })
    expect(later.verdict).toBe('passed')
    expect(later.reason).toBe('all gates passed (healthy for 1m)')
    expect(later.gates.find((g) => g.gate === 'readiness')?.reason).toBe('2 of 2 new pods pass /health/ready')
  })

  it('passes at once with no bake time', () => {
    expect(evaluateGates({ ...base, bakeMs: 0 })).toMatchObject({ verdict: 'passed', reason: 'all gates passed (no bake time)' })
  })

  it('restarts the bake when readiness wavers', () => {
    const wavering = evaluateGates({ ...base, bakeStartedAt: T0 - 50_000, readinessProbes: probes(unhealthy, 503, 1) })
    expect(wavering.verdict).toBe('pending')
    expect(wavering.bakeStartedAt).toBeUndefined()
    expect(wavering.gates.find((g) => g.gate === 'bake')?.reason).toBe('interrupted: restarts when progress, pods and readiness pass again')
    expect(wavering.reason).toBe(`readiness: pod ${APP}-5f6d8c7b9-a1b2c: ready: Unhealthy: database Unhealthy (A connection attempt failed)`)
  })

  it('fails readiness after the threshold of consecutive bad answers', () => {
    const failed = evaluateGates({ ...base, readinessProbes: probes(unhealthy, 503, 3) })
    expect(failed.verdict).toBe('failed')
    expect(failed.reason).toBe(
      `readiness: pod ${APP}-5f6d8c7b9-a1b2c: ready: Unhealthy: database Unhealthy (A connection attempt failed) (3 times in a row)`,
    )
    expect(evaluateGates({ ...base, readinessProbes: probes(unhealthy, 503, 2), readinessFailureThreshold: 2 }).verdict).toBe('failed')
  })

  it('lets Degraded pass with a warning', () => {
    const evaluation = evaluateGates({ ...base, bakeMs: 0, readinessProbes: probes(degraded) })
    expect(evaluation.verdict).toBe('passed')
    expect(evaluation.warnings).toEqual([
      `pod ${APP}-5f6d8c7b9-a1b2c: ready: Degraded: cache Degraded (Redis latency 480 ms)`,
      `pod ${APP}-5f6d8c7b9-x7k2p: ready: Degraded: cache Degraded (Redis latency 480 ms)`,
    ])
    expect(evaluation.gates.find((g) => g.gate === 'readiness')?.reason).toBe('2 of 2 new pods pass /health/ready (2 Degraded)')
  })

  it('passes a 200 that is not a health report with a warning, as mkt health calls it Degraded', () => {
    const evaluation = evaluateGates({ ...base, bakeMs: 0, readinessProbes: probes('OK') })
    expect(evaluation.verdict).toBe('passed')
    expect(evaluation.warnings[0]).toBe(`pod ${APP}-5f6d8c7b9-a1b2c: ready: answered 200 but not with a health report (not JSON)`)
  })

  it('waits for a probe answer of every ready new pod', () => {
    const evaluation = evaluateGates({ ...base, readinessProbes: probes(healthy).slice(0, 1) })
    expect(evaluation.reason).toBe(`readiness: waiting for /health/ready of pod ${APP}-5f6d8c7b9-x7k2p`)
  })

  it('does not count bad answers of pods that are still starting', () => {
    const starting = pod({ rs: newRs, suffix: 'x7k2p', ready: false, created: T0 - 20_000 })
    const evaluation = evaluateGates({ ...base, pods: [podA, starting], readinessProbes: probes(unhealthy, 503, 5) })
    expect(evaluation.gates.find((g) => g.gate === 'readiness')).toEqual({
      gate: 'readiness',
      status: 'failed',
      reason: `pod ${APP}-5f6d8c7b9-a1b2c: ready: Unhealthy: database Unhealthy (A connection attempt failed) (5 times in a row)`,
    })
    const onlyStarting = evaluateGates({ ...base, pods: [starting], readinessProbes: probes(unhealthy, 503, 5) })
    expect(onlyStarting.gates.find((g) => g.gate === 'readiness')?.status).toBe('pending')
    expect(onlyStarting.gates.find((g) => g.gate === 'readiness')?.reason).toBe(
      `pod ${APP}-5f6d8c7b9-x7k2p not ready yet (allowed 50s): Unhealthy: database Unhealthy (A connection attempt failed)`,
    )
  })

  describe('a pod that never becomes Ready', () => {
    // The template's readinessProbe: initialDelaySeconds 5 + failureThreshold 3 × periodSeconds 5 = 20 s; grace 30 s.
    const startedAt = T0 - 60_000
    const neverReady = pod({ rs: newRs, suffix: 'x7k2p', ready: false, created: startedAt - 5_000 })
    const name = `${APP}-5f6d8c7b9-x7k2p`
    const at = (ms: number, body = unhealthy, status = 503): GateInput => ({
      ...base,
      deployment: deployment({ image, revision: 3, status: { replicas: 3, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } }),
      pods: [podA, neverReady],
      readinessProbes: [{ pod: podA.metadata!.name!, status: 200, body: healthy }, { pod: name, status, body }],
      now: startedAt + ms,
    })

    it('has a probe budget from its template: readinessProbe, or startupProbe plus one readiness period', () => {
      expect(readinessBudgetMs(neverReady)).toBe(20_000)
      const withStartup = structuredClone(neverReady)
      withStartup.spec!.containers[0]!.startupProbe = { httpGet: { path: '/health/live', port: 8080 }, periodSeconds: 10, failureThreshold: 30 }
      expect(readinessBudgetMs(withStartup)).toBe(305_000)
      const bare = structuredClone(neverReady)
      delete bare.spec!.containers[0]!.readinessProbe
      expect(readinessBudgetMs(bare)).toBe(0)
      const defaults = structuredClone(neverReady)
      defaults.spec!.containers[0]!.readinessProbe = { httpGet: { path: '/health/ready', port: 8080 } }
      expect(readinessBudgetMs(defaults)).toBe(30_000) // 3 × 10 s, the Kubernetes defaults
    })

    it('waits through its budget plus the grace, quoting its own answer, then fails with it', () => {
      const waiting = evaluateGates(at(49_000))
      expect(waiting.verdict).toBe('pending')
      expect(waiting.quotesHealthAnswer).toBe(true)
      // The pod's own answer explains the wait better than the rollout line of the progress gate.
      expect(waiting.reason).toBe(`readiness: pod ${name} not ready yet (allowed 50s): Unhealthy: database Unhealthy (A connection attempt failed)`)
      const failed = evaluateGates(at(50_000))
      expect(failed.verdict).toBe('failed')
      expect(failed.reason).toBe(`readiness: pod ${name} not ready after 50s: Unhealthy: database Unhealthy (A connection attempt failed)`)
    })

    it('honours --ready-grace and a generous probe budget (slow starters are not failed early)', () => {
      expect(evaluateGates({ ...at(50_000), readyGraceMs: 60_000 }).verdict).toBe('pending')
      expect(evaluateGates({ ...at(80_000), readyGraceMs: 60_000 }).verdict).toBe('failed')
      const slow = structuredClone(neverReady)
      slow.spec!.containers[0]!.readinessProbe!.failureThreshold = 30 // 5 + 30 × 5 = 155 s
      expect(evaluateGates({ ...at(120_000), pods: [podA, slow] }).verdict).toBe('pending')
    })

    it('is not failed while its own answer is Healthy or Degraded, nor without an answer', () => {
      expect(evaluateGates(at(90_000, healthy, 200)).verdict).toBe('pending')
      expect(evaluateGates(at(90_000, healthy, 200)).gates.find((g) => g.gate === 'readiness')?.reason).toBe(`waiting for Kubernetes to call pod ${name} Ready (it answers Healthy)`)
      expect(evaluateGates(at(90_000, degraded, 200)).verdict).toBe('pending')
      expect(evaluateGates({ ...at(90_000), readinessProbes: probes(healthy).slice(0, 1) }).verdict).toBe('pending')
    })

    it('fails on an answer that is no answer at all once past the budget', () => {
      const evaluation = evaluateGates({ ...at(55_000), readinessProbes: [...probes(healthy).slice(0, 1), { pod: name, status: 'error', error: 'timeout after 15 s' }] })
      expect(evaluation.reason).toBe(`readiness: pod ${name} not ready after 55s: no answer (timeout after 15 s)`)
    })
  })

  it('explains a wait by a waiting pod before the rollout line', () => {
    const pulling = pod({ rs: newRs, suffix: 'x7k2p', ready: false, container: { waiting: { reason: 'ErrImagePull', message: 'rpc error: 429 Too Many Requests' } } })
    const midRollout = deployment({ image, revision: 3, status: { replicas: 3, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } })
    const evaluation = evaluateGates({ ...base, deployment: midRollout, pods: [podA, pulling], readinessProbes: probes(healthy).slice(0, 1) })
    expect(evaluation.verdict).toBe('pending') // ErrImagePull may clear: not yet a failure
    expect(evaluation.reason).toBe(`pods: 1/2 ready: pod ${name(pulling)} ErrImagePull`)
  })

  it('fails on ProgressDeadlineExceeded with the condition message', () => {
    const stuck = deployment({
      image,
      revision: 3,
      status: { replicas: 3, updatedReplicas: 1, availableReplicas: 2 },
      progressing: { status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${APP}-5f6d8c7b9" has timed out progressing.` },
    })
    const evaluation = evaluateGates({ ...base, deployment: stuck })
    expect(evaluation.verdict).toBe('failed')
    expect(evaluation.reason).toBe(`progress: deployment "${APP}" exceeded its progress deadline (ReplicaSet "${APP}-5f6d8c7b9" has timed out progressing.)`)
  })

  it('fails fast on a crashloop in the new ReplicaSet, long before the deadline', () => {
    const crashing = pod({ rs: newRs, suffix: 'x7k2p', ready: false, container: { restartCount: 1, waiting: { reason: 'CrashLoopBackOff' } } })
    const midRollout = deployment({ image, revision: 3, status: { replicas: 3, updatedReplicas: 1, availableReplicas: 2 } })
    const evaluation = evaluateGates({ ...base, deployment: midRollout, pods: [podA, crashing] })
    expect(evaluation.verdict).toBe('failed')
    expect(evaluation.reason).toBe(`pods: pod ${APP}-5f6d8c7b9-x7k2p: container "${APP}" is in CrashLoopBackOff, 1 restart`)
    expect(evaluation.signals).toHaveLength(1)
  })

  it('ignores a crashing pod of the old ReplicaSet', () => {
    const oldCrashing = pod({ rs: oldRs, suffix: 'old1', ready: false, container: { restartCount: 7, waiting: { reason: 'CrashLoopBackOff' } } })
    const evaluation = evaluateGates({ ...base, bakeMs: 0, pods: [podA, podB, oldCrashing] })
    expect(evaluation.verdict).toBe('passed')
  })

  it('waits while the controller has not observed the change or created the new ReplicaSet', () => {
    const unobserved = evaluateGates({ ...base, deployment: deployment({ image, generation: 5, observedGeneration: 4 }), newRs: undefined })
    expect(statusOf(unobserved)).toEqual({ progress: 'pending', pods: 'pending', readiness: 'pending', bake: 'pending' })
    expect(unobserved.reason).toBe('progress: Waiting for deployment spec update to be observed...')
  })

  it('compares a pinned revision only once the controller has observed the spec', () => {
    const justPatched = deployment({ image, revision: 2, generation: 5, observedGeneration: 4 })
    expect(evaluateGates({ ...base, deployment: justPatched, revision: 3 }).gates[0]!.status).toBe('pending')
    const overtaken = deployment({ image, revision: 4 })
    expect(evaluateGates({ ...base, deployment: overtaken, revision: 3 }).reason).toBe(
      'progress: desired revision (3) is different from the running revision (4)',
    )
  })

  it('gates a canary step on the new ReplicaSet having its replicas available', () => {
    const paused = deployment({ image, revision: 3, paused: true, replicas: 4, status: { replicas: 5, updatedReplicas: 1, availableReplicas: 4 } })
    const canaryRs = replicaSet({ image, hash: '5f6d8c7b9', revision: 3, created: T0 - 120_000, replicas: 1 })
    const canaryPod = pod({ rs: canaryRs, suffix: 'a1b2c' })
    const step: GateInput = { ...base, deployment: paused, newRs: canaryRs, pods: [canaryPod], expectedNewReplicas: 1, bakeMs: 0 }
    expect(evaluateGates({ ...step, readinessProbes: [{ pod: canaryPod.metadata!.name!, status: 200, body: healthy }] })).toMatchObject({
      verdict: 'passed',
    })
    const notYet = replicaSet({ image, hash: '5f6d8c7b9', revision: 3, created: T0 - 120_000, replicas: 1, available: 0 })
    const waiting = evaluateGates({ ...step, newRs: notYet, pods: [] })
    expect(waiting.gates[0]).toEqual({ gate: 'progress', status: 'pending', reason: '0 of 1 canary replicas available' })
  })

  it('skips readiness when told to (rollback to a verified revision)', () => {
    const evaluation = evaluateGates({ ...base, readinessProbes: [], probeReadiness: false, bakeMs: 0 })
    expect(evaluation.verdict).toBe('passed')
    expect(evaluation.gates.find((g) => g.gate === 'readiness')?.reason).toBe('not probed')
  })

  it('passes a rollout to 0 replicas (a worker scaled to zero)', () => {
    const zero = deployment({ image, revision: 3, replicas: 0 })
    const zeroRs = replicaSet({ image, hash: '5f6d8c7b9', revision: 3, created: T0, replicas: 0 })
    expect(evaluateGates({ ...base, deployment: zero, newRs: zeroRs, pods: [], readinessProbes: [], bakeMs: 0 }).verdict).toBe('passed')
  })
})
