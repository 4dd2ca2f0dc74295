// The sandbox's Kubernetes API driven by the real @kubernetes/client-node 1.4.0 (and raw HTTPS where
// the client cannot express a request): CRUD per resource, patches, errors, tables, selectors,
// subresources, discovery, authentication, proxy, logs and the /_sandbox/ routes.
import { PatchStrategy, setHeaderOptions, V1MicroTime, type V1Deployment, type V1Pod } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KubeObject, PodHttpBackend } from '../../src/sandbox/types.js'
import { deploymentManifest, expectApiError, raw, startTestSandbox, type TestSandbox } from './sandbox-helpers.js'

let sb: TestSandbox
let nsCounter = 0

/** A fresh namespace per test keeps tests independent in one sandbox. */
async function freshNamespace(): Promise<string> {
  const name = `t${++nsCounter}`
  await sb.core.createNamespace({ body: { metadata: { name } } })
  return name
}

function podManifest(name: string, labels: Record<string, string> = {}): V1Pod {
  return { metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', ports: [{ containerPort: 8080 }] }] } }
}

beforeAll(async () => {
  sb = await startTestSandbox({ seed: [{ name: 'marketplace-catalog-service', kind: 'service', port: 8080, image: 'acr.example/catalog:1.0.0' }] })
})

afterAll(async () => {
  await sb?.stop()
})

describe('seeding and discovery', () => {
  it('seeds namespaces, the component Deployment and its Service', async () => {
    const namespaces = (await sb.core.listNamespace()).items.map((n) => n.metadata!.name)
    expect(namespaces).toEqual(expect.arrayContaining(['marketplace', 'default', 'kube-system']))
    const deployment = await sb.apps.readNamespacedDeployment({ name: 'marketplace-catalog-service', namespace: 'marketplace' })
    expect(deployment.spec!.replicas).toBe(2)
    expect(deployment.metadata!.labels).toMatchObject({ 'app.kubernetes.io/name': 'marketplace-catalog-service', 'app.kubernetes.io/part-of': 'marketplace' })
    const container = deployment.spec!.template.spec!.containers[0]!
    expect(container.name).toBe('marketplace-catalog-service')
    expect(container.readinessProbe!.httpGet!.path).toBe('/health/ready')
    expect(container.livenessProbe!.httpGet!.path).toBe('/health/live')
    const service = await sb.core.readNamespacedService({ name: 'marketplace-catalog-service', namespace: 'marketplace' })
    expect(service.spec!.ports![0]).toMatchObject({ port: 80, targetPort: 'http' })
  })

  it('serves legacy discovery with short names, categories and subresources', async () => {
    const core = (await raw(sb, 'GET', '/api/v1')).json() as { resources: { name: string; shortNames?: string[]; categories?: string[]; kind: string }[] }
    const byName = new Map(core.resources.map((r) => [r.name, r]))
    expect(byName.get('pods')).toMatchObject({ shortNames: ['po'], categories: ['all'] })
    expect(byName.get('services/proxy')?.kind).toBe('ServiceProxyOptions')
    expect(byName.has('pods/log')).toBe(true)
    const apps = (await raw(sb, 'GET', '/apis/apps/v1')).json() as { resources: { name: string; group?: string; kind: string; shortNames?: string[] }[] }
    expect(apps.resources.find((r) => r.name === 'deployments')?.shortNames).toEqual(['deploy'])
    expect(apps.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', kind: 'Scale' })
    const groups = (await raw(sb, 'GET', '/apis', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } }))
    expect(groups.headers['content-type']).toBe('application/json')
    expect((groups.json() as { groups: { name: string }[] }).groups.map((g) => g.name)).toEqual(['apps', 'batch', 'rbac.authorization.k8s.io', 'autoscaling', 'keda.sh', 'coordination.k8s.io'])
    expect((await raw(sb, 'GET', '/apis/coordination.k8s.io/v1')).status).toBe(200)
    expect((await raw(sb, 'GET', '/apis/batch')).json()).toMatchObject({ kind: 'APIGroup', name: 'batch' })
    expect((await raw(sb, 'GET', '/version')).json()).toMatchObject({ major: '1', minor: '32' })
    const openapi = await raw(sb, 'GET', '/openapi/v2')
    expect(openapi.status).toBe(200)
    expect(openapi.headers['content-type']).toBe('application/octet-stream')
    expect(openapi.body).toBe('')
    expect((await raw(sb, 'GET', '/openapi/v3')).status).toBe(404)
  })
})

describe('authentication', () => {
  it('rejects missing and wrong tokens with 401 Status; health and version are anonymous', async () => {
    const missing = await raw(sb, 'GET', '/api/v1/namespaces', { token: null })
    expect(missing.status).toBe(401)
    expect(missing.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401, message: 'Unauthorized' })
    expect((await raw(sb, 'GET', '/api/v1/namespaces', { token: 'wrong' })).status).toBe(401)
    expect((await raw(sb, 'GET', '/_sandbox/status', { token: null })).status).toBe(401)
    for (const path of ['/healthz', '/livez', '/readyz', '/version']) expect((await raw(sb, 'GET', path, { token: null })).status).toBe(200)
    expect((await raw(sb, 'GET', '/readyz', { token: 'wrong' })).status).toBe(401)
  })
})

