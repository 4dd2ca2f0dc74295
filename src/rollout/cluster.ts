// Kubernetes I/O for the rollout engine, one region at a time: reads, patches with the right content
// type, readiness probes through the API server's pod proxy, and watches that keep a live snapshot of a
// Deployment, its ReplicaSets and its pods. Same @kubernetes/client-node calls against AKS and the sandbox.
import type { AppsV1Api, CoreV1Api, KubeConfig, V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import type { ClusterConnection } from '../kube/client.js'
import { loadKubeClient } from '../kube/client.js'
import { kubeStatusOf, toKubeError } from '../kube/errors.js'
import { describeScaler, scalerFor } from '../health/scaling.js'
import { kubeGet } from '../kube/http.js'
import type { PatchRequest } from './patches.js'

type KubeModule = Awaited<ReturnType<typeof loadKubeClient>>

export interface Snapshot {
  deployment: V1Deployment
  replicaSets: V1ReplicaSet[]
  pods: V1Pod[]
}

export class RegionCluster {
  private constructor(
    readonly connection: ClusterConnection,
    private readonly k8s: KubeModule,
    readonly apps: AppsV1Api,
    readonly core: CoreV1Api,
  ) {}

  static async open(connection: ClusterConnection): Promise<RegionCluster> {
    const k8s = await loadKubeClient()
    return new RegionCluster(connection, k8s, connection.kubeConfig.makeApiClient(k8s.AppsV1Api), connection.kubeConfig.makeApiClient(k8s.CoreV1Api))
  }

  get region(): string {
    return this.connection.region
  }

  get namespace(): string {
    return this.connection.namespace
  }

  get kubeConfig(): KubeConfig {
    return this.connection.kubeConfig
  }

  private fail(error: unknown, action: string): never {
    throw toKubeError(error, { region: this.region, server: this.connection.server, action })
  }

  /** The Deployment, or undefined when it does not exist. */
  async readDeployment(name: string): Promise<V1Deployment | undefined> {
    try {
      return await this.apps.readNamespacedDeployment({ name, namespace: this.namespace })
    } catch (error) {
      if (kubeStatusOf(error).code === 404) return undefined
      return this.fail(error, `read deployment ${name}`)
    }
  }

  /**
   * Deployment, its ReplicaSets and pods (by the Deployment's selector), read now. `reread: false` when the
   * caller has just read the Deployment itself: only the ReplicaSets and pods are fetched.
   */
  async snapshot(deployment: V1Deployment, { reread = true }: { reread?: boolean } = {}): Promise<Snapshot> {
    const labelSelector = selectorOf(deployment)
    const name = deployment.metadata?.name ?? ''
    try {
      const [fresh, rs, pods] = await Promise.all([
        reread ? this.apps.readNamespacedDeployment({ name, namespace: this.namespace }) : deployment,
        this.apps.listNamespacedReplicaSet({ namespace: this.namespace, labelSelector }),
        this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }),
      ])
      return { deployment: fresh, replicaSets: rs.items, pods: pods.items }
    } catch (error) {
      return this.fail(error, `read deployment ${name}`)
    }
  }

  /** The Deployment's ReplicaSets (by its selector): all a rollback needs to decide, one request. */
  async replicaSetsOf(deployment: V1Deployment): Promise<V1ReplicaSet[]> {
    try {
      return (await this.apps.listNamespacedReplicaSet({ namespace: this.namespace, labelSelector: selectorOf(deployment) })).items
    } catch (error) {
      return this.fail(error, `list replicasets of ${deployment.metadata?.name}`)
    }
  }

  async patchDeployment(name: string, patch: PatchRequest): Promise<V1Deployment> {
    try {
      return await this.apps.patchNamespacedDeployment(
        { name, namespace: this.namespace, body: patch.body, fieldManager: 'mkt' },
        this.k8s.setHeaderOptions('Content-Type', patch.contentType as never),
      )
    } catch (error) {
      return this.fail(error, `patch deployment ${name}`)
    }
  }

  async patchReplicaSet(name: string, patch: PatchRequest): Promise<void> {
    try {
      await this.apps.patchNamespacedReplicaSet(
        { name, namespace: this.namespace, body: patch.body, fieldManager: 'mkt' },
        this.k8s.setHeaderOptions('Content-Type', patch.contentType as never),
      )
    } catch (error) {
      if (kubeStatusOf(error).code === 404) return // cleaned up by revisionHistoryLimit meanwhile
      this.fail(error, `patch replicaset ${name}`)
    }
  }

  /** The HPA or KEDA ScaledObject whose scaleTargetRef is this Deployment, described; undefined when none (or unreadable). */
  async autoscalerOf(name: string): Promise<string | undefined> {
    const ns = encodeURIComponent(this.namespace)
    for (const path of [`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledobjects`]) {
      const answer = await kubeGet(this.kubeConfig, path, 10_000)
      if (answer.status !== 200) continue
      try {
        const scaler = scalerFor(name, (JSON.parse(answer.body ?? '{}') as { items?: Array<Record<string, unknown>> }).items ?? [])
        if (scaler) return describeScaler(scaler)
      } catch {
        continue
      }
    }
    return undefined
  }

  /** GET <path> of a pod through the API server proxy: status and body, or 'error' when nothing answered. */
  async probePod(pod: string, port: number, path: string, timeoutMs: number): Promise<{ status: number | 'error'; body?: string; error?: string }> {
    const response = await kubeGet(this.kubeConfig, `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy${path}`, timeoutMs)
    return { status: response.status, ...(response.body === undefined ? {} : { body: response.body }), ...(response.error === undefined ? {} : { error: response.error }) }
  }

  /**
   * Watches the Deployment, its ReplicaSets and its pods, calling onChange with a fresh snapshot after each
   * event. Watches that end are resumed from their last resourceVersion; a 410 relists. stop() ends them.
   */
  async watch(deployment: V1Deployment, onChange: (snapshot: Snapshot) => void, onError: (error: Error) => void): Promise<{ stop(): void; snapshot(): Snapshot }> {
    const name = deployment.metadata?.name ?? ''
    const labelSelector = selectorOf(deployment)
    const initial = await this.snapshot(deployment)
    const state = {
      deployment: initial.deployment,
      replicaSets: new Map(initial.replicaSets.map((o) => [o.metadata?.uid ?? '', o])),
      pods: new Map(initial.pods.map((o) => [o.metadata?.uid ?? '', o])),
    }
    const current = (): Snapshot => ({ deployment: state.deployment, replicaSets: [...state.replicaSets.values()], pods: [...state.pods.values()] })
    const watcher = new this.k8s.Watch(this.kubeConfig)
    const aborts: AbortController[] = []
    let stopped = false
    const base = `/apis/apps/v1/namespaces/${this.namespace}`
    const follow = async (path: string, query: Record<string, string>, resourceVersion: string, apply: (type: string, obj: never) => void) => {
      let rv = resourceVersion
      const start = async (): Promise<void> => {
        if (stopped) return
        const controller = await watcher.watch(
          path,
          { ...query, resourceVersion: rv, allowWatchBookmarks: 'true' },
          (type, obj: { metadata?: { resourceVersion?: string } }) => {
            if (obj?.metadata?.resourceVersion) rv = obj.metadata.resourceVersion
            if (type === 'BOOKMARK') return
            if (type === 'ERROR') {
              rv = '' // 410 Expired: start again from the current state
              return
            }
            apply(type, obj as never)
            onChange(current())
          },
          (error) => {
            if (stopped) return
            const code = (error as { statusCode?: number } | undefined)?.statusCode
            if (error && code !== 410) {
              onError(error as Error)
              return
            }
            if (code === 410) rv = ''
            void start().catch(onError)
          },
        )
        aborts.push(controller)
      }
      await start()
    }
    const keyed = (map: Map<string, unknown>) => (type: string, obj: { metadata?: { uid?: string } }) => {
      const uid = obj.metadata?.uid ?? ''
      if (type === 'DELETED') map.delete(uid)
      else map.set(uid, obj)
    }
    const listRv = initial.deployment.metadata?.resourceVersion ?? ''
    await follow(`${base}/deployments`, { fieldSelector: `metadata.name=${name}` }, listRv, (type, obj: V1Deployment) => {
      if (type !== 'DELETED') state.deployment = obj
    })
    await follow(`${base}/replicasets`, { labelSelector }, listRv, keyed(state.replicaSets) as never)
    await follow(`/api/v1/namespaces/${this.namespace}/pods`, { labelSelector }, listRv, keyed(state.pods) as never)
    return {
      stop: () => {
        stopped = true
        for (const a of aborts) a.abort()
      },
      snapshot: current,
    }
  }
}

/** `a=b,c=d` from the Deployment's matchLabels (mkt deploys Deployments whose selectors are label maps). */
export function selectorOf(deployment: V1Deployment): string {
  const labels = deployment.spec?.selector?.matchLabels ?? {}
  const expressions = (deployment.spec?.selector?.matchExpressions ?? []).map((e) => {
    const values = (e.values ?? []).join(',')
    switch (e.operator) {
      case 'In':
        return `${e.key} in (${values})`
      case 'NotIn':
        return `${e.key} notin (${values})`
      case 'Exists':
        return e.key
      default:
        return `!${e.key}`
    }
  })
  return [...Object.entries(labels).map(([k, v]) => `${k}=${v}`), ...expressions].join(',')
}
