// Redaction benchmark (bench/redact.sh, after npm run build): the redactor (one scan, values bucketed by
// their first two characters) against the combined RegExp it replaced, on the same 1 MB of output, in one
// run: with 20 secrets of 200 characters (where the RegExp still works) and with 20 secrets of 30,000
// characters (where the RegExp cannot be built). Writes bench/results/redact.json.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { Redactor } from '../dist/src/redact.js'

const RUNS = Number(process.env.RUNS ?? 10)
const secretsOf = (count, length) => Array.from({ length: count }, (_, i) => `s${i}-${randomBytes(length).toString('base64').slice(0, length)}`)
const textWith = (secrets) => {
  const filler = randomBytes(600_000).toString('base64')
  return filler.slice(0, 400_000) + secrets.slice(0, 5).join(' ') + filler.slice(400_000)
}
const forms = (s) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s), Buffer.from(s).toString('base64')]

function combinedRegExp(secrets) {
  const values = [...new Set(secrets.flatMap(forms))].sort((a, b) => b.length - a.length)
  const pattern = new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
  return (text) => text.replace(pattern, '***')
}
function scanner(secrets) {
  const r = new Redactor()
  for (const s of secrets) r.register(s)
  return (text) => r.redact(text)
}
function timeOf(redact, text) {
  redact(text)
  const start = performance.now()
  for (let i = 0; i < RUNS; i++) redact(text)
  return (performance.now() - start) / RUNS
}

const results = {}
for (const [name, count, length] of [['20x200', 20, 200], ['20x30000', 20, 30_000]]) {
  const secrets = secretsOf(count, length)
  const text = textWith(secrets)
  const ms = timeOf(scanner(secrets), text)
  let baselineMs
  try {
    baselineMs = timeOf(combinedRegExp(secrets), text)
  } catch (error) {
    baselineMs = `RegExp fails: ${error.message.slice(0, 60)}`
  }
  results[name] = { textBytes: text.length, ms: Number(ms.toFixed(2)), baselineMs: typeof baselineMs === 'number' ? Number(baselineMs.toFixed(2)) : baselineMs, ratio: typeof baselineMs === 'number' ? Number((ms / baselineMs).toFixed(2)) : null }
  console.log(`${name}: scan ${ms.toFixed(2)} ms per MB; combined RegExp ${typeof baselineMs === 'number' ? `${baselineMs.toFixed(2)} ms (ratio ${(ms / baselineMs).toFixed(2)})` : baselineMs}`)
}
writeFileSync('bench/results/redact.json', `${JSON.stringify({ runs: RUNS, results }, null, 2)}\n`)