describe('CRUD with client-node', () => {
  it('creates, reads, lists, replaces and deletes a Deployment with defaults and generation rules', async () => {
    const ns = await freshNamespace()
    const created = await sb.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('web', ns) })
    expect(created.metadata!.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(created.metadata!.generation).toBe(1)
    expect(created.metadata!.creationTimestamp).toBeInstanceOf(Date)
    expect(created.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } })
    expect(created.spec!.revisionHistoryLimit).toBe(10)
    expect(created.spec!.progressDeadlineSeconds).toBe(600)
    expect(created.spec!.template.spec!.containers[0]!.imagePullPolicy).toBe('IfNotPresent')
    expect(created.status).toEqual({})

    const rawCreated = (await raw(sb, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).json() as KubeObject
    expect(rawCreated.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(typeof rawCreated.metadata.resourceVersion).toBe('string')

    const list = await sb.apps.listNamespacedDeployment({ namespace: ns })
    expect(list.items.map((d) => d.metadata!.name)).toEqual(['web'])
    expect(Number(list.metadata!.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata!.resourceVersion))
    const all = await sb.apps.listDeploymentForAllNamespaces()
    expect(all.items.some((d) => d.metadata!.namespace === ns)).toBe(true)

    // Replace: a spec change bumps generation; a label-only change does not, an annotation change does.
    const read = await sb.apps.readNamespacedDeployment({ name: 'web', namespace: ns })
    read.spec!.replicas = 5
    const replaced = await sb.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: read })
    expect(replaced.metadata!.generation).toBe(2)
    expect(Number(replaced.metadata!.resourceVersion)).toBeGreaterThan(Number(read.metadata!.resourceVersion))
    replaced.metadata!.labels = { ...replaced.metadata!.labels, extra: 'yes' }
    const relabelled = await sb.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: replaced })
    expect(relabelled.metadata!.generation).toBe(2)
    relabelled.metadata!.annotations = { note: 'x' }
    const annotated = await sb.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: relabelled })
    expect(annotated.metadata!.generation).toBe(3)

    // Status goes through /status only and never bumps generation; a spec write keeps status.
    annotated.status = { observedGeneration: 3, replicas: 5 }
    const withStatus = await sb.apps.replaceNamespacedDeploymentStatus({ name: 'web', namespace: ns, body: annotated })
    expect(withStatus.status!.replicas).toBe(5)
    expect(withStatus.metadata!.generation).toBe(3)
    withStatus.status = { replicas: 99 }
    withStatus.spec!.replicas = 6
    const afterSpec = await sb.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: withStatus })
    expect(afterSpec.status!.replicas).toBe(5)
    expect((await sb.apps.readNamespacedDeploymentStatus({ name: 'web', namespace: ns })).status!.observedGeneration).toBe(3)

    // A no-op update is not a write.
    const again = await sb.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: afterSpec })
    expect(again.metadata!.resourceVersion).toBe(afterSpec.metadata!.resourceVersion)

    await sb.apps.deleteNamespacedDeployment({ name: 'web', namespace: ns })
    await expectApiError(sb.apps.readNamespacedDeployment({ name: 'web', namespace: ns }), 404, 'NotFound')
  })

  it('serves every resource type: namespaces, pods, services, endpoints, configmaps, secrets, events, replicasets, jobs, leases', async () => {
    const ns = await freshNamespace()
    const pod = await sb.core.createNamespacedPod({ namespace: ns, body: podManifest('p1', { app: 'a' }) })
    expect(pod.status!.phase).toBe('Pending')
    expect(pod.spec!.restartPolicy).toBe('Always')
    expect(pod.spec!.containers[0]!.terminationMessagePath).toBe('/dev/termination-log')

    const svc = await sb.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'svc' }, spec: { selector: { app: 'a' }, ports: [{ port: 80, targetPort: 8080 }] } } })
    expect(svc.spec!.clusterIP).toMatch(/^10\.96\./)
    expect(svc.spec!.type).toBe('ClusterIP')
    const ep = await sb.core.createNamespacedEndpoints({ namespace: ns, body: { metadata: { name: 'svc' }, subsets: [{ addresses: [{ ip: '10.244.0.9' }], ports: [{ port: 8080 }] }] } })
    expect(ep.subsets![0]!.addresses![0]!.ip).toBe('10.244.0.9')

    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm' }, data: { a: '1' } } })
    const cm = await sb.core.patchNamespacedConfigMap({ name: 'cm', namespace: ns, body: { data: { b: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    expect(cm.data).toEqual({ a: '1', b: '2' })

    const secret = await sb.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's' }, stringData: { password: 'hunter2' } } })
    expect(secret.type).toBe('Opaque')
    expect(secret.data).toEqual({ password: Buffer.from('hunter2').toString('base64') })
    expect(secret.stringData).toBeUndefined()

    const event = await sb.core.createNamespacedEvent({
      namespace: ns,
      body: { metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', name: 'p1', namespace: ns }, reason: 'Started', message: 'hello', type: 'Normal', count: 1 },
    })
    expect(event.reason).toBe('Started')
    const events = await sb.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=p1' })
    expect(events.items).toHaveLength(1)

    const rs = await sb.apps.createNamespacedReplicaSet({
      namespace: ns,
      body: { metadata: { name: 'rs1' }, spec: { replicas: 1, selector: { matchLabels: { app: 'r' } }, template: { metadata: { labels: { app: 'r' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } } },
    })
    expect(rs.metadata!.generation).toBe(1)
    const rsStatus = await sb.apps.patchNamespacedReplicaSetStatus({ name: 'rs1', namespace: ns, body: { status: { replicas: 1, readyReplicas: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    expect(rsStatus.status!.readyReplicas).toBe(1)
    expect(rsStatus.metadata!.generation).toBe(1)

    const job = await sb.batch.createNamespacedJob({
      namespace: ns,
      body: { metadata: { name: 'migrate' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'migrator:1' }] } } } },
    })
    expect(job.spec!.selector!.matchLabels!['batch.kubernetes.io/controller-uid']).toBe(job.metadata!.uid)
    expect(job.spec!.template.metadata!.labels!['job-name']).toBe('migrate')
    expect(job.spec!.backoffLimit).toBe(6)

    const lease = await sb.coord.createNamespacedLease({
      namespace: ns,
      body: { metadata: { name: 'mkt-lock-x' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 30, acquireTime: new V1MicroTime(), renewTime: new V1MicroTime() } },
    })
    expect(lease.spec!.holderIdentity).toBe('me')
    expect(String(lease.spec!.renewTime)).toMatch(/\.\d{6}Z$/)
    const rawLease = (await raw(sb, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/mkt-lock-x`)).json() as KubeObject
    expect(rawLease.spec!.renewTime).toMatch(/\.\d{6}Z$/)

    // Deletion of everything, pod answers with the object, others with a Success Status.
    const deletedPod = await raw(sb, 'DELETE', `/api/v1/namespaces/${ns}/pods/p1`)
    expect((deletedPod.json() as KubeObject).kind).toBe('Pod')
    const deletedCm = (await raw(sb, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/cm`)).json()
    expect(deletedCm).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'cm', kind: 'configmaps' } })
    await sb.coord.deleteNamespacedLease({ name: 'mkt-lock-x', namespace: ns })
    await sb.batch.deleteNamespacedJob({ name: 'migrate', namespace: ns })
    await sb.core.deleteNamespacedSecret({ name: 's', namespace: ns })
    await expectApiError(sb.core.readNamespacedSecret({ name: 's', namespace: ns }), 404, 'NotFound')
  })

  it('supports generateName, dryRun, deletecollection and pagination', async () => {
    const ns = await freshNamespace()
    const generated = await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { generateName: 'cfg-' } } })
    expect(generated.metadata!.name).toMatch(/^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    const dry = await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dry' } }, dryRun: 'All' })
    expect(dry.metadata!.name).toBe('dry')
    await expectApiError(sb.core.readNamespacedConfigMap({ name: 'dry', namespace: ns }), 404)

    for (const name of ['a', 'b', 'c', 'd', 'e']) await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { batch: name < 'd' ? 'one' : 'two' } } } })
    const page1 = await sb.core.listNamespacedConfigMap({ namespace: ns, limit: 2 })
    expect(page1.items.map((c) => c.metadata!.name)).toEqual(['a', 'b'])
    expect(page1.metadata!.remainingItemCount).toBe(4)
    const page2 = await sb.core.listNamespacedConfigMap({ namespace: ns, limit: 2, _continue: page1.metadata!._continue })
    expect(page2.items.map((c) => c.metadata!.name)).toEqual(['c', generated.metadata!.name])

    await sb.core.deleteCollectionNamespacedConfigMap({ namespace: ns, labelSelector: 'batch=one' })
    const remaining = (await sb.core.listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata!.name)
    expect(remaining).toEqual(expect.arrayContaining(['d', 'e']))
    expect(remaining).not.toContain('a')
  })

  it('terminates namespaces: content first, then the namespace; no new content meanwhile', async () => {
    const ns = await freshNamespace()
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' } } })
    const terminating = await sb.core.deleteNamespace({ name: ns })
    expect((terminating as unknown as KubeObject).status?.phase).toBe('Terminating')
    await expect.poll(async () => (await raw(sb, 'GET', `/api/v1/namespaces/${ns}`)).status, { timeout: 5000 }).toBe(404)
    await expectApiError(sb.core.readNamespacedConfigMap({ name: 'c', namespace: ns }), 404)
  })
})

