// The pure parts of the Container Apps runtime: release records and the lock in ARM tags (256-character values,
// 50 tags), the history read from revisions and traffic, the revision gates, and revision suffixes.
import type { ContainerApp, Replica, Revision } from '@azure/arm-appcontainers'
import { describe, expect, it } from 'vitest'
import { revisionSuffix } from '../../src/runtime/containerapps/executor.js'
import { describeRollbackTarget } from '../../src/rollout/rollback.js'
import { containerAppHistory, encodeLock, encodeLockBreak, encodeRecord, evaluateRevision, MAX_RECORDS, parseLock, parseRecord, recordTag, recordTagsPatch, servingRevision } from '../../src/runtime/containerapps/records.js'

const revision = (name: string, minute: number, extra: Partial<Revision> = {}): Revision =>
  ({ name, createdTime: new Date(Date.UTC(2026, 0, 1, 0, minute)), active: true, template: { containers: [{ name: 'web', image: `web:${minute}` }] }, replicas: 1, ...extra }) as Revision
const appWith = (traffic: ContainerApp['configuration'], tags: Record<string, string> = {}): ContainerApp => ({ location: 'x', name: 'web', tags, configuration: traffic, latestRevisionName: 'web--c' })

describe('release records in tags', () => {
  it('round-trips a record and keeps it within 256 characters, shortening the free text', () => {
    const record = { verdict: 'rolled-back' as const, verdictReason: 'x'.repeat(400), deployedBy: 'alice@laptop', deployedAt: '2026-01-01T00:00:00.000Z', reason: 'PRJ-1 '.repeat(40), gitSha: 'abc123' }
    const encoded = encodeRecord(record)
    expect(encoded.length).toBeLessThanOrEqual(256)
    expect(parseRecord(encoded)).toMatchObject({ verdict: 'rolled-back', deployedBy: 'alice@laptop', gitSha: 'abc123' })
    expect(parseRecord('not json')).toBeUndefined()
    expect(parseRecord('{"v":"maybe"}')).toBeUndefined()
  })

  it('the lock tag round-trips; a malformed one reads as no lock', () => {
    const lock = { holder: 'bob@ci/1', operation: 'deploy 2.0.0', reason: 'r'.repeat(300), acquiredAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-01T00:01:00Z' }
    const encoded = encodeLock(lock)
    expect(encoded.length).toBeLessThanOrEqual(256)
    expect(parseLock(encoded)).toMatchObject({ holder: 'bob@ci/1', operation: 'deploy 2.0.0', expiresAt: '2026-01-01T00:01:00Z' })
    expect(parseLock('{"h":"x"}')).toBeUndefined()
  })

  it('the record of a broken lock keeps who, when and whose within 256 characters, shortening the reason', () => {
    const encoded = encodeLockBreak({ brokenBy: 'carol@desk', brokenAt: '2026-01-01T03:00:00.000Z', holder: 'bob@ci/1', reason: 'INC-9 '.repeat(60) })
    expect(encoded.length).toBeLessThanOrEqual(256)
    expect(JSON.parse(encoded)).toMatchObject({ by: 'carol@desk', at: '2026-01-01T03:00:00.000Z', h: 'bob@ci/1', r: expect.stringMatching(/^INC-9 .*…$/) })
  })

  it('drops the records of revisions that are gone and keeps only the newest ones', () => {
    const names = Array.from({ length: MAX_RECORDS + 5 }, (_, i) => `web--r${i}`)
    const tags = Object.fromEntries([...names, 'web--gone'].map((n) => [recordTag(n), '{"v":"passed"}']))
    const patch = recordTagsPatch({ ...tags, owner: 'team' }, names, 'web--new', { verdict: 'pending' })
    expect(patch[recordTag('web--gone')]).toBeNull()
    expect(patch[recordTag('web--r0')]).toBeNull()
    expect(patch[recordTag(names.at(-1)!)]).toBeUndefined()
    expect(patch.owner).toBeUndefined()
    expect(parseRecord(patch[recordTag('web--new')]!)).toEqual({ verdict: 'pending' })
  })
})

describe('history from revisions and traffic', () => {
  it('numbers revisions by creation, marks the one serving most traffic current, and reads verdicts from tags', () => {
    const revisions = [revision('web--c', 3), revision('web--a', 1), revision('web--b', 2)]
    const app = appWith({ ingress: { traffic: [{ revisionName: 'web--b', weight: 75 }, { latestRevision: true, weight: 25 }] } }, { [recordTag('web--b')]: encodeRecord({ verdict: 'passed', deployedBy: 'alice' }) })
    const history = containerAppHistory(app, revisions, 'web')
    expect(history.map((e) => [e.revision, e.replicaSet, e.current, e.verdict])).toEqual([
      [1, 'web--a', false, 'external'],
      [2, 'web--b', true, 'passed'],
      [3, 'web--c', false, 'external'],
    ])
    expect(history[1]).toMatchObject({ image: 'web:2', deployedBy: 'alice' })
    expect(servingRevision(appWith({ ingress: { traffic: [{ latestRevision: true, weight: 100 }] } }), revisions)?.name).toBe('web--c')
  })
})

describe('revision gates', () => {
  const now = Date.UTC(2026, 0, 1, 1)
  const replica = (containers: Replica['containers'], ageMs = 1000): Replica => ({ name: 'web--a-1', createdTime: new Date(now - ageMs), containers })
  const provisioned = revision('web--a', 1, { provisioningState: 'Provisioned', runningState: 'Running' })

  it('pass when provisioned and every replica is ready', () => {
    const result = evaluateRevision(provisioned, [replica([{ name: 'web', ready: true, started: true, restartCount: 0, runningStateDetails: 'Ready' }])], now, 30_000)
    expect(result.verdict).toBe('passed')
  })

  it('fail at once on a crash loop or an image pull back-off, naming the replica', () => {
    const crash = evaluateRevision(provisioned, [replica([{ name: 'web', ready: false, started: false, restartCount: 2, runningStateDetails: 'CrashLoopBackOff: back-off restarting failed container' }])], now, 30_000)
    expect(crash).toMatchObject({ verdict: 'failed' })
    expect(crash.reason).toContain('replica web--a-1: CrashLoopBackOff')
    const failedProvisioning = evaluateRevision({ ...provisioned, provisioningState: 'Failed', provisioningError: 'ImagePullBackOff' }, [], now, 30_000)
    expect(failedProvisioning.reason).toContain('failed to provision: ImagePullBackOff')
  })

  it('wait for a replica that is not ready yet, and fail it past the readiness budget (period × threshold) + grace', () => {
    const notReady = [{ name: 'web', ready: false, started: true, restartCount: 0, runningStateDetails: 'Readiness probe failed' }]
    expect(evaluateRevision(provisioned, [replica(notReady, 20_000)], now, 30_000).verdict).toBe('pending')
    const late = evaluateRevision(provisioned, [replica(notReady, 61_000)], now, 30_000)
    expect(late.verdict).toBe('failed')
    expect(late.reason).toMatch(/not ready after 61 s/)
  })
})

it('revision suffixes say the image tag and stay valid', () => {
  expect(revisionSuffix('myacr.azurecr.io/catalog:2.0.0', 0)).toBe('mkt-2-0-0-0')
  expect(revisionSuffix('catalog@sha256:abc', 36)).toBe('mkt-digest-10')
  expect(revisionSuffix('registry:5000/catalog', 1)).toBe('mkt-latest-1')
})

describe("rollback's line: which revision serves now", () => {
  it('a revision keeps its number on Container Apps (serving); a Kubernetes undo renumbers it; unknown when not waited for', () => {
    expect(describeRollbackTarget({ toImage: 'web:1', toRevision: 1, newRevision: 1 })).toBe('web:1 (r1 serving)')
    expect(describeRollbackTarget({ toImage: 'web:1', toRevision: 2, newRevision: 4 })).toBe('web:1 (r2 now r4)')
    expect(describeRollbackTarget({ toImage: null, toRevision: 2, newRevision: null })).toBe('- (r2 restored)')
  })
})
