// mkt release (plan, run, status, history, rollback, --resume, pipelines, GitOps) through the built CLI against
// the sandbox, with default flags: three components in two dependsOn waves (catalog, then search + reviews),
// SQL migrations and a configuration push.
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binPath, cleanEnv, parseEnvelope, repoRoot, runMkt, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-release-manifest-e2e-'))
const work = mkdtempSync(join(tmpdir(), 'mkt-release-manifest-work-'))
const env = { MKT_SANDBOX_DIR: dataDir }
const mkt = (args: string[], extra: Record<string, string | undefined> = {}) => runMkt(args, { env: { ...env, ...extra }, cwd: work, timeoutMs: 300_000 })
let kubeconfig = ''
let kubectl = ''
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const imageOf = (deployment: string) => kc('get', `deployment/${deployment}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}')
const THREE = ['marketplace-catalog-service', 'marketplace-search-service', 'review-rating-service']
const imagesOfThree = () => THREE.map(imageOf)

interface RecordJson {
  id: string
  status: string
  exitCode: number | null
  failure: string | null
  attempts: number
  steps: Array<{ name: string; status: string; detail: string }>
  migrations: { applied: Array<{ version: number; name: string }>; forwardOnly: boolean } | null
  configuration: Array<{ component: string; changed: boolean }>
  items: Array<{ wave: number; component: string; from: string; to: string; outcome: string; changes: string[] }>
}

/** A release.yaml for the three components at `tag`, with the SQL migrations and catalog's configuration. */
function manifest(file: string, tag: string, extra = ''): string {
  const path = join(work, file)
  writeFileSync(
    path,
    `name: marketplace
version: ${tag}
migrations:
  sql: migrations
configuration:
  components: [catalog]
components:
  catalog:
    image: ${tag}
  search:
    image: ${tag}
  reviews:
    image: ${tag}
${extra}`,
  )
  return path
}

const status = async (id?: string) => {
  const run = await mkt(['release', 'status', ...(id ? [id] : []), '--json'])
  expect(run.exitCode, run.stderr).toBe(0)
  const envelope = parseEnvelope(run)
  expect(validateEnvelope('release status', envelope)).toEqual([])
  return envelope.result as RecordJson
}

/** Starts `release run -f file` and SIGKILLs it once wave 2 has started (search patched); returns the release id. */
async function killInWaveTwo(file: string): Promise<string> {
  const child = spawn(process.execPath, [binPath, 'release', 'run', '-f', file], { cwd: work, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never reached wave 2:\n${stderr}`)), 240_000)
    child.stderr.on('data', (d) => {
      stderr += d
      if (/marketplace-search-service patch:/.test(stderr) && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL')
        clearTimeout(timer)
        resolve()
      }
    })
  })
  await new Promise((resolve) => child.on('close', resolve))
  return /release (\d{8}-\d{6}-[0-9a-f]{4}):/.exec(stderr)![1]!
}

beforeAll(async () => {
  kubectl = await kubectlPath()
  mkdirSync(join(work, 'migrations'))
  for (const file of readdirSync(join(repoRoot, 'templates', 'migrations')).filter((f) => f.endsWith('.sql'))) copyFileSync(join(repoRoot, 'templates', 'migrations', file), join(work, 'migrations', file))
  const start = parseEnvelope(await mkt(['sandbox', 'start', '--json'])).result as { kubeconfig: string }
  kubeconfig = start.kubeconfig
  kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=120s')
}, 180_000)

afterAll(async () => {
  await mkt(['sandbox', 'stop'])
})

