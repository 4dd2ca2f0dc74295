// Builders of API objects for the controller unit tests.
import type { Deployment, DeploymentStatus, Pod, ReplicaSet } from '../../src/sandbox/controllers/api.js'
import { formatTime } from '../../src/sandbox/clock.js'

export const T0 = Date.parse('2026-01-01T00:00:00Z')

export function deployment(overrides: {
  replicas?: number
  maxSurge?: number | string
  maxUnavailable?: number | string
  strategy?: 'RollingUpdate' | 'Recreate'
  image?: string
  generation?: number
  status?: DeploymentStatus
  annotations?: Record<string, string>
  progressDeadlineSeconds?: number
  paused?: boolean
  revisionHistoryLimit?: number
} = {}): Deployment {
  const strategy = overrides.strategy ?? 'RollingUpdate'
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: overrides.generation ?? 1, annotations: overrides.annotations },
    spec: {
      replicas: overrides.replicas ?? 4,
      selector: { matchLabels: { app: 'web' } },
      strategy:
        strategy === 'Recreate'
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: overrides.maxSurge ?? '25%', maxUnavailable: overrides.maxUnavailable ?? '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: overrides.image ?? 'web:1' }] } },
      progressDeadlineSeconds: overrides.progressDeadlineSeconds ?? 600,
      revisionHistoryLimit: overrides.revisionHistoryLimit ?? 10,
      paused: overrides.paused,
    },
    status: overrides.status,
  }
}

let counter = 0

export function replicaSet(overrides: {
  name?: string
  replicas: number
  available?: number
  ready?: number
  actual?: number
  image?: string
  revision?: number
  createdAt?: number
  annotations?: Record<string, string>
  generation?: number
  observedGeneration?: number
}): ReplicaSet {
  const n = ++counter
  const annotations = { ...(overrides.annotations ?? {}) }
  if (overrides.revision !== undefined) annotations['deployment.kubernetes.io/revision'] = String(overrides.revision)
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: overrides.name ?? `web-rs${n}`,
      namespace: 'default',
      uid: `rs-uid-${overrides.name ?? n}`,
      creationTimestamp: formatTime(overrides.createdAt ?? T0 + n * 1000),
      generation: overrides.generation ?? 1,
      annotations,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }],
    },
    spec: {
      replicas: overrides.replicas,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': `h${n}` } },
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${n}` } }, spec: { containers: [{ name: 'app', image: overrides.image ?? 'web:1' }] } },
    },
    status: {
      replicas: overrides.actual ?? overrides.replicas,
      readyReplicas: overrides.ready ?? overrides.available ?? 0,
      availableReplicas: overrides.available ?? 0,
      observedGeneration: overrides.observedGeneration ?? overrides.generation ?? 1,
    },
  }
}

export function pod(overrides: {
  name: string
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'
  ready?: boolean
  readySince?: number
  createdAt?: number
  nodeName?: string
  restarts?: number
  ip?: string
  labels?: Record<string, string>
  ports?: { name?: string; containerPort: number }[]
  deleting?: boolean
}): Pod {
  const phase = overrides.phase ?? 'Running'
  const readyTime = formatTime(overrides.readySince ?? T0)
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: overrides.name,
      namespace: 'default',
      uid: `uid-${overrides.name}`,
      creationTimestamp: formatTime(overrides.createdAt ?? T0),
      labels: overrides.labels ?? { app: 'web' },
      deletionTimestamp: overrides.deleting ? formatTime(T0) : undefined,
    },
    spec: { nodeName: overrides.nodeName ?? 'sandbox-node-0', containers: [{ name: 'app', image: 'web:1', ports: overrides.ports }] },
    status: {
      phase,
      podIP: overrides.ip,
      conditions: [{ type: 'Ready', status: overrides.ready ? 'True' : 'False', lastTransitionTime: readyTime }],
      containerStatuses: [{ name: 'app', ready: overrides.ready ?? false, restartCount: overrides.restarts ?? 0 }],
    },
  }
}
