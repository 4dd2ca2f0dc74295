import { describe, expect, it } from 'vitest'
import { MktError } from '../../src/errors.js'
import {
  abortCanaryPatch,
  canaryStartPatch,
  canaryStepPatch,
  pausePatch,
  promotePatch,
  bindPatches,
  externalVerdictPatch,
  rollbackPatch,
  rollingUpdateOf,
  rolloutPatch,
  undoCommand,
  undoPatch,
  verdictPatch,
  verdictPatches,
  type ReleaseAudit,
} from '../../src/rollout/patches.js'
import { APP, REPO, T0, deployment, replicaSet } from '../helpers/rollout-fixtures.js'

const LAST_APPLIED = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"marketplace-catalog-service","namespace":"marketplace"}}\n'

// The Deployment runs 2.0.0 (revision 5), released by mkt; it was once applied with kubectl.
const current = deployment({
  image: `${REPO}:2.0.0`,
  revision: 5,
  annotations: {
    'kubectl.kubernetes.io/last-applied-configuration': LAST_APPLIED,
    'kubernetes.io/change-cause': `mkt deploy ${REPO}:2.0.0 by bob@ci-agent-3/77/run-5512: quarterly release`,
    'mkt.dev/deployed-by': 'bob@ci-agent-3/77/run-5512',
    'mkt.dev/deployed-at': '2026-11-01T10:00:00.000Z',
    'mkt.dev/reason': 'quarterly release',
    'mkt.dev/run-url': 'https://dev.azure.com/contoso/marketplace/_build/results?buildId=5512',
    'mkt.dev/verdict': 'passed',
  },
})
// Revision 4 (1.4.0) passed; its change-cause has an ampersand, which Go escapes.
const stable = replicaSet({
  image: `${REPO}:1.4.0`,
  hash: '7d9c8b6f5',
  revision: 4,
  created: T0 - 7 * 86_400_000,
  annotations: {
    'deployment.kubernetes.io/revision-history': '2',
    'kubernetes.io/change-cause': `mkt deploy ${REPO}:1.4.0 by alice@laptop/4242: search & ranking`,
    'mkt.dev/deployed-by': 'alice@laptop/4242',
    'mkt.dev/git-sha': '3f2a9c1',
    'mkt.dev/verdict': 'passed',
  },
})

// What kubectl 1.20 sends for `rollout undo --to-revision=4` here: Go field order, maps sorted, hash removed.
const CONTAINER_1_4_0 =
  `{"name":"${APP}","image":"${REPO}:1.4.0","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],` +
  `"env":[{"name":"ASPNETCORE_URLS","value":"http://+:8080"},{"name":"ConnectionStrings__Catalog","valueFrom":{"secretKeyRef":{"name":"catalog-db","key":"connection-string"}}}],` +
  `"resources":{"limits":{"cpu":"500m","memory":"512Mi"},"requests":{"cpu":"100m","memory":"256Mi"}},` +
  `"livenessProbe":{"httpGet":{"path":"/health/live","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},` +
  `"readinessProbe":{"httpGet":{"path":"/health/ready","port":8080,"scheme":"HTTP"},"initialDelaySeconds":5,"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},` +
  `"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}`
const KUBECTL_UNDO_BYTES =
  `[{"op":"replace","path":"/spec/template","value":{"metadata":{"creationTimestamp":null,"labels":{"app":"${APP}"}},` +
  `"spec":{"containers":[${CONTAINER_1_4_0}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}}},` +
  `{"op":"replace","path":"/metadata/annotations","value":{"deployment.kubernetes.io/revision":"5",` +
  `"kubectl.kubernetes.io/last-applied-configuration":${JSON.stringify(LAST_APPLIED)},` +
  `"kubernetes.io/change-cause":"mkt deploy ${REPO}:1.4.0 by alice@laptop/4242: search \\u0026 ranking",` +
  `"mkt.dev/deployed-by":"alice@laptop/4242","mkt.dev/git-sha":"3f2a9c1","mkt.dev/verdict":"passed"}}]`

