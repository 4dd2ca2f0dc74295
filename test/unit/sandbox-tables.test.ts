// Server-side printing helpers: kubectl's human durations, the pod status column, endpoints, tables.
import { describe, expect, it } from 'vitest'
import { formatEndpoints, humanDuration, podSummary, toTable } from '../../src/sandbox/kube/tables.js'
import { microTimeProblem } from '../../src/sandbox/validation.js'
import { formatMicroTime, formatTime } from '../../src/sandbox/clock.js'
import type { KubeObject } from '../../src/sandbox/types.js'

const s = 1000
const m = 60 * s
const h = 60 * m
const d = 24 * h

describe('humanDuration', () => {
  it('matches kubectl', () => {
    expect(humanDuration(5 * s)).toBe('5s')
    expect(humanDuration(119 * s)).toBe('119s')
    expect(humanDuration(3 * m + 20 * s)).toBe('3m20s')
    expect(humanDuration(5 * m)).toBe('5m')
    expect(humanDuration(25 * m)).toBe('25m')
    expect(humanDuration(5 * h + 10 * m)).toBe('5h10m')
    expect(humanDuration(20 * h)).toBe('20h')
    expect(humanDuration(3 * d + 4 * h)).toBe('3d4h')
    expect(humanDuration(40 * d)).toBe('40d')
    expect(humanDuration(800 * d)).toBe('2y70d')
    expect(humanDuration(-5 * s)).toBe('<invalid>')
  })
})

describe('pod status column', () => {
  const base = (status: Record<string, unknown>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'n', ...extra },
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    status,
  })
  const now = Date.parse('2026-11-26T12:00:00Z')

  it('shows Running with ready counts, waiting reasons, terminating and restarts', () => {
    const running = base({ phase: 'Running', containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: { running: {} } }, { name: 'b', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { finishedAt: '2026-11-26T11:55:00Z' } } }] })
    expect(podSummary(running, now)).toEqual({ ready: '2/2', status: 'Running', restarts: '1 (5m ago)' })
    const crashing = base({ phase: 'Running', containerStatuses: [{ name: 'a', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }, { name: 'b', ready: true, restartCount: 0, state: { running: {} } }] })
    expect(podSummary(crashing, now).status).toBe('CrashLoopBackOff')
    expect(podSummary(crashing, now).ready).toBe('1/2')
    expect(podSummary(base({ phase: 'Pending' }), now)).toEqual({ ready: '0/2', status: 'Pending', restarts: '0' })
    expect(podSummary(base({ phase: 'Running' }, { deletionTimestamp: '2026-11-26T12:00:30Z' }), now).status).toBe('Terminating')
  })
})

describe('tables and formats', () => {
  it('formats endpoints like kubectl (at most three, then + N more)', () => {
    const ep: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e' }, subsets: [{ addresses: ['1', '2', '3', '4'].map((i) => ({ ip: `10.0.0.${i}` })), ports: [{ port: 80 }] }] }
    expect(formatEndpoints(ep)).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...')
    expect(formatEndpoints({ ...ep, subsets: [] })).toBe('<none>')
  })

  it('builds Tables with PartialObjectMetadata rows', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', creationTimestamp: '2026-11-26T11:00:00Z' }, data: { a: '1', b: '2' } }
    const table = toTable([cm], { resource: 'configmaps', apiVersion: 'meta.k8s.io/v1', includeObject: 'Metadata', resourceVersion: '7', now: Date.parse('2026-11-26T12:00:00Z') })
    expect(table).toMatchObject({ kind: 'Table', metadata: { resourceVersion: '7' }, rows: [{ cells: ['c', 2, '60m'], object: { kind: 'PartialObjectMetadata', metadata: { name: 'c' } } }] })
  })

  it('formats Time and MicroTime and validates MicroTime like Go', () => {
    expect(formatTime(Date.parse('2026-11-26T23:58:00.789Z'))).toBe('2026-11-26T23:58:00Z')
    expect(formatMicroTime(Date.parse('2026-11-26T23:58:00.789Z'))).toBe('2026-11-26T23:58:00.789000Z')
    expect(microTimeProblem('2026-11-26T23:58:00.789000Z')).toBeUndefined()
    expect(microTimeProblem('2026-11-26T23:58:00.789000+01:00')).toBeUndefined()
    expect(microTimeProblem('2026-11-26T23:58:00.103Z')).toBe('parsing time "2026-11-26T23:58:00.103Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".103Z" as ".000000"')
    expect(microTimeProblem('2026-11-26T23:58:00Z')).toContain('cannot parse "Z" as ".000000"')
  })
})
