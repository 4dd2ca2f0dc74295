// mkt config plan|push|get through the built CLI against the sandbox (Kubernetes and Key Vault), with a
// canary secret that must never leave Key Vault.
import { execFileSync } from 'node:child_process'
import { request as httpsRequest } from 'node:https'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, validateEnvelope, type RunResult } from '../helpers/cli.js'
import { sandboxRequest } from '../helpers/sandbox.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-config-e2e-'))
const project = mkdtempSync(join(tmpdir(), 'mkt-config-project-'))
const CANARY = 'canary-Zq8-never-print-me-7731'
const SECRET = 'marketplace-catalog-service--ConnectionStrings--Database'
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150', MKT_PROBE_INTERVAL_MS: '200', CATALOG_DB: CANARY }
const mkt = (...args: string[]) => runMkt(args, { env, cwd: project, timeoutMs: 120_000 })
let kubeconfig = ''
let kubectl = ''
const outputs: string[] = []
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const keep = (run: RunResult) => {
  outputs.push(run.stdout, run.stderr)
  return run
}
const fetchSandbox = async (path: string) => (await sandboxRequest(dataDir, 'GET', path)).text
const catalogFile = () => join(project, 'config', 'local', 'marketplace-catalog-service.yaml')

beforeAll(async () => {
  kubectl = await kubectlPath()
  expect((await mkt('init', '-q')).exitCode).toBe(0)
  kubeconfig = (parseEnvelope(await mkt('sandbox', 'start', '--json')).result as { kubeconfig: string }).kubeconfig
  kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s')
  // A fresh sandbox comes with the local configuration applied (ConfigMap, envFrom, Key Vault secret): undo that
  // for catalog, so these tests start from a component nothing was pushed for yet.
  kc('delete', 'configmap', 'marketplace-catalog-service-config')
  kc('patch', 'deployment', 'marketplace-catalog-service', '--type=json', '-p', '[{"op":"remove","path":"/spec/template/spec/containers/0/envFrom"}]')
  kc('rollout', 'status', 'deployment/marketplace-catalog-service', '--timeout=60s')
  for (const [method, path] of [['DELETE', `/secrets/${SECRET}`], ['DELETE', `/deletedsecrets/${SECRET}`]] as const) expect(await keyVaultRequest(method, path)).toBeLessThan(300)
})