describe('errors', () => {
  it('answers 404 for missing objects, missing namespaces and unknown paths', async () => {
    const status = await expectApiError(sb.apps.readNamespacedDeployment({ name: 'nope', namespace: 'marketplace' }), 404, 'NotFound')
    expect(status.message).toBe('deployments.apps "nope" not found')
    expect(status.details).toMatchObject({ name: 'nope', group: 'apps', kind: 'deployments' })
    const pod = await expectApiError(sb.core.readNamespacedPod({ name: 'nope', namespace: 'marketplace' }), 404)
    expect(pod.message).toBe('pods "nope" not found')
    const ns = await expectApiError(sb.core.createNamespacedConfigMap({ namespace: 'missing-ns', body: { metadata: { name: 'x' } } }), 404, 'NotFound')
    expect(ns.message).toBe('namespaces "missing-ns" not found')
    const unknown = await raw(sb, 'GET', '/apis/apps/v1/namespaces/marketplace/statefulsets')
    expect(unknown.status).toBe(404)
    expect(unknown.json()).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' })
    await expectApiError(sb.apps.replaceNamespacedDeployment({ name: 'ghost', namespace: 'marketplace', body: deploymentManifest('ghost') }), 404, 'NotFound')
  })

  it('answers 409 AlreadyExists and Conflict on a stale resourceVersion', async () => {
    const ns = await freshNamespace()
    await sb.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('web', ns) })
    const exists = await expectApiError(sb.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('web', ns) }), 409, 'AlreadyExists')
    expect(exists.message).toBe('deployments.apps "web" already exists')
    const first = await sb.apps.readNamespacedDeployment({ name: 'web', namespace: ns })
    const second = await sb.apps.readNamespacedDeployment({ name: 'web', namespace: ns })
    first.spec!.replicas = 3
    await sb.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: first })
    second.spec!.replicas = 4
    const conflict = await expectApiError(sb.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: second }), 409, 'Conflict')
    expect(conflict.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    )
    // Patches carrying a stale resourceVersion conflict too, and so do delete preconditions.
    await expectApiError(
      sb.apps.patchNamespacedDeployment({ name: 'web', namespace: ns, body: { metadata: { resourceVersion: second.metadata!.resourceVersion }, spec: { replicas: 9 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
      409,
      'Conflict',
    )
    await expectApiError(sb.apps.deleteNamespacedDeployment({ name: 'web', namespace: ns, body: { preconditions: { resourceVersion: second.metadata!.resourceVersion } } }), 409, 'Conflict')
  })

  it('answers 422 Invalid with causes', async () => {
    const ns = await freshNamespace()
    const mismatched = deploymentManifest('bad', ns)
    mismatched.spec!.template.metadata!.labels = { app: 'other' }
    const invalid = await expectApiError(sb.apps.createNamespacedDeployment({ namespace: ns, body: mismatched }), 422, 'Invalid')
    expect(invalid.message).toBe('Deployment.apps "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`')
    expect(invalid.details).toMatchObject({ name: 'bad', group: 'apps', kind: 'Deployment', causes: [{ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels' }] })

    const nameless = await expectApiError(sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: {} } }), 422, 'Invalid')
    expect(nameless.message).toBe('ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required')

    const badName = await expectApiError(sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'Not_Valid' } } }), 422, 'Invalid')
    expect(badName.message).toContain('metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain must consist of')

    await sb.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('web', ns) })
    const immutable = await expectApiError(
      sb.apps.patchNamespacedDeployment(
        { name: 'web', namespace: ns, body: { spec: { selector: { matchLabels: { app: 'web', tier: 'x' } }, template: { metadata: { labels: { tier: 'x' } } } } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
      422,
      'Invalid',
    )
    expect(immutable.message).toContain('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable')

    const noImage = await expectApiError(sb.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } } }), 422)
    expect(noImage.message).toBe('Pod "p" is invalid: spec.containers[0].image: Required value')
  })

  it('answers 400 for malformed input, 405 for unsupported verbs and 415 for unknown patch types', async () => {
    const malformed = await raw(sb, 'POST', '/api/v1/namespaces/marketplace/configmaps', { body: '{not json' })
    expect(malformed.status).toBe(400)
    expect(malformed.json()).toMatchObject({ reason: 'BadRequest' })
    const badSelector = await raw(sb, 'GET', '/api/v1/namespaces/marketplace/pods?labelSelector=a%20in%20(b')
    expect(badSelector.status).toBe(400)
    const badField = await raw(sb, 'GET', '/api/v1/namespaces/marketplace/pods?fieldSelector=spec.bogus%3Dx')
    expect(badField.json()).toMatchObject({ code: 400, message: 'field label not supported: spec.bogus' })
    const wrongNs = await raw(sb, 'POST', '/api/v1/namespaces/marketplace/configmaps', { body: { metadata: { name: 'x', namespace: 'other' } } })
    expect(wrongNs.json()).toMatchObject({ code: 400, message: 'the namespace of the provided object does not match the namespace sent on the request' })

    const method = await raw(sb, 'PUT', '/api/v1/namespaces/marketplace/configmaps', { body: {} })
    expect(method.status).toBe(405)
    expect(method.json()).toMatchObject({ reason: 'MethodNotAllowed' })

    const unsupported = await raw(sb, 'PATCH', '/apis/apps/v1/namespaces/marketplace/deployments/marketplace-catalog-service', { body: '{}', headers: { 'Content-Type': 'application/xml' } })
    expect(unsupported.status).toBe(415)
    expect(unsupported.json()).toMatchObject({
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
    })
    // client-node's default patch type is json-patch: an object body is a 400, not a silent success.
    const defaultType = await expectApiError(sb.apps.patchNamespacedDeployment({ name: 'marketplace-catalog-service', namespace: 'marketplace', body: { spec: { replicas: 3 } } }), 400, 'BadRequest')
    expect(defaultType.message).toContain('cannot unmarshal object into Go value of type []handlers.jsonPatchOp')
  })

  it('rejects Lease times that are not MicroTime with 400 like a real apiserver', async () => {
    const ns = await freshNamespace()
    const response = await raw(sb, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, {
      body: { metadata: { name: 'l' }, spec: { holderIdentity: 'x', renewTime: '2026-11-26T23:58:00.103Z' } },
    })
    expect(response.status).toBe(400)
    expect(response.json()).toMatchObject({
      reason: 'BadRequest',
      message: 'Lease in version "v1" cannot be handled as a Lease: parsing time "2026-11-26T23:58:00.103Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".103Z" as ".000000"',
    })
  })
})

