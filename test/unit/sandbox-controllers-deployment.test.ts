import { describe, expect, it } from 'vitest'
import { formatTime } from '../../src/sandbox/clock.js'
import type { DeploymentStatus } from '../../src/sandbox/controllers/api.js'
import { buildNewReplicaSet, oldPodsRunning, syncedNewReplicaSet } from '../../src/sandbox/controllers/deployment.js'
import {
  calculateStatus,
  deploymentComplete,
  equalIgnoreHash,
  findNewReplicaSet,
  getScaledValueFromIntOrPercent,
  isScalingEvent,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  pausedConditionStatus,
  planProportionalScale,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  replicaSetsToCleanUp,
  resolveFenceposts,
  rolloutStatus,
  setNewReplicaSetAnnotations,
  stuckDeploymentRecheckAt,
} from '../../src/sandbox/controllers/deployment-util.js'
import { computePodTemplateHash, safeEncodeString, SAFE_ALPHABET } from '../../src/sandbox/controllers/hash.js'
import { deployment, pod, replicaSet, T0 } from './sandbox-controllers-fixtures.js'

describe('fenceposts (ResolveFenceposts, MaxSurge, MaxUnavailable)', () => {
  it('rounds surge up and unavailable down', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 })
    expect(resolveFenceposts('25%', '25%', 1)).toEqual({ surge: 1, unavailable: 0 })
    expect(resolveFenceposts(2, 1, 10)).toEqual({ surge: 2, unavailable: 1 })
  })

  it('makes unavailable 1 when both resolve to 0', () => {
    expect(resolveFenceposts('0%', '10%', 5)).toEqual({ surge: 0, unavailable: 1 })
    expect(resolveFenceposts(0, 0, 3)).toEqual({ surge: 0, unavailable: 1 })
  })

  it('caps maxUnavailable at replicas, and is 0 for 0 replicas or Recreate', () => {
    expect(maxUnavailable(deployment({ replicas: 2, maxUnavailable: 5 }))).toBe(2)
    expect(maxUnavailable(deployment({ replicas: 0 }))).toBe(0)
    expect(maxUnavailable(deployment({ strategy: 'Recreate' }))).toBe(0)
    expect(maxSurge(deployment({ strategy: 'Recreate' }))).toBe(0)
    expect(maxSurge(deployment({ replicas: 4 }))).toBe(1)
  })

  it('rejects values that are neither ints nor percentages', () => {
    expect(() => getScaledValueFromIntOrPercent('abc', 10, true)).toThrow(/invalid value/)
    expect(getScaledValueFromIntOrPercent('3', 10, true)).toBe(3)
  })
})

describe('pod-template-hash (ComputeHash)', () => {
  const template = deployment().spec.template

  it('is deterministic, depends on the template and collisionCount, and uses the safe alphabet', () => {
    const a = computePodTemplateHash(template)
    expect(computePodTemplateHash(JSON.parse(JSON.stringify(template)))).toBe(a)
    expect(computePodTemplateHash(deployment({ image: 'web:2' }).spec.template)).not.toBe(a)
    expect(computePodTemplateHash(template, 1)).not.toBe(a)
    expect(computePodTemplateHash(template, 1)).toBe(computePodTemplateHash(template, 1))
    for (const ch of a) expect(SAFE_ALPHABET).toContain(ch)
  })

  it('ignores key order and API defaults that serialise as null/empty', () => {
    const reordered = { spec: template?.spec, metadata: { creationTimestamp: null, labels: { app: 'web' } } }
    expect(computePodTemplateHash(reordered as never)).toBe(computePodTemplateHash(template))
  })

  it('encodes decimal digits like rand.SafeEncodeString', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf')
  })
})

