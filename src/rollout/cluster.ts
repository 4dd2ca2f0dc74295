// Kubernetes I/O for the rollout engine, one region at a time: reads, patches with the right content
// type, readiness probes through the API server's pod proxy, and watches that keep a live snapshot of a
// Deployment, its ReplicaSets and its pods. Same @kubernetes/client-node calls against AKS and the sandbox.
import type { AppsV1Api, CoreV1Api, KubeConfig, KubernetesListObject, KubernetesObject, V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import type { ClusterConnection } from '../kube/client.js'
import { loadKubeClient } from '../kube/client.js'
import { kubeStatusOf, toKubeError } from '../kube/errors.js'
import { describeScaler, scalerFor } from '../health/scaling.js'
import { kubeGet } from '../kube/http.js'
import { backoffMs, DEFAULT_RETRY, withRetry } from '../kube/retry.js'
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

  /**
   * GET an API path as the server wrote it (raw JSON: field order and fields newer than this client kept),
   * retried while transient. undefined on 404.
   */
  private async getRaw<T>(path: string, action: string, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await withRetry(
        async () => {
          const answer = await kubeGet(this.kubeConfig, path, READ_TIMEOUT_MS, { withHeaders: true })
          if (answer.status === 'error') throw new Error(answer.error ?? 'no answer')
          if (answer.status === 404) return undefined
          if (answer.status < 200 || answer.status > 299) throw Object.assign(new Error(`HTTP ${answer.status}`), { code: answer.status, body: answer.body, headers: answer.headers })
          return JSON.parse(answer.body ?? 'null') as T
        },
        signal ? { signal } : {},
      )
    } catch (error) {
      return this.fail(error, action)
    }
  }

  /** The Deployment (raw JSON), or undefined when it does not exist. */
  async readDeployment(name: string, signal?: AbortSignal): Promise<V1Deployment | undefined> {
    return this.getRaw<V1Deployment>(`${this.appsBase}/deployments/${encodeURIComponent(name)}`, `read deployment ${name}`, signal)
  }

  private async list<T>(path: string, selector: string, action: string): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }> {
    const list = await this.getRaw<{ items: T[]; metadata?: { resourceVersion?: string } }>(`${path}?labelSelector=${encodeURIComponent(selector)}`, action)
    return list ?? { items: [] }
  }

  /**
   * Deployment, its ReplicaSets and pods (by the Deployment's selector), read now, as raw JSON. `reread: false`
   * when the caller has just read the Deployment itself: only the ReplicaSets and pods are fetched.
   */
  async snapshot(deployment: V1Deployment, { reread = true }: { reread?: boolean } = {}): Promise<Snapshot> {
    const labelSelector = selectorOf(deployment)
    const name = deployment.metadata?.name ?? ''
    const [fresh, rs, pods] = await Promise.all([
      reread ? this.readDeployment(name) : deployment,
      this.list<V1ReplicaSet>(`${this.appsBase}/replicasets`, labelSelector, `list replicasets of ${name}`),
      this.list<V1Pod>(`${this.coreBase}/pods`, labelSelector, `list pods of ${name}`),
    ])
    if (!fresh) this.fail(Object.assign(new Error(`deployment ${name} not found`), { code: 404 }), `read deployment ${name}`)
    return { deployment: fresh, replicaSets: rs.items, pods: pods.items }
  }

  /** The Deployment's ReplicaSets (by its selector) as the server sent them: all a rollback needs, one request. */
  async replicaSetsOf(deployment: V1Deployment): Promise<V1ReplicaSet[]> {
    return (await this.list<V1ReplicaSet>(`${this.appsBase}/replicasets`, selectorOf(deployment), `list replicasets of ${deployment.metadata?.name}`)).items
  }

  /** Every patch mkt sends sets values (never increments), so a transient failure is simply sent again. */
  async patchDeployment(name: string, patch: PatchRequest): Promise<V1Deployment> {
    try {
      return await withRetry(() =>
        this.apps.patchNamespacedDeployment(
          { name, namespace: this.namespace, body: patch.body, fieldManager: 'mkt' },
          this.k8s.setHeaderOptions('Content-Type', patch.contentType as never),
        ),
      )
    } catch (error) {
      return this.fail(error, `patch deployment ${name}`)
    }
  }

  async patchReplicaSet(name: string, patch: PatchRequest): Promise<void> {
    try {
      await withRetry(() =>
        this.apps.patchNamespacedReplicaSet(
          { name, namespace: this.namespace, body: patch.body, fieldManager: 'mkt' },
          this.k8s.setHeaderOptions('Content-Type', patch.contentType as never),
        ),
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
    const response = await kubeGet(this.kubeConfig, `${this.coreBase}/pods/${encodeURIComponent(pod)}:${port}/proxy${path}`, timeoutMs)
    return { status: response.status, ...(response.body === undefined ? {} : { body: response.body }), ...(response.error === undefined ? {} : { error: response.error }) }
  }

  /**
   * Watches the Deployment, its ReplicaSets and its pods with client-node's ListWatch (list, then watch from the
   * list's resourceVersion; a watch that ends is resumed from its last resourceVersion; 410 relists), calling
   * onChange with a fresh snapshot after each event. A watch that fails is restarted with backoff and jitter
   * (the restart resumes, or relists when it has to); onError only when it keeps failing. stop() ends them.
   */
  async watch(deployment: V1Deployment, onChange: (snapshot: Snapshot) => void, onError: (error: Error) => void): Promise<{ stop(): void; snapshot(): Snapshot }> {
    const name = deployment.metadata?.name ?? ''
    const labelSelector = selectorOf(deployment)
    const watcher = new this.k8s.Watch(this.kubeConfig)
    let stopped = false
    const timers = new Set<NodeJS.Timeout>()
    const caches: Array<InstanceType<KubeModule['ListWatch']>> = []
    const starts: Array<() => Promise<void>> = []
    const follow = <T extends KubernetesObject>(path: string, listFn: () => Promise<KubernetesListObject<T>>, fieldSelector?: string) => {
      const cache = new this.k8s.ListWatch<T>(path, watcher, listFn, false, fieldSelector ? undefined : labelSelector, fieldSelector)
      caches.push(cache as never)
      let failures = 0
      let startedAt = Date.now()
      const changed = () => {
        failures = 0
        if (!stopped) onChange(current())
      }
      cache.on('add', changed)
      cache.on('update', changed)
      cache.on('delete', changed)
      const failed = (error?: unknown): void => {
        if (stopped) return
        // A watch that ran a while before failing starts a fresh count: only repeated failures are fatal.
        if (Date.now() - startedAt > RESTART_RESET_MS) failures = 0
        failures++
        if (failures >= DEFAULT_RETRY.attempts) {
          onError(error instanceof Error ? error : new Error(String(error)))
          return
        }
        const timer = setTimeout(() => {
          timers.delete(timer)
          startedAt = Date.now()
          if (!stopped) void cache.start().catch(failed)
        }, backoffMs(failures, DEFAULT_RETRY, error))
        timers.add(timer)
      }
      cache.on('error', failed)
      starts.push(() => cache.start().catch(failed))
      return cache
    }
    const deployments = follow<V1Deployment>(`${this.appsBase}/deployments`, async () => {
      const fresh = await this.readDeployment(name)
      return { apiVersion: 'v1', kind: 'List', items: fresh ? [fresh] : [], metadata: { resourceVersion: fresh?.metadata?.resourceVersion ?? '' } } as KubernetesListObject<V1Deployment>
    }, `metadata.name=${name}`)
    const replicaSets = follow<V1ReplicaSet>(`${this.appsBase}/replicasets`, () => this.list<V1ReplicaSet>(`${this.appsBase}/replicasets`, labelSelector, `list replicasets of ${name}`) as Promise<KubernetesListObject<V1ReplicaSet>>)
    const pods = follow<V1Pod>(`${this.coreBase}/pods`, () => this.list<V1Pod>(`${this.coreBase}/pods`, labelSelector, `list pods of ${name}`) as Promise<KubernetesListObject<V1Pod>>)
    let lastDeployment = deployment
    const current = (): Snapshot => {
      lastDeployment = deployments.list()[0] ?? lastDeployment
      return { deployment: lastDeployment, replicaSets: [...replicaSets.list()], pods: [...pods.list()] }
    }
    const stop = () => {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      for (const cache of caches) void cache.stop()
    }
    // A failed first start goes through the error handler (restart with backoff) like any later failure.
    await Promise.all(starts.map((start) => start()))
    return { stop, snapshot: current }
  }

  private get appsBase(): string {
    return `/apis/apps/v1/namespaces/${encodeURIComponent(this.namespace)}`
  }

  private get coreBase(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}`
  }
}

const READ_TIMEOUT_MS = 30_000
/** A watch that ran this long before failing is not "failing repeatedly". */
const RESTART_RESET_MS = 5_000

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
