import { describe, expect, it } from 'vitest'
import { lastGoodRevision, parseRevisionHistory, releaseHistory, rollbackTarget, type ReleaseEntry } from '../../src/rollout/history.js'
import { APP, REPO, T0, deployment, replicaSet, typed } from '../helpers/rollout-fixtures.js'

const DAY = 86_400_000
// A release record bound to the template it was written for (mkt.dev/pod-template-hash = the ReplicaSet's hash).
const audit = (hash: string, verdict: string | undefined, extra: Record<string, string> = {}) => ({
  'kubernetes.io/change-cause': `mkt deploy by alice@laptop/4242`,
  'mkt.dev/deployed-by': 'alice@laptop/4242',
  'mkt.dev/pod-template-hash': hash,
  ...(verdict === undefined ? {} : { 'mkt.dev/verdict': verdict }),
  ...extra,
})

// Revision 1 (1.3.0) was released by kubectl; 2 (1.4.0) passed; 3 (1.5.0) was rolled back; then
// `kubectl rollout undo` went back to 1.4.0, which the controller renumbered from 2 to 4; now 2.0.0 is 5.
const rs130 = replicaSet({ image: `${REPO}:1.3.0`, hash: '6b8f9d7c4', revision: 1, created: T0 - 9 * DAY, annotations: { 'kubernetes.io/change-cause': 'kubectl apply' } })
const rs140 = replicaSet({
  image: `${REPO}:1.4.0`,
  hash: '7d9c8b6f5',
  revision: 4,
  created: T0 - 7 * DAY,
  annotations: { ...audit('7d9c8b6f5', 'passed', { 'mkt.dev/reason': 'search ranking', 'mkt.dev/git-sha': '3f2a9c1', 'mkt.dev/run-url': 'https://ci/runs/77' }), 'deployment.kubernetes.io/revision-history': '2' },
})
const rs150 = replicaSet({
  image: `${REPO}:1.5.0`,
  hash: '58c7d6b4f',
  revision: 3,
  created: T0 - 5 * DAY,
  annotations: audit('58c7d6b4f', 'rolled-back', { 'mkt.dev/verdict-reason': 'pods: CrashLoopBackOff' }),
})
const rs200 = replicaSet({ image: `${REPO}:2.0.0`, hash: '5f6d8c7b9', revision: 5, created: T0 - DAY, replicas: 2, annotations: audit('5f6d8c7b9', 'passed') })
const current = deployment({ image: `${REPO}:2.0.0`, revision: 5 })
const all = [rs200, rs130, rs150, rs140]

describe('releaseHistory', () => {
  it('lists revisions ascending with audit annotations and the current marker', () => {
    const history = releaseHistory(current, all)
    expect(history.map((e) => [e.revision, e.image, e.verdict, e.current])).toEqual([
      [1, `${REPO}:1.3.0`, 'external', false],
      [3, `${REPO}:1.5.0`, 'rolled-back', false],
      [4, `${REPO}:1.4.0`, 'passed', false],
      [5, `${REPO}:2.0.0`, 'passed', true],
    ])
    expect(history[2]).toEqual({
      revision: 4,
      replicaSet: `${APP}-7d9c8b6f5`,
      image: `${REPO}:1.4.0`,
      images: [{ container: APP, image: `${REPO}:1.4.0` }],
      createdAt: new Date(T0 - 7 * DAY).toISOString(),
      changeCause: 'mkt deploy by alice@laptop/4242',
      deployedBy: 'alice@laptop/4242',
      reason: 'search ranking',
      gitSha: '3f2a9c1',
      runUrl: 'https://ci/runs/77',
      verdict: 'passed',
      current: false,
      formerRevisions: [2],
      replicas: 0,
    } satisfies ReleaseEntry)
    expect(history[1]!.verdictReason).toBe('pods: CrashLoopBackOff')
    expect(history[0]!.changeCause).toBe('kubectl apply')
  })

  it('skips ReplicaSets without a revision and those of other owners', () => {
    const noRevision = replicaSet({ image: `${REPO}:0.9.0`, hash: 'zzzzzzzzz', created: T0 - 20 * DAY })
    const foreign = replicaSet({ image: `${REPO}:0.8.0`, hash: 'yyyyyyyyy', revision: 9, created: T0 - 30 * DAY, ownerUid: 'another-uid' })
    expect(releaseHistory(current, [...all, noRevision, foreign]).map((e) => e.revision)).toEqual([1, 3, 4, 5])
  })

  it('ignores verdicts it does not know and chooses the container to report', () => {
    const odd = replicaSet({ image: `${REPO}:1.0.0`, hash: 'xxxxxxxxx', revision: 2, created: T0 - 8 * DAY, annotations: { 'mkt.dev/verdict': 'maybe' } })
    const history = releaseHistory(current, [odd], { container: 'sidecar' })
    expect(history[0]!.verdict).toBe('external')
    expect(history[0]!.image).toBeUndefined()
  })

  it('a revision made outside mkt carries a copy of the previous record: external, without its author, reason or change-cause', () => {
    // kubectl set image after the 2.0.0 release: the controller copied 2.0.0's annotations, hash included.
    const kubectlMade = replicaSet({ image: `${REPO}:crashy`, hash: '9c8b7d6f5', revision: 6, created: T0, replicas: 2, annotations: audit('5f6d8c7b9', 'passed', { 'mkt.dev/reason': 'good release' }) })
    const history = releaseHistory(deployment({ image: `${REPO}:crashy`, revision: 6 }), [...all, kubectlMade])
    const entry = history.find((e) => e.revision === 6)!
    expect(entry).toMatchObject({ verdict: 'external', current: true })
    expect(entry.deployedBy).toBeUndefined()
    expect(entry.reason).toBeUndefined()
    expect(entry.changeCause).toBeUndefined()
    // kubectl --record wrote its own cause: that one is shown.
    const recorded = replicaSet({ image: `${REPO}:crashy`, hash: '9c8b7d6f5', revision: 6, created: T0, annotations: { ...audit('5f6d8c7b9', 'passed'), 'kubernetes.io/change-cause': 'kubectl set image --record' } })
    expect(releaseHistory(current, [...all, recorded]).find((e) => e.revision === 6)!.changeCause).toBe('kubectl set image --record')
    // Never a rollback target.
    const target = rollbackTarget(history)
    expect(target.ok && target.target.revision).toBe(5)
  })

  it('reads typed objects (Dates) the same way', () => {
    const history = releaseHistory(typed(current, 'V1Deployment'), all.map((rs) => typed(rs, 'V1ReplicaSet')))
    expect(history.map((e) => e.revision)).toEqual([1, 3, 4, 5])
    expect(history[3]!.current).toBe(true)
    expect(history[3]!.createdAt).toBe(new Date(T0 - DAY).toISOString())
  })

  it('parses revision-history', () => {
    expect(parseRevisionHistory('1,3, 7')).toEqual([1, 3, 7])
    expect(parseRevisionHistory('')).toEqual([])
    expect(parseRevisionHistory('2,x')).toEqual([2])
  })
})

