// Reaching an AKS cluster through Azure Resource Manager: the cluster user's kubeconfig from
// listClusterUserCredentials, and for AAD-enabled clusters a Kubernetes token minted with the operator's own
// credential (the AKS server application scope), so no kubelogin binary is needed. Nothing is written to disk.
import type { KubeConfig } from '@kubernetes/client-node'
import { authError, configError, MktError, unavailableError } from '../errors.js'
import type { Environment, Region } from '../platform/schema.js'
import { redactor } from '../redact.js'
import { AKS_AAD_SCOPE, CLOUDS } from './clouds.js'
import { AUTH_HINTS, credentialFor } from './credentials.js'
import { failureKind } from './failures.js'

export function armEndpointOf(environment: Environment): string {
  return (environment.endpoints?.arm ?? CLOUDS[environment.cloud].arm).replace(/\/$/, '')
}

interface RestErrorLike {
  name?: string
  statusCode?: number
  code?: string
  message?: string
}

/** ARM failures in mkt's terms: 403 → 77 naming the role, 404 → 78, unreachable → 69. */
export function armError(error: unknown, what: { environment: string; region: string; cluster: string; endpoint: string; auth: string }): MktError {
  if (error instanceof MktError) return error
  const e = error as RestErrorLike
  const where = `AKS ${what.cluster} (environment ${what.environment}, region ${what.region})`
  if (e.statusCode === 401) return authError(`Azure rejected the credential (${what.auth}) for ${where}`, { hints: [AUTH_HINTS[what.auth as keyof typeof AUTH_HINTS] ?? AUTH_HINTS.default] })
  if (e.statusCode === 403) {
    return authError(`permission denied on ${where}: the identity (${what.auth}) cannot list the cluster user credentials`, {
      hints: ['Grant it "Azure Kubernetes Service Cluster User Role" on the cluster (and an RBAC role inside it, e.g. via an Entra group).'],
    })
  }
  if (e.statusCode === 404) return configError(`${where} was not found: check subscription, resourceGroup and cluster in mkt.yaml`, { hints: [(e.message ?? '').split('\n')[0] ?? ''] })
  if (failureKind(error) === 'auth') {
    return authError(`no Azure credential (${what.auth}) for ${where}: ${(e.message ?? '').split('\n')[0]}`, { hints: [AUTH_HINTS[what.auth as keyof typeof AUTH_HINTS] ?? AUTH_HINTS.default] })
  }
  return unavailableError(`cannot reach Azure Resource Manager at ${what.endpoint} for ${where}: ${(e.code ?? e.message ?? String(error)).split('\n')[0]}`, {
    hints: ['Check the network (VPN, proxy) and the cloud / endpoints in mkt.yaml, then retry.'],
  })
}

/** A KubeConfig for an AKS region, entirely in memory. */
export async function aksKubeConfig(environment: Environment, region: Region & { aks: NonNullable<Region['aks']> }): Promise<KubeConfig> {
  const endpoint = armEndpointOf(environment)
  const { credential, kind } = await credentialFor(environment, { interactive: process.stdin.isTTY === true && process.stderr.isTTY === true })
  const what = { environment: environment.name, region: region.name, cluster: region.aks.cluster, endpoint, auth: kind }
  const [{ ContainerServiceClient }, k8s] = await Promise.all([import('@azure/arm-containerservice'), import('@kubernetes/client-node')])
  const client = new ContainerServiceClient(credential, region.aks.subscription, {
    endpoint,
    credentials: { scopes: [`${endpoint}/.default`] },
    // Bounded: an unreachable endpoint must fail in seconds, not after a long retry ladder.
    retryOptions: { maxRetries: 2, retryDelayInMs: 300, maxRetryDelayInMs: 2000 },
  })
  let yaml: string
  let aad: boolean
  try {
    const [cluster, credentials] = await Promise.all([
      client.managedClusters.get(region.aks.resourceGroup, region.aks.cluster),
      client.managedClusters.listClusterUserCredentials(region.aks.resourceGroup, region.aks.cluster),
    ])
    aad = Boolean(cluster.aadProfile)
    const value = credentials.kubeconfigs?.[0]?.value
    if (!value) throw configError(`AKS ${region.aks.cluster} returned no kubeconfig`)
    yaml = Buffer.from(value).toString('utf8')
  } catch (error) {
    throw armError(error, what)
  }
  const kubeConfig = new k8s.KubeConfig()
  kubeConfig.loadFromString(yaml)
  for (const user of kubeConfig.users) redactor.register(user.token)
  if (aad) await useMintedToken(kubeConfig, credential)
  return kubeConfig
}

/**
 * AAD clusters hand out a kubeconfig whose user runs kubelogin. mkt mints the same token itself; when that
 * fails and the kubeconfig has an exec plugin, the plugin stays (the user's own set-up wins).
 */
async function useMintedToken(kubeConfig: KubeConfig, credential: import('@azure/core-auth').TokenCredential): Promise<void> {
  const current = kubeConfig.getCurrentUser()
  try {
    const token = await credential.getToken(AKS_AAD_SCOPE)
    if (!token) throw new Error('no token')
    redactor.register(token.token)
    const name = current?.name ?? 'mkt-aad'
    kubeConfig.users = [...kubeConfig.users.filter((u) => u.name !== name), { name, token: token.token }]
    kubeConfig.contexts = kubeConfig.contexts.map((c) => (c.name === kubeConfig.getCurrentContext() ? { ...c, user: name } : c))
  } catch (error) {
    if (!current?.exec) throw error
  }
}
