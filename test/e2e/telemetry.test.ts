// mkt's own traces: an in-process OTLP/HTTP receiver gets the spans of `mkt deploy service` (a success and
// a rolled-back failure) with their attributes and no secret; without OTEL_EXPORTER_OTLP_ENDPOINT the
// OpenTelemetry SDK is never even loaded.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMkt } from '../helpers/cli.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-telemetry-e2e-'))
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150' }
const OTLP_SECRET = 'Bearer otlp-canary-7f3e9a1c55'

interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  boolValue?: boolean
  doubleValue?: number
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  attributes: Array<{ key: string; value: OtlpValue }>
  events: Array<{ name: string; attributes: Array<{ key: string; value: OtlpValue }> }>
  status: { code: number; message?: string }
}

let receiver: Server
let endpoint = ''
const bodies: string[] = []
const headers: Array<Record<string, string | string[] | undefined>> = []

const attrs = (list: Array<{ key: string; value: OtlpValue }>) =>
  Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue))]))

function spansOf(traceFilter: (spans: OtlpSpan[]) => boolean): OtlpSpan[] {
  const all = bodies.flatMap((b) => (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)))
  const byTrace = new Map<string, OtlpSpan[]>()
  for (const span of all) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span])
  return [...byTrace.values()].find(traceFilter) ?? []
}

const mkt = (args: string[], extra: Record<string, string> = {}) => runMkt(args, { env: { ...env, ...extra }, timeoutMs: 120_000 })
const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_HEADERS: `authorization=${encodeURIComponent(OTLP_SECRET)}`, OTEL_SERVICE_NAME: 'mkt-test' }

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        bodies.push(body)
        headers.push(req.headers)
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
  traced.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint
  expect((await mkt(['sandbox', 'start', '-q'])).exitCode).toBe(0)
}, 120_000)

afterAll(async () => {
  await mkt(['sandbox', 'stop'])
  receiver.close()
})

describe('telemetry over OTLP/HTTP', () => {
  it('a deploy exports a span per operation, phase and gate with component, region, image, revision, verdict and exit code', async () => {
    const run = await mkt(['deploy', 'service', 'catalog', '--image', '2.0.0', '--bake', '1s', '--reason', 'PRJ-7 traced'], traced)
    expect(run.exitCode).toBe(0)
    const spans = spansOf((s) => s.some((span) => span.name === 'mkt deploy service' && attrs(span.attributes)['mkt.image'] === '2.0.0'))
    const named = (name: string) => spans.filter((s) => s.name === name)
    const root = named('mkt deploy service')[0]!
    expect(attrs(root.attributes)).toMatchObject({ 'mkt.command': 'deploy service', 'mkt.image': '2.0.0', 'mkt.components': 'marketplace-catalog-service', 'mkt.verdict': 'deployed', 'mkt.exit_code': 0 })
    expect(root.events.find((e) => e.name === 'mkt.deploy')).toBeDefined()
    expect(attrs(root.events.find((e) => e.name === 'mkt.deploy')!.attributes)).toMatchObject({ 'mkt.environment': 'local', 'mkt.verdict': 'deployed', 'mkt.exit_code': 0 })
    const item = named('deploy marketplace-catalog-service')[0]!
    expect(item.parentSpanId).toBe(root.spanId)
    expect(attrs(item.attributes)).toMatchObject({ 'mkt.component': 'marketplace-catalog-service', 'mkt.region': 'local', 'mkt.image': 'marketplace-catalog-service:2.0.0', 'mkt.revision': 2, 'mkt.revision.from': 1, 'mkt.verdict': 'deployed' })
    expect(named('plan')[0]!.parentSpanId).toBe(root.spanId)
    for (const phase of ['lock', 'patch', 'gates']) expect(named(phase)[0]?.parentSpanId, phase).toBe(item.spanId)
    expect(named('gate readiness')[0]).toBeDefined()
    for (const gate of spans.filter((s) => s.name.startsWith('gate '))) expect(attrs(gate.attributes)['mkt.verdict']).toBe('passed')
    // The resource says who sent it; the exporter took its headers from the standard variable.
    expect(bodies.join('')).toContain('"mkt-test"')
    expect(headers.some((h) => h.authorization === OTLP_SECRET)).toBe(true)
  })

  it('a failed deploy: the failing gate, the rollback phase, exit code 80, and no secret in any span', async () => {
    expect((await mkt(['sandbox', 'fault', 'set', 'pricing', '--image-tag', '6.6.6', '--crashloop'])).exitCode).toBe(0)
    const run = await mkt(['deploy', 'service', 'pricing', '--image', '6.6.6', '--bake', '1s'], traced)
    expect(run.exitCode).toBe(80)
    const spans = spansOf((s) => s.some((span) => span.name === 'mkt deploy service' && attrs(span.attributes)['mkt.image'] === '6.6.6'))
    const root = spans.find((s) => s.name === 'mkt deploy service')!
    expect(attrs(root.attributes)).toMatchObject({ 'mkt.exit_code': 80, 'mkt.verdict': 'rolled-back' })
    expect(root.status.code).toBe(2)
    const item = spans.find((s) => s.name === 'deploy pricing-service')!
    expect(attrs(item.attributes)).toMatchObject({ 'mkt.verdict': 'rolled-back', 'mkt.component': 'pricing-service' })
    expect(spans.find((s) => s.name === 'rollback' && s.parentSpanId === item.spanId)).toBeDefined()
    expect(spans.some((s) => s.name.startsWith('gate ') && attrs(s.attributes)['mkt.verdict'] === 'failed' && s.status.code === 2)).toBe(true)
    // Secrets mkt holds (the cluster token, the exporter's own authorization header) never reach a span.
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim()
    expect(token.length).toBeGreaterThan(8)
    for (const body of bodies) {
      expect(body).not.toContain(token)
      expect(body).not.toContain('otlp-canary-7f3e9a1c55')
    }
    await mkt(['sandbox', 'fault', 'clear'])
  })

  it('without OTEL_EXPORTER_OTLP_ENDPOINT nothing of OpenTelemetry (or prom-client) is loaded; with it, the SDK is', async () => {
    const record = (extra: Record<string, string>) => {
      const log = join(mkdtempSync(join(tmpdir(), 'mkt-imports-')), 'imports.log')
      writeFileSync(log, '')
      return { log, env: { NODE_OPTIONS: `--import=${pathToFileURL(join(__dirname, '..', 'fixtures', 'record-imports.mjs')).href}`, MKT_TEST_IMPORT_LOG: log, ...extra } }
    }
    const off = record({})
    expect((await mkt(['deploy', 'service', 'catalog', '--image', '3.0.0', '--plan'], off.env)).exitCode).toBe(0)
    const loadedOff = readFileSync(off.log, 'utf8')
    expect(loadedOff).toContain('dist/cli/run.js')
    expect(loadedOff).not.toMatch(/@opentelemetry|prom-client|telemetry\/otel/)
    const on = record({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
    expect((await mkt(['deploy', 'service', 'catalog', '--image', '3.0.0', '--plan'], on.env)).exitCode).toBe(0)
    expect(readFileSync(on.log, 'utf8')).toMatch(/@opentelemetry\/sdk-trace-base/)
  })
})