const audit: ReleaseAudit = {
  deployedBy: 'alice@laptop/4242',
  deployedAt: T0,
  reason: 'fix search ranking',
  gitSha: '9e1d0c2',
}

describe('undoPatch (kubectl rollout undo, from the raw JSON)', () => {
  it('matches kubectl for the ReplicaSet as the server sent it (only Go\'s optional string escapes differ)', () => {
    const patch = undoPatch(current, stable)
    expect(patch.contentType).toBe('application/json-patch+json')
    // Go writes & as \u0026; both are the same JSON string to the API server.
    expect(JSON.stringify(patch.body)).toBe(KUBECTL_UNDO_BYTES.replace('\\u0026', '&'))
  })

  it('keeps fields newer than the client library, where the server put them', () => {
    const future = structuredClone(stable) as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>>; hostUsers?: boolean } } } }
    future.spec.template.spec.containers[0]!.resizePolicy = [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }]
    future.spec.template.spec.containers[0]!.futureField = { x: 1 }
    const [template] = undoPatch(current, future as never).body as Array<{ value: { spec: { containers: Array<Record<string, unknown>> } } }>
    const container = template!.value.spec.containers[0]!
    expect(container.futureField).toEqual({ x: 1 })
    expect(Object.keys(container).slice(-2)).toEqual(['resizePolicy', 'futureField'])
  })

  it('keeps the skip-listed annotations of the Deployment and drops those of the ReplicaSet', () => {
    const [, annotations] = undoPatch(current, stable).body as Array<{ value: Record<string, string> }>
    expect(annotations!.value['deployment.kubernetes.io/revision']).toBe('5')
    expect(annotations!.value).not.toHaveProperty('deployment.kubernetes.io/revision-history')
    expect(annotations!.value).not.toHaveProperty('deployment.kubernetes.io/desired-replicas')
    expect(annotations!.value).not.toHaveProperty('mkt.dev/reason')
  })

  it('never brings back a canary\'s saved state copied onto the ReplicaSet', () => {
    const copied = replicaSet({ image: `${REPO}:1.4.0`, hash: '7d9c8b6f5', revision: 4, created: T0, annotations: { 'mkt.dev/canary-original': '{"paused":false}' } })
    const [, annotations] = undoPatch(current, copied).body as Array<{ value: Record<string, string> }>
    expect(annotations!.value).not.toHaveProperty('mkt.dev/canary-original')
  })

  it('does not modify the ReplicaSet', () => {
    undoPatch(current, stable)
    expect(stable.spec?.template?.metadata?.labels?.['pod-template-hash']).toBe('7d9c8b6f5')
  })
})

describe('rolloutPatch', () => {
  it('sets the image like kubectl set image and writes the audit annotations, clearing stale ones', () => {
    const patch = rolloutPatch(current, APP, `${REPO}:2.1.0`, audit)
    expect(patch.contentType).toBe('application/strategic-merge-patch+json')
    expect(JSON.stringify(patch.body)).toBe(
      JSON.stringify({
        metadata: {
          annotations: {
            'kubernetes.io/change-cause': `mkt deploy ${REPO}:2.1.0 by alice@laptop/4242: fix search ranking`,
            'mkt.dev/deployed-at': '2026-11-02T10:00:00.000Z',
            'mkt.dev/deployed-by': 'alice@laptop/4242',
            'mkt.dev/git-sha': '9e1d0c2',
            'mkt.dev/reason': 'fix search ranking',
            'mkt.dev/run-url': null,
            'mkt.dev/verdict': 'pending',
          },
        },
        spec: { template: { spec: { '$setElementOrder/containers': [{ name: APP }], containers: [{ image: `${REPO}:2.1.0`, name: APP }] } } },
      }),
    )
  })

  it('lists every container in $setElementOrder and patches only the chosen one', () => {
    const twoContainers = deployment()
    twoContainers.spec!.template.spec!.containers.push({ name: 'otel-collector', image: 'otel/opentelemetry-collector:0.98.0' })
    const body = rolloutPatch(twoContainers, APP, `${REPO}:2.1.0`, { deployedBy: 'a@b/1', deployedAt: T0 }).body as {
      spec: { template: { spec: Record<string, unknown> } }
    }
    expect(body.spec.template.spec['$setElementOrder/containers']).toEqual([{ name: APP }, { name: 'otel-collector' }])
    expect(body.spec.template.spec.containers).toEqual([{ image: `${REPO}:2.1.0`, name: APP }])
  })

  it('uses an explicit change cause, trims and clips long text', () => {
    const body = rolloutPatch(deployment(), APP, 'x:1', { deployedBy: 'a@b/1', deployedAt: T0, changeCause: 'hotfix INC-42', reason: `  ${'r'.repeat(2000)}  ` })
      .body as { metadata: { annotations: Record<string, string> } }
    expect(body.metadata.annotations['kubernetes.io/change-cause']).toBe('hotfix INC-42')
    expect(body.metadata.annotations['mkt.dev/reason']).toHaveLength(1024)
    expect(body.metadata.annotations['mkt.dev/reason']!.endsWith('…')).toBe(true)
  })

  it('refuses a container the pod template does not have', () => {
    expect(() => rolloutPatch(current, 'catalog', 'x:1', audit)).toThrow(MktError)
    expect(() => rolloutPatch(current, 'catalog', 'x:1', audit)).toThrow(`container "catalog" not found in deployment ${APP} (containers: ${APP})`)
  })
})

