// GitOps ownership: a Deployment that Flux or Argo CD reconciles is put back to what Git says as soon as mkt
// changes it, so a direct deploy or release would silently be undone. Pure: reads labels and annotations only.
import type { V1Deployment } from '@kubernetes/client-node'
import { configError } from '../errors.js'

const FLUX_PREFIXES = ['kustomize.toolkit.fluxcd.io/', 'helm.toolkit.fluxcd.io/'] as const
const ARGO_INSTANCE_LABEL = 'argocd.argoproj.io/instance'
const ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id'

/** Which reconciler owns the Deployment (`Flux Kustomization apps/web`, `Argo CD application shop`), if any. */
export function gitopsOwnerOf(deployment: V1Deployment): string | undefined {
  const labels = deployment.metadata?.labels ?? {}
  const annotations = deployment.metadata?.annotations ?? {}
  for (const prefix of FLUX_PREFIXES) {
    const name = labels[`${prefix}name`]
    const keys = Object.keys(labels).filter((k) => k.startsWith(prefix))
    if (keys.length > 0) {
      const kind = prefix.startsWith('kustomize') ? 'Kustomization' : 'HelmRelease'
      const namespace = labels[`${prefix}namespace`]
      return `Flux ${kind}${name ? ` ${namespace ? `${namespace}/` : ''}${name}` : ''}`
    }
  }
  const instance = labels[ARGO_INSTANCE_LABEL]
  if (instance) return `Argo CD application ${instance}`
  const tracking = annotations[ARGO_TRACKING_ANNOTATION]
  if (tracking) return `Argo CD application ${tracking.split(':')[0]}`
  return undefined
}

/** Exit 78 naming the owned Deployments, unless the operator accepted the drift (--allow-gitops-drift). */
export function assertNoGitopsOwner(owned: Array<{ region: string; component: string; owner: string }>, environment: string): void {
  if (owned.length === 0) return
  const first = owned[0]!
  throw configError(
    `${first.region}/${first.component} in ${environment} is managed by ${first.owner}${owned.length > 1 ? ` (+${owned.length - 1} more managed Deployments)` : ''}: a direct change would be reverted by the reconciler`,
    {
      hints: [
        'Change the image in Git and let the reconciler roll it out, or suspend the reconciler first (flux suspend kustomization <name> / disable Argo CD auto-sync).',
        'To change it anyway (a hotfix while the reconciler is suspended): pass --allow-gitops-drift.',
      ],
    },
  )
}

/** The owned Deployments among those a deploy read (prepareDeploy's `deployments`, keyed region\u0000component). */
export function gitopsOwners(prepared: { deployments: ReadonlyMap<string, V1Deployment> }): Array<{ region: string; component: string; owner: string }> {
  return [...prepared.deployments.entries()].flatMap(([key, deployment]) => {
    const owner = gitopsOwnerOf(deployment)
    const [region, component] = key.split('\u0000') as [string, string]
    return owner ? [{ region, component, owner }] : []
  })
}
