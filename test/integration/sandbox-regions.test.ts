// Regional clusters of one sandbox (issue #19), driven by REAL clients: @kubernetes/client-node through each
// region's kubeconfig, and ContainerServiceClient against the sandbox ARM endpoint.
import { rm } from 'node:fs/promises'
import { ContainerServiceClient } from '@azure/arm-containerservice'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { armClient, clientsFor, makeTempDir, raw, sandboxArm, startTestSandbox, type TestSandbox } from './sandbox-helpers.js'

interface RegionView {
  region: string
  endpoint: string
  kubeconfigPath: string
  context: string
  up: boolean
}

let sandbox: TestSandbox
const seed = [{ name: 'pricing-service', kind: 'service' as const, port: 8080, image: 'pricing-service:1.0.0' }]
const ensure = async (region: string) => (await raw(sandbox, 'POST', '/_sandbox/regions', { body: { region } })).json() as { region: RegionView }

beforeAll(async () => {
  sandbox = await startTestSandbox({ seed })
}, 60_000)

afterAll(async () => {
  await sandbox?.stop()
})

describe('regional clusters', () => {
  it('start on first use, seeded, each with its own API, objects and kubeconfig context', async () => {
    expect((await raw(sandbox, 'GET', '/_sandbox/regions')).json()).toEqual({ regions: [] })
    const [{ region: west }, { region: north }] = await Promise.all([ensure('westeurope'), ensure('northeurope')])
    expect(west.endpoint).not.toBe(north.endpoint)
    expect(west.endpoint).not.toBe(sandbox.handle.endpoints.kubernetes)
    expect(west.context).toBe('mkt-sandbox-westeurope')
    const westClients = clientsFor(west.kubeconfigPath)
    const northClients = clientsFor(north.kubeconfigPath)
    expect(westClients.kc.getCurrentContext()).toBe('mkt-sandbox-westeurope')
    expect((await westClients.apps.readNamespacedDeployment({ name: 'pricing-service', namespace: 'marketplace' })).spec?.template.spec?.containers[0]?.image).toBe('pricing-service:1.0.0')
    // Independent stores: a change in one region is not seen in the other (nor in the main cluster).
    await westClients.core.createNamespacedConfigMap({ namespace: 'marketplace', body: { metadata: { name: 'only-in-west' } } })
    await expect(northClients.core.readNamespacedConfigMap({ name: 'only-in-west', namespace: 'marketplace' })).rejects.toMatchObject({ code: 404 })
    await expect(sandbox.core.readNamespacedConfigMap({ name: 'only-in-west', namespace: 'marketplace' })).rejects.toMatchObject({ code: 404 })
    // A second ensure is the same cluster.
    expect((await ensure('westeurope')).region.endpoint).toBe(west.endpoint)
    expect(((await raw(sandbox, 'GET', '/_sandbox/regions')).json() as { regions: RegionView[] }).regions.map((r) => r.region).sort()).toEqual(['northeurope', 'westeurope'])
  })

  it('refuse `local` (the main cluster) and names that are not region names', async () => {
    expect((await raw(sandbox, 'POST', '/_sandbox/regions', { body: { region: 'local' } })).status).toBe(400)
    expect((await raw(sandbox, 'POST', '/_sandbox/regions', { body: { region: '../etc' } })).status).toBe(400)
  })

  it('down refuses connections like a dead API server; up brings the API back on the same port', async () => {
    const { region: north } = await ensure('northeurope')
    const down = (await raw(sandbox, 'POST', '/_sandbox/regions/down', { body: { region: 'northeurope' } })).json() as { region: RegionView }
    expect(down.region.up).toBe(false)
    const clients = clientsFor(north.kubeconfigPath)
    await expect(clients.core.listNamespace()).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    const up = (await raw(sandbox, 'POST', '/_sandbox/regions/up', { body: { region: 'northeurope' } })).json() as { region: RegionView }
    expect(up.region).toEqual({ ...north, up: true })
    expect((await clients.core.listNamespace()).items.map((n) => n.metadata?.name)).toContain('marketplace')
  })

  it('are listed by the sandbox ARM as AKS clusters in their region, whose credentials reach that region', async () => {
    const { region: north } = await ensure('northeurope')
    const client = armClient(ContainerServiceClient, '11111111-2222-3333-4444-555555555555', await sandboxArm(sandbox))
    const cluster = await client.managedClusters.get('rg-marketplace-local', 'aks-marketplace-local-northeurope')
    expect(cluster.location).toBe('northeurope')
    const credentials = await client.managedClusters.listClusterUserCredentials('rg-marketplace-local', 'aks-marketplace-local-northeurope')
    const kc = new KubeConfig()
    kc.loadFromString(Buffer.from(credentials.kubeconfigs![0]!.value!).toString('utf8'))
    expect(kc.getCurrentCluster()?.server).toBe(north.endpoint)
    expect(((await raw(sandbox, 'GET', '/_sandbox/arm/clusters')).json() as { clusters: Array<{ cluster: string }> }).clusters.map((c) => c.cluster)).toContain('aks-marketplace-local-westeurope')
  })

  it('come back on the next start, in the background, on their ports and with a down API still down', async () => {
    const dir = await makeTempDir()
    const first = await startTestSandbox({ seed }, dir)
    const call = (target: TestSandbox, path: string, region?: string) => raw(target, region === undefined ? 'GET' : 'POST', path, region === undefined ? {} : { body: { region } })
    let views: RegionView[]
    try {
      const west = ((await call(first, '/_sandbox/regions', 'westeurope')).json() as { region: RegionView }).region
      const north = ((await call(first, '/_sandbox/regions/down', 'northeurope')).json() as { region: RegionView }).region
      views = [west, north]
    } finally {
      await first.stop()
    }
    const second = await startTestSandbox({ seed }, dir)
    try {
      const deadline = Date.now() + 10_000
      let listed: RegionView[] = []
      while (Date.now() < deadline && listed.length < 2) {
        listed = ((await call(second, '/_sandbox/regions')).json() as { regions: RegionView[] }).regions
        if (listed.length < 2) await new Promise((r) => setTimeout(r, 100))
      }
      expect(listed.sort((a, b) => a.region.localeCompare(b.region))).toEqual([views[1], views[0]])
      await expect(clientsFor(views[1]!.kubeconfigPath).core.listNamespace()).rejects.toMatchObject({ code: 'ECONNREFUSED' })
      expect((await clientsFor(views[0]!.kubeconfigPath).apps.readNamespacedDeployment({ name: 'pricing-service', namespace: 'marketplace' })).metadata?.name).toBe('pricing-service')
    } finally {
      await second.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