describe('canary patches (k8s.md §6)', () => {
  it('starts with maxSurge=N, maxUnavailable=0 and the template change in one request', () => {
    const patch = canaryStartPatch(current, APP, `${REPO}:2.1.0`, audit, 1)
    const body = patch.body as { metadata: unknown; spec: Record<string, unknown> }
    expect(Object.keys(body.spec)).toEqual(['strategy', 'template'])
    expect(body.spec.strategy).toEqual({ rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })
    expect(body.spec).not.toHaveProperty('paused')
    const rollout = (rolloutPatch(current, APP, `${REPO}:2.1.0`, audit).body as { metadata: { annotations: Record<string, unknown> } }).metadata.annotations
    expect(body.metadata).toEqual({ annotations: { ...rollout, 'mkt.dev/canary-original': '{"paused":false,"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}' } })
  })

  it('keeps the original saved by an earlier canary that never ended, never its canary values', () => {
    const left = deployment({ paused: true, annotations: { 'mkt.dev/canary-original': '{"paused":false,"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}' } })
    left.spec!.strategy!.rollingUpdate = { maxSurge: 1, maxUnavailable: 0 }
    const body = canaryStartPatch(left, APP, `${REPO}:2.1.0`, audit, 1).body as { metadata: { annotations: Record<string, string> } }
    expect(body.metadata.annotations['mkt.dev/canary-original']).toBe('{"paused":false,"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}')
    expect(JSON.stringify((rollbackPatch(left, stable).body as Array<{ path: string; value: unknown }>).slice(2))).toBe(
      '[{"op":"add","path":"/spec/paused","value":false},{"op":"add","path":"/spec/strategy/rollingUpdate","value":{"maxSurge":"25%","maxUnavailable":"25%"}}]',
    )
  })

  it('pauses, widens, promotes with the original knobs', () => {
    expect(JSON.stringify(pausePatch().body)).toBe('{"spec":{"paused":true}}')
    expect(JSON.stringify(canaryStepPatch(2).body)).toBe('{"spec":{"paused":false,"strategy":{"rollingUpdate":{"maxSurge":2,"maxUnavailable":0}}}}')
    const knobs = rollingUpdateOf(current)
    expect(knobs).toEqual({ maxSurge: '25%', maxUnavailable: '25%' })
    expect(JSON.stringify(promotePatch({ paused: false, rollingUpdate: knobs! }).body)).toBe(
      '{"metadata":{"annotations":{"mkt.dev/canary-original":null}},"spec":{"paused":false,"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}}}',
    )
    expect(JSON.stringify(promotePatch({ paused: false }).body)).toBe('{"metadata":{"annotations":{"mkt.dev/canary-original":null}},"spec":{"paused":false,"strategy":{"rollingUpdate":{"maxSurge":null,"maxUnavailable":null}}}}')
  })

  it('aborts in one JSON patch: the undo operations, unpause, original knobs', () => {
    const paused = deployment({ image: `${REPO}:2.1.0`, revision: 6, paused: true, annotations: { 'mkt.dev/verdict': 'pending' } })
    const patch = abortCanaryPatch(paused, stable, { paused: false, rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } })
    expect(patch.contentType).toBe('application/json-patch+json')
    const ops = patch.body as Array<{ op: string; path: string; value: unknown }>
    expect(ops.map((op) => `${op.op} ${op.path}`)).toEqual([
      'replace /spec/template',
      'replace /metadata/annotations',
      'add /spec/paused',
      'add /spec/strategy/rollingUpdate',
    ])
    expect(ops[2]!.value).toBe(false)
    expect(ops[3]!.value).toEqual({ maxSurge: '25%', maxUnavailable: '25%' })
    expect(ops[1]!.value).toMatchObject({ 'mkt.dev/verdict': 'passed', 'deployment.kubernetes.io/revision': '6' })
    expect((abortCanaryPatch(paused, stable, { paused: false }).body as unknown[])[3]).toEqual({ op: 'add', path: '/spec/strategy/rollingUpdate', value: {} })
  })

  it('rollbackPatch uses kubectl undo when running and the abort patch when paused', () => {
    expect(rollbackPatch(current, stable)).toEqual(undoPatch(current, stable))
    const paused = deployment({ paused: true })
    expect((rollbackPatch(paused, stable).body as unknown[]).length).toBe(4)
  })

  it('refuses a canary on a Recreate Deployment', () => {
    const recreate = deployment()
    recreate.spec!.strategy = { type: 'Recreate' }
    expect(() => canaryStartPatch(recreate, APP, 'x:1', audit, 1)).toThrow('uses the Recreate strategy; a canary needs RollingUpdate')
  })
})

