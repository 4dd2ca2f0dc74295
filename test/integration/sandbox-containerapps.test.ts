// The sandbox's Microsoft.App/containerApps driven by the REAL ContainerAppsAPIClient (@azure/arm-appcontainers
// 3.0.0) over HTTPS, unchanged: the seeded apps, beginCreateOrUpdateAndWait (a PUT polled through its
// Azure-AsyncOperation URL), beginUpdateAndWait (PATCH → 202, polled, final GET through Location),
// containerAppsRevisions.list and listRevisions paging through nextLink, traffic weights, deactivate refused while
// a revision has traffic, replicas with the pod faults applied, an If-Match precondition, and a 404 for a missing app.
import { rm } from 'node:fs/promises'
import { request } from 'node:https'
import { ContainerAppsAPIClient, type ContainerApp } from '@azure/arm-appcontainers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MktError } from '../../src/errors.js'
import { ContainerAppsRegion } from '../../src/runtime/containerapps/apps.js'
import { TagLock } from '../../src/runtime/containerapps/lock.js'
import { SANDBOX_CONTAINERAPPS } from '../../src/sandbox/arm/containerapps.js'
import { armClient, makeTempDir, raw, restErrorOf, sandboxArm, startTestSandbox, waitFor, type TestSandbox } from './sandbox-helpers.js'

