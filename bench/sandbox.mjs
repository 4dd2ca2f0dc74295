// Sandbox benchmark (run through bench/sandbox.sh after npm run build):
// 1. start to ready: `mkt sandbox start` on a new data dir (CA, seed) and on an existing one;
// 2. rolling a new image on all 16 Deployments at once, until every one is rolled out (kubectl's
//    rollout-status predicate), as a ratio of the configured pod start delay. With 2 replicas and the
//    default 25%/25% strategy a Deployment replaces one pod at a time, so the floor is about 2x.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as k8s from '@kubernetes/client-node'

const podStartDelayMs = Number(process.env.POD_START_DELAY_MS ?? 1000)
const runs = Number(process.env.RUNS ?? 3)
const root = mkdtempSync(join(tmpdir(), 'mkt-bench-sandbox-'))
const mkt = (dir, ...args) =>
  JSON.parse(execFileSync(process.execPath, ['bin/run.js', ...args, '--json'], { env: { ...process.env, MKT_SANDBOX_DIR: dir, MKT_SANDBOX_POD_START_DELAY_MS: String(podStartDelayMs) }, encoding: 'utf8' })).result
const time = (fn) => {
  const start = performance.now()
  const value = fn()
  return { ms: performance.now() - start, value }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const cold = []
const warm = []
for (let i = 0; i < runs; i++) {
  const dir = join(root, `start-${i}`)
  cold.push(time(() => mkt(dir, 'sandbox', 'start')).ms)
  mkt(dir, 'sandbox', 'stop')
  warm.push(time(() => mkt(dir, 'sandbox', 'start')).ms)
  mkt(dir, 'sandbox', 'stop')
}

function rolledOut(d) {
  const s = d.status ?? {}
  const progressing = (s.conditions ?? []).find((c) => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new Error(`${d.metadata.name} exceeded its progress deadline`)
  return (
    (d.metadata.generation ?? 0) <= (s.observedGeneration ?? 0) &&
    (s.updatedReplicas ?? 0) >= d.spec.replicas &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  )
}

const rollDir = join(root, 'roll')
mkdirSync(rollDir)
const state = mkt(rollDir, 'sandbox', 'start')
const kc = new k8s.KubeConfig()
kc.loadFromFile(state.kubeconfig)
const apps = kc.makeApiClient(k8s.AppsV1Api)
const ns = 'marketplace'
const rolls = []
for (let i = 0; i < runs; i++) {
  const { items } = await apps.listNamespacedDeployment({ namespace: ns })
  const start = performance.now()
  await Promise.all(
    items.map((d) =>
      apps.patchNamespacedDeployment(
        { name: d.metadata.name, namespace: ns, body: { spec: { template: { spec: { containers: [{ name: d.spec.template.spec.containers[0].name, image: `${d.metadata.name}:bench-${i}` }] } } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      ),
    ),
  )
  for (;;) {
    const { items: now } = await apps.listNamespacedDeployment({ namespace: ns })
    if (now.every(rolledOut)) break
    await new Promise((r) => setTimeout(r, 50))
  }
  rolls.push(performance.now() - start)
}
mkt(rollDir, 'sandbox', 'stop')

const result = {
  podStartDelayMs,
  runs,
  startColdMs: Math.round(median(cold)),
  startWarmMs: Math.round(median(warm)),
  roll16Ms: Math.round(median(rolls)),
  roll16RatioToPodStartDelay: Number((median(rolls) / podStartDelayMs).toFixed(2)),
}
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/sandbox.json', `${JSON.stringify(result, null, 2)}\n`)
console.log(`pod start delay                      ${podStartDelayMs} ms`)
console.log(`sandbox start to ready, new dir      ${result.startColdMs} ms (median of ${runs})`)
console.log(`sandbox start to ready, existing dir ${result.startWarmMs} ms`)
console.log(`16 Deployments roll a new image      ${result.roll16Ms} ms = ${result.roll16RatioToPodStartDelay}x the pod start delay`)
