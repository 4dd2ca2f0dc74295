import { describe, expect, it } from 'vitest'
import {
  describeHeldLease,
  holderIdentity,
  leaseDecision,
  leaseNameFor,
  microTime,
  nextLeaseSpec,
  parseHolderIdentity,
  releasedLeaseSpec,
  renewIntervalMs,
} from '../../src/kube/lease-logic.js'
import { T0, lease, typed } from '../helpers/rollout-fixtures.js'

const me = 'alice@laptop/4242'
const other = 'bob@ci-agent-3/77/run-5512'
const options = { identity: me, now: T0, durationSeconds: 30, skewMs: 5_000 }
const at = (ms: number) => microTime(ms)

describe('microTime', () => {
  it('writes exactly six fractional digits in UTC', () => {
    expect(microTime(Date.parse('2026-11-02T10:00:00.123Z'))).toBe('2026-11-02T10:00:00.123000Z')
    expect(microTime(new Date('2026-11-02T10:00:00Z'))).toBe('2026-11-02T10:00:00.000000Z')
    expect(microTime(T0)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
  })
})

describe('leaseDecision', () => {
  it('creates when there is no lease', () => {
    expect(leaseDecision(undefined, options)).toEqual({ action: 'create' })
  })

  it('renews our own lease', () => {
    expect(leaseDecision(lease({ holderIdentity: me, leaseDurationSeconds: 30, renewTime: at(T0 - 10_000) }), options)).toEqual({ action: 'renew' })
  })

  it('reports a live lease of another holder with since and expiry', () => {
    const held = lease({ holderIdentity: other, leaseDurationSeconds: 30, acquireTime: at(T0 - 120_000), renewTime: at(T0 - 10_000) })
    expect(leaseDecision(held, options)).toEqual({ action: 'held-by-other', holder: other, since: T0 - 120_000, renewedAt: T0 - 10_000, expiresAt: T0 + 20_000 })
  })

  it('keeps respecting a lease within the skew margin after its expiry', () => {
    const justExpired = lease({ holderIdentity: other, leaseDurationSeconds: 30, renewTime: at(T0 - 33_000) })
    expect(leaseDecision(justExpired, options).action).toBe('held-by-other')
  })

  it('takes over an expired lease', () => {
    const stale = lease({ holderIdentity: other, leaseDurationSeconds: 30, acquireTime: at(T0 - 600_000), renewTime: at(T0 - 40_000) })
    expect(leaseDecision(stale, options)).toEqual({ action: 'acquire-expired', previousHolder: other, expiredAt: T0 - 10_000, released: false })
  })

  it('takes over a released lease, and one that never recorded a time', () => {
    expect(leaseDecision(lease({ leaseDurationSeconds: 1, renewTime: at(T0) }), options)).toEqual({ action: 'acquire-expired', released: true })
    expect(leaseDecision(lease({ holderIdentity: '' }), options)).toEqual({ action: 'acquire-expired', released: true })
    expect(leaseDecision(lease({ holderIdentity: other }), options)).toEqual({ action: 'acquire-expired', previousHolder: other, released: false })
  })

  it("uses the holder's own duration, or ours when it states none", () => {
    const long = lease({ holderIdentity: other, leaseDurationSeconds: 300, renewTime: at(T0 - 120_000) })
    expect(leaseDecision(long, options).action).toBe('held-by-other')
    const unstated = lease({ holderIdentity: other, renewTime: at(T0 - 40_000) })
    expect(leaseDecision(unstated, options).action).toBe('acquire-expired')
  })

  it('reads a typed lease the same way', () => {
    const held = typed(lease({ holderIdentity: other, leaseDurationSeconds: 30, acquireTime: at(T0 - 120_000), renewTime: at(T0 - 10_000) }), 'V1Lease')
    expect(leaseDecision(held, options)).toMatchObject({ action: 'held-by-other', since: T0 - 120_000 })
  })
})

describe('nextLeaseSpec', () => {
  const write = { identity: me, now: T0, durationSeconds: 30 }

  it('creates with zero transitions', () => {
    expect(nextLeaseSpec(undefined, { action: 'create' }, write)).toEqual({
      holderIdentity: me,
      leaseDurationSeconds: 30,
      acquireTime: '2026-11-02T10:00:00.000000Z',
      renewTime: '2026-11-02T10:00:00.000000Z',
      leaseTransitions: 0,
    })
  })

  it('counts a takeover as a transition', () => {
    const stale = lease({ holderIdentity: other, leaseDurationSeconds: 30, acquireTime: at(T0 - 600_000), renewTime: at(T0 - 40_000), leaseTransitions: 4 })
    expect(nextLeaseSpec(stale, leaseDecision(stale, options), write)).toMatchObject({ holderIdentity: me, leaseTransitions: 5, acquireTime: at(T0) })
  })

  it('keeps acquireTime when renewing', () => {
    const mine = lease({ holderIdentity: me, leaseDurationSeconds: 30, acquireTime: at(T0 - 60_000), renewTime: at(T0 - 10_000), leaseTransitions: 2 })
    expect(nextLeaseSpec(mine, { action: 'renew' }, write)).toEqual({
      holderIdentity: me,
      leaseDurationSeconds: 30,
      acquireTime: at(T0 - 60_000),
      renewTime: at(T0),
      leaseTransitions: 2,
    })
  })

  it('writes nothing over another holder, and releases by clearing the holder', () => {
    const held = lease({ holderIdentity: other, leaseDurationSeconds: 30, renewTime: at(T0) })
    expect(nextLeaseSpec(held, leaseDecision(held, options), write)).toBeUndefined()
    const released = releasedLeaseSpec(lease({ holderIdentity: me, leaseTransitions: 3 }), T0)
    expect(released).toEqual({ leaseDurationSeconds: 1, acquireTime: at(T0), renewTime: at(T0), leaseTransitions: 3 })
    expect(leaseDecision(lease(released), options)).toEqual({ action: 'acquire-expired', released: true })
  })

  it('renews at a third of the duration', () => {
    expect(renewIntervalMs(30)).toBe(10_000)
  })
})

describe('holder identity', () => {
  it('names user, host and process, plus the pipeline run in CI', () => {
    expect(holderIdentity({ user: 'alice', host: 'laptop', pid: 4242 })).toBe('alice@laptop/4242')
    expect(holderIdentity({ user: 'bob', host: 'ci-agent-3', pid: 77, ciRunId: '5512' })).toBe('bob@ci-agent-3/77/run-5512')
    expect(holderIdentity({ user: 'alice@contoso.com', host: 'dev box/1', pid: 1, ciRunId: ' ' })).toBe('alice@contoso.com@dev-box-1/1')
    expect(holderIdentity({ user: '', host: 'h', pid: 1 })).toBe('unknown@h/1')
  })

  it('reads an identity back', () => {
    expect(parseHolderIdentity('bob@ci-agent-3/77/run-5512')).toEqual({ user: 'bob', host: 'ci-agent-3', pid: 77, ciRunId: '5512' })
    expect(parseHolderIdentity('alice@contoso.com@devbox/1')).toEqual({ user: 'alice@contoso.com', host: 'devbox', pid: 1 })
    expect(parseHolderIdentity('kube-controller-manager')).toBeUndefined()
  })

  it('describes a held lease for the exit-73 message', () => {
    const decision = leaseDecision(lease({ holderIdentity: other, leaseDurationSeconds: 30, acquireTime: at(T0 - 120_000), renewTime: at(T0 - 10_000) }), options)
    if (decision.action !== 'held-by-other') throw new Error('expected held-by-other')
    expect(describeHeldLease(decision, T0)).toBe(`held by ${other} since 2026-11-02T09:58:00.000Z (expires in 20s unless renewed)`)
  })

  it('builds a valid lease name', () => {
    expect(leaseNameFor('prod', 'marketplace-catalog-service')).toBe('mkt-lock-prod-marketplace-catalog-service')
    expect(leaseNameFor('Staging_EU', 'x')).toBe('mkt-lock-staging-eu-x')
  })
})
