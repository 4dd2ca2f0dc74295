// `mkt release` across both runtimes, through the built CLI with default flags: an environment whose primary
// region runs on Kubernetes (westeurope, a regional cluster of the sandbox) and whose second region runs on
// Azure Container Apps (aca, the sandbox's ARM endpoint). Observed with kubectl and the real ContainerAppsAPIClient:
// - the plan names both runtimes' gates and the home of the record (the Kubernetes region), and that the
//   configuration goes to the Kubernetes region's ConfigMap only (on Container Apps it lives on the app);
// - a release rolls Deployments and container app revisions in one run, records both, verifies the roll-up;
// - a release whose image is never ready on Container Apps only (a fault on the sandbox's main cluster, which
//   serves the container apps, not westeurope's pods) fails in its last wave and the one compensation step returns
//   every component in both runtimes: Deployments to their ReplicaSet, container apps by traffic (exit 80);
// - `mkt release rollback` returns the first release's components in both runtimes to what ran before it;
// - on Container Apps alone (the built-in `containerapps` environment) release plan shows why it cannot run and
//   release run exits 78, changing nothing; SQL migrations run there, Job migrations say to use --sql.
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ContainerAppsAPIClient, Revision } from '@azure/arm-appcontainers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_RESOURCE_GROUP, sandboxContainerAppsClient } from '../helpers/sandbox.js'
import { parseEnvelope, repoRoot, runMkt, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-release-runtimes-e2e-'))
const project = mkdtempSync(join(tmpdir(), 'mkt-release-runtimes-project-'))
const env = { MKT_SANDBOX_DIR: dataDir }
const mkt = (...args: string[]) => runMkt(args, { env, cwd: project, timeoutMs: 300_000 })
const RG = SANDBOX_RESOURCE_GROUP
const TWO = ['marketplace-catalog-service', 'marketplace-search-service']
let client: ContainerAppsAPIClient
let kubectl = ''
let kubeconfig = ''
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const deploymentImage = (name: string) => kc('get', `deployment/${name}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}')

interface RecordJson {
  id: string
  status: string
  exitCode: number | null
  primaryRegion: string
  regions: string[]
  steps: Array<{ name: string; status: string }>
  items: Array<{ wave: number; region: string; component: string; from: string; to: string; outcome: string }>
}

/** The built-in mkt.yaml with a `hybrid` environment: westeurope on Kubernetes (primary), aca on Container Apps. */
function writeProject() {
  const platform = readFileSync(join(repoRoot, 'templates', 'mkt.yaml'), 'utf8').replace(
    '\ndefaults:',
    `
  - name: hybrid
    description: AKS primary region plus a Container Apps region
    regions:
      - name: westeurope
        primary: true
        sandbox: true
        namespace: marketplace
      - name: aca
        sandbox: true
        containerApps:
          subscription: 00000000-0000-0000-0000-000000000000
          resourceGroup: ${RG}
          environment: cae-marketplace-local
    serviceBus: { sandbox: true }
    keyVault: { sandbox: true }
    database:
      engine: postgresql
      url: { sandbox: true }

defaults:`,
  )
  writeFileSync(join(project, 'mkt.yaml'), platform)
  // hybrid's configuration: local's, with catalog's page size changed (the first release pushes it).
  cpSync(join(repoRoot, 'templates', 'config', 'local'), join(project, 'config', 'hybrid'), { recursive: true })
  const catalog = join(project, 'config', 'hybrid', 'marketplace-catalog-service.yaml')
  writeFileSync(catalog, readFileSync(catalog, 'utf8').replace('PageSize: 50', 'PageSize: 100'))
}

/** release.yaml for catalog and search at `version`, pushing catalog's configuration (with a restart). */
function manifest(version: string): string {
  const path = join(project, `release-${version}.yaml`)
  writeFileSync(path, `name: marketplace\nversion: ${version}\nenvironment: hybrid\nconfiguration:\n  components: [catalog]\n  restart: true\ncomponents:\n  catalog:\n    image: ${version}\n  search:\n    image: ${version}\n`)
  return path
}
const pageSize = () => kc('get', 'configmap', 'marketplace-catalog-service-config', '-o', 'jsonpath={.data.MarketplaceCatalog__PageSize}')

async function revisions(app: string): Promise<Revision[]> {
  const all: Revision[] = []
  for await (const r of client.containerAppsRevisions.listRevisions(RG, app)) all.push(r)
  return all
}

/** What a container app serves: the image of each revision with traffic, and the images of its active revisions. */
async function serving(app: string) {
  const [current, all] = await Promise.all([client.containerApps.get(RG, app), revisions(app)])
  const imageOf = (name: string | undefined) => all.find((r) => r.name === name)?.template?.containers?.[0]?.image
  const traffic = (current.configuration?.ingress?.traffic ?? []).filter((t) => (t.weight ?? 0) > 0).map((t) => ({ image: imageOf(t.revisionName), weight: t.weight }))
  return { traffic, active: all.filter((r) => r.active).map((r) => r.template?.containers?.[0]?.image), tags: current.tags ?? {} }
}

async function run(file: string) {
  const result = await mkt('release', 'run', '-f', file, '--yes', '--json')
  const envelope = parseEnvelope(result)
  expect(validateEnvelope('release run', envelope)).toEqual([])
  return { ...result, record: (envelope.result as { record: RecordJson }).record, envelope }
}

let first = ''

beforeAll(async () => {
  kubectl = await kubectlPath()
  writeProject()
  const start = await mkt('sandbox', 'start', '--json')
  expect(start.exitCode, start.stderr).toBe(0)
  client = await sandboxContainerAppsClient(dataDir)
}, 180_000)

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('mkt release across Kubernetes and Container Apps', () => {
  it('plan: both runtimes, their gates, and the record kept in the Kubernetes region', async () => {
    const plan = await mkt('release', 'plan', '-f', manifest('2.0.0'))
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stdout).toContain('to hybrid (westeurope, aca; primary westeurope)')
    expect(plan.stdout).toMatch(/wave 3 aca\/marketplace-catalog-service: marketplace-catalog-service:1\.0\.0 -> marketplace-catalog-service:2\.0\.0 rolling/)
    expect(plan.stdout).toContain('Kubernetes regions:')
    expect(plan.stdout).toContain("Container Apps regions (aca): a new revision, the traffic moved to it (canary: step by step)")
    expect(plan.stdout).not.toContain('Blocked')
    // Configuration goes to the Kubernetes region's ConfigMap; on Container Apps it lives on the app, and the plan says so.
    expect(plan.stdout).toMatch(/westeurope\/marketplace-catalog-service: marketplace-catalog-service-config \+0 ~1 -0 keys/)
    expect(plan.stdout).not.toMatch(/aca\/marketplace-catalog-service: marketplace-catalog-service-config/)
    expect(plan.stdout).toContain('note: configuration not pushed here: on Container Apps it lives on the container app')
    // The first command on the environment started westeurope's regional cluster.
    const regions = parseEnvelope(await mkt('sandbox', 'region', 'list', '--json')).result as { regions: Array<{ region: string; kubeconfigPath: string }> }
    kubeconfig = regions.regions.find((r) => r.region === 'westeurope')!.kubeconfigPath
    expect(TWO.map(deploymentImage)).toEqual(TWO.map((c) => `${c}:1.0.0`))
    expect(pageSize()).toBe('50')
  }, 300_000)

  it('a release rolls Deployments and container app revisions in one run and records both (exit 0)', async () => {
    const result = await run(manifest('2.0.0'))
    expect(result.exitCode, result.stderr).toBe(0)
    const { record } = result
    first = record.id
    expect(record).toMatchObject({ status: 'succeeded', exitCode: 0, primaryRegion: 'westeurope', regions: ['westeurope', 'aca'] })
    expect(record.items.map((i) => [i.wave, i.region, i.component, i.outcome])).toEqual([
      [1, 'westeurope', 'marketplace-catalog-service', 'deployed'],
      [2, 'westeurope', 'marketplace-search-service', 'deployed'],
      [3, 'aca', 'marketplace-catalog-service', 'deployed'],
      [4, 'aca', 'marketplace-search-service', 'deployed'],
    ])
    expect(record.steps.find((s) => s.name === 'verify')!.status).toBe('succeeded')
    expect(record.steps.find((s) => s.name === 'configuration')!.status).toBe('succeeded')
    expect(pageSize()).toBe('100')
    expect(TWO.map(deploymentImage)).toEqual(TWO.map((c) => `${c}:2.0.0`))
    for (const app of TWO) {
      const now = await serving(app)
      expect(now.traffic).toEqual([{ image: `${app}:2.0.0`, weight: 100 }])
      expect(now.active).toEqual([`${app}:2.0.0`])
    }
    // One history, both runtimes: the new revision is verified in each region.
    const history = await mkt('history', 'catalog', '--env', 'hybrid', '--json')
    expect(history.exitCode, history.stderr).toBe(0)
    const regions = (parseEnvelope(history).result as { regions: Array<{ region: string; revisions: Array<{ image: string; current: boolean; verdict: string }> }> }).regions
    expect(regions.map((r) => [r.region, r.revisions.find((v) => v.current)])).toEqual([
      ['westeurope', expect.objectContaining({ image: 'marketplace-catalog-service:2.0.0', verdict: 'passed' })],
      ['aca', expect.objectContaining({ image: 'marketplace-catalog-service:2.0.0', verdict: 'passed' })],
    ])
  }, 300_000)

  it('never ready on Container Apps only: the last wave fails and every component in both runtimes is rolled back (exit 80)', async () => {
    // The sandbox's main cluster serves the container apps; westeurope's pods have their own faults.
    const fault = await mkt('sandbox', 'fault', 'set', 'search', '--image-tag', '3.0.0', '--not-ready')
    expect(fault.exitCode, fault.stderr).toBe(0)
    const result = await run(manifest('3.0.0'))
    expect(result.exitCode, result.stderr).toBe(80)
    const { record } = result
    expect(record).toMatchObject({ status: 'rolled-back', exitCode: 80 })
    expect(record.items.map((i) => [i.region, i.component, i.outcome])).toEqual([
      ['westeurope', 'marketplace-catalog-service', 'rolled-back'],
      ['westeurope', 'marketplace-search-service', 'rolled-back'],
      ['aca', 'marketplace-catalog-service', 'rolled-back'],
      ['aca', 'marketplace-search-service', 'rolled-back'],
    ])
    expect((result.envelope as { error?: { message: string } }).error?.message).toMatch(/^release \S+ failed and every component it changed was rolled back: aca\/marketplace-search-service: .*not ready/)
    // Kubernetes: the Deployments run 2.0.0 again. Container Apps: 100% back on the 2.0.0 revision, 3.0.0 deactivated.
    expect(TWO.map(deploymentImage)).toEqual(TWO.map((c) => `${c}:2.0.0`))
    for (const app of TWO) {
      const now = await serving(app)
      expect(now.traffic).toEqual([{ image: `${app}:2.0.0`, weight: 100 }])
      expect(now.active).toEqual([`${app}:2.0.0`])
      expect(now.tags['mkt-lock']).toBeUndefined()
    }
    const history = parseEnvelope(await mkt('history', 'search', '--env', 'hybrid', '--json')).result as { regions: Array<{ region: string; revisions: Array<{ image: string; verdict: string }> }> }
    for (const region of history.regions) expect(region.revisions.find((r) => r.image === 'marketplace-search-service:3.0.0')?.verdict, region.region).toBe('rolled-back')
    // The record lives in the Kubernetes region and says what happened.
    const status = await mkt('release', 'status', '--env', 'hybrid', '--json')
    expect(status.exitCode, status.stderr).toBe(0)
    expect(parseEnvelope(status).result).toMatchObject({ id: record.id, status: 'rolled-back', exitCode: 80, primaryRegion: 'westeurope' })
    expect(kc('get', 'configmap', `mkt-release-${record.id}`, '-o', 'jsonpath={.metadata.labels.mkt\\.dev/release-status}')).toBe('rolled-back')
    expect(kc('get', 'lease', '-o', 'name')).not.toMatch(/release|marketplace-(catalog|search)-service/)
  }, 420_000)

  it('mkt release rollback returns the first release in both runtimes to what ran before it', async () => {
    const back = await mkt('release', 'rollback', first, '--env', 'hybrid', '--yes', '--json')
    expect(back.exitCode, back.stderr).toBe(0)
    const result = parseEnvelope(back).result as { record: RecordJson }
    expect(result.record.items.map((i) => [i.region, i.component, i.outcome])).toEqual([
      ['westeurope', 'marketplace-catalog-service', 'rolled-back'],
      ['westeurope', 'marketplace-search-service', 'rolled-back'],
      ['aca', 'marketplace-catalog-service', 'rolled-back'],
      ['aca', 'marketplace-search-service', 'rolled-back'],
    ])
    expect(TWO.map(deploymentImage)).toEqual(TWO.map((c) => `${c}:1.0.0`))
    expect(pageSize()).toBe('50')
    for (const app of TWO) expect((await serving(app)).traffic).toEqual([{ image: `${app}:1.0.0`, weight: 100 }])
    const health = await mkt('health', '--env', 'hybrid', '--json')
    expect(health.exitCode, health.stderr).toBe(0)
  }, 300_000)

  it('on Container Apps alone: plan says why a release cannot run there, run exits 78 and changes nothing', async () => {
    const file = manifest('4.0.0')
    const before = await Promise.all(TWO.map(async (app) => (await revisions(app)).length))
    const plan = await mkt('release', 'plan', '-f', file, '--env', 'containerapps')
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stdout).toContain('Blocked: `mkt release run` refuses this release, changing nothing')
    expect(plan.stdout).toContain('environment containerapps has no Kubernetes region to keep the release record and lock in')
    const refused = await mkt('release', 'run', '-f', file, '--env', 'containerapps', '--yes')
    expect(refused.exitCode).toBe(78)
    expect(refused.stderr.split('\n')[0]).toBe('Error: environment containerapps has no Kubernetes region to keep the release record and lock in (a ConfigMap and a Lease): mkt release cannot run on Container Apps alone')
    expect(await Promise.all(TWO.map(async (app) => (await revisions(app)).length))).toEqual(before)
  }, 120_000)

  it('on Container Apps alone: SQL migrations run (they need only the database); Job migrations exit 78 naming --sql', async () => {
    mkdirSync(join(project, 'migrations'))
    for (const file of readdirSync(join(repoRoot, 'templates', 'migrations')).filter((f) => f.endsWith('.sql'))) copyFileSync(join(repoRoot, 'templates', 'migrations', file), join(project, 'migrations', file))
    const migrated = await mkt('migrate', 'run', '--sql', 'migrations', '--env', 'containerapps', '--yes', '--json')
    expect(migrated.exitCode, migrated.stderr).toBe(0)
    expect((parseEnvelope(migrated).result as { sql: { databaseVersion: number } }).sql.databaseVersion).toBe(7)
    const jobs = await mkt('migrate', 'status', '--env', 'containerapps')
    expect(jobs.exitCode).toBe(78)
    expect(jobs.stderr).toContain('environment containerapps has no Kubernetes region to run the migrations Job in')
    expect(jobs.stderr).toContain('mkt migrate status --sql <dir>')
  }, 120_000)
})
