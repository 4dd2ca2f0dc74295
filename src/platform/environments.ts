// Environment resolution: which environment a command targets, and what it resolves to (no secrets).
import { usageError } from '../errors.js'
import { closestNames } from './components.js'
import type { Environment, Platform, Region } from './schema.js'

export function resolveEnvironment(platform: Platform, name: string | undefined): Environment {
  const wanted = name ?? platform.defaults.environment
  const env = platform.environments.find((e) => e.name === wanted)
  if (env) return env
  const names = platform.environments.map((e) => e.name)
  const close = closestNames(wanted, names)
  throw usageError(`unknown environment "${wanted}"`, {
    hints: [
      close.length > 0 ? `Did you mean ${close.map((s) => `"${s}"`).join(' or ')}?` : `Environments: ${names.join(', ')}.`,
      'Run `mkt env list` to see the environments in mkt.yaml.',
    ],
  })
}

/** Primary region first, then the others in file order: the order deploys roll in. */
export function regionsInRolloutOrder(env: Environment): Region[] {
  if (env.regions.length === 1) return [...env.regions]
  return [...env.regions].sort((a, b) => Number(b.primary) - Number(a.primary))
}

/**
 * The environment's first region that runs on Kubernetes, primary first: where what needs a cluster lives (the
 * release record and lock, migration Jobs). Undefined on Container Apps alone.
 */
export const firstKubernetesRegion = (env: Environment): Region | undefined => regionsInRolloutOrder(env).find((r) => !r.containerApps)

export type ClusterTarget =
  | { type: 'sandbox' }
  | { type: 'aks'; subscription: string; resourceGroup: string; cluster: string }
  | { type: 'kubeContext'; context: string }
  | { type: 'containerApps'; subscription: string; resourceGroup: string; environment: string; sandbox: boolean }

export function clusterTarget(region: Region): ClusterTarget {
  if (region.containerApps) return { type: 'containerApps', ...region.containerApps, sandbox: region.sandbox === true }
  if (region.sandbox) return { type: 'sandbox' }
  if (region.aks) return { type: 'aks', ...region.aks }
  return { type: 'kubeContext', context: region.kubeContext ?? '' }
}

export function describeClusterTarget(target: ClusterTarget): string {
  switch (target.type) {
    case 'sandbox':
      return 'embedded sandbox'
    case 'aks':
      return `AKS ${target.cluster} (resource group ${target.resourceGroup}, subscription ${target.subscription})`
    case 'kubeContext':
      return `kube context ${target.context}`
    case 'containerApps':
      return `Container Apps environment ${target.environment} (resource group ${target.resourceGroup}, subscription ${target.subscription})${target.sandbox ? ' in the embedded sandbox' : ''}`
  }
}

/** Where the database connection string comes from, described without reading it. */
export function describeDatabaseSource(env: Environment): string {
  const url = env.database?.url
  if (!url) return 'not configured'
  if ('secret' in url) return `Key Vault secret ${url.secret}`
  if ('env' in url) return `environment variable ${url.env}`
  return 'embedded sandbox database'
}

export interface EnvironmentSummary {
  name: string
  description: string | null
  protected: boolean
  default: boolean
  cloud: string
  regions: Array<{ name: string; primary: boolean; namespace: string; cluster: ClusterTarget; clusterDescription: string }>
  serviceBusNamespace: string | null
  keyVaultUrl: string | null
  database: { engine: string | null; source: string }
}

export function summarizeEnvironment(platform: Platform, env: Environment): EnvironmentSummary {
  return {
    name: env.name,
    description: env.description ?? null,
    protected: env.protected,
    default: platform.defaults.environment === env.name,
    cloud: env.cloud,
    regions: regionsInRolloutOrder(env).map((r) => {
      const cluster = clusterTarget(r)
      return { name: r.name, primary: r.primary || env.regions.length === 1, namespace: r.namespace, cluster, clusterDescription: describeClusterTarget(cluster) }
    }),
    serviceBusNamespace: env.serviceBus === undefined ? null : 'namespace' in env.serviceBus ? env.serviceBus.namespace : 'embedded sandbox',
    keyVaultUrl: env.keyVault === undefined ? null : 'url' in env.keyVault ? env.keyVault.url : 'embedded sandbox',
    database: { engine: env.database?.engine ?? null, source: describeDatabaseSource(env) },
  }
}
