// API objects as a real API server returns them (raw JSON: Go field order, RFC 3339 strings, `creationTimestamp:
// null` in templates, defaults filled in), for the rollout engine's unit tests. `typed()` decodes one the way
// @kubernetes/client-node's typed APIs do (Dates, fields in alphabetical order), so tests cover both shapes.

import type { V1Deployment, V1Lease, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js'

export const NAMESPACE = 'marketplace'
export const APP = 'marketplace-catalog-service'
export const DEPLOYMENT_UID = '6f1c2b7e-3d0a-4c55-9b1e-0a8d2f4c9e11'
export const REPO = 'mktacr.azurecr.io/marketplace-catalog-service'
export const T0 = Date.parse('2026-11-02T10:00:00Z')

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z')

type Json = Record<string, unknown>

/** The pod template of the catalog service, Go field order; `hash` adds the ReplicaSet's pod-template-hash. */
export function podTemplate(image: string, hash?: string): Json {
  return {
    metadata: { creationTimestamp: null, labels: { app: APP, ...(hash === undefined ? {} : { 'pod-template-hash': hash }) } },
    spec: {
      containers: [
        {
          name: APP,
          image,
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'ASPNETCORE_URLS', value: 'http://+:8080' },
            { name: 'ConnectionStrings__Catalog', valueFrom: { secretKeyRef: { name: 'catalog-db', key: 'connection-string' } } },
          ],
          resources: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
          livenessProbe: {
            httpGet: { path: '/health/live', port: 8080, scheme: 'HTTP' },
            timeoutSeconds: 1,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
          readinessProbe: {
            httpGet: { path: '/health/ready', port: 8080, scheme: 'HTTP' },
            initialDelaySeconds: 5,
            timeoutSeconds: 1,
            periodSeconds: 5,
            successThreshold: 1,
            failureThreshold: 3,
          },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
    },
  }
}

export interface DeploymentOptions {
  image?: string
  revision?: number
  generation?: number
  observedGeneration?: number
  replicas?: number
  status?: { replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number }
  progressing?: { status: string; reason: string; message: string }
  paused?: boolean
  annotations?: Record<string, string>
}

export function deployment(options: DeploymentOptions = {}): V1Deployment {
  const replicas = options.replicas ?? 2
  const generation = options.generation ?? 3
  const status = { replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, ...options.status }
  const progressing = options.progressing ?? {
    status: 'True',
    reason: 'NewReplicaSetAvailable',
    message: `ReplicaSet "${APP}-7d9c8b6f5" has successfully progressed.`,
  }
  const raw = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: {
      name: APP,
      namespace: NAMESPACE,
      uid: DEPLOYMENT_UID,
      resourceVersion: '48213',
      generation,
      creationTimestamp: iso(T0 - 86_400_000),
      labels: { app: APP },
      annotations: { 'deployment.kubernetes.io/revision': String(options.revision ?? 2), ...options.annotations },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: APP } },
      template: podTemplate(options.image ?? `${REPO}:1.4.0`),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...(options.paused === true ? { paused: true } : {}),
    },
    status: {
      observedGeneration: options.observedGeneration ?? generation,
      ...status,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          lastUpdateTime: iso(T0 - 3_600_000),
          lastTransitionTime: iso(T0 - 3_600_000),
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        },
        { type: 'Progressing', ...progressing, lastUpdateTime: iso(T0 - 60_000), lastTransitionTime: iso(T0 - 3_600_000) },
      ],
    },
  }
  return raw as unknown as V1Deployment
}

export interface ReplicaSetOptions {
  image: string
  hash: string
  revision?: number
  created: number
  replicas?: number
  available?: number
  annotations?: Record<string, string>
  ownerUid?: string
  uid?: string
}

export function replicaSet(options: ReplicaSetOptions): V1ReplicaSet {
  const replicas = options.replicas ?? 0
  const annotations: Record<string, string> = {
    'deployment.kubernetes.io/desired-replicas': '2',
    'deployment.kubernetes.io/max-replicas': '3',
    ...(options.revision === undefined ? {} : { 'deployment.kubernetes.io/revision': String(options.revision) }),
    ...options.annotations,
  }
  const raw = {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    metadata: {
      name: `${APP}-${options.hash}`,
      namespace: NAMESPACE,
      uid: options.uid ?? `rs-uid-${options.hash}`,
      resourceVersion: '48100',
      generation: 1,
      creationTimestamp: iso(options.created),
      labels: { app: APP, 'pod-template-hash': options.hash },
      annotations,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: APP,
          uid: options.ownerUid ?? DEPLOYMENT_UID,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: APP, 'pod-template-hash': options.hash } },
      template: podTemplate(options.image, options.hash),
    },
    status: {
      replicas,
      fullyLabeledReplicas: replicas,
      readyReplicas: options.available ?? replicas,
      availableReplicas: options.available ?? replicas,
      observedGeneration: 1,
    },
  }
  return raw as unknown as V1ReplicaSet
}