describe('which ReplicaSet is new', () => {
  it('compares templates ignoring pod-template-hash and picks the oldest match', () => {
    const d = deployment()
    const older = replicaSet({ replicas: 1, createdAt: T0 })
    const newer = replicaSet({ replicas: 1, createdAt: T0 + 5000 })
    const other = replicaSet({ replicas: 1, image: 'web:0', createdAt: T0 - 5000 })
    expect(equalIgnoreHash(older.spec.template, d.spec.template)).toBe(true)
    expect(findNewReplicaSet(d, [newer, other, older])?.metadata.name).toBe(older.metadata.name)
    expect(findNewReplicaSet(deployment({ image: 'web:9' }), [newer, older])).toBeUndefined()
  })
})

describe('the new ReplicaSet', () => {
  it('is named <deployment>-<hash>, carries the hash label, revision and replicas annotations, and the change-cause', () => {
    const d = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 0, annotations: { 'kubernetes.io/change-cause': 'v2', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '1' } })
    const old = replicaSet({ replicas: 4, available: 4, revision: 1, image: 'web:0' })
    const rs = buildNewReplicaSet(d, [old], 2)
    const hash = computePodTemplateHash(d.spec.template)
    expect(rs.metadata.name).toBe(`web-${hash}`)
    expect(rs.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash })
    expect(rs.spec.selector?.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash })
    expect(rs.spec.template?.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash })
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }])
    // maxSurge=1: room for exactly one new pod (the replica-count canary's first step).
    expect(rs.spec.replicas).toBe(1)
    expect(rs.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '2',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    })
  })

  it('Recreate creates it at full size', () => {
    expect(buildNewReplicaSet(deployment({ strategy: 'Recreate', replicas: 3 }), [], 1).spec.replicas).toBe(3)
  })
})

describe('rolling update steps', () => {
  it('NewRSNewReplicas grows the new ReplicaSet by the surge room, never past spec.replicas', () => {
    const d = deployment({ replicas: 10, maxSurge: '30%', maxUnavailable: 0 })
    const old = replicaSet({ replicas: 10, available: 10 })
    const fresh = replicaSet({ replicas: 0 })
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(3)
    const partly = replicaSet({ replicas: 8 })
    expect(newRSNewReplicas(d, [replicaSet({ replicas: 2 }), partly], partly)).toBe(10)
    const full = replicaSet({ replicas: 3 })
    expect(newRSNewReplicas(d, [old, full], full)).toBe(3)
  })

  it('reconcileNewReplicaSet scales down a new ReplicaSet bigger than spec', () => {
    const d = deployment({ replicas: 2 })
    const rs = replicaSet({ replicas: 5 })
    expect(reconcileNewReplicaSet(d, [rs], rs)).toBe(2)
    expect(reconcileNewReplicaSet(d, [replicaSet({ replicas: 2 })], replicaSet({ replicas: 2 }))).toBeUndefined()
  })

  it('old ReplicaSets shrink only while spec − maxUnavailable pods stay available', () => {
    const d = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 1 })
    const old = replicaSet({ replicas: 4, available: 4 })
    const fresh = replicaSet({ replicas: 1, available: 0 })
    // all=5, minAvailable=3, newRS unavailable=1 → maxScaledDown=1; available 4 > 3 → down by 1.
    expect(reconcileOldReplicaSets(d, [old, fresh], [old], fresh).map((a) => a.replicas)).toEqual([3])
    // maxUnavailable=0: nothing can go until the new pod is available.
    const strict = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 0 })
    expect(reconcileOldReplicaSets(strict, [old, fresh], [old], fresh)).toEqual([])
    const freshAvailable = replicaSet({ replicas: 1, available: 1 })
    expect(reconcileOldReplicaSets(strict, [old, freshAvailable], [old], freshAvailable).map((a) => a.replicas)).toEqual([3])
  })

  it('removes unhealthy old replicas first, oldest ReplicaSet first', () => {
    const d = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 1 })
    const oldest = replicaSet({ replicas: 2, available: 0, createdAt: T0 })
    const old = replicaSet({ replicas: 2, available: 2, createdAt: T0 + 1000 })
    const fresh = replicaSet({ replicas: 1, available: 1, createdAt: T0 + 2000 })
    // all=5, minAvailable=3, maxScaledDown=2 → the 2 unavailable pods of the oldest go; available 3 is not > 3.
    const actions = reconcileOldReplicaSets(d, [oldest, old, fresh], [oldest, old], fresh)
    expect(actions.map((a) => [a.replicaSet.metadata.name, a.replicas])).toEqual([[oldest.metadata.name, 0]])
  })

  it('keeps total pods ≤ spec + maxSurge and available ≥ spec − maxUnavailable over a whole simulated rollout', () => {
    for (const [replicas, surge, unavailable] of [
      [4, 1, 1],
      [10, '25%', '25%'],
      [3, 0, 1],
      [5, 2, 0],
      [1, '25%', '25%'],
    ] as const) {
      const d = deployment({ replicas, maxSurge: surge, maxUnavailable: unavailable })
      const minAvailable = replicas - maxUnavailable(d)
      const maxTotal = replicas + maxSurge(d)
      let old = replicaSet({ replicas, available: replicas, createdAt: T0 })
      let fresh = replicaSet({ replicas: 0, createdAt: T0 + 1000 })
      for (let step = 0; step < 100 && !(fresh.spec.replicas === replicas && old.spec.replicas === 0); step++) {
        const up = reconcileNewReplicaSet(d, [old, fresh], fresh)
        if (up !== undefined) fresh = { ...fresh, spec: { ...fresh.spec, replicas: up } }
        else {
          for (const action of reconcileOldReplicaSets(d, [old, fresh], [old], fresh)) old = { ...old, spec: { ...old.spec, replicas: action.replicas } }
        }
        // pods follow the specs; new pods become available one step later
        old = { ...old, status: { replicas: old.spec.replicas!, availableReplicas: old.spec.replicas } }
        const total = (old.spec.replicas ?? 0) + (fresh.spec.replicas ?? 0)
        expect(total).toBeLessThanOrEqual(maxTotal)
        expect((old.status?.availableReplicas ?? 0) + (fresh.status?.availableReplicas ?? 0)).toBeGreaterThanOrEqual(minAvailable)
        fresh = { ...fresh, status: { replicas: fresh.spec.replicas!, availableReplicas: fresh.spec.replicas } }
      }
      expect([fresh.spec.replicas, old.spec.replicas]).toEqual([replicas, 0])
    }
  })
})

