// The sandbox's controllers driven by the real @kubernetes/client-node over HTTPS: rollouts, rollback,
// progress deadlines, pod faults, endpoints, the service proxy and Jobs behave like a cluster's.
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Deployment,
  type V1Pod,
  type V1ReplicaSet,
} from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js'

const NS = 'default'
let handle: SandboxHandle
let dataDir: string
let kc: KubeConfig
let apps: AppsV1Api
let core: CoreV1Api
let batch: BatchV1Api

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` returns a value (not undefined/false), or fails naming what it waited for. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await sleep(40)
  }
}

/** kubectl's `rollout status` predicate (rollout_status.go): true when done, throws on ProgressDeadlineExceeded. */
function rolloutDone(d: V1Deployment): boolean {
  const status = d.status ?? {}
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) return false
  const progressing = status.conditions?.find((c) => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new Error(`deployment "${d.metadata?.name}" exceeded its progress deadline`)
  const replicas = d.spec?.replicas ?? 1
  if ((status.updatedReplicas ?? 0) < replicas) return false
  if ((status.replicas ?? 0) > (status.updatedReplicas ?? 0)) return false
  if ((status.availableReplicas ?? 0) < (status.updatedReplicas ?? 0)) return false
  return true
}

const readDeployment = (name: string, namespace = NS) => apps.readNamespacedDeployment({ name, namespace })
const waitRolledOut = (name: string, namespace = NS) => waitFor(`deployment ${name} rolled out`, async () => rolloutDone(await readDeployment(name, namespace)) || undefined)

const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)

function deploymentManifest(name: string, options: { replicas?: number; maxSurge?: number | string; maxUnavailable?: number | string; image?: string; changeCause?: string } = {}): V1Deployment {
  const labels = { app: name, 'app.kubernetes.io/name': name }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, annotations: options.changeCause ? { 'kubernetes.io/change-cause': options.changeCause } : undefined },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: options.maxSurge ?? 1, maxUnavailable: options.maxUnavailable ?? 0 } as never },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'app',
              image: options.image ?? `acr.local/${name}:1.0.0`,
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/health/ready', port: 'http' as never }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      },
    },
  }
}

async function createService(name: string): Promise<void> {
  await core.createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' as never }] } } })
}

/** Calls a /_sandbox/ control route with the kubeconfig's CA and token. */
async function sandboxRoute(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const url = new URL(path, handle.endpoints.kubernetes)
  const options: RequestOptions = { method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers: { 'Content-Type': 'application/json' } }
  await kc.applyToHTTPSOptions(options)
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined })
      })
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

async function addFault(fault: Record<string, unknown>): Promise<string> {
  const response = await sandboxRoute('POST', '/_sandbox/faults', fault)
  expect(response.status).toBe(201)
  return (response.json as { fault: { id: string } }).fault.id
}

async function podsOf(app: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items
}

/** client-node hands back proxied JSON already parsed (by Content-Type), other bodies as text. */
const asJson = <T>(answer: unknown): T => (typeof answer === 'string' ? JSON.parse(answer) : answer) as T

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false

/** ApiException → { code, body } (client-node throws for non-2xx). */
async function failure(promise: Promise<unknown>): Promise<{ code: number; body: string }> {
  try {
    await promise
  } catch (error) {
    const e = error as { code?: number; body?: unknown }
    return { code: e.code ?? 0, body: typeof e.body === 'string' ? e.body : JSON.stringify(e.body) }
  }
  throw new Error('expected the request to fail')
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mkt-sandbox-rollout-'))
  handle = await startSandbox({
    dataDir,
    kubePort: 0,
    podStartDelayMs: 100,
    log: process.env.MKT_TEST_SANDBOX_LOG ? (message) => console.error(message) : undefined,
    seed: [
      { name: 'marketplace-catalog-service', kind: 'service', port: 8080, image: 'acr.local/marketplace-catalog-service:1.0.0' },
      { name: 'installation-worker', kind: 'worker', port: 8080, image: 'acr.local/installation-worker:1.0.0' },
    ],
  })
  kc = new KubeConfig()
  kc.loadFromFile(handle.kubeconfigPath)
  apps = kc.makeApiClient(AppsV1Api)
  core = kc.makeApiClient(CoreV1Api)
  batch = kc.makeApiClient(BatchV1Api)
})

afterAll(async () => {
  await handle?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('sandbox controllers through @kubernetes/client-node', () => {
  it('seeded deployments become ready: pods on the sandbox node with unique IPs, endpoints for the service', async () => {
    for (const name of ['marketplace-catalog-service', 'installation-worker']) await waitRolledOut(name, 'marketplace')
    const pods = (await core.listNamespacedPod({ namespace: 'marketplace' })).items
    expect(pods).toHaveLength(4)
    for (const pod of pods) {
      const owner = pod.metadata?.ownerReferences?.[0]
      expect(owner).toMatchObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', controller: true })
      expect(pod.metadata?.name).toMatch(new RegExp(`^${owner?.name}-[bcdfghjklmnpqrstvwxz2456789]{5}$`))
      expect(pod.spec?.nodeName).toBe('sandbox-node-0')
      expect(pod.status?.phase).toBe('Running')
      expect(pod.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/)
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ ready: true, restartCount: 0 })
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')
      expect(ready?.status).toBe('True')
      expect(ready?.lastTransitionTime).toBeInstanceOf(Date)
    }
    expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(4)
    const endpoints = await core.readNamespacedEndpoints({ name: 'marketplace-catalog-service', namespace: 'marketplace' })
    expect(endpoints.subsets).toHaveLength(1)
    expect(endpoints.subsets?.[0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }])
    expect(endpoints.subsets?.[0].addresses?.map((a) => a.targetRef?.kind)).toEqual(['Pod', 'Pod'])
    expect(endpoints.subsets?.[0].addresses?.[0].nodeName).toBe('sandbox-node-0')
    const deployment = await readDeployment('marketplace-catalog-service', 'marketplace')
    expect(deployment.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1')
    expect(deployment.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' })
    expect(deployment.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' })
  })

  it('the service proxy answers /health/ready with ASP.NET Core HealthChecks JSON', async () => {
    const answer = await core.connectGetNamespacedServiceProxyWithPath({ name: 'marketplace-catalog-service:80', namespace: 'marketplace', path: 'health/ready' })
    const report = asJson<{ status: string; totalDuration: string; entries: Record<string, { status: string; tags: string[]; duration: string }> }>(answer)
    expect(report.status).toBe('Healthy')
    expect(report.totalDuration).toMatch(/^\d\d:\d\d:\d\d\.\d{7}$/)
    expect(Object.keys(report.entries)).toEqual(['database', 'servicebus', 'redis'])
    expect(report.entries.database).toMatchObject({ status: 'Healthy', tags: ['ready'] })
    const missing = await failure(core.connectGetNamespacedServiceProxyWithPath({ name: 'marketplace-catalog-service:80', namespace: 'marketplace', path: 'nope' }))
    expect(missing.code).toBe(404)
  })

  it('a template change rolls with maxSurge/maxUnavailable respected at every observed step, with revisions and change-cause', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deploymentManifest('web', { replicas: 4, maxSurge: 1, maxUnavailable: 1, changeCause: 'initial' }) })
    await waitRolledOut('web')

    const replicaSets = new Map<string, V1ReplicaSet>()
    const violations: string[] = []
    let observed = 0
    const watch = await new Watch(kc).watch(
      `/apis/apps/v1/namespaces/${NS}/replicasets`,
      { labelSelector: 'app=web' },
      (type: string, rs: V1ReplicaSet) => {
        if (type === 'DELETED') replicaSets.delete(rs.metadata!.name!)
        else replicaSets.set(rs.metadata!.name!, rs)
        observed++
        const all = [...replicaSets.values()]
        const total = all.reduce((sum, r) => sum + (r.spec?.replicas ?? 0), 0)
        const available = all.reduce((sum, r) => sum + (r.status?.availableReplicas ?? 0), 0)
        if (total > 4 + 1) violations.push(`Σ spec.replicas ${total} > 5`)
        if (available < 4 - 1) violations.push(`Σ availableReplicas ${available} < 3`)
      },
      () => {},
    )
    await sleep(100) // the initial ADDED events
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { metadata: { annotations: { 'kubernetes.io/change-cause': 'image 2.0.0' } }, spec: { template: { spec: { containers: [{ name: 'app', image: 'acr.local/web:2.0.0' }] } } } } },
      smp,
    )
    await waitRolledOut('web')
    watch.abort()

    expect(violations).toEqual([])
    expect(observed).toBeGreaterThan(6)
    const d = await readDeployment('web')
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2')
    const rsList = (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' })).items
    const byRevision = Object.fromEntries(rsList.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs]))
    expect(byRevision['1'].spec?.replicas).toBe(0)
    expect(byRevision['1'].metadata?.annotations?.['kubernetes.io/change-cause']).toBe('initial')
    expect(byRevision['2'].metadata?.annotations).toMatchObject({
      'kubernetes.io/change-cause': 'image 2.0.0',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    })
    const hash = byRevision['2'].metadata?.labels?.['pod-template-hash']
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/)
    expect(byRevision['2'].metadata?.name).toBe(`web-${hash}`)
    expect(byRevision['2'].spec?.selector?.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash })
    expect(byRevision['2'].metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: d.metadata?.uid, controller: true })

    const events = (await core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.involvedObject.name === 'web' && e.reason === 'ScalingReplicaSet')
    const messages = events.map((e) => e.message)
    expect(messages).toContain(`Scaled up replica set web-${hash} to 1`)
    expect(messages).toContain(`Scaled down replica set ${byRevision['1'].metadata?.name} to 0`)
    expect(events[0].source?.component).toBe('deployment-controller')
  })

  it('a kubectl-style rollback (JSON patch) reuses the old ReplicaSet and renumbers its revision', async () => {
    const d = await readDeployment('web')
    const rsList = (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' })).items
    const target = rsList.find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1')!
    // What `kubectl rollout undo` sends (rollback.go): the template minus pod-template-hash, and the
    // annotations rebuilt from the deployment's skip-listed keys plus the ReplicaSet's others.
    const template = JSON.parse(JSON.stringify(target.spec!.template)) as { metadata: { labels: Record<string, string>; creationTimestamp?: null } }
    delete template.metadata.labels['pod-template-hash']
    template.metadata.creationTimestamp = null
    const annotations: Record<string, string> = { 'deployment.kubernetes.io/revision': d.metadata!.annotations!['deployment.kubernetes.io/revision'] }
    for (const [key, value] of Object.entries(target.metadata?.annotations ?? {})) {
      if (!['deployment.kubernetes.io/revision', 'deployment.kubernetes.io/revision-history', 'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas'].includes(key)) annotations[key] = value
    }
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: [
          { op: 'replace', path: '/spec/template', value: template },
          { op: 'replace', path: '/metadata/annotations', value: annotations },
        ],
      },
      jsonPatch,
    )
    await waitRolledOut('web')
    const after = (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' })).items
    expect(after).toHaveLength(2)
    const reused = after.find((rs) => rs.metadata?.name === target.metadata?.name)!
    expect(reused.metadata?.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1', 'kubernetes.io/change-cause': 'initial' })
    expect(reused.spec?.replicas).toBe(4)
    expect((await readDeployment('web')).metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3')
    // rollout history: revision → change-cause
    const history = Object.fromEntries(after.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs.metadata?.annotations?.['kubernetes.io/change-cause']]))
    expect(history).toEqual({ '2': 'image 2.0.0', '3': 'initial' })
  })

  it('the replica-count canary: maxSurge=N, maxUnavailable=0, pause as soon as the new ReplicaSet appears', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deploymentManifest('canary', { replicas: 4, maxSurge: 1, maxUnavailable: 0 }) })
    await waitRolledOut('canary')
    let paused: Promise<unknown> | undefined
    const watch = await new Watch(kc).watch(`/apis/apps/v1/namespaces/${NS}/replicasets`, { labelSelector: 'app=canary' }, (type: string) => {
      if (type === 'ADDED' && paused === undefined && started) paused = apps.patchNamespacedDeployment({ name: 'canary', namespace: NS, body: { spec: { paused: true } } }, smp)
    }, () => {})
    await sleep(100)
    const started = true
    await apps.patchNamespacedDeployment({ name: 'canary', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'acr.local/canary:2.0.0' }] } } } } }, smp)
    await waitFor('the pause', async () => paused)
    await paused
    // Let the canary pod become available: nothing else may move while paused.
    await waitFor('canary pod ready', async () => (await podsOf('canary')).filter((p) => p.spec?.containers[0].image === 'acr.local/canary:2.0.0' && isReady(p)).length === 1)
    await sleep(500)
    watch.abort()
    const rsList = (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=canary' })).items
    const sizes = Object.fromEntries(rsList.map((rs) => [rs.spec?.template?.spec?.containers[0].image, [rs.spec?.replicas, rs.status?.availableReplicas]]))
    expect(sizes).toEqual({ 'acr.local/canary:1.0.0': [4, 4], 'acr.local/canary:2.0.0': [1, 1] })
    const d = await readDeployment('canary')
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' })
    // promote
    await apps.patchNamespacedDeployment({ name: 'canary', namespace: NS, body: { spec: { paused: false } } }, smp)
    await waitRolledOut('canary')
  })

  it('ProgressDeadlineExceeded when the new image tag never becomes ready; not-ready pods are notReadyAddresses', async () => {
    await createService('web')
    const faultId = await addFault({ component: 'web', imageTag: '3.0.0', kind: 'not-ready', entry: 'servicebus' })
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { progressDeadlineSeconds: 2, template: { spec: { containers: [{ name: 'app', image: 'acr.local/web:3.0.0' }] } } } } },
      smp,
    )
    const d = await waitFor('ProgressDeadlineExceeded', async () => {
      const current = await readDeployment('web')
      return current.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') ? current : undefined
    }, 15_000)
    const rsList = (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' })).items
    const stuck = rsList.find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '4')!
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', message: `ReplicaSet "${stuck.metadata?.name}" has timed out progressing.` })
    expect(() => rolloutDone(d)).toThrow('exceeded its progress deadline')
    // maxUnavailable=1: three old pods still serve, the surge pods are Running but not Ready.
    expect(d.status?.availableReplicas).toBe(3)
    const newPods = (await podsOf('web')).filter((p) => p.spec?.containers[0].image === 'acr.local/web:3.0.0')
    expect(newPods.length).toBeGreaterThan(0)
    for (const pod of newPods) {
      expect(pod.status?.phase).toBe('Running')
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' })
    }
    const endpoints = await core.readNamespacedEndpoints({ name: 'web', namespace: NS })
    expect(endpoints.subsets?.[0].addresses).toHaveLength(3)
    expect(endpoints.subsets?.[0].notReadyAddresses?.map((a) => a.targetRef?.name).sort()).toEqual(newPods.map((p) => p.metadata?.name).sort())
    // The pod itself answers 503 with the HealthChecks JSON naming the failing entry.
    const unhealthy = await failure(core.connectGetNamespacedPodProxyWithPath({ name: newPods[0].metadata!.name!, namespace: NS, path: 'health/ready' }))
    expect(unhealthy.code).toBe(503)
    const report = JSON.parse(unhealthy.body) as { status: string; entries: Record<string, { status: string; description?: string }> }
    expect(report.status).toBe('Unhealthy')
    expect(report.entries.servicebus.status).toBe('Unhealthy')
    expect(report.entries.servicebus.description).toBeTruthy()
    expect(report.entries.database.status).toBe('Healthy')
    expect((await sandboxRoute('DELETE', `/_sandbox/faults/${faultId}`)).status).toBe(200)
  })

  it('crashloop and image-pull faults show in pod status; clearing the fault lets the pod recover', async () => {
    const crashId = await addFault({ component: 'crashy', kind: 'crashloop' })
    await addFault({ component: 'pully', imageTag: '9.9.9', kind: 'image-pull-error' })
    await apps.createNamespacedDeployment({ namespace: NS, body: deploymentManifest('crashy', { replicas: 1 }) })
    await apps.createNamespacedDeployment({ namespace: NS, body: deploymentManifest('pully', { replicas: 1, image: 'acr.local/pully:9.9.9' }) })

    const crashing = await waitFor('CrashLoopBackOff', async () => {
      const [pod] = await podsOf('crashy')
      const status = pod?.status?.containerStatuses?.[0]
      return status?.state?.waiting?.reason === 'CrashLoopBackOff' && status.restartCount >= 1 ? pod : undefined
    })
    const container = crashing.status!.containerStatuses![0]
    expect(container.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' })
    expect(container.ready).toBe(false)
    expect(crashing.status?.phase).toBe('Running')
    expect(await core.readNamespacedPodLog({ name: crashing.metadata!.name!, namespace: NS, previous: true })).toContain('Unhandled exception')

    const pulling = await waitFor('ImagePullBackOff', async () => {
      const [pod] = await podsOf('pully')
      return pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' ? pod : undefined
    })
    expect(pulling.status?.phase).toBe('Pending')
    expect(pulling.status?.containerStatuses?.[0].state?.waiting?.message).toBe('Back-off pulling image "acr.local/pully:9.9.9"')
    const pullEvents = (await core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.involvedObject.name === pulling.metadata?.name).map((e) => e.message)
    expect(pullEvents).toContain('Error: ErrImagePull')

    expect((await sandboxRoute('DELETE', `/_sandbox/faults?id=${crashId}`)).json).toEqual({ deleted: 1 })
    await waitRolledOut('crashy')
    const [recovered] = await podsOf('crashy')
    expect(recovered.status?.containerStatuses?.[0]).toMatchObject({ ready: true })
    expect(recovered.status?.containerStatuses?.[0].restartCount).toBeGreaterThanOrEqual(1)
  })

  it('endpoints follow readiness, and the service proxy answers 503 when no pod is ready', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deploymentManifest('flappy', { replicas: 1 }) })
    await createService('flappy')
    await waitRolledOut('flappy')
    const addresses = async () => (await core.readNamespacedEndpoints({ name: 'flappy', namespace: NS })).subsets?.[0]
    await waitFor('a ready address', async () => (await addresses())?.addresses?.length === 1)
    expect(asJson<{ status: string }>(await core.connectGetNamespacedServiceProxyWithPath({ name: 'flappy:80', namespace: NS, path: 'health/ready' })).status).toBe('Healthy')

    const id = await addFault({ component: 'flappy', kind: 'not-ready' })
    await waitFor('the pod moved to notReadyAddresses', async () => (await addresses())?.notReadyAddresses?.length === 1)
    expect((await addresses())?.addresses).toBeUndefined()
    const unavailable = await failure(core.connectGetNamespacedServiceProxyWithPath({ name: 'flappy:80', namespace: NS, path: 'health/ready' }))
    expect(unavailable.code).toBe(503)
    expect(unavailable.body).toContain('no endpoints available for service \\"flappy\\"')

    await sandboxRoute('DELETE', `/_sandbox/faults/${id}`)
    await waitFor('the pod back in addresses', async () => (await addresses())?.addresses?.length === 1)
  })

  it('a Job runs to Complete; a failing Job stops at backoffLimit with BackoffLimitExceeded', async () => {
    const jobBody = (name: string, annotations?: Record<string, string>) => ({
      metadata: { name, annotations },
      spec: { backoffLimit: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'acr.local/migrations:1.0.0' }] } } },
    })
    await batch.createNamespacedJob({ namespace: NS, body: jobBody('migrate-ok') })
    await batch.createNamespacedJob({ namespace: NS, body: jobBody('migrate-bad', { 'sandbox.mkt/job-behavior': 'fail' }) })

    const ok = await waitFor('Complete', async () => {
      const job = await batch.readNamespacedJob({ name: 'migrate-ok', namespace: NS })
      return job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? job : undefined
    })
    expect(ok.status).toMatchObject({ succeeded: 1 })
    expect(ok.status?.startTime).toBeInstanceOf(Date)
    expect(ok.status?.completionTime).toBeInstanceOf(Date)
    const [okPod] = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=migrate-ok' })).items
    expect(okPod.status?.phase).toBe('Succeeded')
    expect(okPod.metadata?.name).toMatch(/^migrate-ok-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    expect(await core.readNamespacedPodLog({ name: okPod.metadata!.name!, namespace: NS })).toContain('completed successfully')

    const bad = await waitFor('Failed', async () => {
      const job = await batch.readNamespacedJob({ name: 'migrate-bad', namespace: NS })
      return job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ? job : undefined
    })
    expect(bad.status?.failed).toBe(2)
    expect(bad.status?.succeeded).toBeUndefined()
    expect(bad.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' })
    const badPods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=migrate-bad' })).items
    expect(badPods.map((p) => p.status?.phase)).toEqual(['Failed', 'Failed'])
    expect(badPods[0].status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' })
  })

  it('API faults: matching requests fail with the injected status and Retry-After, others pass', async () => {
    const id = await addFault({ pathPattern: '/apis/batch/v1/namespaces/*/jobs', status: 429, retryAfterSeconds: 2, latencyMs: 50 })
    const started = Date.now()
    const throttled = await failure(batch.listNamespacedJob({ namespace: NS }))
    expect(throttled.code).toBe(429)
    expect(JSON.parse(throttled.body)).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(50)
    expect((await core.listNamespacedPod({ namespace: NS })).items.length).toBeGreaterThan(0)
    expect(((await sandboxRoute('GET', '/_sandbox/faults')).json as { faults: { id: string }[] }).faults.map((f) => f.id)).toContain(id)
    expect((await sandboxRoute('DELETE', '/_sandbox/faults')).status).toBe(200)
    expect((await batch.listNamespacedJob({ namespace: NS })).items.length).toBe(2)
  })
})