/** A Key Vault REST call to the sandbox's vault with its token (what the SDK sends). */
function keyVaultRequest(method: string, path: string): Promise<number> {
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { endpoints: { keyVault: string } }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${state.endpoints.keyVault}${path}?api-version=7.5`, { method, ca: readFileSync(join(dataDir, 'ca.crt'), 'utf8'), headers: { authorization: `Bearer ${readFileSync(join(dataDir, 'token'), 'utf8').trim()}` } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

interface Plan {
  changed: boolean
  components: Array<{ component: string; data: { added: unknown[]; changed: Array<{ key: string }>; removed: unknown[] }; envFromWired: boolean; secrets: Array<{ name: string; state: string }> }>
}

describe('mkt config', () => {
  it('plan before anything is pushed: everything to add, the secret missing', async () => {
    const run = keep(await mkt('config', 'plan', '-c', 'catalog', '--json', '--exit-code'))
    expect(run.exitCode).toBe(2)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('config plan', envelope)).toEqual([])
    const [plan] = (envelope.result as Plan).components
    expect(plan!.envFromWired).toBe(false)
    expect(plan!.secrets).toEqual([{ name: SECRET, key: 'ConnectionStrings__Database', state: 'missing' }])
  })

  it('the first push writes the ConfigMap and the secret, changes no pod template, and says what to run', async () => {
    const template = () => kc('get', 'deployments', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.generation} {.spec.template}{"\\n"}{end}')
    const before = template()
    const push = keep(await mkt('config', 'push', '-c', 'catalog', '--from-env', `${SECRET}=CATALOG_DB`, '--json', '--verbose'))
    expect(push.exitCode, push.stderr).toBe(0)
    const result = parseEnvelope(push)
    expect(validateEnvelope('config push', result)).toEqual([])
    expect((result.result as { secrets: unknown[] }).secrets).toEqual([{ name: SECRET, outcome: 'created' }])
    expect((result.result as { configMaps: unknown[] }).configMaps).toMatchObject([{ component: 'marketplace-catalog-service', changed: true, envFromAdded: false, waitingForRestart: true }])
    expect(result.warnings.join('\n')).toContain('mkt config push --env local -c catalog --restart')
    const data = JSON.parse(kc('get', 'configmap', 'marketplace-catalog-service-config', '-o', 'jsonpath={.data}'))
    expect(data).toMatchObject({ MarketplaceCatalog__PageSize: '50', Logging__LogLevel__Default: 'Information' })
    expect(template()).toBe(before)

    const text = keep(await mkt('config', 'push', '-c', 'catalog'))
    expect(text.exitCode).toBe(0)
    expect(text.stderr).toMatch(/marketplace-catalog-service\) keeps running with its previous configuration: no pod template was changed/)
    expect(template()).toBe(before)
  })

  it('push --restart wires envFrom through a gated rollout; then plan has no changes', async () => {
    const push = keep(await mkt('config', 'push', '-c', 'catalog', '--restart', '--json'))
    expect(push.exitCode, push.stderr).toBe(0)
    const result = parseEnvelope(push).result as { configMaps: unknown[]; restarts: unknown[] }
    expect(result.configMaps).toMatchObject([{ envFromAdded: true, waitingForRestart: false }])
    expect(result.restarts).toMatchObject([{ component: 'marketplace-catalog-service', outcome: 'deployed' }])
    expect(kc('get', 'deployment/marketplace-catalog-service', '-o', 'jsonpath={.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')).toBe('marketplace-catalog-service-config')

    const plan = keep(await mkt('config', 'plan', '-c', 'catalog', '--exit-code', '--from-env', `${SECRET}=CATALOG_DB`, '--json'))
    expect(plan.exitCode).toBe(0)
    expect((parseEnvelope(plan).result as Plan).components[0]!.secrets[0]!.state).toBe('unchanged') // Key Vault holds the canary
  })

  it('changing one key changes exactly one ConfigMap entry', async () => {
    writeFileSync(catalogFile(), readFileSync(catalogFile(), 'utf8').replace('PageSize: 50', 'PageSize: 75'))
    const plan = keep(await mkt('config', 'plan', '-c', 'catalog', '--json'))
    const [component] = (parseEnvelope(plan).result as Plan).components
    expect(component!.data).toEqual({ added: [], changed: [{ key: 'MarketplaceCatalog__PageSize', from: '50', to: '75' }], removed: [] })
    expect(keep(await mkt('config', 'push', '-c', 'catalog')).exitCode).toBe(0)
    expect(kc('get', 'configmap', 'marketplace-catalog-service-config', '-o', 'jsonpath={.data.MarketplaceCatalog__PageSize}')).toBe('75')
  })

  it('re-pushing an unchanged secret creates no new version', async () => {
    const again = keep(await mkt('config', 'push', '-c', 'catalog', '--from-env', `${SECRET}=CATALOG_DB`, '--json'))
    expect((parseEnvelope(again).result as { secrets: unknown[] }).secrets).toEqual([{ name: SECRET, outcome: 'unchanged' }])
  })

  it('a secret name no configuration file references is refused (64) with the closest name, and nothing is written', async () => {
    const typo = SECRET.replace('Database', 'Databse')
    const run = keep(await mkt('config', 'push', '-c', 'catalog', '--from-env', `${typo}=CATALOG_DB`, '--json'))
    expect(run.exitCode, run.stderr).toBe(64)
    const error = parseEnvelope(run).error!
    expect(error.message).toBe(`secret ${typo} is referenced by no configuration file in config/local; nothing was written`)
    expect(error.hints[0]).toMatch(new RegExp(`^Did you mean "${SECRET}"`)) // closest first
    expect(error.hints[1]).toContain('--allow-unreferenced')
    expect(await keyVaultRequest('GET', `/secrets/${typo}`)).toBe(404)
    const plan = keep(await mkt('config', 'plan', '-c', 'catalog', '--from-env', `Bogus--Name=CATALOG_DB`))
    expect(plan.exitCode).toBe(64)
    expect(plan.stderr).toMatch(/^Error: secret Bogus--Name is referenced by no configuration file in config\/local; nothing was written$/m)
    const allowed = keep(await mkt('config', 'push', '-c', 'catalog', '--from-env', `${typo}=CATALOG_DB`, '--allow-unreferenced', '--json'))
    expect(allowed.exitCode, allowed.stderr).toBe(0)
    expect(await keyVaultRequest('GET', `/secrets/${typo}`)).toBe(200)
    await keyVaultRequest('DELETE', `/secrets/${typo}`)
    await keyVaultRequest('DELETE', `/deletedsecrets/${typo}`)
  })

  it('a secret soft-deleted earlier is recovered, not a 409', async () => {
    const { SecretClient } = await import('@azure/keyvault-secrets')
    const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { endpoints: { keyVault: string } }
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim()
    const client = new SecretClient(state.endpoints.keyVault, { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) }, {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: readFileSync(join(dataDir, 'ca.crt'), 'utf8') },
    } as never)
    await (await client.beginDeleteSecret(SECRET, { updateIntervalInMs: 100 } as never)).pollUntilDone()
    const stats = async () => JSON.parse(await fetchSandbox('/_sandbox/keyvault/stats')) as { versionsCreated: number }
    const before = (await stats()).versionsCreated
    const run = keep(await mkt('config', 'push', '-c', 'catalog', '--from-env', `${SECRET}=CATALOG_DB`, '--json'))
    expect(run.exitCode, run.stderr).toBe(0)
    expect((parseEnvelope(run).result as { secrets: unknown[] }).secrets).toEqual([{ name: SECRET, outcome: 'recovered' }])
    expect((await stats()).versionsCreated).toBe(before) // recovered, same value: no new version
    expect((await client.getSecret(SECRET)).value).toBe(CANARY)
  })

  it('get shows the effective configuration with the secret masked and where each value comes from', async () => {
    const run = keep(await mkt('config', 'get', 'catalog', '--json'))
    const entries = (parseEnvelope(run).result as { entries: Array<{ key: string; value: string; source: string }> }).entries
    expect(entries.find((e) => e.key === 'ConnectionStrings__Database')).toEqual({ key: 'ConnectionStrings__Database', value: '***', source: `Key Vault secret ${SECRET}` })
    expect(entries.find((e) => e.key === 'Logging__LogLevel__Default')!.source).toBe('local/_shared.yaml')
  })

  it('bad files exit 65 naming file, line and key, and nothing is written', async () => {
    const before = kc('get', 'configmap', 'marketplace-catalog-service-config', '-o', 'jsonpath={.data}')
    const original = readFileSync(catalogFile(), 'utf8')
    writeFileSync(catalogFile(), `${original}Auth:\n  ClientSecret: ${CANARY}\n`)
    const literal = keep(await mkt('config', 'push', '-c', 'catalog'))
    expect(literal.exitCode).toBe(65)
    expect(literal.stderr).toMatch(/marketplace-catalog-service\.yaml:\d+:\d+: Auth\.ClientSecret: looks like a secret/)
    writeFileSync(catalogFile(), original.replace('PageSize: 75', 'PageSize: 9000'))
    const schema = keep(await mkt('config', 'push', '-c', 'catalog'))
    expect(schema.exitCode).toBe(65) // the catalog schema caps PageSize at 500
    writeFileSync(join(project, 'config', 'local', 'no-such-component.yaml'), 'A: 1\n')
    expect(keep(await mkt('config', 'push')).exitCode).toBe(65)
    expect(kc('get', 'configmap', 'marketplace-catalog-service-config', '-o', 'jsonpath={.data}')).toBe(before)
    writeFileSync(catalogFile(), original)
    execFileSync('rm', [join(project, 'config', 'local', 'no-such-component.yaml')])
  })

  it('--restart rolls the component through the gates; a bad rollout is rolled back (exit 80)', async () => {
    writeFileSync(catalogFile(), readFileSync(catalogFile(), 'utf8').replace('PageSize: 75', 'PageSize: 80'))
    const good = keep(await mkt('config', 'push', '-c', 'catalog', '--restart', '--bake', '0s', '--json'))
    expect(good.exitCode, good.stderr).toBe(0)
    expect((parseEnvelope(good).result as { restarts: Array<{ outcome: string }> }).restarts).toMatchObject([{ outcome: 'deployed' }])

    // A bad configuration: pods of the new checksum never become ready; the old ones (and the rollback) are fine.
    writeFileSync(catalogFile(), readFileSync(catalogFile(), 'utf8').replace('PageSize: 80', 'PageSize: 90'))
    const planned = parseEnvelope(await mkt('config', 'plan', '-c', 'catalog', '--json')).result as { components: Array<{ checksum: string }> }
    const checksum = planned.components[0]!.checksum
    expect((await mkt('sandbox', 'fault', 'set', 'catalog', '--pod-annotation', `mkt.dev/config-checksum=${checksum}`, '--not-ready')).exitCode).toBe(0)
    const bad = keep(await mkt('config', 'push', '-c', 'catalog', '--restart', '--bake', '0s', '--timeout', '4s', '--json'))
    expect(bad.exitCode).toBe(80)
    expect(parseEnvelope(bad).error!.code).toBe('ROLLED_BACK')
    expect(kc('get', 'deployment/marketplace-catalog-service', '-o', 'jsonpath={.spec.template.metadata.annotations.mkt\\.dev/config-checksum}')).not.toBe(checksum)
    await mkt('sandbox', 'fault', 'clear')
  })

  it('a --restart revision carries its own time, author and change-cause, not the earlier deploy\'s', async () => {
    const deploy = keep(await mkt('deploy', 'service', 'catalog', '--image', '2.0.0', '--reason', 'PRJ-42 facets', '--bake', '0s'))
    expect(deploy.exitCode, deploy.stderr).toBe(0)
    writeFileSync(catalogFile(), readFileSync(catalogFile(), 'utf8').replace(/PageSize: \d+/, 'PageSize: 95'))
    const push = keep(await mkt('config', 'push', '-c', 'catalog', '--restart', '--reason', 'PRJ-43 page size', '--json'))
    expect(push.exitCode, push.stderr).toBe(0)
    const revisions = (parseEnvelope(await mkt('history', 'catalog', '--json')).result as {
      regions: Array<{ revisions: Array<{ revision: number; current: boolean; image: string; verdict: string; reason: string | null; deployedAt: string | null; deployedBy: string | null; changeCause: string | null }> }>
    }).regions[0]!.revisions
    const restart = revisions.find((r) => r.current)!
    const released = revisions.find((r) => r.reason === 'PRJ-42 facets')!
    expect(restart.revision).toBeGreaterThan(released.revision)
    expect(restart).toMatchObject({ verdict: 'passed', reason: 'PRJ-43 page size' })
    expect(restart.changeCause).toMatch(/^mkt config push --restart [0-9a-f]+ by .+@.+: PRJ-43 page size$/)
    expect(restart.deployedBy).toMatch(/@/)
    expect(Date.parse(restart.deployedAt!)).toBeGreaterThan(Date.parse(released.deployedAt!))
    expect(released.verdict).toBe('passed')
    expect(kc('rollout', 'history', 'deployment/marketplace-catalog-service')).toContain(`${restart.revision}         ${restart.changeCause}`)
  }, 180_000)

  it('the canary secret never appears in any output, ConfigMap, annotation or object', () => {
    const objects = kc('get', 'configmaps,deployments,replicasets,pods,events', '-o', 'json')
    for (const text of [...outputs, objects]) expect(text).not.toContain(CANARY)
    // the sandbox's own log and state files (other than the vault's) do not carry it either
    const files = readdirSync(dataDir).filter((f) => !/keyvault/i.test(f) && f !== 'pgdata')
    for (const file of files) {
      const content = (() => {
        try {
          return readFileSync(join(dataDir, file), 'utf8')
        } catch {
          return '' // a directory
        }
      })()
      expect(content, file).not.toContain(CANARY)
    }
  })
})
