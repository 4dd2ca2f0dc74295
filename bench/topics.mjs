// Topology benchmark (bench/topics.sh, after npm run build): apply a generated topology of 50 topics x 4
// subscriptions x 2 rules to an empty sandbox namespace with mkt's concurrency (default 8) and with one
// write at a time (--concurrency 1), each on a fresh namespace, in one run; then count the writes of the
// no-op re-apply (goal: 0).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = mkdtempSync(join(tmpdir(), 'mkt-bench-topics-'))
const file = join(root, 'topology.yaml')
const topics = Array.from({ length: 50 }, (_, t) =>
  [
    `  - name: bench.events/topic-${t}`,
    '    subscriptions:',
    ...Array.from({ length: 4 }, (_, s) => `      - { name: sub-${s}, maxDeliveryCount: 5, rules: [{ name: r1, sql: "Kind = ${s}" }, { name: r2, correlation: { subject: "s${s}" } }] }`),
  ].join('\n'),
)
writeFileSync(file, ['apiVersion: mkt/v1', 'topics:', ...topics].join('\n') + '\n')

function run(dir, ...args) {
  const start = performance.now()
  execFileSync(process.execPath, ['bin/run.js', ...args], { env: { ...process.env, MKT_SANDBOX_DIR: dir, MKT_SANDBOX_POD_START_DELAY_MS: '500' }, stdio: 'ignore' })
  return performance.now() - start
}
function stats(dir) {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
  return new Promise((resolve, reject) => {
    const req = request(`${state.endpoints.kubernetes}/_sandbox/servicebus/stats`, { ca: readFileSync(join(dir, 'ca.crt')), headers: { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}` } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(JSON.parse(body)))
    })
    req.on('error', reject)
    req.end()
  })
}

const latency = process.env.LATENCY ?? '30ms' // Azure answers in tens of milliseconds; the sandbox in one or two
const results = {}
for (const [label, concurrency] of [['one at a time', '1'], ['mkt (concurrency 8)', '8']]) {
  const dir = join(root, `sandbox-${concurrency}`)
  run(dir, 'sandbox', 'start')
  run(dir, 'sandbox', 'fault', 'api', '--path', '/bench.events/**', '--latency', latency)
  results[label] = { ms: run(dir, 'topics', 'apply', '--file', file, '--concurrency', concurrency), writes: (await stats(dir)).writes }
  if (concurrency === '8') {
    const before = (await stats(dir)).writes
    results.reapply = { ms: run(dir, 'topics', 'apply', '--file', file), writes: (await stats(dir)).writes - before }
  }
  run(dir, 'sandbox', 'stop')
}
const serial = results['one at a time'].ms
const fast = results['mkt (concurrency 8)'].ms
writeFileSync('bench/results/topics.json', `${JSON.stringify({ entities: 50 + 200 + 400, latency, ...results, speedup: Number((serial / fast).toFixed(2)) }, null, 2)}\n`)
console.log(`topology: 50 topics x 4 subscriptions x 2 rules (650 entities), ${latency} latency per Service Bus call`)
console.log(`apply, one write at a time   ${(serial / 1000).toFixed(1)} s (${results['one at a time'].writes} writes)`)
console.log(`apply, mkt concurrency 8     ${(fast / 1000).toFixed(1)} s (${results['mkt (concurrency 8)'].writes} writes)  ${(serial / fast).toFixed(2)}x faster`)
console.log(`no-op re-apply               ${(results.reapply.ms / 1000).toFixed(1)} s, ${results.reapply.writes} writes`)
