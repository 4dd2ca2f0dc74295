// The one HealthChecks judge (src/health/healthchecks.ts): the parser, the judgement, and that the deploy gate and
// `mkt health` reach the same verdict on the same answer.
import { describe, expect, it } from 'vitest'
import { describeHealthReport, judgeHealthAnswer, parseHealthReport, type HealthAnswer } from '../../src/health/healthchecks.js'
import { judgeAnswer } from '../../src/health/report.js'
import { evaluateGates } from '../../src/rollout/gates.js'
import { degraded, healthy, unhealthy } from '../helpers/health-bodies.js'
import { REPO, T0, deployment, pod, replicaSet } from '../helpers/rollout-fixtures.js'

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

describe('judgeHealthAnswer', () => {
  const answer = (status: number | 'error', body?: string, error?: string): HealthAnswer => ({ status, ...(body === undefined ? {} : { body }), ...(error === undefined ? {} : { error }) })
  it.each([
    [answer(200, healthy), 'Healthy', 'Healthy'],
    [answer(200, degraded), 'Degraded', 'Degraded: cache Degraded (Redis latency 480 ms)'],
    [answer(503, unhealthy), 'Unhealthy', 'Unhealthy: database Unhealthy (A connection attempt failed)'],
    [answer(200, unhealthy), 'Unhealthy', 'answered 200 with Unhealthy: database Unhealthy (A connection attempt failed)'],
    [answer(503, healthy), 'Unhealthy', 'answered 503 with Healthy'],
    [answer(200, 'OK'), 'Degraded', 'answered 200 but not with a health report (not JSON)'],
    [answer(200, ''), 'Degraded', 'answered 200 but with an empty body'],
    [answer(200, 'Unhealthy'), 'Unhealthy', 'answered 200 with Unhealthy'],
    [answer(404, 'Not Found'), 'Unhealthy', 'answered 404'],
    [answer(503, JSON.stringify({ kind: 'Status', message: 'no endpoints available for service "web"' })), 'Unhealthy', 'answered 503 (no endpoints available for service "web")'],
    [answer('error', undefined, 'connect ECONNREFUSED 10.244.1.17:8080'), 'Unhealthy', 'no answer (connect ECONNREFUSED 10.244.1.17:8080)'],
  ])('%#: %o', (input, health, summary) => {
    expect(judgeHealthAnswer(input)).toMatchObject({ health, summary })
  })
})

describe('the deploy gate and mkt health judge an answer alike', () => {
  const image = `${REPO}:2.0.0`
  const newRs = replicaSet({ image, hash: '5f6d8c7b9', revision: 3, created: T0 - 120_000, replicas: 1 })
  const ready = pod({ rs: newRs, suffix: 'a1b2c' })
  const gateOn = (answer: HealthAnswer) =>
    evaluateGates({
      deployment: deployment({ image, revision: 3, replicas: 1 }),
      newRs,
      pods: [ready],
      readinessProbes: [{ pod: ready.metadata!.name!, ...answer, failures: 3 }],
      bakeMs: 0,
      now: T0,
    })
  const healthOn = (answer: HealthAnswer) => judgeAnswer({ kind: 'ready', target: 'service web', durationMs: 1, at: '2026-01-01T00:00:00.000Z', ...answer })

  it.each([
    ['a 200 whose body says Unhealthy', { status: 200, body: unhealthy }, 'Unhealthy'],
    ['a 503 with an Unhealthy report', { status: 503, body: unhealthy }, 'Unhealthy'],
    ['a 200 that is not a health report', { status: 200, body: '<html>welcome</html>' }, 'Degraded'],
    ['a Degraded report', { status: 200, body: degraded }, 'Degraded'],
    ['a Healthy report', { status: 200, body: healthy }, 'Healthy'],
  ] as const)('%s', (_, answer, health) => {
    const gate = gateOn(answer)
    const report = healthOn(answer)
    expect(report.health).toBe(health)
    // Unhealthy fails the gate; Degraded passes it with a warning; the words are the judge's in both places.
    expect(gate.verdict).toBe(health === 'Unhealthy' ? 'failed' : 'passed')
    expect(gate.warnings).toHaveLength(health === 'Degraded' ? 1 : 0)
    const words = report.summary.replace(/^ready: /, '')
    if (health !== 'Healthy') expect(health === 'Unhealthy' ? gate.reason : gate.warnings[0]).toContain(words)
  })
})