describe('verdict patches', () => {
  const rs200 = replicaSet({ image: `${REPO}:2.0.0`, hash: '5f6d8c7b9', revision: 5, created: T0 })

  it('annotates the ReplicaSet and the Deployment with the verdict, its reason and the template it belongs to', () => {
    const { replicaSet: rsPatch, deployment: deploymentPatch } = verdictPatches(rs200, 'rolled-back', 'pods: CrashLoopBackOff')
    expect(rsPatch.name).toBe(`${APP}-5f6d8c7b9`)
    expect(JSON.stringify(rsPatch.body)).toBe('{"metadata":{"annotations":{"mkt.dev/pod-template-hash":"5f6d8c7b9","mkt.dev/verdict":"rolled-back","mkt.dev/verdict-reason":"pods: CrashLoopBackOff"}}}')
    expect(deploymentPatch.body).toEqual(rsPatch.body)
    expect(deploymentPatch.body).not.toBe(rsPatch.body)
  })

  it('clears a stale reason when there is none; binding writes the hash alone', () => {
    expect(JSON.stringify(verdictPatch(rs200, 'passed').body)).toBe('{"metadata":{"annotations":{"mkt.dev/pod-template-hash":"5f6d8c7b9","mkt.dev/verdict":"passed","mkt.dev/verdict-reason":null}}}')
    expect(JSON.stringify(bindPatches(rs200).replicaSet.body)).toBe('{"metadata":{"annotations":{"mkt.dev/pod-template-hash":"5f6d8c7b9"}}}')
  })

  it('a verdict on a revision mkt did not release removes the record copied from another release', () => {
    const body = externalVerdictPatch(rs200, 'rolled-back', 'rolled back by bob', { inheritedChangeCause: true }).body as { metadata: { annotations: Record<string, string | null> } }
    expect(body.metadata.annotations).toMatchObject({ 'mkt.dev/deployed-by': null, 'mkt.dev/reason': null, 'kubernetes.io/change-cause': null, 'mkt.dev/verdict': 'rolled-back' })
  })
})

describe('undoCommand', () => {
  it('names the revision to return to', () => {
    expect(undoCommand(current)).toBe(`kubectl rollout undo deployment/${APP} -n marketplace --to-revision=5`)
  })
})
