import { describe, expect, it } from 'vitest'
import { describeHealthReport, evaluateGates, judgeProbe, parseHealthReport, type GateInput, type ReadinessProbe } from '../../src/rollout/gates.js'
import { APP, REPO, T0, deployment, pod, replicaSet } from '../helpers/rollout-fixtures.js'

const healthy = JSON.stringify({
  status: 'Healthy',
  totalDuration: '00:00:00.0213344',
  entries: {
    database: { data: {}, description: 'PostgreSQL reachable', duration: '00:00:00.0102001', status: 'Healthy', tags: ['ready'] },
    servicebus: { data: {}, duration: '00:00:00.0091002', status: 'Healthy', tags: ['ready'] },
  },
})
const degraded = JSON.stringify({
  status: 'Degraded',
  totalDuration: '00:00:00.5',
  entries: {
    database: { data: {}, duration: '00:00:00.01', status: 'Healthy', tags: ['ready'] },
    cache: { data: {}, description: 'Redis latency 480 ms', duration: '00:00:00.48', status: 'Degraded', tags: ['ready'] },
  },
})
const unhealthy = JSON.stringify({
  status: 'Unhealthy',
  totalDuration: '00:00:05.0',
  entries: {
    database: { data: {}, description: 'A connection attempt failed', exception: 'Npgsql.NpgsqlException: timeout', duration: '00:00:05', status: 'Unhealthy', tags: ['ready'] },
  },
})

describe('parseHealthReport', () => {
  it('reads the ASP.NET Core HealthChecks JSON report', () => {
    expect(parseHealthReport(healthy)).toEqual({
      status: 'Healthy',
      totalDuration: '00:00:00.0213344',
      entries: {
        database: { status: 'Healthy', description: 'PostgreSQL reachable', duration: '00:00:00.0102001' },
        servicebus: { status: 'Healthy', duration: '00:00:00.0091002' },
      },
    })
  })

  it('never throws: non-JSON, empty, wrong shapes', () => {
    expect(parseHealthReport('<html><body>502 Bad Gateway</body></html>')).toEqual({ status: 'Unknown', entries: {}, error: 'not JSON' })
    expect(parseHealthReport('')).toEqual({ status: 'Unknown', entries: {}, error: 'empty body' })
    expect(parseHealthReport(undefined)).toEqual({ status: 'Unknown', entries: {}, error: 'empty body' })
    expect(parseHealthReport('[1,2]')).toEqual({ status: 'Unknown', entries: {}, error: 'not a health report (expected a JSON object)' })
    expect(parseHealthReport('{"entries":{}}')).toEqual({ status: 'Unknown', entries: {}, error: 'no "status" field' })
    expect(parseHealthReport('{"status":"Fine"}')).toEqual({ status: 'Unknown', entries: {}, error: 'unknown status "Fine"' })
    expect(parseHealthReport('{"status":"Healthy","entries":{"db":"up"}}').entries).toEqual({ db: { status: 'Unknown' } })
  })

  it('accepts the plain-text default writer, lower-case and enum-number statuses, and `results`', () => {
    expect(parseHealthReport('Healthy')).toEqual({ status: 'Healthy', entries: {} })
    expect(parseHealthReport('Unhealthy\n').status).toBe('Unhealthy')
    expect(parseHealthReport('{"status":"degraded"}').status).toBe('Degraded')
    expect(parseHealthReport('{"status":2,"results":{"db":{"status":0}}}')).toEqual({ status: 'Healthy', entries: { db: { status: 'Unhealthy' } } })
  })

  it('describes the entries that are not Healthy', () => {
    expect(describeHealthReport(parseHealthReport(unhealthy))).toBe('Unhealthy: database Unhealthy (A connection attempt failed)')
    expect(describeHealthReport(parseHealthReport(degraded))).toBe('Degraded: cache Degraded (Redis latency 480 ms)')
    expect(describeHealthReport(parseHealthReport(healthy))).toBe('Healthy')
  })
})

