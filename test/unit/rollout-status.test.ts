import { describe, expect, it } from 'vitest'
import {
  controlledReplicaSets,
  furthestProgress,
  madeProgress,
  rolloutProgressOf,
  type RolloutProgress,
  deploymentRolloutStatus,
  equalIgnoreHash,
  newReplicaSet,
  oldReplicaSets,
  podTemplateHashOf,
  revisionOf,
} from '../../src/rollout/status.js'
import { APP, REPO, T0, deployment, podTemplate, replicaSet, typed } from '../helpers/rollout-fixtures.js'

describe('deploymentRolloutStatus (kubectl DeploymentStatusViewer)', () => {
  it('waits for the spec update to be observed', () => {
    expect(deploymentRolloutStatus(deployment({ generation: 4, observedGeneration: 3 }))).toEqual({
      state: 'waiting',
      message: 'Waiting for deployment spec update to be observed...',
    })
  })

  it('fails on ProgressDeadlineExceeded once observed', () => {
    const d = deployment({
      progressing: { status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${APP}-5f6d8c7b9" has timed out progressing.` },
      status: { updatedReplicas: 1, availableReplicas: 1 },
    })
    expect(deploymentRolloutStatus(d)).toEqual({ state: 'failed', message: `deployment "${APP}" exceeded its progress deadline` })
  })

  it('ignores a stale ProgressDeadlineExceeded while the new generation is not observed (as kubectl)', () => {
    const d = deployment({
      generation: 5,
      observedGeneration: 4,
      progressing: { status: 'False', reason: 'ProgressDeadlineExceeded', message: 'old' },
    })
    expect(deploymentRolloutStatus(d).state).toBe('waiting')
  })

  it('waits for new replicas to be updated', () => {
    const d = deployment({ replicas: 3, status: { replicas: 4, updatedReplicas: 1, availableReplicas: 3 } })
    expect(deploymentRolloutStatus(d).message).toBe(`Waiting for deployment "${APP}" rollout to finish: 1 out of 3 new replicas have been updated...`)
  })

  it('waits for old replicas to terminate', () => {
    const d = deployment({ replicas: 3, status: { replicas: 5, updatedReplicas: 3, availableReplicas: 3 } })
    expect(deploymentRolloutStatus(d).message).toBe(`Waiting for deployment "${APP}" rollout to finish: 2 old replicas are pending termination...`)
  })

  it('waits for updated replicas to become available', () => {
    const d = deployment({ replicas: 3, status: { replicas: 3, updatedReplicas: 3, availableReplicas: 1 } })
    expect(deploymentRolloutStatus(d).message).toBe(`Waiting for deployment "${APP}" rollout to finish: 1 of 3 updated replicas are available...`)
  })

  it('is done when all replicas are updated and available', () => {
    expect(deploymentRolloutStatus(deployment())).toEqual({ state: 'done', message: `deployment "${APP}" successfully rolled out` })
  })

  it('treats missing status counters as 0, like Go zero values', () => {
    const d = deployment({ replicas: 2 })
    delete (d.status as Record<string, unknown>).updatedReplicas
    expect(deploymentRolloutStatus(d).message).toContain('0 out of 2 new replicas have been updated')
  })

  it('is done at 0 replicas', () => {
    const d = deployment({ replicas: 0 })
    expect(deploymentRolloutStatus(d).state).toBe('done')
  })

  it('pins a revision like --revision', () => {
    const d = deployment({ revision: 4 })
    expect(deploymentRolloutStatus(d, 4).state).toBe('done')
    expect(deploymentRolloutStatus(d, 5)).toEqual({ state: 'failed', message: 'desired revision (5) is different from the running revision (4)' })
    expect(deploymentRolloutStatus(d, 0).state).toBe('done')
  })

  it('reads the typed client shape the same way', () => {
    expect(deploymentRolloutStatus(typed(deployment({ generation: 4, observedGeneration: 3 }), 'V1Deployment')).state).toBe('waiting')
    expect(deploymentRolloutStatus(typed(deployment(), 'V1Deployment')).state).toBe('done')
  })
})

describe('revisionOf', () => {
  it('reads the revision annotation; missing or malformed is 0', () => {
    expect(revisionOf(deployment({ revision: 7 }))).toBe(7)
    expect(revisionOf(replicaSet({ image: 'x:1', hash: 'abc', created: T0 }))).toBe(0)
    expect(revisionOf(deployment({ annotations: { 'deployment.kubernetes.io/revision': 'seven' } }))).toBe(0)
    expect(revisionOf(undefined)).toBe(0)
  })
})

describe('new and old ReplicaSets', () => {
  const d = deployment({ image: `${REPO}:2.0.0`, revision: 3 })
  const rs1 = replicaSet({ image: `${REPO}:1.3.0`, hash: '6b8f9d7c4', revision: 1, created: T0 - 3 * 86_400_000 })
  const rs2 = replicaSet({ image: `${REPO}:1.4.0`, hash: '7d9c8b6f5', revision: 2, created: T0 - 86_400_000 })
  const rs3 = replicaSet({ image: `${REPO}:2.0.0`, hash: '5f6d8c7b9', revision: 3, created: T0, replicas: 2 })

  it('finds the ReplicaSet whose template equals the Deployment template, ignoring pod-template-hash', () => {
    expect(newReplicaSet(d, [rs1, rs2, rs3])?.metadata?.name).toBe(`${APP}-5f6d8c7b9`)
    expect(oldReplicaSets(d, [rs3, rs1, rs2]).map((rs) => rs.metadata?.name)).toEqual([`${APP}-6b8f9d7c4`, `${APP}-7d9c8b6f5`])
  })

  it('has no new ReplicaSet until the controller creates it', () => {
    expect(newReplicaSet(deployment({ image: `${REPO}:9.9.9` }), [rs1, rs2, rs3])).toBeUndefined()
  })

  it('ignores ReplicaSets controlled by another owner uid (a deleted and recreated Deployment)', () => {
    const orphan = replicaSet({ image: `${REPO}:2.0.0`, hash: '4c4c4c4c4', revision: 3, created: T0 - 2 * 86_400_000, ownerUid: 'old-deployment-uid' })
    expect(controlledReplicaSets(d, [orphan, rs3]).map((rs) => rs.metadata?.name)).toEqual([`${APP}-5f6d8c7b9`])
    expect(newReplicaSet(d, [orphan, rs3])?.metadata?.name).toBe(`${APP}-5f6d8c7b9`)
  })

  it('picks the oldest match (creationTimestamp, then name) when two templates match', () => {
    const twinA = replicaSet({ image: `${REPO}:2.0.0`, hash: 'bbbbbbbbb', created: T0 - 1000 })
    const twinB = replicaSet({ image: `${REPO}:2.0.0`, hash: 'aaaaaaaaa', created: T0 - 1000 })
    expect(newReplicaSet(d, [rs3, twinA, twinB])?.metadata?.name).toBe(`${APP}-aaaaaaaaa`)
  })

  it('matches typed (Date, alphabetical) objects against raw ones', () => {
    const typedRs3 = typed(rs3, 'V1ReplicaSet')
    expect(newReplicaSet(typed(d, 'V1Deployment'), [typed(rs1, 'V1ReplicaSet'), typedRs3])).toBe(typedRs3)
    expect(newReplicaSet(d, [typedRs3])).toBe(typedRs3)
  })

  it('reads the pod-template-hash', () => {
    expect(podTemplateHashOf(rs3)).toBe('5f6d8c7b9')
  })
})

describe('equalIgnoreHash', () => {
  it('ignores only the pod-template-hash label', () => {
    expect(equalIgnoreHash(podTemplate('x:1', 'abc') as never, podTemplate('x:1') as never)).toBe(true)
    expect(equalIgnoreHash(podTemplate('x:1', 'abc') as never, podTemplate('x:2', 'abc') as never)).toBe(false)
  })

  it('treats empty maps and lists as absent (Semantic.DeepEqual)', () => {
    type Template = { metadata: Record<string, unknown>; spec: { containers: Array<Record<string, unknown>> } }
    const a = podTemplate('x:1') as unknown as Template
    const b = structuredClone(a)
    b.spec.containers[0]!.args = []
    b.metadata.annotations = {}
    expect(equalIgnoreHash(a as never, b as never)).toBe(true)
    b.spec.containers[0]!.args = ['--verbose']
    expect(equalIgnoreHash(a as never, b as never)).toBe(false)
  })

  it('does not modify its inputs', () => {
    const rs = replicaSet({ image: 'x:1', hash: 'abc', created: T0 })
    equalIgnoreHash(rs.spec?.template, podTemplate('x:1') as never)
    expect(rs.spec?.template?.metadata?.labels?.['pod-template-hash']).toBe('abc')
  })
})

describe('rollout progress (the progress deadline)', () => {
  const progress = (over: Partial<RolloutProgress> = {}): RolloutProgress => ({ newReplicaSet: 'rs-2', created: 1, ready: 0, available: 0, old: 2, ...over })

  it('counts what the Deployment controller counts: a new ReplicaSet, more pods created, ready or available, fewer old', () => {
    expect(madeProgress(undefined, progress())).toBe(true)
    expect(madeProgress(progress(), progress({ newReplicaSet: 'rs-3' }))).toBe(true)
    expect(madeProgress(progress(), progress({ created: 2 }))).toBe(true)
    expect(madeProgress(progress(), progress({ ready: 1 }))).toBe(true)
    expect(madeProgress(progress(), progress({ available: 1 }))).toBe(true)
    expect(madeProgress(progress(), progress({ old: 1 }))).toBe(true)
    expect(madeProgress(progress(), progress())).toBe(false)
  })

  it('does not count a pod flapping back to where the rollout already was', () => {
    let furthest = furthestProgress(undefined, progress({ ready: 1 }))
    furthest = furthestProgress(furthest, progress({ ready: 0 }))
    expect(madeProgress(furthest, progress({ ready: 1 }))).toBe(false)
    expect(madeProgress(furthest, progress({ ready: 2 }))).toBe(true)
  })

  it('reads the counts from the Deployment and its new ReplicaSet', () => {
    const rs = replicaSet({ image: `${REPO}:2.0.0`, hash: '5f6d8c7b9', revision: 3, created: T0, replicas: 2 })
    const d = deployment({ image: `${REPO}:2.0.0`, status: { replicas: 3, updatedReplicas: 2 } })
    expect(rolloutProgressOf(d, rs)).toMatchObject({ newReplicaSet: rs.metadata!.uid, old: 1 })
    expect(rolloutProgressOf(d, undefined)).toMatchObject({ newReplicaSet: '', created: 0 })
  })
})
