// The sandbox ARM endpoint driven by the REAL ContainerServiceClient (@azure/arm-containerservice
// 25.3.0) over HTTPS: managedClusters get, listClusterUserCredentials → a kubeconfig that
// @kubernetes/client-node uses against the sandbox, admin credentials, 404/403 from the control
// routes, 401 for a wrong token, API faults, and the port and control file across a restart.
import { readFile, rm } from 'node:fs/promises'
import { request } from 'node:https'
import { join } from 'node:path'
import { ContainerServiceClient } from '@azure/arm-containerservice'
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARM_FILE, ARM_PORT_FILE } from '../../src/sandbox/arm/index.js'
import { armClient, makeTempDir, raw, restErrorOf, sandboxArm, staticCredential, startTestSandbox, type SandboxArm, type TestSandbox } from './sandbox-helpers.js'

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
const RG = 'rg-marketplace-dev'

/** The client exactly as the README documents it. */
const aksClient = (arm: SandboxArm, subscription = SUBSCRIPTION): ContainerServiceClient => armClient(ContainerServiceClient, subscription, arm)

/** A raw HTTPS request to the ARM listener. */
function armRaw(url: string, caCert: string, method: string, path: string, token?: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` }
    const req = request(`${url}${path}`, { method, headers, ca: caCert }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('sandbox ARM endpoint with the real ContainerServiceClient', () => {
  let dir: string
  let sandbox: TestSandbox
  let arm: SandboxArm
  let armUrl: string

  beforeAll(async () => {
    dir = await makeTempDir('mkt-sandbox-arm-')
    sandbox = await startTestSandbox(
      {
        controllers: true,
        podStartDelayMs: 50,
        seed: [
          { name: 'marketplace-catalog-service', kind: 'service', port: 8080, image: 'marketplace/catalog-service:1.0.0' },
          { name: 'marketplace-order-worker', kind: 'worker', port: 8080, image: 'marketplace/order-worker:1.0.0' },
        ],
      },
      dir,
    )
    arm = await sandboxArm(sandbox)
    armUrl = arm.endpoint
  })

  afterAll(async () => {
    await sandbox?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('advertises https://127.0.0.1:<port> in state.json, apart from the Kubernetes API', () => {
    expect(armUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(armUrl).not.toBe(sandbox.handle.endpoints.kubernetes)
  })

  it('gets a managed cluster it has (any subscription and resource group), asking for the ARM scope', async () => {
    const credential = staticCredential(sandbox.handle.token)
    const client = aksClient({ ...arm, credential })
    const cluster = await client.managedClusters.get(RG, 'aks-marketplace-dev')
    expect(cluster.id).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-marketplace-dev`)
    expect(cluster.name).toBe('aks-marketplace-dev')
    expect(cluster.location).toBe('local')
    expect(cluster.type).toBe('Microsoft.ContainerService/managedClusters')
    // The SDK flattens `properties`.
    expect(cluster.provisioningState).toBe('Succeeded')
    expect(cluster.powerState?.code).toBe('Running')
    expect(cluster.kubernetesVersion).toBe('1.32.0')
    expect(cluster.fqdn).toBe('127.0.0.1')
    expect(cluster.enableRbac).toBe(true)
    expect(cluster.aadProfile).toBeNull()
    expect(cluster.disableLocalAccounts).toBe(false)
    expect(cluster.agentPoolProfiles?.[0]).toMatchObject({ name: 'nodepool1', count: 1, mode: 'System' })
    expect(credential.calls.map((c) => c.scopes)).toContainEqual(['https://management.azure.com/.default'])

    const other = aksClient(arm, 'another-subscription')
    expect((await other.managedClusters.get('another-rg', 'AKS-MARKETPLACE-LOCAL')).id).toBe('/subscriptions/another-subscription/resourceGroups/another-rg/providers/Microsoft.ContainerService/managedClusters/AKS-MARKETPLACE-LOCAL')
  })

  it('answers 404 ResourceNotFound, like ARM, for a cluster it does not have (a typo in mkt.yaml)', async () => {
    const client = aksClient(arm)
    const missing = await restErrorOf(client.managedClusters.get(RG, 'aks-marketplace-dve'))
    expect(missing.statusCode).toBe(404)
    expect(missing.code).toBe('ResourceNotFound')
    expect(missing.message).toContain(`The Resource 'Microsoft.ContainerService/managedClusters/aks-marketplace-dve' under resource group '${RG}' was not found.`)
    expect((await restErrorOf(client.managedClusters.listClusterUserCredentials(RG, 'aks-marketplace-dve'))).statusCode).toBe(404)
    // The control route creates one (`ok`) and removes it again (`missing`).
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: 'aks-marketplace-dve', state: 'ok' } })).status).toBe(200)
    expect((await client.managedClusters.get(RG, 'aks-marketplace-dve')).name).toBe('aks-marketplace-dve')
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: 'aks-marketplace-dve', state: 'missing' } })).status).toBe(200)
    expect((await restErrorOf(client.managedClusters.get(RG, 'aks-marketplace-dve'))).statusCode).toBe(404)
  })

  it('lists user credentials: a kubeconfig that @kubernetes/client-node uses to list the seeded deployments', async () => {
    const client = aksClient(arm)
    const result = await client.managedClusters.listClusterUserCredentials(RG, 'aks-marketplace-dev')
    expect(result.kubeconfigs).toHaveLength(1)
    expect(result.kubeconfigs![0]!.name).toBe('clusterUser')
    // The SDK decodes the base64 value into bytes.
    const yaml = Buffer.from(result.kubeconfigs![0]!.value!).toString('utf8')
    expect(yaml).toBe(await readFile(sandbox.handle.kubeconfigPath, 'utf8'))

    const kc = new KubeConfig()
    kc.loadFromString(yaml)
    expect(kc.getCurrentCluster()?.server).toBe(sandbox.handle.endpoints.kubernetes)
    const deployments = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'marketplace' })
    expect(deployments.items.map((d) => d.metadata?.name).sort()).toEqual(['marketplace-catalog-service', 'marketplace-order-worker'])
  })

  it('lists admin credentials (clusterAdmin) with the same kubeconfig', async () => {
    const client = aksClient(arm)
    const result = await client.managedClusters.listClusterAdminCredentials(RG, 'aks-marketplace-dev')
    expect(result.kubeconfigs?.[0]?.name).toBe('clusterAdmin')
    expect(Buffer.from(result.kubeconfigs![0]!.value!).toString('utf8')).toBe(await readFile(sandbox.handle.kubeconfigPath, 'utf8'))
  })

  it('answers 404 ResourceNotFound for a cluster marked missing and 403 AuthorizationFailed for one marked forbidden', async () => {
    const client = aksClient(arm)
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: 'aks-gone', state: 'ok' } })).status).toBe(200)
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: 'aks-gone', state: 'missing' } })).status).toBe(200)
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: 'aks-locked', state: 'forbidden' } })).status).toBe(200)
    expect((await raw(sandbox, 'GET', '/_sandbox/arm/clusters')).json()).toEqual({
      clusters: [
        { cluster: 'aks-locked', state: 'forbidden' },
        { cluster: 'aks-marketplace-dev', state: 'ok' },
        { cluster: 'aks-marketplace-local', state: 'ok' },
        { cluster: 'aks-marketplace-prod-neu', state: 'ok' },
        { cluster: 'aks-marketplace-prod-weu', state: 'ok' },
        { cluster: 'aks-marketplace-staging-weu', state: 'ok' },
      ],
    })

    const missing = await restErrorOf(client.managedClusters.get(RG, 'aks-gone'))
    expect(missing.statusCode).toBe(404)
    expect(missing.code).toBe('ResourceNotFound')
    expect(missing.message).toContain(`The Resource 'Microsoft.ContainerService/managedClusters/aks-gone' under resource group '${RG}' was not found.`)
    expect((await restErrorOf(client.managedClusters.listClusterUserCredentials(RG, 'AKS-GONE'))).statusCode).toBe(404)

    const forbidden = await restErrorOf(client.managedClusters.listClusterUserCredentials(RG, 'aks-locked'))
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.code).toBe('AuthorizationFailed')
    expect(forbidden.message).toContain("does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'")
    expect(forbidden.message).toContain(`over scope '/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-locked'`)
    expect((await restErrorOf(client.managedClusters.get(RG, 'aks-locked'))).statusCode).toBe(403)

    // Persisted in the control file; `ok` creates a cluster again.
    expect(JSON.parse(await readFile(join(dir, ARM_FILE), 'utf8')).clusters).toMatchObject({ 'aks-locked': 'forbidden' })
    expect(JSON.parse(await readFile(join(dir, ARM_FILE), 'utf8')).clusters['aks-gone']).toBeUndefined()
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: 'aks-gone', state: 'ok' } })).status).toBe(200)
    expect((await client.managedClusters.get(RG, 'aks-gone')).name).toBe('aks-gone')
    expect(JSON.parse(await readFile(join(dir, ARM_FILE), 'utf8')).clusters).toMatchObject({ 'aks-gone': 'ok', 'aks-locked': 'forbidden' })
  })

  it('validates control requests (400 Status) and requires the token', async () => {
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: 'x', state: 'gone' } })).status).toBe(400)
    expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster: '-bad-', state: 'missing' } })).status).toBe(400)
    expect((await raw(sandbox, 'GET', '/_sandbox/arm/clusters', { token: null })).status).toBe(401)
  })

  it('answers 401 InvalidAuthenticationToken for a wrong or missing token', async () => {
    const client = aksClient({ ...arm, credential: staticCredential('not-the-sandbox-token') })
    const error = await restErrorOf(client.managedClusters.get(RG, 'aks-marketplace-dev'))
    expect(error.statusCode).toBe(401)
    expect(error.code).toBe('InvalidAuthenticationToken')

    const path = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/c?api-version=2026-04-01`
    const anonymous = await armRaw(armUrl, sandbox.caCert, 'GET', path)
    expect(anonymous.status).toBe(401)
    expect(JSON.parse(anonymous.body)).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } })
  })

  it('accepts any api-version, refuses a missing one and unknown paths with ARM error JSON', async () => {
    const base = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-marketplace-local`
    expect((await armRaw(armUrl, sandbox.caCert, 'GET', `${base}?api-version=2019-08-01`, sandbox.handle.token)).status).toBe(200)
    expect((await armRaw(armUrl, sandbox.caCert, 'POST', `${base}/listClusterUserCredential?api-version=1999-01-01&server-fqdn=public`, sandbox.handle.token)).status).toBe(200)
    const noVersion = await armRaw(armUrl, sandbox.caCert, 'GET', base, sandbox.handle.token)
    expect(noVersion.status).toBe(400)
    expect(JSON.parse(noVersion.body)).toMatchObject({ error: { code: 'MissingApiVersionParameter' } })
    const unknown = await armRaw(armUrl, sandbox.caCert, 'GET', `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Web/sites/x?api-version=1`, sandbox.handle.token)
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'InvalidResourceType' } })
    expect((await armRaw(armUrl, sandbox.caCert, 'DELETE', `${base}?api-version=1`, sandbox.handle.token)).status).toBe(405)
  })

  it('applies the API fault rules: latency and an injected 503', async () => {
    const client = aksClient(arm)
    for (const cluster of ['slow', 'down']) expect((await raw(sandbox, 'POST', '/_sandbox/arm/clusters', { body: { cluster, state: 'ok' } })).status).toBe(200)
    const add = await raw(sandbox, 'POST', '/_sandbox/faults', { body: { id: 'arm-slow', pathPattern: '/subscriptions/**/managedClusters/slow', latencyMs: 300 } })
    expect(add.status).toBe(201)
    expect((await raw(sandbox, 'POST', '/_sandbox/faults', { body: { id: 'arm-down', pathPattern: '/subscriptions/**/managedClusters/down/**', status: 503, retryAfterSeconds: 1 } })).status).toBe(201)
    try {
      const started = Date.now()
      await client.managedClusters.get(RG, 'slow')
      expect(Date.now() - started).toBeGreaterThanOrEqual(280)
      const error = await restErrorOf(client.managedClusters.listClusterUserCredentials(RG, 'down'))
      expect(error.statusCode).toBe(503)
      expect(error.code).toBe('ServiceUnavailable')
      expect((await client.managedClusters.get(RG, 'down')).name).toBe('down')
    } finally {
      await raw(sandbox, 'DELETE', '/_sandbox/faults')
    }
  })

  it('keeps its port and the control file across a restart', async () => {
    const port = Number(new URL(armUrl).port)
    expect(Number((await readFile(join(dir, ARM_PORT_FILE), 'utf8')).trim())).toBe(port)
    await sandbox.handle.stop()
    sandbox = await startTestSandbox({}, dir)
    arm = await sandboxArm(sandbox)
    expect(arm.endpoint).toBe(armUrl)
    const client = aksClient(arm)
    expect((await restErrorOf(client.managedClusters.get(RG, 'aks-locked'))).statusCode).toBe(403)
    // Back to the default clusters: the ones created here (aks-locked, aks-gone, slow, down) are gone.
    expect((await raw(sandbox, 'DELETE', '/_sandbox/arm/clusters')).json()).toEqual({ deleted: 4 })
    expect((await restErrorOf(client.managedClusters.get(RG, 'aks-locked'))).statusCode).toBe(404)
    expect((await client.managedClusters.get(RG, 'aks-marketplace-local')).name).toBe('aks-marketplace-local')
  })
})