const { subscription: SUBSCRIPTION, resourceGroup: RG, environment: ENVIRONMENT } = SANDBOX_CONTAINERAPPS
const ENV_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.App/managedEnvironments/${ENVIRONMENT}`

/** A request to an ingress FQDN, reached at the ARM listener's address (TLS and Host name the FQDN). */
function ingressGet(armUrl: string, ca: string, fqdn: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(new URL(armUrl).port), path, servername: fqdn, headers: { host: fqdn }, ca }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

const appEnvelope = (image: string, suffix?: string): ContainerApp => ({
  location: 'local',
  managedEnvironmentId: ENV_ID,
  configuration: { activeRevisionsMode: 'Multiple', ingress: { external: true, targetPort: 8080, traffic: [{ latestRevision: true, weight: 100 }] } },
  template: { ...(suffix ? { revisionSuffix: suffix } : {}), containers: [{ name: 'web', image }], scale: { minReplicas: 1, maxReplicas: 3 } },
})

describe('sandbox Container Apps with the real ContainerAppsAPIClient', () => {
  let dir: string
  let sandbox: TestSandbox
  let client: ContainerAppsAPIClient
  let armUrl: string

  beforeAll(async () => {
    dir = await makeTempDir('mkt-sandbox-aca-')
    sandbox = await startTestSandbox(
      {
        controllers: true,
        seed: [
          { name: 'marketplace-catalog-service', kind: 'service', port: 8080, image: 'marketplace/catalog-service:1.0.0' },
          { name: 'installation-worker', kind: 'worker', port: 8080, image: 'marketplace/installation-worker:1.0.0' },
        ],
      },
      dir,
    )
    const arm = await sandboxArm(sandbox)
    armUrl = arm.endpoint
    client = armClient(ContainerAppsAPIClient, SUBSCRIPTION, arm)
  })

  afterAll(async () => {
    await sandbox?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves the seeded apps in the sandbox environment, one revision each, serving 100% and running', async () => {
    const app = await client.containerApps.get(RG, 'marketplace-catalog-service')
    expect(app.id).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.App/containerApps/marketplace-catalog-service`)
    expect(app.provisioningState).toBe('Succeeded')
    expect(app.managedEnvironmentId).toBe(ENV_ID)
    expect(app.configuration?.activeRevisionsMode).toBe('Multiple')
    expect(app.template?.containers?.[0]?.image).toBe('marketplace/catalog-service:1.0.0')
    const revisions = []
    for await (const r of client.containerAppsRevisions.listRevisions(RG, 'marketplace-catalog-service')) revisions.push(r)
    expect(revisions).toHaveLength(1)
    expect(revisions[0]).toMatchObject({ active: true, trafficWeight: 100, healthState: 'Healthy', runningState: 'Running', replicas: 2 })
    const replicas = await client.containerAppsRevisionReplicas.listReplicas(RG, 'marketplace-catalog-service', revisions[0]!.name!)
    expect(replicas.value).toHaveLength(2)
    expect(replicas.value?.[0]?.containers?.[0]).toMatchObject({ ready: true, started: true, runningState: 'Running' })
    const listed = []
    for await (const a of client.containerApps.listByResourceGroup(RG)) listed.push(a.name)
    expect(listed.sort()).toEqual(['installation-worker', 'marketplace-catalog-service'])
  })

  it('answers 404 ResourceNotFound for a missing app, as ARM does', async () => {
    const error = await restErrorOf(client.containerApps.get(RG, 'no-such-app'))
    expect(error.statusCode).toBe(404)
    expect(error.code).toBe('ResourceNotFound')
    expect(error.message).toContain("'Microsoft.App/containerApps/no-such-app'")
  })

  it('creates an app with beginCreateOrUpdateAndWait: a PUT polled through Azure-AsyncOperation until Succeeded', async () => {
    const poller = await client.containerApps.beginCreateOrUpdate(RG, 'web-app', appEnvelope('web:1'))
    expect(poller.isDone()).toBe(false) // the first answer is InProgress: the SDK has to poll
    const created = await poller.pollUntilDone()
    expect(created.provisioningState).toBe('Succeeded')
    expect(created.latestRevisionName).toMatch(/^web-app--[a-z0-9]{7}$/)
    const again = await client.containerApps.beginCreateOrUpdateAndWait(RG, 'web-app', appEnvelope('web:1'))
    expect(again.latestRevisionName).toBe(created.latestRevisionName) // same template: no new revision
  })

  it('makes a revision per template change, pages revisions through nextLink, and moves traffic by weight', async () => {
    const pages: number[] = []
    for (let i = 2; i <= 7; i++) await client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', template: { revisionSuffix: `v${i}`, containers: [{ name: 'web', image: `web:${i}` }], scale: { minReplicas: 1 } } }, { updateIntervalInMs: 200 })
    for await (const page of client.containerAppsRevisions.listRevisions(RG, 'web-app').byPage()) pages.push(page.length)
    expect(pages).toEqual([5, 2])
    const all = []
    for await (const r of client.containerAppsRevisions.listRevisions(RG, 'web-app')) all.push(r)
    expect(all.map((r) => r.name).slice(1)).toEqual(['web-app--v2', 'web-app--v3', 'web-app--v4', 'web-app--v5', 'web-app--v6', 'web-app--v7'])
    expect(all.at(-1)?.trafficWeight).toBe(100) // latestRevision: true follows the newest

    // A revision's suffix is used once.
    const conflict = await restErrorOf(client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', template: { revisionSuffix: 'v7', containers: [{ name: 'web', image: 'web:other' }] } }, { updateIntervalInMs: 200 }))
    expect(conflict.statusCode).toBe(400)

    const traffic = [
      { revisionName: 'web-app--v6', weight: 75 },
      { revisionName: 'web-app--v7', weight: 25, label: 'canary' },
    ]
    const moved = await client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', configuration: { ingress: { traffic } } }, { updateIntervalInMs: 200 })
    expect(moved.configuration?.ingress?.traffic).toMatchObject(traffic)
    expect(moved.latestRevisionName).toBe('web-app--v7') // configuration changes make no revision
    expect((await client.containerAppsRevisions.getRevision(RG, 'web-app', 'web-app--v7')).trafficWeight).toBe(25)

    const refused = await restErrorOf(client.containerAppsRevisions.deactivateRevision(RG, 'web-app', 'web-app--v7'))
    expect(refused.statusCode).toBe(400)
    await client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', configuration: { ingress: { traffic: [{ revisionName: 'web-app--v6', weight: 100 }] } } }, { updateIntervalInMs: 200 })
    await client.containerAppsRevisions.deactivateRevision(RG, 'web-app', 'web-app--v7')
    expect(await client.containerAppsRevisions.getRevision(RG, 'web-app', 'web-app--v7')).toMatchObject({ active: false, replicas: 0, runningState: 'Stopped' })
    const weights = await restErrorOf(client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', configuration: { ingress: { traffic: [{ revisionName: 'web-app--v6', weight: 60 }] } } }, { updateIntervalInMs: 200 }))
    expect(weights.statusCode).toBe(400)
  })

  it('applies the pod faults to replicas: a not-ready image tag makes the revision Unhealthy, not ready', async () => {
    const fault = await raw(sandbox, 'POST', '/_sandbox/faults', { body: { component: 'web-app', imageTag: 'bad', kind: 'not-ready' } })
    expect(fault.status).toBe(201)
    await client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', template: { revisionSuffix: 'bad', containers: [{ name: 'web', image: 'web:bad' }] } }, { updateIntervalInMs: 200 })
    const revision = await waitFor(async () => {
      const r = await client.containerAppsRevisions.getRevision(RG, 'web-app', 'web-app--bad')
      return r.runningState === 'Running' ? r : undefined
    }, 15_000)
    expect(revision.healthState).toBe('Unhealthy')
    const replicas = await client.containerAppsRevisionReplicas.listReplicas(RG, 'web-app', 'web-app--bad')
    expect(replicas.value?.[0]?.containers?.[0]).toMatchObject({ started: true, ready: false })
    // Its FQDN answers with the simulated application's own report, through the environment's ingress (TLS by name).
    const answer = await ingressGet(armUrl, sandbox.caCert, revision.fqdn!, '/health/ready')
    expect(answer.status).toBe(503)
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'Unhealthy', entries: { startup: { status: 'Unhealthy' } } })
    const healthy = await ingressGet(armUrl, sandbox.caCert, (await client.containerApps.get(RG, 'marketplace-catalog-service')).latestRevisionFqdn!, '/health/ready')
    expect(healthy.status).toBe(200)
    expect((await ingressGet(armUrl, sandbox.caCert, 'nope.local.azurecontainerapps.sandbox', '/')).status).toBe(404)
  })

  it('refuses a write whose If-Match is not the current ETag (412), and takes the current one', async () => {
    let etag = ''
    await client.containerApps.get(RG, 'web-app', { onResponse: (response) => (etag = response.headers.get('etag') ?? '') })
    expect(etag).toMatch(/^".+"$/)
    const stale = await restErrorOf(client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', tags: { owner: 'x' } }, { requestOptions: { customHeaders: { 'If-Match': '"stale"' } } }))
    expect(stale.statusCode).toBe(412)
    const tagged = await client.containerApps.beginUpdateAndWait(RG, 'web-app', { location: 'local', tags: { owner: 'x' } }, { requestOptions: { customHeaders: { 'If-Match': etag } }, updateIntervalInMs: 200 })
    expect(tagged.tags).toEqual({ owner: 'x' })
  })

  it("mkt's lock tag: one holder at a time (If-Match decides a race), named to the other, removed on release", async () => {
    const apps = new ContainerAppsRegion({ client, environment: 'containerapps', region: 'local', target: { subscription: SUBSCRIPTION, resourceGroup: RG, environment: ENVIRONMENT }, description: 'sandbox', endpoint: armUrl, auth: 'sandbox' })
    const request = (identity: string) => ({ environment: 'containerapps', component: 'installation-worker', identity, operation: `deploy by ${identity}` })
    const raced = await Promise.allSettled([TagLock.acquire(apps, 'installation-worker', request('alice/1')), TagLock.acquire(apps, 'installation-worker', request('bob/2'))])
    const won = raced.filter((r): r is PromiseFulfilledResult<TagLock> => r.status === 'fulfilled')
    const lost = raced.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost[0]!.reason).toBeInstanceOf(MktError)
    expect((lost[0]!.reason as MktError).exitCode).toBe(73)
    const holder = won[0]!.value
    const refused = await TagLock.acquire(apps, 'installation-worker', request('carol/3')).catch((error: MktError) => error)
    expect(refused).toBeInstanceOf(MktError)
    expect((refused as MktError).message).toMatch(/locked: held by (alice\/1|bob\/2)/)
    expect(await holder.verify()).toBe(true)
    await holder.release()
    expect((await client.containerApps.get(RG, 'installation-worker')).tags?.['mkt-lock']).toBeUndefined()
    const next = await TagLock.acquire(apps, 'installation-worker', request('carol/3'))
    await next.release()
  }, 30_000)

  it('deletes an app (202, polled) and then answers 404', async () => {
    await client.containerApps.beginDeleteAndWait(RG, 'web-app', { updateIntervalInMs: 200 })
    expect((await restErrorOf(client.containerApps.get(RG, 'web-app'))).statusCode).toBe(404)
  })
})
