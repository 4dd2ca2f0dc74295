// Calls a sandbox control route (/_sandbox/...) the way any client would: its state's URL, CA and token.
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'

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
