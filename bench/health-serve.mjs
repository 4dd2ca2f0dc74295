// `mkt health serve` under dashboard load (bench/health-serve.sh, after npm run build): 200 concurrent
// keep-alive clients hammer GET /health for 10 s (local load only). Baseline in the same run: a bare
// node:http server answering the same body from memory, under the same load. Prints p50/p99 latency,
// requests/s, the ratio of p99 to the baseline's, and the RSS of the serve process before and after; and
// the watches the sandbox holds open for it meanwhile (the roll-up comes from them, not from a request per hit).
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { Agent, createServer, get } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'

const CLIENTS = Number(process.env.CLIENTS ?? 200)
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 10)
const dir = process.env.MKT_SANDBOX_DIR

const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024

function sandboxRequests() {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${state.endpoints.kubernetes}/_sandbox/status`, { ca: readFileSync(join(dir, 'ca.crt')), headers: { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}` } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(JSON.parse(body)))
    })
    req.on('error', reject)
    req.end()
  })
}

async function load(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })
  const latencies = []
  let errors = 0
  const end = Date.now() + SECONDS * 1000
  const client = async () => {
    while (Date.now() < end) {
      const started = performance.now()
      await new Promise((resolve) => {
        const req = get(url, { agent }, (res) => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode !== 200) errors++
            latencies.push(performance.now() - started)
            resolve()
          })
        })
        req.on('error', () => {
          errors++
          resolve()
        })
      })
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client))
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
  return { requests: latencies.length, errors, rps: latencies.length / SECONDS, p50: at(0.5), p99: at(0.99) }
}

const serve = spawn(process.execPath, ['bin/run.js', 'health', 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve) => {
  let out = ''
  serve.stdout.on('data', (d) => {
    out += d
    const m = /listening on (\S+)/.exec(out)
    if (m) resolve(m[1])
  })
})
for (;;) {
  const status = await new Promise((resolve) => get(`${url}/health/ready`, (res) => (res.resume(), resolve(res.statusCode))).on('error', () => resolve(0)))
  if (status === 200) break
  await new Promise((r) => setTimeout(r, 200))
}
const body = await new Promise((resolve) => get(`${url}/health`, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b)) }))
const baseline = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
await new Promise((resolve) => baseline.listen(0, '127.0.0.1', resolve))

const rssBefore = rssOf(serve.pid)
const served = await load(`${url}/health`)
const after = await sandboxRequests()
const rssAfter = rssOf(serve.pid)
const bare = await load(`http://127.0.0.1:${baseline.address().port}/health`)
baseline.close()
serve.kill('SIGTERM')

const result = {
  clients: CLIENTS,
  seconds: SECONDS,
  bodyBytes: Buffer.byteLength(body),
  serve: { ...served, rssMiBBefore: rssBefore, rssMiBAfter: rssAfter },
  baseline: bare,
  p99Ratio: served.p99 / bare.p99,
  sandboxOpenWatches: after.openWatches,
}
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/health-serve.json', `${JSON.stringify(result, null, 2)}\n`)
const ms = (v) => `${v.toFixed(1)} ms`
console.log(`GET /health, ${CLIENTS} clients for ${SECONDS} s (${result.bodyBytes} bytes a response)`)
console.log(`  mkt health serve  ${Math.round(served.rps)} req/s  p50 ${ms(served.p50)}  p99 ${ms(served.p99)}  errors ${served.errors}  RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB`)
console.log(`  bare node:http    ${Math.round(bare.rps)} req/s  p50 ${ms(bare.p50)}  p99 ${ms(bare.p99)}`)
console.log(`  p99 ratio ${result.p99Ratio.toFixed(2)}x the bare server; the sandbox held ${after.openWatches} watches open for it`)