describe('judgeProbe', () => {
  const probe = (status: number | 'error', body?: string, error?: string): ReadinessProbe => ({ pod: 'p', status, body, error })
  it.each([
    [probe(200, healthy), true, false, '/health/ready Healthy'],
    [probe(200, degraded), true, true, '/health/ready Degraded: cache Degraded (Redis latency 480 ms)'],
    [probe(503, unhealthy), false, false, '/health/ready answered 503 Unhealthy: database Unhealthy (A connection attempt failed)'],
    [probe(200, unhealthy), false, false, '/health/ready answered 200 but Unhealthy: database Unhealthy (A connection attempt failed)'],
    [probe(200, 'OK'), false, false, '/health/ready answered 200 but the body is not a health report (not JSON)'],
    [probe(404, 'Not Found'), false, false, '/health/ready answered 404'],
    [probe('error', undefined, 'connect ECONNREFUSED 10.244.1.17:8080'), false, false, '/health/ready did not answer (connect ECONNREFUSED 10.244.1.17:8080)'],
  ])('%#', (input, isHealthy, isDegraded, summary) => {
    expect(judgeProbe(input)).toEqual({ healthy: isHealthy, degraded: isDegraded, summary })
  })
})

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
    expect(wavering.reason).toBe(`readiness: pod ${APP}-5f6d8c7b9-a1b2c: /health/ready answered 503 Unhealthy: database Unhealthy (A connection attempt failed)`)
  })

  it('fails readiness after the threshold of consecutive bad answers', () => {
    const failed = evaluateGates({ ...base, readinessProbes: probes(unhealthy, 503, 3) })
    expect(failed.verdict).toBe('failed')
    expect(failed.reason).toBe(
      `readiness: pod ${APP}-5f6d8c7b9-a1b2c: /health/ready answered 503 Unhealthy: database Unhealthy (A connection attempt failed) (3 times in a row)`,
    )
    expect(evaluateGates({ ...base, readinessProbes: probes(unhealthy, 503, 2), readinessFailureThreshold: 2 }).verdict).toBe('failed')
  })

  it('lets Degraded pass with a warning', () => {
    const evaluation = evaluateGates({ ...base, bakeMs: 0, readinessProbes: probes(degraded) })
    expect(evaluation.verdict).toBe('passed')
    expect(evaluation.warnings).toEqual([
      `pod ${APP}-5f6d8c7b9-a1b2c: /health/ready Degraded: cache Degraded (Redis latency 480 ms)`,
      `pod ${APP}-5f6d8c7b9-x7k2p: /health/ready Degraded: cache Degraded (Redis latency 480 ms)`,
    ])
    expect(evaluation.gates.find((g) => g.gate === 'readiness')?.reason).toBe('2 of 2 new pods pass /health/ready (2 Degraded)')
  })

  it('does not pass on a non-JSON 200', () => {
    const evaluation = evaluateGates({ ...base, bakeMs: 0, readinessProbes: probes('OK') })
    expect(evaluation.verdict).toBe('pending')
    expect(evaluation.reason).toContain('the body is not a health report (not JSON)')
  })

  it('waits for a probe answer of every ready new pod', () => {
    const evaluation = evaluateGates({ ...base, readinessProbes: probes(healthy).slice(0, 1) })
    expect(evaluation.reason).toBe(`readiness: waiting for /health/ready of pod ${APP}-5f6d8c7b9-x7k2p`)
  })

  it('does not count bad answers of pods that are still starting', () => {
    const starting = pod({ rs: newRs, suffix: 'x7k2p', ready: false })
    const evaluation = evaluateGates({ ...base, pods: [podA, starting], readinessProbes: probes(unhealthy, 503, 5) })
    expect(evaluation.gates.find((g) => g.gate === 'readiness')).toEqual({
      gate: 'readiness',
      status: 'failed',
      reason: `pod ${APP}-5f6d8c7b9-a1b2c: /health/ready answered 503 Unhealthy: database Unhealthy (A connection attempt failed) (5 times in a row)`,
    })
    const onlyStarting = evaluateGates({ ...base, pods: [starting], readinessProbes: probes(unhealthy, 503, 5) })
    expect(onlyStarting.gates.find((g) => g.gate === 'readiness')?.status).toBe('pending')
    expect(onlyStarting.gates.find((g) => g.gate === 'readiness')?.reason).toContain(`waiting for pod ${APP}-5f6d8c7b9-x7k2p to become ready`)
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
