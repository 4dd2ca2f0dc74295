import { describe, expect, it } from 'vitest'
import { calculateReplicaSetStatus, nextAvailabilityAt, planReplicas, podFromTemplate } from '../../src/sandbox/controllers/replicaset.js'
import { compareForDeletion, isPodAvailable, podsToDelete } from '../../src/sandbox/controllers/pod-util.js'
import { pod, replicaSet, T0 } from './sandbox-controllers-fixtures.js'

describe('ReplicaSet controller', () => {
  it('creates the missing pods and deletes the surplus', () => {
    const rs = replicaSet({ replicas: 3 })
    expect(planReplicas(rs, [pod({ name: 'a' })])).toEqual({ create: 2, delete: [] })
    const pods = [pod({ name: 'a', ready: true }), pod({ name: 'b' }), pod({ name: 'c', ready: true }), pod({ name: 'd', ready: true })]
    expect(planReplicas(rs, pods).delete.map((p) => p.metadata.name)).toEqual(['b'])
  })

  it('deletes unscheduled < pending < running, not-ready < ready, newer ready < older ready, more restarts first, newest first', () => {
    const pods = [
      pod({ name: 'running-ready-old', ready: true, readySince: T0, createdAt: T0 }),
      pod({ name: 'running-ready-new', ready: true, readySince: T0 + 60_000, createdAt: T0 }),
      pod({ name: 'running-unready', ready: false }),
      pod({ name: 'pending', phase: 'Pending' }),
      pod({ name: 'unscheduled', phase: 'Pending', nodeName: '' }),
      pod({ name: 'running-unready-restarts', ready: false, restarts: 3 }),
      pod({ name: 'running-unready-newer', ready: false, createdAt: T0 + 5000 }),
    ]
    expect([...pods].sort(compareForDeletion).map((p) => p.metadata.name)).toEqual([
      'unscheduled',
      'pending',
      'running-unready-restarts',
      'running-unready-newer',
      'running-unready',
      'running-ready-new',
      'running-ready-old',
    ])
    expect(podsToDelete(pods, 2).map((p) => p.metadata.name)).toEqual(['unscheduled', 'pending'])
  })

  it('names pods <rs>-<suffix> (generateName), copies the template and points at the ReplicaSet as controller', () => {
    const rs = replicaSet({ name: 'web-abc', replicas: 1 })
    const p = podFromTemplate(rs)
    expect(p.metadata.generateName).toBe('web-abc-')
    expect(p.metadata.labels).toEqual(rs.spec.template?.metadata?.labels)
    expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }])
    expect(p.spec.containers?.[0].image).toBe('web:1')
  })

  it('reports replicas, fullyLabeled, ready, available (minReadySeconds) and observedGeneration', () => {
    const rs = replicaSet({ replicas: 3, generation: 4 })
    rs.spec.minReadySeconds = 10
    const labels = rs.spec.template!.metadata!.labels!
    const pods = [
      pod({ name: 'a', ready: true, readySince: T0, labels }),
      pod({ name: 'b', ready: true, readySince: T0 + 55_000, labels }),
      pod({ name: 'c', ready: false, labels: { app: 'web' } }),
    ]
    const now = T0 + 60_000
    expect(calculateReplicaSetStatus(rs, pods, now)).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 })
    // b becomes available strictly after readySince + 10 s.
    expect(nextAvailabilityAt(rs, pods, now)).toBe(T0 + 65_001)
    expect(isPodAvailable(pods[1], 10, T0 + 65_000)).toBe(false)
    expect(isPodAvailable(pods[1], 10, T0 + 65_001)).toBe(true)
  })

  it('sets ReplicaFailure when pods cannot be created and clears it afterwards', () => {
    const rs = replicaSet({ replicas: 1 })
    const failing = calculateReplicaSetStatus(rs, [], T0, { reason: 'FailedCreate', message: 'quota exceeded' })
    expect(failing.conditions).toEqual([{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'FailedCreate', message: 'quota exceeded' }])
    expect(calculateReplicaSetStatus({ ...rs, status: failing }, [], T0).conditions).toBeUndefined()
  })
})
