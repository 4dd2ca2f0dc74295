// `mkt login --env E`: can this identity, from this machine, reach everything the environment needs?
// Every check runs at once (ARM and the cluster API per region; Service Bus, Key Vault and the database's
// address per environment) and each says ok, failed (with why and what to do) or skipped (not configured).
import { connect as tcpConnect } from 'node:net'
import { MktError } from '../errors.js'
import { connectRegion } from '../kube/client.js'
import { kubeGet } from '../kube/http.js'
import type { Environment, Platform } from '../platform/schema.js'
import { clusterTarget } from '../platform/environments.js'
import { authKindOf } from './credentials.js'
import { azureFailure } from './failures.js'

export type CheckName = 'cluster' | 'serviceBus' | 'keyVault' | 'database'

export interface LoginCheck {
  check: CheckName
  region: string | null
  target: string
  status: 'ok' | 'failed' | 'skipped'
  detail: string
  exitCode: number | null
  hints: string[]
  durationMs: number
}

async function timed(check: CheckName, region: string | null, target: string, work: () => Promise<string>): Promise<LoginCheck> {
  const started = Date.now()
  try {
    const detail = await work()
    return { check, region, target, status: 'ok', detail, exitCode: null, hints: [], durationMs: Date.now() - started }
  } catch (error) {
    // Anything not already mapped reads like every command would read it: auth 77, unreachable 69.
    const e = error instanceof MktError ? error : azureFailure(error, target, check === 'cluster' ? 'answer' : 'be reached', { auth: 'Run `az login`, or check the pipeline identity.' })
    return { check, region, target, status: 'failed', detail: e.message, exitCode: e.exitCode, hints: e.hints, durationMs: Date.now() - started }
  }
}

const skipped = (check: CheckName, why: string): LoginCheck => ({ check, region: null, target: '-', status: 'skipped', detail: why, exitCode: null, hints: [], durationMs: 0 })

function reachable(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs })
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('timeout', () => {
      socket.destroy()
      reject(new MktError('UNAVAILABLE', 69, `no answer from ${host}:${port} within ${timeoutMs / 1000} s`))
    })
    socket.once('error', (error) => reject(new MktError('UNAVAILABLE', 69, `cannot reach ${host}:${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)))
  })
}

export async function checkLogin(platform: Platform, environment: Environment, options: { auth?: string; timeoutMs: number }): Promise<{ identity: string; checks: LoginCheck[] }> {
  if (options.auth) process.env.MKT_AUTH = options.auth
  const identity = environment.regions.some((r) => ['aks', 'containerApps'].includes(clusterTarget(r).type)) || environment.serviceBus || environment.keyVault ? `auth ${authKindOf(environment, options.auth)}` : 'kubeconfig'
  const clusterChecks = environment.regions.map((region) => {
    const target = clusterTarget(region)
    const description = target.type === 'aks' ? `AKS ${target.cluster} (via ARM)` : target.type === 'kubeContext' ? `context ${target.context}` : target.type === 'containerApps' ? `Container Apps ${target.environment} (via ARM)` : 'sandbox'
    return timed('cluster', region.name, description, async () => {
      if (target.type === 'containerApps') {
        const { checkContainerAppsAccess } = await import('../runtime/containerapps/service.js')
        return checkContainerAppsAccess(platform, environment, region)
      }
      const connection = await connectRegion(platform, environment, region)
      const answer = await kubeGet(connection.kubeConfig, `/api/v1/namespaces/${encodeURIComponent(region.namespace)}`, options.timeoutMs)
      if (answer.status === 'error') throw new MktError('UNAVAILABLE', 69, `Kubernetes API ${connection.server}: ${answer.error}`)
      if (answer.status === 401 || answer.status === 403) throw new MktError('AUTH', 77, `Kubernetes API ${connection.server} answered ${answer.status} for namespace ${region.namespace}`, { hints: ['The identity needs a role in the cluster that can read the namespace.'] })
      if (answer.status === 404) throw new MktError('CONFIG', 78, `namespace ${region.namespace} does not exist in ${connection.server}`)
      if (answer.status !== 200) throw new MktError('UNAVAILABLE', 69, `Kubernetes API ${connection.server} answered ${answer.status}`)
      return `${connection.server}, namespace ${region.namespace}`
    })
  })
  const serviceBus = environment.serviceBus
    ? timed('serviceBus', null, 'namespace' in environment.serviceBus ? environment.serviceBus.namespace : 'sandbox', async () => {
        const { serviceBusFor } = await import('./servicebus.js')
        const { serviceBusError } = await import('../topology/service.js')
        const { client, namespace } = await serviceBusFor(platform, environment)
        try {
          await client.listQueues().byPage({ maxPageSize: 1 }).next()
        } catch (error) {
          throw serviceBusError(error, namespace, 'list queues')
        }
        return `${namespace}: can list entities`
      })
    : Promise.resolve(skipped('serviceBus', 'no serviceBus in mkt.yaml'))
  const keyVault = environment.keyVault
    ? timed('keyVault', null, 'url' in environment.keyVault ? environment.keyVault.url : 'sandbox', async () => {
        const { keyVaultFor } = await import('./keyvault.js')
        const { client, url } = await keyVaultFor(platform, environment)
        try {
          await client.listPropertiesOfSecrets().byPage({ maxPageSize: 1 }).next()
        } catch (error) {
          throw azureFailure(error, `Key Vault ${url}`, 'list secrets', { auth: 'The identity needs the "Key Vault Secrets Officer" role (or Secrets User to read).' })
        }
        return `${url}: can list secrets`
      })
    : Promise.resolve(skipped('keyVault', 'no keyVault in mkt.yaml'))
  const database = environment.database?.url || process.env.MKT_DATABASE_URL
    ? timed('database', null, 'connection string', async () => {
        const { resolveDatabaseAddress } = await import('../migrate/address.js')
        const address = await resolveDatabaseAddress(platform, environment)
        await reachable(address.host, address.port, options.timeoutMs)
        return `${address.host}:${address.port} answers (${address.source}; credentials not tried)`
      })
    : Promise.resolve(skipped('database', 'no database in mkt.yaml'))
  const checks = await Promise.all([...clusterChecks, serviceBus, keyVault, database])
  return { identity, checks }
}

/** 0 when everything reachable is ok; else the most telling failure: auth 77, then unavailable 69, then config 78. */
export function loginExitCode(checks: LoginCheck[]): number {
  const codes = checks.filter((c) => c.status === 'failed').map((c) => c.exitCode ?? 1)
  if (codes.length === 0) return 0
  for (const code of [77, 69, 78]) if (codes.includes(code)) return code
  return codes[0]!
}
