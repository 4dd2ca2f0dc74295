// The connections of a run to one API server, and raw GETs over them for what the typed client does not do
// well: proxied health probes (any status, any body, a hard timeout).
// client-node 1.4 makes a new https.Agent for every API call (KubeConfig.applySecurityAuthentication), so each
// call paid a TCP and TLS handshake. shareConnections() gives a KubeConfig one keep-alive agent that its API
// clients and kubeGet() both use: list calls, probes and writes reuse sockets, and new sockets resume the
// TLS session the first one negotiated instead of a full handshake.
import type { KubeConfig } from '@kubernetes/client-node'
import { Agent, request, type RequestOptions } from 'node:https'

interface Connection {
  agent: Agent
  headers: Record<string, string>
}

const connections = new WeakMap<KubeConfig, Promise<Connection>>()

function connectionFor(kubeConfig: KubeConfig): Promise<Connection> {
  let entry = connections.get(kubeConfig)
  if (!entry) {
    entry = (async () => {
      const options: RequestOptions = { headers: {} }
      await kubeConfig.applyToHTTPSOptions(options)
      const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options
      // A proxied cluster (proxy-url in the kubeconfig) keeps the proxy agent client-node made for it.
      const made = options.agent
      const agent =
        made instanceof Agent && made.constructor !== Agent
          ? made
          : new Agent({ keepAlive: true, maxSockets: 64, ca, cert, key, pfx, passphrase, rejectUnauthorized, servername })
      return { agent, headers: (options.headers ?? {}) as Record<string, string> }
    })()
    connections.set(kubeConfig, entry)
  }
  return entry
}

/** Makes every API client of this KubeConfig (makeApiClient) send its calls through the run's one agent. */
export function shareConnections(kubeConfig: KubeConfig): KubeConfig {
  const authenticate = kubeConfig.applySecurityAuthentication.bind(kubeConfig)
  kubeConfig.applySecurityAuthentication = async (context) => {
    // client-node still sets the credentials (headers, exec tokens); only its throw-away agent is replaced.
    await authenticate(context)
    context.setAgent((await connectionFor(kubeConfig)).agent)
  }
  return kubeConfig
}

export interface RawResponse {
  status: number | 'error'
  body?: string
  error?: string
  durationMs: number
  /** Response headers (lower-case names), when an answer came. */
  headers?: Record<string, string | string[] | undefined>
  /** The server's Date header: its clock, for ages of the timestamps it wrote. */
  date?: string
}

/** GET `path` (starting with /api) on the current cluster. Never throws: failures come back as status 'error'. */
export async function kubeGet(kubeConfig: KubeConfig, path: string, timeoutMs: number, options: { withHeaders?: boolean } = {}): Promise<RawResponse> {
  const started = Date.now()
  const server = kubeConfig.getCurrentCluster()?.server
  if (!server) return { status: 'error', error: 'no cluster in kubeconfig', durationMs: 0 }
  const { agent, headers } = await connectionFor(kubeConfig)
  return new Promise((resolve) => {
    const req = request(`${server.replace(/\/$/, '')}${path}`, { method: 'GET', agent, headers: { ...headers, accept: 'application/json, */*' }, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, durationMs: Date.now() - started, ...(options.withHeaders ? { headers: res.headers } : {}), ...(res.headers.date ? { date: res.headers.date } : {}) }))
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
  const entry = connections.get(kubeConfig)
  if (entry) (await entry).agent.destroy()
}

/** The message of a Kubernetes Status body (what the API server says went wrong), if the body is one. */
export function kubeStatusMessage(body: string | undefined): string | undefined {
  try {
    const status = JSON.parse(body ?? '') as { kind?: string; message?: string }
    return status.kind === 'Status' && status.message ? status.message : undefined
  } catch {
    return undefined
  }
}
