// `mkt health serve`: the aggregator behind a small HTTP server.
//   GET /health        the envelope of `mkt health --json` (ok, or the UNHEALTHY/UNAVAILABLE error), from memory
//   GET /metrics       Prometheus text format (prom-client)
//   GET /events        Server-Sent Events: a `snapshot` on connect, a `change` per changed roll-up
//   GET /health/live   the server itself runs; /health/ready: it has a roll-up for every line
// The live/ready answers use ASP.NET Core HealthChecks JSON, like every component of the platform.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { HealthModel } from '../report.js'
import { HealthAggregator, type HealthChange, type ServeOptions } from './aggregator.js'
import { createHealthMetrics, type HealthMetrics } from './metrics.js'

/** Event-stream clients at once; more get 503 (each holds a socket and a little buffer). */
const MAX_EVENT_CLIENTS = 256
/** A client that reads slower than this much buffered output is dropped rather than buffered without end. */
const MAX_EVENT_BUFFER_BYTES = 1024 * 1024
const HEARTBEAT_MS = 15_000

export interface HealthServer {
  url: string
  aggregator: HealthAggregator
  /** Stops accepting, ends event streams, stops watches and timers. */
  close(): Promise<void>
}

export interface ListenAddress {
  host: string
  port: number
}

/** `127.0.0.1:9464`, `:9464`, `[::1]:9464` or `0.0.0.0:9464`. */
export function parseListen(value: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim())
  if (!match) return undefined
  const port = Number(match[3])
  if (port > 65_535) return undefined
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port }
}

/** What an event-stream client sees on connect: every line's health and explanation. */
function snapshotOf(model: HealthModel) {
  return {
    at: model.checkedAt,
    environment: model.environment,
    health: model.health,
    lines: model.components.flatMap((c) => c.regions.map((r) => ({ component: c.name, region: r.region, health: r.health, explanation: r.explanation }))),
  }
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

export async function startHealthServer(options: ServeOptions, listen: ListenAddress): Promise<HealthServer> {
  const aggregator = new HealthAggregator(options)
  const metrics: HealthMetrics = await createHealthMetrics(aggregator, options.environment.name)
  const streams = new Set<ServerResponse>()
  let closing = false

  aggregator.subscribe({
    updated(_model, change: HealthChange | undefined) {
      if (!change) return
      const frame = sse('change', change)
      for (const res of streams) send(res, frame)
    },
  })

  const send = (res: ServerResponse, frame: string) => {
    if (res.writableLength > MAX_EVENT_BUFFER_BYTES) {
      streams.delete(res)
      res.destroy()
      return
    }
    res.write(frame)
  }

  const json = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  const selfCheck = (res: ServerResponse, ok: boolean, description: string) =>
    json(res, ok ? 200 : 503, JSON.stringify({ status: ok ? 'Healthy' : 'Unhealthy', entries: { aggregator: { status: ok ? 'Healthy' : 'Unhealthy', description } } }))

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
    '/health': (_req, res) => {
      const body = aggregator.currentEnvelope()
      if (body === '') return json(res, 503, JSON.stringify({ ok: false, error: { code: 'UNAVAILABLE', exitCode: 69, message: 'no roll-up yet: the first watches and probes are still running', hints: ['Retry in a few seconds; /health/ready says when.'] }, result: null, warnings: [] }))
      json(res, 200, body)
    },
    '/metrics': async (_req, res) => {
      const body = await metrics.render()
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
      res.end(body)
    },
    '/events': (req, res) => {
      if (streams.size >= MAX_EVENT_CLIENTS) return json(res, 503, JSON.stringify({ error: `too many event streams (${MAX_EVENT_CLIENTS})` }))
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
      res.write('retry: 2000\n\n')
      const model = aggregator.current()
      if (model) res.write(sse('snapshot', snapshotOf(model)))
      streams.add(res)
      req.on('close', () => streams.delete(res))
    },
    '/health/live': (_req, res) => selfCheck(res, !closing, closing ? 'shutting down' : 'serving'),
    '/health/ready': (_req, res) => {
      const ready = aggregator.ready && !closing
      selfCheck(res, ready, closing ? 'shutting down' : ready ? 'every region watched and every component probed' : 'first watches and probes still running')
    },
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    const route = routes[path]
    if (!route) return json(res, 404, JSON.stringify({ error: `no route ${path}; try /health, /metrics, /events, /health/live, /health/ready` }))
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return json(res, 405, JSON.stringify({ error: `${req.method} not allowed on ${path}` }))
    }
    Promise.resolve(route(req, res)).catch((error: Error) => {
      if (!res.headersSent) json(res, 500, JSON.stringify({ error: error.message }))
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5000

  const heartbeat = setInterval(() => {
    for (const res of streams) send(res, ': keep-alive\n\n')
  }, HEARTBEAT_MS)
  heartbeat.unref()

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Listening first: /health/live answers while the first lists and probes run.
  const started = aggregator.start()
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address

  return {
    url: `http://${host}:${address.port}`,
    aggregator,
    async close() {
      closing = true
      clearInterval(heartbeat)
      for (const res of streams) res.end()
      streams.clear()
      server.close()
      server.closeAllConnections()
      // Not waiting for a region still connecting: stop() makes it drop what it gets.
      void started.catch(() => undefined)
      await aggregator.stop()
    },
  }
}