describe('proportional scaling (sync.go scale)', () => {
  it('gives a resize to the one active ReplicaSet', () => {
    const d = deployment({ replicas: 6 })
    const rs = replicaSet({ replicas: 4, available: 4 })
    expect(planProportionalScale(d, rs, [replicaSet({ replicas: 0 })]).map((a) => a.replicas)).toEqual([6])
  })

  it('spreads a resize mid-rollout by max-replicas, leftover to the largest', () => {
    // 10 replicas, surge 3 (25% of 10 rounded up): old 8 and new 5 = 13 = max-replicas; scale to 20 → max 25.
    const d = deployment({ replicas: 20, maxSurge: '25%', maxUnavailable: '25%' })
    const annotations = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' }
    const old = replicaSet({ replicas: 8, available: 8, annotations, createdAt: T0 })
    const fresh = replicaSet({ replicas: 5, annotations, createdAt: T0 + 1000 })
    expect(isScalingEvent(d, fresh, [old])).toBe(true)
    const sizes = Object.fromEntries(planProportionalScale(d, fresh, [old]).map((a) => [a.replicaSet.metadata.name, a.replicas]))
    expect(sizes[old.metadata.name] + sizes[fresh.metadata.name]).toBe(25)
    expect(sizes[old.metadata.name]).toBe(15)
    expect(sizes[fresh.metadata.name]).toBe(10)
  })

  it('scales old ReplicaSets to 0 once the new one is saturated', () => {
    const d = deployment({ replicas: 3 })
    const fresh = replicaSet({ replicas: 3, available: 3, annotations: { 'deployment.kubernetes.io/desired-replicas': '3' } })
    const old = replicaSet({ replicas: 1, available: 1 })
    expect(planProportionalScale(d, fresh, [old]).map((a) => [a.replicaSet.metadata.name, a.replicas])).toEqual([[old.metadata.name, 0]])
  })

  it('while a replica-count canary is paused adds nothing (Σ replicas == spec + maxSurge)', () => {
    const d = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 0, paused: true })
    const annotations = { 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' }
    const old = replicaSet({ replicas: 4, available: 4, annotations, createdAt: T0 })
    const canary = replicaSet({ replicas: 1, available: 1, annotations, createdAt: T0 + 1000 })
    expect(planProportionalScale(d, canary, [old])).toEqual([])
  })
})