describe('mkt release', () => {
  let first = ''

  it('plan shows every step and changes nothing; --exit-code makes it 2; its --json matches the schema', async () => {
    const file = manifest('release.yaml', '2.0.0')
    const plan = await mkt(['release', 'plan', '-f', file, '--exit-code', '--json'])
    expect(plan.exitCode, plan.stderr).toBe(2)
    const envelope = parseEnvelope(plan)
    expect(validateEnvelope('release plan', envelope)).toEqual([])
    const result = envelope.result as { migrations: { pending: unknown[] }; waves: Array<Array<{ component: string }>>; components: Array<{ component: string; from: string; to: string; changes: string[] }> }
    expect(result.migrations.pending.length).toBeGreaterThan(0)
    expect(result.waves.map((w) => w.map((i) => i.component).sort())).toEqual([['marketplace-catalog-service'], ['marketplace-search-service', 'review-rating-service']])
    expect(result.components.find((c) => c.component === 'marketplace-catalog-service')).toMatchObject({ from: 'marketplace-catalog-service:1.0.0', to: 'marketplace-catalog-service:2.0.0' })
    const text = await mkt(['release', 'plan', '-f', file])
    expect(text.stdout).toMatch(/forward-only/)
    expect(text.stdout).toMatch(/wave 2 local\/marketplace-search-service/)
    expect(imagesOfThree()).toEqual(THREE.map((c) => `${c}:1.0.0`))
  })

  it('a bad manifest exits 65 naming the field, before anything is read', async () => {
    const bad = join(work, 'bad.yaml')
    writeFileSync(bad, 'name: x\nversion: 1\ncomponents:\n  catalog:\n    imag: 2.0.0\n')
    const run = await mkt(['release', 'plan', '-f', bad])
    expect(run.exitCode).toBe(65)
    expect(run.stderr).toMatch(/bad\.yaml:\d+:\d+/)
  })

  it('a three-component release with SQL migrations and a configuration push passes end to end', async () => {
    const run = await mkt(['release', 'run', '-f', join(work, 'release.yaml'), '--reason', 'PRJ-16 first release', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('release run', envelope)).toEqual([])
    expect(imagesOfThree()).toEqual(THREE.map((c) => `${c}:2.0.0`))
    // The configuration reached the pod template of catalog in its wave (checksum stamped, envFrom wired).
    expect(kc('get', 'deployment/marketplace-catalog-service', '-o', 'jsonpath={.spec.template.metadata.annotations.mkt\\.dev/config-checksum}')).not.toBe('')
    const record = await status()
    first = record.id
    expect(record).toMatchObject({ status: 'succeeded', exitCode: 0, attempts: 1 })
    expect(record.steps.map((s) => [s.name, s.status])).toEqual([
      ['migrations', 'succeeded'],
      ['configuration', 'succeeded'],
      ['components', 'succeeded'],
      ['verify', 'succeeded'],
    ])
    expect(record.migrations!.applied.map((a) => a.version)).toContain(1)
    expect(record.items.map((i) => [i.wave, i.component, i.outcome])).toEqual([
      [1, 'marketplace-catalog-service', 'deployed'],
      [2, 'marketplace-search-service', 'deployed'],
      [2, 'review-rating-service', 'deployed'],
    ])
    expect(record.items[0]!.changes).toEqual(['image', 'configuration'])
    const history = await mkt(['release', 'history', '--json'])
    expect(validateEnvelope('release history', parseEnvelope(history))).toEqual([])
    expect((parseEnvelope(history).result as { releases: Array<{ id: string }> }).releases[0]!.id).toBe(first)
  }, 300_000)

  it('a release whose second wave fails is rolled back on every component of both waves (80); the migrations stay applied and are reported', async () => {
    writeFileSync(join(work, 'migrations', 'V008__release_marker.sql'), 'CREATE TABLE release_marker (id int);\n')
    const file = manifest('release-3.yaml', '3.0.0')
    expect((await mkt(['sandbox', 'fault', 'set', 'search', '--image-tag', '3.0.0', '--crashloop'])).exitCode).toBe(0)
    try {
      const run = await mkt(['release', 'run', '-f', file, '--json'])
      expect(run.exitCode, run.stderr).toBe(80)
      const envelope = parseEnvelope(run)
      expect(validateEnvelope('release run', envelope)).toEqual([])
      expect(envelope.error!.message).toMatch(/rolled back/)
      expect(envelope.error!.message).toMatch(/forward-only: V008/)
      expect(imagesOfThree()).toEqual(THREE.map((c) => `${c}:2.0.0`))
      const record = await status()
      expect(record.status).toBe('rolled-back')
      expect(record.items.map((i) => [i.component, i.outcome])).toEqual([
        ['marketplace-catalog-service', 'rolled-back'],
        ['marketplace-search-service', 'rolled-back'],
        ['review-rating-service', 'rolled-back'],
      ])
      expect(record.migrations).toMatchObject({ forwardOnly: true, applied: [{ version: 8, name: 'release_marker' }] })
      // Still applied: the next plan has nothing pending.
      const plan = parseEnvelope(await mkt(['release', 'plan', '-f', file, '--json'])).result as { migrations: { pending: unknown[]; databaseVersion: number } }
      expect(plan.migrations).toMatchObject({ pending: [], databaseVersion: 8 })
    } finally {
      await mkt(['sandbox', 'fault', 'clear'])
    }
  }, 300_000)

  it('a failing migration stops the release before any component changes', async () => {
    writeFileSync(join(work, 'migrations', 'V009__broken.sql'), 'CREATE TABLE broken (id int;\n')
    try {
      const file = manifest('release-4.yaml', '4.0.0')
      const before = kc('get', 'deployment', ...THREE, '-o', 'jsonpath={.items[*].metadata.generation}')
      const run = await mkt(['release', 'run', '-f', file, '--json'])
      expect(run.exitCode, run.stderr).not.toBe(0)
      const envelope = parseEnvelope(run)
      expect(envelope.error!.message).toMatch(/^migrations failed, so no component was changed \(migrations are forward-only: none was applied by this release\): .*V009__broken\.sql/)
      expect(envelope.error!.message).toMatch(/forward-only/)
      expect(imagesOfThree()).toEqual(THREE.map((c) => `${c}:2.0.0`))
      expect(kc('get', 'deployment', ...THREE, '-o', 'jsonpath={.items[*].metadata.generation}')).toBe(before)
      const record = await status()
      expect(record.status).toBe('failed')
      expect(record.steps.map((s) => [s.name, s.status])).toEqual([
        ['migrations', 'failed'],
        ['configuration', 'skipped'],
        ['components', 'skipped'],
        ['verify', 'skipped'],
      ])
    } finally {
      execFileSync('rm', ['-f', join(work, 'migrations', 'V009__broken.sql')])
    }
  }, 300_000)

  it('release rollback <id> returns every component of that release to what ran before it', async () => {
    const run = await mkt(['release', 'rollback', first, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(validateEnvelope('release rollback', parseEnvelope(run))).toEqual([])
    expect(imagesOfThree()).toEqual(THREE.map((c) => `${c}:1.0.0`))
    expect((await status(first)).status).toBe('rolled-back')
  }, 300_000)

  it('a release killed with SIGKILL mid-wave is finished by --resume (its locks are taken over)', async () => {
    const file = manifest('release-5.yaml', '5.0.0')
    const id = await killInWaveTwo(file)
    const interrupted = await status(id)
    expect(interrupted.status).toBe('running')
    expect(interrupted.items.find((i) => i.component === 'marketplace-catalog-service')!.outcome).toBe('deployed')

    const resumed = await mkt(['release', 'run', '-f', file, '--resume', id])
    expect(resumed.exitCode, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/took over the lock/)
    expect(imagesOfThree()).toEqual(THREE.map((c) => `${c}:5.0.0`))
    const record = await status(id)
    expect(record).toMatchObject({ status: 'succeeded', attempts: 2 })
    expect(record.items.map((i) => [i.component, i.outcome])).toEqual([
      ['marketplace-catalog-service', 'deployed'],
      ['marketplace-search-service', 'deployed'],
      ['review-rating-service', 'deployed'],
    ])
    // Each component's serving revision has its verdict: nothing is left pending.
    for (const name of THREE) expect(kc('get', `deployment/${name}`, '-o', 'jsonpath={.metadata.annotations.mkt\\.dev/verdict}')).toBe('passed')
    // A finished release cannot be resumed again.
    expect((await mkt(['release', 'run', '-f', file, '--resume', id])).exitCode).toBe(64)
  }, 400_000)

  it('a resumed release that fails rolls back what its earlier attempt released too (80)', async () => {
    const file = manifest('release-7.yaml', '7.0.0')
    const id = await killInWaveTwo(file)
    expect((await status(id)).items.find((i) => i.component === 'marketplace-catalog-service')!.outcome).toBe('deployed')
    expect((await mkt(['sandbox', 'fault', 'set', 'search', '--image-tag', '7.0.0', '--crashloop'])).exitCode).toBe(0)
    try {
      const resumed = await mkt(['release', 'run', '-f', file, '--resume', id])
      expect(resumed.exitCode, resumed.stderr).toBe(80)
      expect(imagesOfThree()).toEqual(THREE.map((c) => `${c}:5.0.0`))
      const record = await status(id)
      expect(record.status).toBe('rolled-back')
      expect(record.items.map((i) => i.outcome)).toEqual(['rolled-back', 'rolled-back', 'rolled-back'])
    } finally {
      await mkt(['sandbox', 'fault', 'clear'])
    }
  }, 400_000)

  it('with GITHUB_ACTIONS=true: annotations, groups and the job summary; a canary secret appears only as ::add-mask:: input', async () => {
    const canary = `canary-${Date.now()}-s3cr3t-value`
    const summary = join(work, 'summary.md')
    const file = manifest('release-6.yaml', '6.0.0')
    expect((await mkt(['sandbox', 'fault', 'set', 'reviews', '--image-tag', '6.0.0', '--crashloop'])).exitCode).toBe(0)
    try {
      const run = await mkt(['release', 'run', '-f', file, '--from-env', 'marketplace-catalog-service--Canary--Token=CANARY_VALUE', '--allow-unreferenced'], {
        GITHUB_ACTIONS: 'true',
        CI: 'true',
        GITHUB_STEP_SUMMARY: summary,
        CANARY_VALUE: canary,
      })
      expect(run.exitCode, run.stderr).toBe(80)
      const all = `${run.stdout}\n${run.stderr}`
      const lines = all.split('\n').filter((line) => line.includes(canary))
      expect(lines).toEqual([`::add-mask::${canary}`])
      // The mask comes before anything else mkt prints about the release.
      expect(run.stderr.indexOf(`::add-mask::${canary}`)).toBeLessThan(run.stderr.indexOf('plan:'))
      expect(run.stderr).toMatch(/^::error title=mkt release run \(exit 80\)::release .* failed and every component it changed was rolled back/m)
      expect(run.stderr).toMatch(/^::group::Migrations/m)
      expect(run.stderr).toMatch(/^::group::Components \(2 waves\)/m)
      expect(run.stderr).toMatch(/^::endgroup::/m)
      expect(existsSync(summary)).toBe(true)
      const markdown = readFileSync(summary, 'utf8')
      expect(markdown).toMatch(/mkt release marketplace 6\.0\.0 → local: rolled-back/)
      expect(markdown).toMatch(/\| 2 \| local \| review-rating-service \|/)
      expect(markdown).not.toContain(canary)
      expect(JSON.stringify(await status())).not.toContain(canary)
    } finally {
      await mkt(['sandbox', 'fault', 'clear'])
    }
  }, 300_000)

  it('a released component Unhealthy in the final health roll-up fails the verify step: the release is rolled back (80)', async () => {
    const file = join(work, 'release-10.yaml')
    // search bakes 30 s in wave 2: long enough to make catalog, released in wave 1, Unhealthy meanwhile.
    writeFileSync(file, 'name: marketplace\nversion: 10.0.0\ncomponents:\n  catalog:\n    image: 10.0.0\n  search:\n    image: 10.0.0\n    strategy: { bake: 30s }\n')
    const before = [imageOf('marketplace-catalog-service'), imageOf('marketplace-search-service')]
    const child = spawn(process.execPath, [binPath, 'release', 'run', '-f', file], { cwd: work, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let faulted: Promise<unknown> | undefined
    child.stderr.on('data', (d) => {
      stderr += d
      if (!faulted && /marketplace-catalog-service passed:/.test(stderr)) faulted = mkt(['sandbox', 'fault', 'set', 'catalog', '--image-tag', '10.0.0', '--unhealthy', 'database'])
    })
    try {
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      expect(code, stderr).toBe(80)
      expect(stderr).toMatch(/release .* failed and every component it changed was rolled back: the health roll-up says marketplace-catalog-service is Unhealthy/)
      expect([imageOf('marketplace-catalog-service'), imageOf('marketplace-search-service')]).toEqual(before)
      const record = await status()
      expect(record.status).toBe('rolled-back')
      expect(record.steps.map((s) => [s.name, s.status])).toEqual([
        ['migrations', 'skipped'],
        ['configuration', 'skipped'],
        ['components', 'succeeded'],
        ['verify', 'failed'],
        ['rollback', 'succeeded'],
      ])
    } finally {
      await faulted
      await mkt(['sandbox', 'fault', 'clear'])
    }
  }, 300_000)

  it('a failing migration Job stops the release before any component changes (the Job runner)', async () => {
    const job = parse(readFileSync(join(repoRoot, 'templates', 'migration-job.yaml'), 'utf8')) as { spec: { template: { metadata: { annotations?: { [key: string]: string } } } } }
    job.spec.template.metadata.annotations = { 'sandbox.mkt/job-behavior': 'fail' }
    writeFileSync(join(work, 'job-fail.yaml'), stringify(job))
    const file = join(work, 'release-job.yaml')
    writeFileSync(file, 'name: marketplace\nversion: 8.0.0\nmigrations:\n  image: 8.0.0\n  jobTemplate: job-fail.yaml\ncomponents:\n  catalog:\n    image: 8.0.0\n')
    const before = imageOf('marketplace-catalog-service')
    const run = await mkt(['release', 'run', '-f', file, '--json'])
    expect(run.exitCode, run.stderr).toBe(1)
    expect(parseEnvelope(run).error!.message).toMatch(/^migrations failed, so no component was changed \(migrations are forward-only: none was applied by this release\): migration Job mkt-migration-[\w-]+ \(marketplace-migrations:8\.0\.0\) failed/)
    expect(imageOf('marketplace-catalog-service')).toBe(before)
    const record = await status()
    expect(record.steps.map((s) => [s.name, s.status])).toEqual([
      ['migrations', 'failed'],
      ['configuration', 'skipped'],
      ['components', 'skipped'],
      ['verify', 'skipped'],
    ])
  }, 300_000)

  it('Ctrl-C (SIGINT) in the second wave rolls back every component the release changed and records it interrupted (130)', async () => {
    const file = manifest('release-9.yaml', '9.0.0')
    const before = imagesOfThree()
    const child = spawn(process.execPath, [binPath, 'release', 'run', '-f', file], { cwd: work, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
      if (/marketplace-search-service patch:/.test(stderr) && !child.killed) child.kill('SIGINT')
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, stderr).toBe(130)
    expect(imagesOfThree()).toEqual(before)
    const id = /release (\d{8}-\d{6}-[0-9a-f]{4}):/.exec(stderr)![1]!
    const record = await status(id)
    expect(record.status).toBe('interrupted')
    expect(record.items.map((i) => i.outcome)).not.toContain('deployed')
  }, 300_000)

  it('a Flux-labelled Deployment: plan says so, run and deploy refuse with 78 unless --allow-gitops-drift', async () => {
    kc('label', 'deployment/pricing-service', 'kustomize.toolkit.fluxcd.io/name=apps', 'kustomize.toolkit.fluxcd.io/namespace=flux-system')
    try {
      const file = join(work, 'pricing.yaml')
      writeFileSync(file, 'name: pricing\nversion: 2.0.0\ncomponents:\n  pricing:\n    image: 2.0.0\n')
      const plan = await mkt(['release', 'plan', '-f', file])
      expect(plan.exitCode, plan.stderr).toBe(0)
      expect(plan.stdout).toMatch(/GitOps: Flux Kustomization flux-system\/apps/)
      const run = await mkt(['release', 'run', '-f', file])
      expect(run.exitCode, run.stderr).toBe(78)
      expect(run.stderr).toMatch(/managed by Flux Kustomization flux-system\/apps: a direct change would be reverted/)
      expect(run.stderr).toMatch(/suspend the reconciler|change the image in Git/i)
      const deploy = await mkt(['deploy', 'service', 'pricing', '--image', '2.0.0'])
      expect(deploy.exitCode, deploy.stderr).toBe(78)
      expect(imageOf('pricing-service')).toBe('pricing-service:1.0.0')
      const deployPlan = await mkt(['deploy', 'service', 'pricing', '--image', '2.0.0', '--plan'])
      expect(deployPlan.stdout).toMatch(/managed by Flux Kustomization/)
      const drift = await mkt(['release', 'run', '-f', file, '--allow-gitops-drift'])
      expect(drift.exitCode, drift.stderr).toBe(0)
      expect(imageOf('pricing-service')).toBe('pricing-service:2.0.0')
    } finally {
      kc('label', 'deployment/pricing-service', 'kustomize.toolkit.fluxcd.io/name-', 'kustomize.toolkit.fluxcd.io/namespace-')
    }
  }, 300_000)

  it('a component locked by another operation refuses the release with 73 naming the holder; nothing changes', async () => {
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'mkt-lock-local-pricing-service', labels: { 'mkt.dev/lock': 'true', 'app.kubernetes.io/name': 'pricing-service' }, annotations: { 'mkt.dev/operation': 'deploy 9.9.9' } },
      spec: { holderIdentity: 'alice@build-agent-7/4242', leaseDurationSeconds: 300, acquireTime: now, renewTime: now },
    }
    writeFileSync(join(work, 'lease.json'), JSON.stringify(lease))
    kc('apply', '-f', join(work, 'lease.json'))
    try {
      const file = join(work, 'pricing-locked.yaml')
      writeFileSync(file, 'name: pricing\nversion: 3.0.0\ncomponents:\n  pricing:\n    image: 3.0.0\n')
      const before = imageOf('pricing-service')
      const run = await mkt(['release', 'run', '-f', file, '--json'])
      expect(run.exitCode, run.stderr).toBe(73)
      expect(parseEnvelope(run).error!.message).toMatch(/pricing-service in local is locked: held by alice@build-agent-7\/4242 since .*, running deploy 9\.9\.9/)
      expect(imageOf('pricing-service')).toBe(before)
    } finally {
      kc('delete', 'lease', 'mkt-lock-local-pricing-service')
    }
  }, 120_000)

  it('holds every component lock from before its migrations: a deploy started meanwhile gets 73 naming the release', async () => {
    mkdirSync(join(work, 'slow-migrations'), { recursive: true })
    writeFileSync(join(work, 'slow-migrations', 'V100__slow.sql'), 'SELECT pg_sleep(12);\n')
    const file = join(work, 'pricing-slow.yaml')
    writeFileSync(file, 'name: pricing\nversion: 3.1.0\nmigrations:\n  sql: slow-migrations\ncomponents:\n  pricing:\n    image: 3.1.0\n')
    const child = spawn(process.execPath, [binPath, 'release', 'run', '-f', file], { cwd: work, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const done = new Promise<number | null>((resolve) => child.on('close', resolve))
    const deadline = Date.now() + 120_000
    while (!/applying V100__slow\.sql/.test(stderr)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the release never reached its migration:\n${stderr}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const deploy = await mkt(['deploy', 'service', 'pricing', '--image', '3.2.0', '--yes', '--json'])
    expect(deploy.exitCode, deploy.stderr).toBe(73)
    expect(parseEnvelope(deploy).error!.message).toMatch(/pricing-service in local is locked: held by \S+ since .*, running release pricing 3\.1\.0/)
    expect(await done, stderr).toBe(0)
    expect(imageOf('pricing-service')).toBe('pricing-service:3.1.0')
  }, 300_000)

  it('release init writes a manifest of what runs now, which plans as unchanged', async () => {
    const file = join(work, 'init.yaml')
    const run = await mkt(['release', 'init', '-f', file, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(validateEnvelope('release init', parseEnvelope(run))).toEqual([])
    const plan = await mkt(['release', 'plan', '-f', file, '--exit-code'])
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect((await mkt(['release', 'init', '-f', file])).exitCode).toBe(64)
  }, 120_000)
})