describe('lastGoodRevision', () => {
  const history = releaseHistory(current, all)
  it('is the newest passed revision, optionally not the current one', () => {
    expect(lastGoodRevision(history, false)?.revision).toBe(5)
    expect(lastGoodRevision(history, true)?.revision).toBe(4)
  })

  it('never picks a rolled-back, failed, pending or unverified revision', () => {
    const onlyBad = releaseHistory(deployment({ image: `${REPO}:2.0.0`, revision: 5 }), [rs130, rs150, replicaSet({ image: `${REPO}:2.0.0`, hash: '5f6d8c7b9', revision: 5, created: T0, annotations: audit('5f6d8c7b9', 'pending') })])
    expect(lastGoodRevision(onlyBad, false)).toBeUndefined()
  })
})

describe('rollbackTarget', () => {
  const history = releaseHistory(current, all)

  it('defaults to the last revision that passed, not merely the previous one', () => {
    const target = rollbackTarget(history)
    expect(target.ok).toBe(true)
    if (target.ok) {
      expect(target.target.revision).toBe(4)
      expect(target.from?.revision).toBe(5)
    }
  })

  it('goes to an explicit revision, even an unverified one', () => {
    const target = rollbackTarget(history, { toRevision: 1 })
    expect(target.ok && target.target.image).toBe(`${REPO}:1.3.0`)
  })

  it('says already-current when the target is what runs', () => {
    expect(rollbackTarget(history, { toRevision: 5 })).toMatchObject({ ok: false, reason: 'already-current', message: 'revision 5 is already running (current template already matches it)' })
  })

  it('says not-found, and names the new number of a renumbered revision', () => {
    expect(rollbackTarget(history, { toRevision: 2 })).toMatchObject({
      ok: false,
      reason: 'not-found',
      message: 'revision 2 is now revision 4 (a rollback renumbered it); use --to-revision 4',
    })
    expect(rollbackTarget(history, { toRevision: 9 })).toMatchObject({
      ok: false,
      reason: 'not-found',
      message: 'unable to find specified revision 9 in history (revisions: 1, 3, 4, 5)',
    })
    expect(rollbackTarget(history, { toRevision: 0 })).toMatchObject({ ok: false, reason: 'not-found' })
  })

  it('says no-history with no revisions, or only the current one', () => {
    expect(rollbackTarget([])).toMatchObject({ ok: false, reason: 'no-history', message: 'no rollout history found' })
    const single = releaseHistory(current, [rs200])
    expect(rollbackTarget(single)).toMatchObject({ ok: false, reason: 'no-history', message: 'the current revision is the only one' })
  })

  it('says no-good-revision when earlier revisions were never verified by mkt', () => {
    const unverified = releaseHistory(current, [rs130, rs150, rs200])
    expect(rollbackTarget(unverified)).toMatchObject({
      ok: false,
      reason: 'no-good-revision',
      message: "no earlier revision passed mkt's gates (1 external, 3 rolled-back); choose one with --to-revision",
    })
  })
})
