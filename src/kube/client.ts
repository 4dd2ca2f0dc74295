// A Kubernetes client for one region of an environment: the same @kubernetes/client-node KubeConfig
// whether the region is the sandbox, a kubeconfig context, or (with the Azure issue) AKS.
import type { KubeConfig } from '@kubernetes/client-node'
import { configError, usageError } from '../errors.js'
import { clusterTarget, describeClusterTarget, regionsInRolloutOrder } from '../platform/environments.js'
import type { Environment, Platform, Region } from '../platform/schema.js'
import { shareConnections } from './http.js'
import { ensureSandbox } from './sandbox.js'

export interface ClusterConnection {
  kubeConfig: KubeConfig
  environment: string
  region: string
  namespace: string
  /** API server URL, for messages. */
  server: string
  description: string
}

/** Loads @kubernetes/client-node only when a command actually talks to a cluster (it costs ~0.7 s). */
export const loadKubeClient = () => import('@kubernetes/client-node')

/**
 * For a command built on Kubernetes alone: exit 78 before anything is read or changed when a selected region runs on
 * Container Apps, in one line naming the command and what to use there instead.
 */
export function refuseContainerApps(environment: Environment, regions: readonly Region[], command: string, instead: string): void {
  const apps = regions.filter((r) => r.containerApps)
  if (apps.length === 0) return
  const kube = regions.filter((r) => !r.containerApps).map((r) => r.name)
  const only = kube.length > 0 ? `, or pass --regions ${kube.join(',')}` : ''
  throw configError(`${command} is not supported on Container Apps regions (environment ${environment.name}, region ${apps.map((r) => r.name).join(', ')}): ${instead}${only}`)
}

export async function connectRegion(platform: Platform, environment: Environment, region: Region): Promise<ClusterConnection> {
  const target = clusterTarget(region)
  // Load the client while the sandbox is checked: both are on the path to an incident's first API write.
  const [k8s, sandbox] = await Promise.all([loadKubeClient(), target.type === 'sandbox' ? ensureSandbox(platform, { environment: environment.name }) : undefined])
  let kubeConfig = new k8s.KubeConfig()
  switch (target.type) {
    case 'sandbox': {
      const { ensureSandboxRegion, isMainClusterRegion } = await import('./sandbox-regions.js')
      kubeConfig.loadFromFile(isMainClusterRegion(region.name) ? sandbox!.kubeconfigPath : (await ensureSandboxRegion(platform, region.name, sandbox)).kubeconfigPath)
      break
    }
    case 'kubeContext': {
      kubeConfig.loadFromDefault()
      if (!kubeConfig.getContextObject(target.context)) {
        throw configError(`kube context "${target.context}" (environment ${environment.name}, region ${region.name}) is not in your kubeconfig`, {
          hints: ['Check KUBECONFIG or ~/.kube/config, e.g. `kubectl config get-contexts`.'],
        })
      }
      kubeConfig.setCurrentContext(target.context)
      break
    }
    case 'containerApps':
      throw configError(`region ${region.name} of environment ${environment.name} runs on Azure Container Apps, not Kubernetes: this command needs a Kubernetes region`, {
        hints: ['On Container Apps, mkt deploy service, rollback, history, health and lock status|break work; see README "Container Apps".'],
      })
    case 'aks': {
      const { aksKubeConfig } = await import('../azure/aks.js')
      kubeConfig = await aksKubeConfig(environment, region as Region & { aks: NonNullable<Region['aks']> })
      break
    }
  }
  return {
    kubeConfig: shareConnections(kubeConfig),
    environment: environment.name,
    region: region.name,
    namespace: region.namespace,
    server: kubeConfig.getCurrentCluster()?.server ?? 'unknown server',
    description: describeClusterTarget(target),
  }
}

/** Resolves `--regions a,b` against an environment, keeping rollout order (primary first). */
export function selectRegions(environment: Environment, wanted: string[] | undefined, ordered: Region[]): Region[] {
  if (!wanted || wanted.length === 0) return ordered
  const unknown = wanted.filter((w) => !environment.regions.some((r) => r.name === w))
  if (unknown.length > 0) {
    throw usageError(`unknown region ${unknown.map((u) => `"${u}"`).join(', ')} in environment ${environment.name}`, {
      hints: [`Regions of ${environment.name}: ${environment.regions.map((r) => r.name).join(', ')}.`],
    })
  }
  return ordered.filter((r) => wanted.includes(r.name))
}

/** `--regions a,b` (or none) → regions in rollout order. */
export function regionsFromFlag(environment: Environment, flag: string | undefined): Region[] {
  const wanted = flag?.split(',').map((r) => r.trim()).filter(Boolean)
  return selectRegions(environment, wanted, regionsInRolloutOrder(environment))
}
