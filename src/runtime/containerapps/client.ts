// Reaching Azure Container Apps for one region of an environment: the official ContainerAppsAPIClient
// (@azure/arm-appcontainers) with the environment's credential and ARM endpoint, or, for a region marked
// `sandbox: true`, the sandbox's ARM endpoint, its CA and its token. Loaded only when a command needs it.
import type { ContainerAppsAPIClient } from '@azure/arm-appcontainers'
import { armEndpointOf } from '../../azure/aks.js'
import { AUTH_HINTS, credentialFor } from '../../azure/credentials.js'
import { failureKind } from '../../azure/failures.js'
import { authError, configError, lockedError, MktError, unavailableError, failedError } from '../../errors.js'
import { describeClusterTarget } from '../../platform/environments.js'
import type { Component, Environment, Platform, Region } from '../../platform/schema.js'

export type ContainerAppsTarget = NonNullable<Region['containerApps']>

export interface ContainerAppsConnection {
  client: ContainerAppsAPIClient
  environment: string
  region: string
  target: ContainerAppsTarget
  /** For messages: `Container Apps environment … (resource group …)`. */
  description: string
  endpoint: string
  /** What the credential is (`auth cli`, `token`, `sandbox`), for error messages. */
  auth: string
  /** Where the environment's ingress answers when DNS would not say (the sandbox's): address, port and its CA. */
  ingress?: { address: string; port: number; ca: string }
}

/** The roles README documents: what to grant when ARM answers 403. */
export const CONTAINER_APPS_ROLES = { write: 'Container Apps Contributor', read: 'Reader' } as const

/** The container app of a component on Container Apps regions (`containerApp:` in mkt.yaml, else its name). */
export const containerAppOf = (component: Component) => component.containerApp ?? component.name

export async function connectContainerApps(platform: Platform, environment: Environment, region: Region): Promise<ContainerAppsConnection> {
  const target = region.containerApps
  if (!target) throw configError(`region ${region.name} of environment ${environment.name} is not a Container Apps region`)
  const { ContainerAppsAPIClient } = await import('@azure/arm-appcontainers')
  // Bounded: an unreachable endpoint must fail in seconds, not after a long retry ladder.
  const retryOptions = { maxRetries: 2, retryDelayInMs: 300, maxRetryDelayInMs: 2000 }
  const description = describeClusterTarget({ type: 'containerApps', ...target, sandbox: region.sandbox === true })
  if (region.sandbox) {
    const { sandboxAzureEndpoint } = await import('../../azure/sandbox.js')
    const sandbox = await sandboxAzureEndpoint(platform, 'arm', environment.name)
    const client = new ContainerAppsAPIClient(sandbox.credential, target.subscription, { endpoint: sandbox.url, tlsOptions: { ca: sandbox.ca }, retryOptions })
    const ingress = { address: '127.0.0.1', port: Number(new URL(sandbox.url).port), ca: sandbox.ca }
    return { client, environment: environment.name, region: region.name, target, description, endpoint: sandbox.url, auth: 'sandbox', ingress }
  }
  const endpoint = armEndpointOf(environment)
  const { credential, kind } = await credentialFor(environment, { interactive: process.stdin.isTTY === true && process.stderr.isTTY === true })
  const client = new ContainerAppsAPIClient(credential, target.subscription, { endpoint, credentialScopes: [`${endpoint}/.default`], retryOptions })
  return { client, environment: environment.name, region: region.name, target, description, endpoint, auth: kind }
}

interface RestErrorLike {
  statusCode?: number
  code?: string
  message?: string
}

/**
 * ARM failures in mkt's terms: 401 → 77, 403 → 77 naming the role, 404 → 78 (a name in mkt.yaml is wrong), 412 →
 * 73 (someone else wrote first), unreachable → 69, another ARM refusal → 1 with its message.
 */
export function containerAppsError(error: unknown, connection: Pick<ContainerAppsConnection, 'description' | 'environment' | 'region' | 'endpoint' | 'auth'>, action: { what: string; write: boolean }): MktError {
  if (error instanceof MktError) return error
  const e = error as RestErrorLike
  const where = `${connection.description} (environment ${connection.environment}, region ${connection.region})`
  const detail = (e.message ?? String(error)).split('\n')[0]
  if (e.statusCode === 401) return authError(`Azure rejected the credential (${connection.auth}) for ${where}`, { hints: [AUTH_HINTS[connection.auth as keyof typeof AUTH_HINTS] ?? AUTH_HINTS.default] })
  if (e.statusCode === 403) {
    const role = action.write ? CONTAINER_APPS_ROLES.write : CONTAINER_APPS_ROLES.read
    return authError(`permission denied: the identity (${connection.auth}) cannot ${action.what} in ${where}`, { hints: [`Grant it "${role}" on the resource group (or the container apps).`] })
  }
  if (e.statusCode === 404) return configError(`${action.what}: not found in ${where}: ${detail}`, { hints: ['Check subscription, resourceGroup and environment under containerApps in mkt.yaml, and the component\'s containerApp name.'] })
  if (e.statusCode === 412) return lockedError(`${action.what}: the container app changed while mkt was writing (If-Match precondition failed)`, { hints: ['Another operation wrote to it; retry in a moment (`mkt history` shows what changed).'] })
  if (failureKind(error) === 'auth') return authError(`no Azure credential (${connection.auth}) for ${where}: ${detail}`, { hints: [AUTH_HINTS[connection.auth as keyof typeof AUTH_HINTS] ?? AUTH_HINTS.default] })
  if (e.statusCode === undefined || failureKind(error) === 'unavailable') {
    return unavailableError(`cannot reach Azure Resource Manager at ${connection.endpoint} to ${action.what} (${where}): ${(e.code ?? detail).split('\n')[0]}`, {
      hints: ['Check the network (VPN, proxy) and the cloud / endpoints in mkt.yaml, then retry.'],
    })
  }
  return failedError(`ARM refused to ${action.what} (${where}): ${detail}`)
}