export interface ContainerStatusOptions {
  ready?: boolean
  restartCount?: number
  waiting?: { reason: string; message?: string }
  running?: { startedAt: number }
  terminated?: { exitCode: number; reason: string; finishedAt?: number; message?: string }
  lastTerminated?: { exitCode: number; reason: string; finishedAt: number; startedAt?: number }
}

export interface PodOptions {
  rs: V1ReplicaSet
  suffix: string
  ready?: boolean
  created?: number
  container?: ContainerStatusOptions
  unschedulable?: { since: number; message: string }
  terminating?: boolean
}

export function pod(options: PodOptions): V1Pod {
  const rs = options.rs as unknown as { metadata: { name: string; uid: string; labels: Record<string, string> }; spec: { template: Json } }
  const created = options.created ?? T0 - 120_000
  const ready = options.ready ?? true
  const template = rs.spec.template as { spec: Json }
  const image = ((template.spec.containers as Json[])[0] as { image: string }).image
  const c = options.container ?? {}
  const state =
    c.waiting !== undefined
      ? { waiting: c.waiting }
      : c.terminated !== undefined
        ? {
            terminated: {
              exitCode: c.terminated.exitCode,
              reason: c.terminated.reason,
              ...(c.terminated.message === undefined ? {} : { message: c.terminated.message }),
              startedAt: iso(created + 5_000),
              finishedAt: iso(c.terminated.finishedAt ?? created + 10_000),
            },
          }
        : { running: { startedAt: iso(c.running?.startedAt ?? created + 5_000) } }
  const conditionTime = iso(created + 8_000)
  const scheduled =
    options.unschedulable === undefined
      ? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: iso(created) }
      : {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: iso(options.unschedulable.since),
          reason: 'Unschedulable',
          message: options.unschedulable.message,
        }
  const raw = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: `${rs.metadata.name}-${options.suffix}`,
      generateName: `${rs.metadata.name}-`,
      namespace: NAMESPACE,
      uid: `pod-uid-${options.suffix}`,
      resourceVersion: '48300',
      creationTimestamp: iso(created),
      ...(options.terminating === true ? { deletionTimestamp: iso(T0), deletionGracePeriodSeconds: 30 } : {}),
      labels: { ...rs.metadata.labels },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { ...template.spec, nodeName: options.unschedulable === undefined ? 'aks-nodepool1-12345678-vmss000000' : undefined },
    status: {
      phase: options.unschedulable !== undefined ? 'Pending' : 'Running',
      conditions:
        options.unschedulable !== undefined
          ? [scheduled]
          : [
              { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: iso(created) },
              {
                type: 'Ready',
                status: ready ? 'True' : 'False',
                lastProbeTime: null,
                lastTransitionTime: conditionTime,
                ...(ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${APP}]` }),
              },
              { type: 'ContainersReady', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: conditionTime },
              scheduled,
            ],
      hostIP: '10.224.0.4',
      podIP: '10.244.1.17',
      startTime: iso(created),
      ...(options.unschedulable !== undefined
        ? {}
        : {
            containerStatuses: [
              {
                name: APP,
                state,
                lastState:
                  c.lastTerminated === undefined
                    ? {}
                    : {
                        terminated: {
                          exitCode: c.lastTerminated.exitCode,
                          reason: c.lastTerminated.reason,
                          startedAt: iso(c.lastTerminated.startedAt ?? c.lastTerminated.finishedAt - 3_000),
                          finishedAt: iso(c.lastTerminated.finishedAt),
                          containerID: 'containerd://0f3c',
                        },
                      },
                ready: c.ready ?? ready,
                restartCount: c.restartCount ?? 0,
                image,
                imageID: c.waiting === undefined ? `${image.split(':')[0]}@sha256:${'a'.repeat(64)}` : '',
                started: c.waiting === undefined,
              },
            ],
          }),
      qosClass: 'Burstable',
    },
  }
  return raw as unknown as V1Pod
}

export function lease(spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number }): V1Lease {
  return {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: { name: 'mkt-lock-prod-marketplace-catalog-service', namespace: NAMESPACE, resourceVersion: '5120', uid: 'lease-uid' },
    spec,
  } as unknown as V1Lease
}

/** Decode as @kubernetes/client-node's typed API does: Dates for timestamps, fields in alphabetical order. */
export function typed<T>(obj: T, type: 'V1Deployment' | 'V1ReplicaSet' | 'V1Pod' | 'V1Lease'): T {
  return ObjectSerializer.deserialize(JSON.parse(JSON.stringify(obj)), type, '') as T
}
