// Calls a sandbox control route (/_sandbox/...) the way any client would: its state's URL, CA and token.
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { runMkt } from './cli.js'

export interface SandboxAnswer {
  status: number
  text: string
  json: Record<string, unknown>
}

export function sandboxRequest(dataDir: string, method: string, path: string, body?: unknown): Promise<SandboxAnswer> {
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { endpoints: { kubernetes: string } }
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim()
  const ca = readFileSync(join(dataDir, 'ca.crt'), 'utf8')
  return new Promise((resolve, reject) => {
    const req = request(`${state.endpoints.kubernetes}${path}`, { method, ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

/** The real ContainerAppsAPIClient against a running sandbox's ARM endpoint (its URL, CA and token), as a foreign client. */
export async function sandboxContainerAppsClient(dataDir: string) {
  const { ContainerAppsAPIClient } = await import('@azure/arm-appcontainers')
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { endpoints: { arm: string } }
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim()
  return new ContainerAppsAPIClient({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) }, '00000000-0000-0000-0000-000000000000', {
    endpoint: state.endpoints.arm,
    tlsOptions: { ca: readFileSync(join(dataDir, 'ca.crt'), 'utf8') },
  })
}

/** The resource group of the sandbox's seeded container apps (the built-in `containerapps` environment). */
export const SANDBOX_RESOURCE_GROUP = 'rg-marketplace-local'

/** A lock tag on `app` as another operator's mkt leaves it when its runner dies: lease 10 minutes ahead, nobody renewing. */
export async function strandLock(client: Awaited<ReturnType<typeof sandboxContainerAppsClient>>, app: string, holder: string, operation: string): Promise<void> {
  const { location } = await client.containerApps.get(SANDBOX_RESOURCE_GROUP, app)
  const lock = JSON.stringify({ h: holder, op: operation, at: new Date().toISOString(), exp: new Date(Date.now() + 600_000).toISOString() })
  await client.containerApps.beginUpdateAndWait(SANDBOX_RESOURCE_GROUP, app, { location: location!, tags: { 'mkt-lock': lock } }, { updateIntervalInMs: 200 })
}

/** Starts the sandbox of `dataDir` with the built CLI (failing loudly) and returns a foreign ContainerAppsAPIClient on it. */
export async function startSandboxForContainerApps(dataDir: string, options: { env: Record<string, string>; cwd: string }) {
  const start = await runMkt(['sandbox', 'start'], { ...options, timeoutMs: 120_000 })
  if (start.exitCode !== 0) throw new Error(`mkt sandbox start exited ${start.exitCode}: ${start.stderr}`)
  return sandboxContainerAppsClient(dataDir)
}
