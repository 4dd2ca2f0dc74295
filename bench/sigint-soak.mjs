#!/usr/bin/env node
// SIGINT soak for the release engine (issue #12): RUNS (default 30) deploys, good and bad, rolling and canary, each
// interrupted with one SIGINT at a random moment (after a random progress line, plus a random delay). After each one:
// exit 130; the Deployment fully on the old or the new template (observed, every replica updated and available);
// the template it serves has a verdict of its own and the release's template (if made) one too; unpaused unless
// --on-interrupt=pause was asked for; no lock left. Prints every violation and the figures, with the interrupt-to-
// exit time against a plain `mkt rollback` measured in the same sandbox as the baseline.
// Needs `npm run build`. Usage: node bench/sigint-soak.mjs [RUNS]
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'run.js')
const RUNS = Number(process.argv[2] ?? process.env.RUNS ?? 30)
const dataDir = mkdtempSync(join(tmpdir(), 'mkt-soak-'))
const env = { ...process.env, MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '300', MKT_PROBE_INTERVAL_MS: '200', MKT_CACHE_DIR: mkdtempSync(join(tmpdir(), 'mkt-soak-cache-')) }
const COMPONENTS = [
  { alias: 'pricing', name: 'pricing-service' },
  { alias: 'license', name: 'license-service' },
  { alias: 'catalog', name: 'marketplace-catalog-service' },
]

const mkt = (...args) => {
  const started = Date.now()
  const run = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, ms: Date.now() - started }
}

