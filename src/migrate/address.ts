// Where the environment's database listens, without logging in: for `mkt login`'s reachability check.
// The sandbox's is read from its state (the PGlite front listens before the database starts).
import { ensureSandbox } from '../kube/sandbox.js'
import type { Environment, Platform } from '../platform/schema.js'
import { databaseSource, parseConnectionString, targetOf } from './connection.js'
import { SANDBOX_DATABASE_SOURCE } from './sandbox-database.js'
import { connectionStringFor } from './sql-runner.js'

export async function resolveDatabaseAddress(platform: Platform, environment: Environment): Promise<{ host: string; port: number; source: string }> {
  const source = databaseSource(environment, process.env)
  if (source.kind === 'sandbox') {
    const state = await ensureSandbox(platform, { environment: environment.name })
    const url = new URL(state.endpoints.postgres ?? 'postgresql://127.0.0.1:5432')
    return { host: url.hostname, port: Number(url.port || 5432), source: SANDBOX_DATABASE_SOURCE }
  }
  const { text, source: described } = await connectionStringFor(platform, environment, source, process.env)
  const target = targetOf(parseConnectionString(text))
  return { host: target.host, port: target.port, source: described }
}
