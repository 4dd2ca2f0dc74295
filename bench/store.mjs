// Sandbox store benchmark (run through bench/store.sh after npm run build): durable writes per second of the
// sandbox's file-backed store under the write pattern of 16 Deployments × 4 pods rolling (status updates, each
// caller waiting for durability, many sharing one snapshot). Baseline, measured in the same run: the same
// workload on the in-memory store (no disk), so the ratio is the cost of durability on this machine. It used to
// be a timed assertion in test/unit/sandbox-store.test.ts (> 500 writes/s), which failed on a busy machine.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SandboxClock } from '../dist/src/sandbox/clock.js'
import { FileStore } from '../dist/src/sandbox/store.js'

const writes = Number(process.env.WRITES ?? 2000)
const runs = Number(process.env.RUNS ?? 5)

const pod = (name, app) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } })
const deployment = (name) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } } },
})

async function writesPerSecond(dataDir) {
  const store = await FileStore.open({ clock: new SandboxClock(), dataDir, gcIntervalMs: 50 })
  try {
    store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } })
    const pods = []
    for (let d = 0; d < 16; d++) {
      store.create('deployments.apps', deployment(`svc-${d}`))
      for (let p = 0; p < 4; p++) pods.push(store.create('pods', pod(`svc-${d}-${p}`, `svc-${d}`)))
    }
    await store.whenDurable()
    const started = performance.now()
    const pending = []
    for (let i = 0; i < writes; i++) {
      const current = store.get('pods', 'default', pods[i % pods.length].metadata.name)
      store.update('pods', { ...current, status: { ...current.status, phase: 'Running', podIP: `10.244.0.${i % 250}`, observed: i } }, { subresource: 'status' })
      pending.push(store.whenDurable())
      if (i % 50 === 49) await Promise.all(pending.splice(0))
    }
    await Promise.all(pending)
    return writes / ((performance.now() - started) / 1000)
  } finally {
    await store.close()
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const durable = []
const memory = []
for (let i = 0; i < runs; i++) {
  const dir = await mkdtemp(join(tmpdir(), 'mkt-bench-store-'))
  try {
    durable.push(await writesPerSecond(dir))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  memory.push(await writesPerSecond(undefined))
}
const d = median(durable)
const m = median(memory)
console.log(`store: ${writes} status writes, median of ${runs} runs`)
console.log(`  durable (file store):   ${d.toFixed(0)} writes/s`)
console.log(`  baseline (in memory):   ${m.toFixed(0)} writes/s`)
console.log(`  ratio durable/baseline: ${(d / m).toFixed(2)} (goal: ≥ 500 writes/s durable, i.e. hundreds per second while 16 Deployments roll)`)