let api
function get(path) {
  api ??= (() => {
    const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'))
    return { base: state.endpoints.kubernetes, token: readFileSync(join(dataDir, 'token'), 'utf8').trim(), ca: readFileSync(join(dataDir, 'ca.crt'), 'utf8') }
  })()
  return new Promise((resolve, reject) => {
    const req = request(`${api.base}${path}`, { ca: api.ca, headers: { authorization: `Bearer ${api.token}` } }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve(JSON.parse(text)))
    })
    req.on('error', reject)
    req.end()
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const imageOf = (obj) => obj.spec.template.spec.containers[0].image
const hashOf = (rs) => rs.metadata.labels?.['pod-template-hash']
const ownVerdict = (rs) => (rs.metadata.annotations?.['mkt.dev/pod-template-hash'] === hashOf(rs) ? rs.metadata.annotations?.['mkt.dev/verdict'] : undefined)

/** One interrupted deploy; resolves with what happened and every violation found. */
async function soakOne(index, scenario) {
  const component = COMPONENTS[index % COMPONENTS.length]
  const before = await get(`/apis/apps/v1/namespaces/marketplace/deployments/${component.name}`)
  const tag = scenario.bad ? `bad-${index}` : `good-${index}`
  if (scenario.bad) mkt('sandbox', 'fault', 'set', component.alias, '--image-tag', tag, '--not-ready', '-q')
  const args = ['deploy', 'service', component.alias, '--image', tag, '--bake', '2s', '--timeout', '60s', ...(scenario.canary ? ['--strategy', 'canary', '--steps', '50'] : []), ...(scenario.pause ? ['--on-interrupt', 'pause'] : [])]
  // Progress lines that mark the phases (lock, patch, gates, canary steps); the SIGINT follows one at random.
  // A bad canary never reaches its promotion (its canary pods never become ready).
  const markers = ['lock:', 'patch:', 'undo:', 'wait:', ...(scenario.canary ? ['canary step'] : []), ...(scenario.canary && !scenario.bad ? ['promote'] : [])]
  const marker = markers[Math.floor(Math.random() * markers.length)]
  const extra = Math.floor(Math.random() * 1500)
  const child = spawn(process.execPath, [bin, ...args], { env })
  let stderr = ''
  let sentAt
  let phase = ''
  child.stderr.on('data', (d) => {
    stderr += d
    if (sentAt === undefined && stderr.includes(marker)) {
      sentAt = 0
      setTimeout(() => {
        phase = (stderr.trim().split('\n').at(-1) ?? '').replace(/^\S+ \S+ /, '').slice(0, 60)
        sentAt = Date.now()
        child.kill('SIGINT')
      }, extra)
    }
  })
  const code = await new Promise((resolve) => child.on('close', resolve))
  const exitAfterMs = sentAt ? Date.now() - sentAt : undefined
  const violations = []
  if (!sentAt) violations.push(`finished (exit ${code}) before the SIGINT (marker ${marker})`)
  else if (code !== 130) violations.push(`exit ${code}, not 130`)

  const deployment = await get(`/apis/apps/v1/namespaces/marketplace/deployments/${component.name}`)
  const selector = encodeURIComponent(`app.kubernetes.io/name=${component.name}`)
  const sets = (await get(`/apis/apps/v1/namespaces/marketplace/replicasets?labelSelector=${selector}`)).items.filter((rs) => rs.metadata.ownerReferences?.[0]?.uid === deployment.metadata.uid)
  const image = imageOf(deployment)
  if (image !== imageOf(before) && image !== `${component.name}:${tag}`) violations.push(`serves ${image}: neither the old nor the new template`)
  const status = deployment.status ?? {}
  const replicas = deployment.spec.replicas
  const settled = (deployment.metadata.generation ?? 0) <= (status.observedGeneration ?? 0) && status.updatedReplicas === replicas && status.availableReplicas === replicas && (status.replicas ?? 0) === replicas
  if (!scenario.pause && !settled) violations.push(`not fully rolled out: ${JSON.stringify({ replicas, ...status, conditions: undefined })}`)
  if (!scenario.pause && deployment.spec.paused === true) violations.push('left paused')
  if (scenario.pause && image !== imageOf(before) && deployment.spec.paused !== true) violations.push('--on-interrupt=pause: not paused')
  const current = sets.find((rs) => imageOf(rs) === image && rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === deployment.metadata.annotations?.['deployment.kubernetes.io/revision'])
  const released = sets.find((rs) => imageOf(rs) === `${component.name}:${tag}`)
  if (!current || ownVerdict(current) === undefined) violations.push(`serving template has no verdict of its own`)
  if (released && ownVerdict(released) === undefined && !(scenario.pause && released === current)) violations.push(`released template ${tag} has no verdict`)
  const verdict = released ? (ownVerdict(released) ?? 'none') : 'not made'
  const locks = JSON.parse(mkt('lock', 'status', '--json').stdout).result.locks
  if (locks.length > 0) violations.push(`locks left: ${locks.map((l) => l.name).join(', ')}`)
  // Leave the component serving and unpaused for the next run.
  if (scenario.pause && deployment.spec.paused === true) {
    const back = mkt('rollback', component.alias, '--json')
    if (back.code !== 0) violations.push(`mkt rollback after pause: exit ${back.code}: ${back.stderr.trim().split('\n').at(-1)}`)
    const after = await get(`/apis/apps/v1/namespaces/marketplace/deployments/${component.name}`)
    if (after.spec.paused === true || after.spec.strategy.rollingUpdate.maxSurge !== before.spec.strategy.rollingUpdate.maxSurge) violations.push('mkt rollback did not restore the original canary state')
  }
  return { index, component: component.alias, scenario: scenario.label, marker, phase, code, exitAfterMs, image: image === imageOf(before) ? 'old' : 'new', verdict, violations }
}

async function main() {
  console.error(`sandbox: ${dataDir}`)
  const start = mkt('sandbox', 'start', '--json')
  if (start.code !== 0) throw new Error(start.stderr)
  for (;;) {
    const all = (await get('/apis/apps/v1/namespaces/marketplace/deployments')).items
    if (all.every((d) => d.status?.availableReplicas === d.spec.replicas)) break
    await sleep(500)
  }
  // Baseline, same sandbox: a release and a plain `mkt rollback` (patch + wait until healthy).
  mkt('deploy', 'service', 'reviews', '--image', 'base-1', '--bake', '0s', '-q')
  const baseline = mkt('rollback', 'reviews', '-q')
  const scenarios = []
  for (let i = 0; i < RUNS; i++) {
    const bad = i % 2 === 1
    const canary = i % 4 >= 2
    const pause = i % 10 === 9
    scenarios.push({ bad, canary, pause, label: `${bad ? 'bad' : 'good'} ${canary ? 'canary' : 'rolling'}${pause ? ' pause' : ''}` })
  }
  const results = []
  for (const [index, scenario] of scenarios.entries()) {
    const result = await soakOne(index, scenario)
    results.push(result)
    console.log(`${String(index + 1).padStart(2)} ${result.component.padEnd(8)} ${scenario.label.padEnd(20)} after "${result.marker}" -> exit ${result.code} in ${result.exitAfterMs ?? '-'} ms, ${result.image} template, release verdict ${result.verdict}${result.violations.length ? `  VIOLATION: ${result.violations.join('; ')}` : ''}`)
  }
  mkt('sandbox', 'stop', '-q')
  const times = results.map((r) => r.exitAfterMs).filter((t) => t !== undefined).sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  const bad = results.filter((r) => r.violations.length > 0)
  const summary = {
    runs: results.length,
    exit130: results.filter((r) => r.code === 130).length,
    violations: bad.length,
    oldTemplate: results.filter((r) => r.image === 'old').length,
    newTemplatePaused: results.filter((r) => r.image === 'new').length,
    interruptToExitMs: { median, p90: times[Math.floor(times.length * 0.9)], max: times.at(-1) },
    baselineRollbackMs: baseline.ms,
    ratioMedianToBaseline: Number((median / baseline.ms).toFixed(2)),
  }
  console.log(JSON.stringify(summary, null, 2))
  mkdirSync(join(root, 'bench', 'results'), { recursive: true })
  writeFileSync(join(root, 'bench', 'results', 'sigint-soak.json'), `${JSON.stringify({ summary, results }, null, 2)}\n`)
  process.exitCode = bad.length > 0 ? 1 : 0
}

main().catch((error) => {
  console.error(error)
  mkt('sandbox', 'stop', '-q')
  process.exitCode = 1
})
