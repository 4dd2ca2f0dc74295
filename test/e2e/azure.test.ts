// Azure environments through the built CLI: an environment configured exactly like a real AKS one
// (subscription, resource group, cluster, an ARM endpoint override) reaches the sandbox through the
// ARM path (@azure/arm-containerservice listClusterUserCredentials), with a static test credential.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { sandboxRequest } from '../helpers/sandbox.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-azure-e2e-'))
const project = mkdtempSync(join(tmpdir(), 'mkt-azure-project-'))
const base = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150' }
let azureEnv: Record<string, string> = {}
const mkt = (...args: string[]) => runMkt(args, { env: { ...base, ...azureEnv }, cwd: project, timeoutMs: 60_000 })

function writeConfig(armUrl: string) {
  const yaml = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8').replace(
    'environments:\n',
    `environments:
  - name: sandbox-azure
    description: Like a real AKS environment, pointed at the sandbox's ARM endpoint
    regions:
      - name: westeurope
        aks: { subscription: 11111111-2222-3333-4444-555555555555, resourceGroup: rg-marketplace-test, cluster: aks-marketplace-test }
        namespace: marketplace
    endpoints: { arm: "${armUrl}" }
  - name: sandbox-typo
    regions:
      - name: westeurope
        aks: { subscription: 11111111-2222-3333-4444-555555555555, resourceGroup: rg-marketplace-test, cluster: aks-marketplace-tset }
        namespace: marketplace
    endpoints: { arm: "${armUrl}" }
  - name: azure-unreachable
    regions:
      - name: westeurope
        aks: { subscription: 11111111-2222-3333-4444-555555555555, resourceGroup: rg, cluster: aks-gone }
    endpoints: { arm: "https://127.0.0.1:9" }
`,
  )
  writeFileSync(join(project, 'mkt.yaml'), yaml)
}

const control = async (method: string, path: string, body?: unknown) => (await sandboxRequest(dataDir, method, path, body)).status

beforeAll(async () => {
  writeConfig('https://127.0.0.1:1')
  const start = await runMkt(['sandbox', 'start', '--json'], { env: base, cwd: project })
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { endpoints: { arm: string } }
  expect(start.exitCode).toBe(0)
  writeConfig(state.endpoints.arm)
  // The sandbox ARM has only its own clusters: create the one this environment names, as on Azure.
  expect(await control('POST', '/_sandbox/arm/clusters', { cluster: 'aks-marketplace-test', state: 'ok' })).toBe(200)
  // What a pipeline would have: the endpoint's CA trusted by Node, and a token (here the sandbox's).
  azureEnv = { NODE_EXTRA_CA_CERTS: join(dataDir, 'ca.crt'), MKT_AZURE_ACCESS_TOKEN: readFileSync(join(dataDir, 'token'), 'utf8').trim() }
})

afterAll(async () => {
  await runMkt(['sandbox', 'stop'], { env: base, cwd: project })
})

describe('Azure environments', () => {
  it('mkt health --env sandbox-azure works through ARM credentials', async () => {
    let run = await mkt('health', '--env', 'sandbox-azure', '--json')
    for (let i = 0; i < 20 && run.exitCode !== 0; i++) {
      await new Promise((r) => setTimeout(r, 300))
      run = await mkt('health', '--env', 'sandbox-azure', '--json')
    }
    expect(run.exitCode, run.stdout).toBe(0)
    const model = parseEnvelope(run).result as { counts: Record<string, number>; regions: Array<{ region: string; reachable: boolean }> }
    expect(model.regions).toEqual([expect.objectContaining({ region: 'westeurope', reachable: true })])
    expect(model.counts.Healthy).toBe(16)
  })

  it('a 403 from ARM exits 77 naming the cluster and the role it lacks', async () => {
    expect(await control('POST', '/_sandbox/arm/clusters', { cluster: 'aks-marketplace-test', state: 'forbidden' })).toBe(200)
    const run = await mkt('deploy', 'service', 'catalog', '--env', 'sandbox-azure', '--image', '9.9.9', '--plan', '--json')
    expect(run.exitCode).toBe(77)
    const error = parseEnvelope(run).error!
    expect(error.message).toMatch(/permission denied on AKS aks-marketplace-test \(environment sandbox-azure, region westeurope\)/)
    expect(error.hints.join(' ')).toContain('Azure Kubernetes Service Cluster User Role')
    expect(await control('POST', '/_sandbox/arm/clusters', { cluster: 'aks-marketplace-test', state: 'ok' })).toBe(200)
  })

  it('an Entra ID (AAD) cluster: mkt mints the Kubernetes token itself instead of running kubelogin', async () => {
    expect(await control('POST', '/_sandbox/arm/clusters', { cluster: 'aks-marketplace-test', state: 'aad' })).toBe(200)
    try {
      // The kubeconfig from ARM now has a kubelogin exec user and no token; there is no kubelogin on this machine.
      const run = await mkt('history', 'catalog', '--env', 'sandbox-azure', '--json')
      expect(run.exitCode, run.stdout + run.stderr).toBe(0)
      expect((parseEnvelope(run).result as { regions: Array<{ revisions: unknown[] }> }).regions[0]!.revisions.length).toBeGreaterThan(0)
    } finally {
      await control('POST', '/_sandbox/arm/clusters', { cluster: 'aks-marketplace-test', state: 'ok' })
    }
  })

  it('a mistyped cluster is 404 ResourceNotFound from the sandbox ARM, as on Azure: exit 78 naming the cluster', async () => {
    const run = await mkt('history', 'catalog', '--env', 'sandbox-typo', '--json')
    expect(run.exitCode, run.stdout).toBe(78)
    const error = parseEnvelope(run).error!
    expect(error.message).toContain('aks-marketplace-tset')
    expect(error.message).toContain('was not found')
  })

  it('an unreachable ARM endpoint exits 69, naming it (bounded retries: about a second here)', async () => {
    const run = await mkt('login', '--env', 'azure-unreachable', '--json')
    expect(run.exitCode).toBe(69)
    expect(parseEnvelope(run).error!.message).toMatch(/cannot reach Azure Resource Manager at https:\/\/127\.0\.0\.1:9/)
  })

  it('mkt login --env local is all green; --json validates', async () => {
    const run = await runMkt(['login', '--json'], { env: base, cwd: project })
    expect(run.exitCode, run.stdout).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('login', envelope)).toEqual([])
    const checks = (envelope.result as { checks: Array<{ check: string; status: string }> }).checks
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['cluster', 'ok'],
      ['serviceBus', 'ok'],
      ['keyVault', 'ok'],
      ['database', 'ok'],
    ])
  })
})
