// The Container Apps e2e tests' view of the sandbox: started through the built CLI, observed with the real
// ContainerAppsAPIClient on its ARM endpoint (its CA and token), the way any Azure client would.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers'
import { expect } from 'vitest'
import { runMkt } from './cli.js'

export const SANDBOX_RESOURCE_GROUP = 'rg-marketplace-local'

/** `mkt sandbox start` in `dataDir` (exit 0 asserted), then a client on its ARM endpoint. */
export async function startContainerAppsSandbox(dataDir: string, cwd: string): Promise<ContainerAppsAPIClient> {
  const start = await runMkt(['sandbox', 'start'], { env: { MKT_SANDBOX_DIR: dataDir }, cwd, timeoutMs: 120_000 })
  expect(start.exitCode, start.stderr).toBe(0)
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { endpoints: { arm: string } }
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim()
  return new ContainerAppsAPIClient({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) }, '00000000-0000-0000-0000-000000000000', {
    endpoint: state.endpoints.arm,
    tlsOptions: { ca: readFileSync(join(dataDir, 'ca.crt'), 'utf8') },
  })
}

/** A lock tag on `app` as another operator's mkt leaves it when its runner dies: lease 10 minutes ahead, nobody renewing. */
export async function strandLock(client: ContainerAppsAPIClient, app: string, holder: string, operation: string): Promise<void> {
  const { location } = await client.containerApps.get(SANDBOX_RESOURCE_GROUP, app)
  const lock = JSON.stringify({ h: holder, op: operation, at: new Date().toISOString(), exp: new Date(Date.now() + 600_000).toISOString() })
  await client.containerApps.beginUpdateAndWait(SANDBOX_RESOURCE_GROUP, app, { location: location!, tags: { 'mkt-lock': lock } }, { updateIntervalInMs: 200 })
}
