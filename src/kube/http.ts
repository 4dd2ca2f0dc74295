// Raw GETs to the API server with the kubeconfig's credentials, for what the typed client does not do
// well: proxied health probes (any status, any body, a hard timeout). One keep-alive agent per
// KubeConfig, so forty probes share a handful of TLS connections instead of forty handshakes.
import type { KubeConfig } from '@kubernetes/client-node'
import { Agent, request, type RequestOptions } from 'node:https'

const agents = new WeakMap<KubeConfig, Promise<{ agent: Agent; headers: Record<string, string> }>>()

async function connectionFor(kubeConfig: KubeConfig) {
  let entry = agents.get(kubeConfig)
  if (!entry) {
    entry = (async () => {
      const options: RequestOptions = { headers: {} }
      await kubeConfig.applyToHTTPSOptions(options)
      const { ca, cert, key, rejectUnauthorized, servername } = options
      const agent = new Agent({ keepAlive: true, maxSockets: 64, ca, cert, key, rejectUnauthorized, servername })
      return { agent, headers: (options.headers ?? {}) as Record<string, string> }
    })()
    agents.set(kubeConfig, entry)
  }
  return entry
}

export interface RawResponse {
  status: number | 'error'
  body?: string
  error?: string
  durationMs: number
  /** The server's Date header: its clock, for ages of the timestamps it wrote. */
  date?: string
}

/** GET `path` (starting with /api) on the current cluster. Never throws: failures come back as status 'error'. */
export async function kubeGet(kubeConfig: KubeConfig, path: string, timeoutMs: number): Promise<RawResponse> {
  const started = Date.now()
  const server = kubeConfig.getCurrentCluster()?.server
  if (!server) return { status: 'error', error: 'no cluster in kubeconfig', durationMs: 0 }
  const { agent, headers } = await connectionFor(kubeConfig)
  return new Promise((resolve) => {
    const req = request(`${server.replace(/\/$/, '')}${path}`, { method: 'GET', agent, headers: { ...headers, accept: 'application/json, */*' }, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, durationMs: Date.now() - started, ...(res.headers.date ? { date: res.headers.date } : {}) }))
      res.on('error', (error) => resolve({ status: 'error', error: error.message, durationMs: Date.now() - started }))
    })
    // A hard deadline for the whole exchange, not just socket inactivity.
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs / 1000} s`)), timeoutMs)
    req.on('close', () => clearTimeout(timer))
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs / 1000} s`)))
    req.on('error', (error) => resolve({ status: 'error', error: error.message, durationMs: Date.now() - started }))
    req.end()
  })
}

/** Closes the keep-alive connections of a KubeConfig (so a finished command exits promptly). */
export async function closeKubeConnections(kubeConfig: KubeConfig): Promise<void> {
  const entry = agents.get(kubeConfig)
  if (entry) (await entry).agent.destroy()
}
