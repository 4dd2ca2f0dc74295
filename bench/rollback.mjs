// Rollback benchmark (bench/rollback.sh, after npm run build): on the same sandbox, in the same run,
//   mkt rollback <c> --to-revision N --yes          vs   kubectl rollout undo --to-revision=N; kubectl rollout status
// measuring, from the moment the command starts, (1) the first API write (seen by a watch as the
// Deployment's generation changing), (2) all pods ready (the command returns) and (3) the peak RSS of the
// commands (GNU time, around both tools alike). Goal: mkt's first write within 1.5x of kubectl's.
// mkt runs on NODE (default: the Node running this script).
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as k8s from '@kubernetes/client-node'

const runs = Number(process.env.RUNS ?? 5)
const dir = mkdtempSync(join(tmpdir(), 'mkt-bench-rollback-'))
const env = { ...process.env, MKT_SANDBOX_DIR: dir, MKT_SANDBOX_POD_START_DELAY_MS: process.env.POD_START_DELAY_MS ?? '500' }
const mktJson = (...args) => JSON.parse(execFileSync(process.execPath, ['bin/run.js', ...args, '--json'], { env, encoding: 'utf8' })).result
const state = mktJson('sandbox', 'start')
const kubectlBin = process.env.KUBECTL ?? 'kubectl'
const kubectl = (...args) => execFileSync(kubectlBin, ['--kubeconfig', state.kubeconfig, '--cache-dir', join(dir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const name = 'pricing-service'
const kc = new k8s.KubeConfig()
kc.loadFromFile(state.kubeconfig)
const apps = kc.makeApiClient(k8s.AppsV1Api)

const mktNode = process.env.NODE ?? process.execPath
const rssFile = join(dir, 'rss')

/** Runs commands one after another; resolves with ms to the first generation change of the Deployment, ms to exit and peak RSS (MB). */
async function measure(commands) {
  const before = (await apps.readNamespacedDeployment({ name, namespace: 'marketplace' })).metadata.generation
  let firstWrite
  const start = performance.now()
  const watch = await new k8s.Watch(kc).watch(
    '/apis/apps/v1/namespaces/marketplace/deployments',
    { fieldSelector: `metadata.name=${name}` },
    (type, obj) => {
      if (firstWrite === undefined && obj.metadata.generation > before) firstWrite = performance.now() - start
    },
    () => undefined,
  )
  let rssMb = 0
  for (const [bin, args, extraEnv] of commands) {
    await new Promise((resolve, reject) => {
      const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, bin, ...args], { env: { ...env, ...extraEnv }, stdio: 'ignore' })
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(' ')} exited ${code}`))))
    })
    rssMb = Math.max(rssMb, Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024)
  }
  const done = performance.now() - start
  watch.abort()
  return { firstWrite, done, rssMb }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const results = { mkt: { firstWrite: [], done: [], rssMb: [] }, kubectl: { firstWrite: [], done: [], rssMb: [] } }
let tag = 0
for (let i = 0; i < runs; i++) {
  for (const tool of ['kubectl', 'mkt']) {
    // A fresh release to roll back from.
    kubectl('set', 'image', `deployment/${name}`, `${name}=${name}:bench-${++tag}`)
    kubectl('rollout', 'status', `deployment/${name}`, '--timeout=120s')
    const revision = JSON.parse(kubectl('get', 'rs', '-l', 'app.kubernetes.io/name=pricing-service', '-o', 'json')).items
      .map((rs) => Number(rs.metadata.annotations['deployment.kubernetes.io/revision']))
      .sort((a, b) => b - a)[1]
    const kubectlArgs = (...a) => ['--kubeconfig', state.kubeconfig, '--cache-dir', join(dir, 'kc'), '-n', 'marketplace', ...a]
    const m =
      tool === 'mkt'
        ? await measure([[mktNode, ['bin/run.js', 'rollback', 'pricing', '--to-revision', String(revision), '--yes', '-q'], {}]])
        : await measure([
            [kubectlBin, kubectlArgs('rollout', 'undo', `deployment/${name}`, `--to-revision=${revision}`)],
            [kubectlBin, kubectlArgs('rollout', 'status', `deployment/${name}`, '--timeout=120s')],
          ])
    results[tool].firstWrite.push(m.firstWrite)
    results[tool].done.push(m.done)
    results[tool].rssMb.push(m.rssMb)
  }
}
execFileSync(process.execPath, ['bin/run.js', 'sandbox', 'stop'], { env })

const summary = {
  node: execFileSync(mktNode, ['--version'], { encoding: 'utf8' }).trim(),
  loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  runs,
  kubectlFirstWriteMs: Math.round(median(results.kubectl.firstWrite)),
  mktFirstWriteMs: Math.round(median(results.mkt.firstWrite)),
  firstWriteRatio: Number((median(results.mkt.firstWrite) / median(results.kubectl.firstWrite)).toFixed(2)),
  kubectlAllReadyMs: Math.round(median(results.kubectl.done)),
  mktAllReadyMs: Math.round(median(results.mkt.done)),
  allReadyRatio: Number((median(results.mkt.done) / median(results.kubectl.done)).toFixed(2)),
  kubectlPeakRssMb: Math.round(median(results.kubectl.rssMb)),
  mktPeakRssMb: Math.round(median(results.mkt.rssMb)),
}
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/rollback.json', `${JSON.stringify(summary, null, 2)}\n`)
console.log(`mkt on ${summary.node}, load average ${summary.loadAverage}, ${runs} runs`)
console.log(`                 kubectl undo+status   mkt rollback   ratio (goal: first write <= 1.5x)`)
console.log(`first API write  ${String(summary.kubectlFirstWriteMs).padStart(8)} ms        ${String(summary.mktFirstWriteMs).padStart(6)} ms      ${summary.firstWriteRatio}x`)
console.log(`all pods ready   ${String(summary.kubectlAllReadyMs).padStart(8)} ms        ${String(summary.mktAllReadyMs).padStart(6)} ms      ${summary.allReadyRatio}x`)
console.log(`peak RSS         ${String(summary.kubectlPeakRssMb).padStart(8)} MB        ${String(summary.mktPeakRssMb).padStart(6)} MB`)