describe('revisions (SetNewReplicaSetAnnotations)', () => {
  it('a rollback renumbers the reused ReplicaSet and keeps the old number in revision-history', () => {
    const d = deployment({ annotations: { 'kubernetes.io/change-cause': 'first' } })
    const rs = replicaSet({ replicas: 0, revision: 1 })
    const synced = syncedNewReplicaSet(d, rs, 3)!
    expect(synced.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3')
    expect(synced.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1')
    expect(synced.metadata.annotations?.['kubernetes.io/change-cause']).toBe('first')
    const again = syncedNewReplicaSet(d, { ...synced, metadata: { ...synced.metadata } }, 5)!
    expect(again.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1,3')
    expect(syncedNewReplicaSet(d, again, 5)).toBeUndefined()
  })

  it('never lowers a revision, and caps revision-history at the character limit (oldest dropped)', () => {
    const d = deployment()
    const rs = replicaSet({ replicas: 0, revision: 7, annotations: { 'deployment.kubernetes.io/revision-history': '1,2,3' } })
    expect(setNewReplicaSetAnnotations(d, rs, 5, true)).toBe(false)
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('7')
    setNewReplicaSetAnnotations(d, rs, 8, true, 6)
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('2,3,7')
  })
})

describe('status and conditions', () => {
  const now = T0 + 60_000

  it('sums replicas over ReplicaSets and sets Available against spec − maxUnavailable', () => {
    const d = deployment({ replicas: 4, maxUnavailable: 1, generation: 3 })
    const old = replicaSet({ replicas: 1, actual: 2, available: 2, ready: 2 })
    const fresh = replicaSet({ replicas: 3, actual: 3, available: 1, ready: 2 })
    const status = calculateStatus(d, [old, fresh], fresh, now)
    expect(status).toMatchObject({ observedGeneration: 3, replicas: 5, updatedReplicas: 3, readyReplicas: 4, availableReplicas: 3, unavailableReplicas: 1 })
    expect(status.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' })
    const worse = calculateStatus(d, [replicaSet({ replicas: 4, available: 2 })], undefined, now)
    expect(worse.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' })
  })

  it('Progressing: ReplicaSetUpdated on progress (lastUpdateTime refreshed, lastTransitionTime kept), then NewReplicaSetAvailable', () => {
    const created = formatTime(T0)
    const status: DeploymentStatus = {
      replicas: 4,
      updatedReplicas: 1,
      availableReplicas: 4,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: 'Created new replica set "web-x"', lastUpdateTime: created, lastTransitionTime: created }],
    }
    const d = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 0, status })
    const old = replicaSet({ replicas: 3, available: 3 })
    const fresh = replicaSet({ name: 'web-x', replicas: 2, actual: 2, available: 1 })
    const progressing = rolloutStatus(d, [old, fresh], fresh, now).conditions!.find((c) => c.type === 'Progressing')!
    expect(progressing).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-x" is progressing.', lastTransitionTime: created, lastUpdateTime: formatTime(now) })

    const doneRS = replicaSet({ name: 'web-x', replicas: 4, available: 4 })
    const done = rolloutStatus(d, [replicaSet({ replicas: 0, actual: 0 }), doneRS], doneRS, now)
    expect(deploymentComplete(d, done)).toBe(true)
    expect(done.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "web-x" has successfully progressed.' })
  })

  it('ProgressDeadlineExceeded once lastUpdateTime + deadline has passed without progress, and the re-check time before it', () => {
    const last = formatTime(T0)
    const status: DeploymentStatus = {
      observedGeneration: 1,
      replicas: 5,
      updatedReplicas: 1,
      readyReplicas: 4,
      availableReplicas: 4,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-x" is progressing.', lastUpdateTime: last, lastTransitionTime: last }],
    }
    const d = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 10, status })
    const old = replicaSet({ replicas: 4, available: 4 })
    const stuck = replicaSet({ name: 'web-x', replicas: 1, available: 0 })
    const early = rolloutStatus(d, [old, stuck], stuck, T0 + 5000)
    expect(early.conditions!.find((c) => c.type === 'Progressing')?.reason).toBe('ReplicaSetUpdated')
    expect(stuckDeploymentRecheckAt(d, early, T0 + 5000)).toBe(T0 + 11_000)
    const late = rolloutStatus(d, [old, stuck], stuck, T0 + 10_001)
    expect(late.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-x" has timed out progressing.' })
  })

  it('promotes a ReplicaSet ReplicaFailure condition and removes it when gone', () => {
    const d = deployment({ replicas: 1 })
    const rs = replicaSet({ replicas: 1 })
    rs.status!.conditions = [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-x" is forbidden: exceeded quota', lastTransitionTime: formatTime(T0) }]
    const status = rolloutStatus(d, [rs], rs, now)
    expect(status.conditions!.find((c) => c.type === 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate' })
    const healed = rolloutStatus({ ...d, status }, [replicaSet({ replicas: 1 })], undefined, now)
    expect(healed.conditions!.some((c) => c.type === 'ReplicaFailure')).toBe(false)
  })

  it('paused/resumed set Progressing=Unknown, but never over ProgressDeadlineExceeded', () => {
    const paused = pausedConditionStatus(deployment({ paused: true }), now)!
    expect(paused.conditions![0]).toMatchObject({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' })
    const resumed = pausedConditionStatus(deployment({ status: paused }), now)!
    expect(resumed.conditions![0]).toMatchObject({ status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' })
    expect(pausedConditionStatus(deployment({ paused: true, status: paused }), now)).toBeUndefined()
    const timedOut: DeploymentStatus = { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }
    expect(pausedConditionStatus(deployment({ paused: true, status: timedOut }), now)).toBeUndefined()
  })
})

describe('cleanup (revisionHistoryLimit)', () => {
  it('deletes the lowest revisions beyond the limit, only when scaled to 0 with no pods', () => {
    const d = deployment({ revisionHistoryLimit: 2 })
    const r1 = replicaSet({ replicas: 0, actual: 0, revision: 1 })
    const r2 = replicaSet({ replicas: 0, actual: 0, revision: 2 })
    const r3 = replicaSet({ replicas: 0, actual: 1, revision: 3 })
    const r4 = replicaSet({ replicas: 0, actual: 0, revision: 4 })
    expect(replicaSetsToCleanUp(d, [r4, r3, r2, r1]).map((rs) => rs.metadata.name)).toEqual([r1.metadata.name, r2.metadata.name])
    const limitOne = deployment({ revisionHistoryLimit: 1 })
    // r3 still has a pod: skipped, not replaced by another.
    expect(replicaSetsToCleanUp(limitOne, [r4, r3, r2, r1]).map((rs) => rs.metadata.name)).toEqual([r1.metadata.name, r2.metadata.name])
    expect(replicaSetsToCleanUp(deployment({ revisionHistoryLimit: 10 }), [r1, r2])).toEqual([])
  })
})

describe('Recreate', () => {
  it('waits while any pod of an old ReplicaSet has not finished', () => {
    const fresh = replicaSet({ replicas: 0 })
    const old = replicaSet({ replicas: 0, actual: 0 })
    const pods = new Map([[old.metadata.uid!, [pod({ name: 'a', deleting: true })]]])
    expect(oldPodsRunning(fresh, [old], pods)).toBe(true)
    expect(oldPodsRunning(fresh, [old], new Map([[old.metadata.uid!, [pod({ name: 'b', phase: 'Succeeded' })]]]))).toBe(false)
    expect(oldPodsRunning(fresh, [replicaSet({ replicas: 0, actual: 1 })], new Map())).toBe(true)
  })
})