describe('patches', () => {
  let ns: string
  const name = 'patched'

  beforeAll(async () => {
    ns = await freshNamespace()
    const manifest = deploymentManifest(name, ns)
    manifest.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'envoy:1', env: [{ name: 'A', value: '1' }] })
    manifest.metadata!.annotations = { keep: 'me' }
    await sb.apps.createNamespacedDeployment({ namespace: ns, body: manifest })
  })

  const read = (): Promise<V1Deployment> => sb.apps.readNamespacedDeployment({ name, namespace: ns })

  it('json-patch (the client-node default) incl. test, move and copy', async () => {
    const patched = await sb.apps.patchNamespacedDeployment({
      name,
      namespace: ns,
      body: [
        { op: 'test', path: '/spec/replicas', value: 2 },
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'add', path: '/metadata/annotations/copied', value: 'v' },
        { op: 'copy', from: '/metadata/annotations/copied', path: '/metadata/annotations/copy2' },
        { op: 'move', from: '/metadata/annotations/copy2', path: '/metadata/annotations/moved' },
        { op: 'remove', path: '/metadata/annotations/copied' },
      ],
    })
    expect(patched.spec!.replicas).toBe(3)
    expect(patched.metadata!.annotations).toEqual({ keep: 'me', moved: 'v' })
    const failed = await expectApiError(sb.apps.patchNamespacedDeployment({ name, namespace: ns, body: [{ op: 'test', path: '/spec/replicas', value: 42 }] }), 422)
    expect(JSON.stringify(failed.details)).toContain('test failed')
    await expectApiError(sb.apps.patchNamespacedDeployment({ name, namespace: ns, body: [{ op: 'replace', path: '/metadata/nothere/x', value: 1 }] }), 422)
  })

  it('merge-patch: null deletes, lists replaced', async () => {
    const patched = await sb.apps.patchNamespacedDeployment(
      { name, namespace: ns, body: { metadata: { annotations: { moved: null, added: 'a' } }, spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )
    expect(patched.metadata!.annotations).toEqual({ keep: 'me', added: 'a' })
    expect(patched.spec!.replicas).toBe(4)
  })

  it('strategic-merge-patch merges containers by name and accepts kubectl directives', async () => {
    const before = await read()
    const patched = await sb.apps.patchNamespacedDeployment(
      {
        name,
        namespace: ns,
        fieldManager: 'kubectl-set',
        body: {
          spec: {
            template: {
              spec: {
                '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
                containers: [{ name: 'web', image: 'nginx:2' }, { name: 'sidecar', env: [{ name: 'B', value: '2' }] }],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    )
    const containers = patched.spec!.template.spec!.containers
    expect(containers.map((c) => c.name)).toEqual(['sidecar', 'web'])
    expect(containers.find((c) => c.name === 'web')!.image).toBe('nginx:2')
    expect(containers.find((c) => c.name === 'web')!.ports).toEqual(before.spec!.template.spec!.containers[0]!.ports)
    expect(containers.find((c) => c.name === 'sidecar')!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }])
    expect(patched.metadata!.generation).toBe(before.metadata!.generation! + 1)

    const deleted = await sb.apps.patchNamespacedDeployment(
      { name, namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } }, strategy: { $retainKeys: ['type'], type: 'Recreate' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    )
    expect(deleted.spec!.template.spec!.containers.map((c) => c.name)).toEqual(['web'])
    expect(deleted.spec!.strategy).toEqual({ type: 'Recreate' })
  })

  it('server-side apply: fieldManager required, create-if-absent, merge, managedFields, removal of dropped fields', async () => {
    const applyBody = (labels: Record<string, string>): V1Deployment => {
      const manifest = deploymentManifest('applied', ns)
      manifest.metadata!.labels = labels
      return manifest
    }
    const missingManager = await expectApiError(
      sb.apps.patchNamespacedDeployment({ name: 'applied', namespace: ns, body: applyBody({ app: 'applied' }) }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)),
      422,
      'Invalid',
    )
    expect(missingManager.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')

    const created = await sb.apps.patchNamespacedDeployment(
      { name: 'applied', namespace: ns, body: applyBody({ app: 'applied', team: 'a' }), fieldManager: 'mkt', force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    )
    expect(created.metadata!.uid).toBeDefined()
    expect(created.spec!.progressDeadlineSeconds).toBe(600)
    const entry = created.metadata!.managedFields!.find((m) => m.manager === 'mkt')!
    expect(entry.operation).toBe('Apply')
    expect(JSON.stringify(entry.fieldsV1)).toContain('k:{\\"name\\":\\"web\\"}')

    await sb.apps.patchNamespacedDeployment({ name: 'applied', namespace: ns, body: { metadata: { labels: { other: 'kept' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    const reapplied = await sb.apps.patchNamespacedDeployment(
      { name: 'applied', namespace: ns, body: applyBody({ app: 'applied' }), fieldManager: 'mkt', force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    )
    // `team` was applied by mkt and is no longer: removed. `other` belongs to another manager: kept.
    expect(reapplied.metadata!.labels).toEqual({ app: 'applied', other: 'kept' })
    // A YAML body works too (kubectl and client-node send JSON, which is YAML).
    const yamlBody = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: applied\nspec:\n  replicas: 7\n'
    const viaYaml = await raw(sb, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/applied?fieldManager=yaml-user`, { body: yamlBody, headers: { 'Content-Type': 'application/apply-patch+yaml' } })
    expect(viaYaml.status).toBe(200)
    expect((viaYaml.json() as KubeObject).spec!.replicas).toBe(7)
  })

  it('patches the status and scale subresources', async () => {
    const status = await sb.apps.patchNamespacedDeploymentStatus(
      { name, namespace: ns, body: { status: { conditions: [{ type: 'Available', status: 'True' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    )
    expect(status.status!.conditions![0]!.type).toBe('Available')
    const generation = status.metadata!.generation

    const scale = await sb.apps.readNamespacedDeploymentScale({ name, namespace: ns })
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', status: { selector: `app=${name}` } })
    const scaled = await sb.apps.patchNamespacedDeploymentScale({ name, namespace: ns, body: { spec: { replicas: 6 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    expect(scaled.spec!.replicas).toBe(6)
    const after = await read()
    expect(after.spec!.replicas).toBe(6)
    expect(after.metadata!.generation).toBe(generation! + 1)
    scaled.spec!.replicas = 1
    const replaced = await sb.apps.replaceNamespacedDeploymentScale({ name, namespace: ns, body: scaled })
    expect(replaced.spec!.replicas).toBe(1)
  })
})

describe('selectors', () => {
  it('applies label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors', async () => {
    const ns = await freshNamespace()
    const pods: [string, Record<string, string>][] = [
      ['a', { app: 'web', tier: 'front' }],
      ['b', { app: 'web', tier: 'back' }],
      ['c', { app: 'db' }],
    ]
    for (const [name, labels] of pods) await sb.core.createNamespacedPod({ namespace: ns, body: podManifest(name, labels) })
    const names = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
      (await sb.core.listNamespacedPod({ namespace: ns, labelSelector, fieldSelector })).items.map((p) => p.metadata!.name!)
    expect(await names('app=web')).toEqual(['a', 'b'])
    expect(await names('app==db')).toEqual(['c'])
    expect(await names('app!=web')).toEqual(['c'])
    expect(await names('tier in (front,back)')).toEqual(['a', 'b'])
    expect(await names('tier notin (front)')).toEqual(['b', 'c'])
    expect(await names('tier')).toEqual(['a', 'b'])
    expect(await names('!tier')).toEqual(['c'])
    expect(await names('app=web,tier=back')).toEqual(['b'])
    expect(await names(undefined, 'metadata.name=c')).toEqual(['c'])
    expect(await names(undefined, 'metadata.name!=c,status.phase=Pending')).toEqual(['a', 'b'])
    expect(await names(undefined, 'spec.nodeName=')).toEqual(['a', 'b', 'c'])
    expect((await sb.core.listPodForAllNamespaces({ fieldSelector: `metadata.namespace=${ns}` })).items).toHaveLength(3)
  })
})

describe('tables', () => {
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'

  it('serves kubectl columns for lists and single objects, with -o wide priorities and row metadata', async () => {
    const table = (await raw(sb, 'GET', '/apis/apps/v1/namespaces/marketplace/deployments?limit=500', { headers: { Accept: TABLE } })).json() as {
      kind: string
      apiVersion: string
      columnDefinitions: { name: string; priority: number }[]
      rows: { cells: unknown[]; object: { kind: string; metadata: { name: string; namespace: string } } }[]
    }
    expect(table.kind).toBe('Table')
    expect(table.apiVersion).toBe('meta.k8s.io/v1')
    expect(table.columnDefinitions.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0', 'Ready:0', 'Up-to-date:0', 'Available:0', 'Age:0', 'Containers:1', 'Images:1', 'Selector:1',
    ])
    const row = table.rows.find((r) => r.cells[0] === 'marketplace-catalog-service')!
    expect(row.cells.slice(1, 4)).toEqual(['0/2', 0, 0])
    expect(row.cells[6]).toBe('acr.example/catalog:1.0.0')
    expect(row.cells[7]).toBe('app.kubernetes.io/name=marketplace-catalog-service')
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'marketplace-catalog-service', namespace: 'marketplace' } })

    const single = (await raw(sb, 'GET', '/api/v1/namespaces/marketplace/services/marketplace-catalog-service', { headers: { Accept: TABLE } })).json() as { rows: { cells: unknown[] }[]; columnDefinitions: { name: string }[] }
    expect(single.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector'])
    expect(single.rows[0]!.cells.slice(0, 5)).toEqual(['marketplace-catalog-service', 'ClusterIP', expect.stringMatching(/^10\.96\./), '<none>', '80/TCP'])
  })

  it('has columns for every resource', async () => {
    const expected: Record<string, string[]> = {
      '/api/v1/namespaces/marketplace/pods': ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates'],
      '/apis/apps/v1/namespaces/marketplace/replicasets': ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector'],
      '/api/v1/namespaces/marketplace/endpoints': ['Name', 'Endpoints', 'Age'],
      '/api/v1/namespaces': ['Name', 'Status', 'Age'],
      '/api/v1/namespaces/marketplace/configmaps': ['Name', 'Data', 'Age'],
      '/api/v1/namespaces/marketplace/secrets': ['Name', 'Type', 'Data', 'Age'],
      '/apis/batch/v1/namespaces/marketplace/jobs': ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector'],
      '/apis/coordination.k8s.io/v1/namespaces/marketplace/leases': ['Name', 'Holder', 'Age'],
      '/api/v1/namespaces/marketplace/events': ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name'],
    }
    for (const [path, columns] of Object.entries(expected)) {
      const table = (await raw(sb, 'GET', path, { headers: { Accept: TABLE } })).json() as { kind: string; columnDefinitions: { name: string }[] }
      expect(table.kind, path).toBe('Table')
      expect(table.columnDefinitions.map((c) => c.name), path).toEqual(columns)
    }
  })
})

describe('proxy, logs and sandbox routes', () => {
  it('proxies services and pods to the registered backend, resolving ports like the apiserver', async () => {
    const ns = await freshNamespace()
    await sb.core.createNamespacedPod({ namespace: ns, body: { ...podManifest('p', { app: 'x' }), spec: { nodeName: 'sandbox-node-0', containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080, name: 'http' }] }] } } })
    await sb.core.patchNamespacedPodStatus({ name: 'p', namespace: ns, body: { status: { phase: 'Running', podIP: '10.244.0.7' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    await sb.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } } })

    // Before the application simulator registers: 503 from the default backend.
    const calls: { pod: string; port: number; method: string; path: string; auth: unknown }[] = []
    const noEndpoints = await expectApiError(sb.core.connectGetNamespacedServiceProxyWithPath({ name: 'svc:80', namespace: ns, path: 'health/ready' }), 503, 'ServiceUnavailable')
    expect(noEndpoints.message).toBe('no endpoints available for service "svc"')

    await sb.core.createNamespacedEndpoints({
      namespace: ns,
      body: { metadata: { name: 'svc' }, subsets: [{ addresses: [{ ip: '10.244.0.7', targetRef: { kind: 'Pod', name: 'p', namespace: ns } }], ports: [{ name: 'web', port: 8080 }] }] },
    })
    const backend: PodHttpBackend = {
      async handle(pod, port, method, path, headers) {
        calls.push({ pod: pod.metadata.name, port, method, path, auth: headers.authorization })
        return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'Healthy' }) }
      },
    }
    sb.handle.api.setPodHttpBackend(backend)
    try {
      // client-node parses a JSON response even though the method is typed as string.
      const body: unknown = await sb.core.connectGetNamespacedServiceProxyWithPath({ name: 'svc:80', namespace: ns, path: 'health/ready' })
      expect(typeof body === 'string' ? JSON.parse(body) : body).toEqual({ status: 'Healthy' })
      expect(calls.at(-1)).toEqual({ pod: 'p', port: 8080, method: 'GET', path: '/health/ready', auth: undefined })
      await sb.core.connectGetNamespacedServiceProxyWithPath({ name: 'http:svc:web', namespace: ns, path: 'x' })
      const viaRaw = await raw(sb, 'POST', `/api/v1/namespaces/${ns}/services/svc:80/proxy/api/items?x=1`, { body: '{}' })
      expect(viaRaw.status).toBe(200)
      expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/api/items?x=1' })
      const missingPort = await raw(sb, 'GET', `/api/v1/namespaces/${ns}/services/svc:81/proxy/`)
      expect(missingPort.json()).toMatchObject({ code: 503, message: 'no service port 81 found for service "svc"' })
      await sb.core.connectGetNamespacedPodProxyWithPath({ name: 'p', namespace: ns, path: 'health/live' })
      expect(calls.at(-1)).toMatchObject({ pod: 'p', port: 8080, path: '/health/live' })
      await sb.core.connectGetNamespacedPodProxyWithPath({ name: 'p:9090', namespace: ns, path: 'metrics' })
      expect(calls.at(-1)).toMatchObject({ port: 9090, path: '/metrics' })
      await expectApiError(sb.core.connectGetNamespacedServiceProxyWithPath({ name: 'nope', namespace: ns, path: 'x' }), 404)
    } finally {
      sb.handle.api.setPodHttpBackend(undefined)
    }
  })

  it('serves pod logs with the apiserver validation', async () => {
    const ns = await freshNamespace()
    await sb.core.createNamespacedPod({ namespace: ns, body: podManifest('p') })
    const waiting = await expectApiError(sb.core.readNamespacedPodLog({ name: 'p', namespace: ns }), 400, 'BadRequest')
    expect(waiting.message).toBe('container "app" in pod "p" is waiting to start: ContainerCreating')
    await sb.core.patchNamespacedPodStatus(
      { name: 'p', namespace: ns, body: { status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'busybox:1.36', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: new Date() } } }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )
    const log = await sb.core.readNamespacedPodLog({ name: 'p', namespace: ns })
    expect(log).toContain('Now listening on: http://[::]:8080')
    expect((await sb.core.readNamespacedPodLog({ name: 'p', namespace: ns, tailLines: 2 })).trim().split('\n')).toHaveLength(2)
    const wrong = await expectApiError(sb.core.readNamespacedPodLog({ name: 'p', namespace: ns, container: 'nope' }), 400)
    expect(wrong.message).toBe('container nope is not valid for pod p')
  })

  it('has /_sandbox/status, a clock and a route registration API', async () => {
    const status = (await raw(sb, 'GET', '/_sandbox/status')).json() as { objects: Record<string, number>; uptimeSeconds: number; pid: number }
    expect(status.pid).toBe(process.pid)
    expect(status.objects['deployments.apps']).toBeGreaterThanOrEqual(1)
    sb.handle.api.registerSandboxRoute('POST', '/_sandbox/echo', (request) => ({ status: 202, body: { got: request.json } }))
    const echo = await raw(sb, 'POST', '/_sandbox/echo', { body: { a: 1 } })
    expect(echo.status).toBe(202)
    expect(echo.json()).toEqual({ got: { a: 1 } })
    expect((await raw(sb, 'GET', '/_sandbox/echo')).status).toBe(405)
    expect((await raw(sb, 'GET', '/_sandbox/nothing')).status).toBe(404)
    const before = sb.handle.clock.now()
    const advanced = (await raw(sb, 'POST', '/_sandbox/clock/advance?seconds=600')).json() as { offsetMs: number }
    expect(advanced.offsetMs).toBeGreaterThanOrEqual(600_000)
    expect(sb.handle.clock.now() - before).toBeGreaterThanOrEqual(600_000)
  })

  it('applies the API fault hook to /api and /apis only: latency, status with Retry-After, drops', async () => {
    let decision: { latencyMs?: number; status?: number; retryAfter?: number; drop?: boolean } | undefined
    const seen: string[] = []
    sb.handle.api.setApiFaultHook({
      async before(request) {
        seen.push(`${request.method} ${request.path}`)
        return decision
      },
    })
    try {
      decision = { status: 429, retryAfter: 3 }
      const throttled = await raw(sb, 'GET', '/api/v1/namespaces')
      expect(throttled.status).toBe(429)
      expect(throttled.headers['retry-after']).toBe('3')
      expect(throttled.json()).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } })
      decision = { status: 503, retryAfter: 1 }
      expect((await raw(sb, 'GET', '/apis/apps/v1')).status).toBe(503)
      decision = { status: 500 }
      await expectApiError(sb.core.listNamespace(), 500, 'InternalError')
      expect((await raw(sb, 'GET', '/readyz')).status).toBe(200)
      decision = { latencyMs: 150 }
      const started = Date.now()
      expect((await raw(sb, 'GET', '/api/v1/namespaces')).status).toBe(200)
      expect(Date.now() - started).toBeGreaterThanOrEqual(140)
      decision = { drop: true }
      await expect(raw(sb, 'GET', '/api/v1/namespaces')).rejects.toThrow()
      expect(seen).toContain('GET /api/v1/namespaces')
      expect(seen).not.toContain('GET /readyz')
    } finally {
      sb.handle.api.setApiFaultHook(undefined)
    }
  })
})
