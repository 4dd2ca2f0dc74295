// For `mkt health --watch`: resolves on the first change to a Deployment or pod in any region (a
// Kubernetes watch), or after `intervalMs` (application health changes without Kubernetes noticing).
import { connectRegion, loadKubeClient } from '../kube/client.js'
import type { HealthOptions } from './probe.js'

export async function waitForChange(options: HealthOptions, intervalMs: number, signal: AbortSignal): Promise<void> {
  const k8s = await loadKubeClient()
  const aborts: AbortController[] = []
  let finish: () => void = () => undefined
  const changed = new Promise<void>((resolve) => (finish = resolve))
  const timer = setTimeout(finish, intervalMs)
  signal.addEventListener('abort', finish, { once: true })
  try {
    for (const region of options.regions) {
      const connection = await connectRegion(options.platform, options.environment, region).catch(() => undefined)
      if (!connection) continue
      const watch = new k8s.Watch(connection.kubeConfig)
      for (const path of [`/apis/apps/v1/namespaces/${region.namespace}/deployments`, `/api/v1/namespaces/${region.namespace}/pods`]) {
        // Start from "now": the list call is skipped by asking for changes after the current resourceVersion.
        const list = path.includes('/deployments')
          ? await connection.kubeConfig.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: region.namespace, limit: 1 })
          : await connection.kubeConfig.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: region.namespace, limit: 1 })
        const controller = await watch.watch(
          path,
          { resourceVersion: list.metadata?.resourceVersion ?? '0', allowWatchBookmarks: 'true' },
          (type) => {
            if (type !== 'BOOKMARK') setTimeout(finish, 300) // let a burst of events settle
          },
          () => undefined,
        )
        aborts.push(controller)
      }
    }
    await changed
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', finish)
    for (const a of aborts) a.abort()
  }
}
