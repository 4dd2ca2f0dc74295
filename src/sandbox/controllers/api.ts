// Typed views of the API objects the controllers read and write. Stored objects are plain JSON
// (types.ts KubeObject); these types name the fields the controllers use, nothing more. Every field
// is optional the way the API allows, and defaults are applied by the helpers that read them.
import type { KubeObject, ObjectMeta, OwnerReference } from '../types.js'

export type IntOrString = number | string
export type ConditionStatus = 'True' | 'False' | 'Unknown'

export type LabelSelectorRequirement = { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }
export type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] }

export type ContainerPort = { name?: string; containerPort: number; protocol?: string }
export type HttpGetAction = { path?: string; port?: IntOrString; scheme?: string }
export type Probe = { httpGet?: HttpGetAction; initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number; successThreshold?: number }
export type Container = {
  name: string
  image?: string
  ports?: ContainerPort[]
  readinessProbe?: Probe
  livenessProbe?: Probe
  [key: string]: unknown
}
export type PodSpec = {
  containers?: Container[]
  initContainers?: Container[]
  nodeName?: string
  restartPolicy?: 'Always' | 'OnFailure' | 'Never'
  [key: string]: unknown
}
export type PodTemplateMeta = { labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown }
export type PodTemplateSpec = { metadata?: PodTemplateMeta; spec?: PodSpec }

// ---- apps/v1 Deployment -----------------------------------------------------------------------

export type DeploymentStrategy = {
  type?: 'RollingUpdate' | 'Recreate'
  rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString }
}
export type DeploymentSpec = {
  replicas?: number
  selector?: LabelSelector
  template?: PodTemplateSpec
  strategy?: DeploymentStrategy
  minReadySeconds?: number
  revisionHistoryLimit?: number
  paused?: boolean
  progressDeadlineSeconds?: number
}
export type DeploymentCondition = {
  type: string
  status: ConditionStatus
  lastUpdateTime?: string
  lastTransitionTime?: string
  reason?: string
  message?: string
}
export type DeploymentStatus = {
  observedGeneration?: number
  replicas?: number
  updatedReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  unavailableReplicas?: number
  conditions?: DeploymentCondition[]
  collisionCount?: number
}
export interface Deployment extends KubeObject {
  spec: DeploymentSpec
  status?: DeploymentStatus
}

// ---- apps/v1 ReplicaSet -----------------------------------------------------------------------

export type ReplicaSetSpec = { replicas?: number; minReadySeconds?: number; selector?: LabelSelector; template?: PodTemplateSpec }
export type ReplicaSetCondition = { type: string; status: ConditionStatus; lastTransitionTime?: string; reason?: string; message?: string }
export type ReplicaSetStatus = {
  replicas: number
  fullyLabeledReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  observedGeneration?: number
  conditions?: ReplicaSetCondition[]
}
export interface ReplicaSet extends KubeObject {
  spec: ReplicaSetSpec
  status?: ReplicaSetStatus
}

// ---- core/v1 Pod --------------------------------------------------------------------------------

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'
export type PodCondition = { type: string; status: ConditionStatus; lastProbeTime?: string | null; lastTransitionTime?: string; reason?: string; message?: string }
export type ContainerStateWaiting = { reason?: string; message?: string }
export type ContainerStateRunning = { startedAt?: string }
export type ContainerStateTerminated = { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string }
export type ContainerState = { waiting?: ContainerStateWaiting; running?: ContainerStateRunning; terminated?: ContainerStateTerminated }
export type ContainerStatus = {
  name: string
  state?: ContainerState
  lastState?: ContainerState
  ready: boolean
  restartCount: number
  image?: string
  imageID?: string
  containerID?: string
  started?: boolean
}
export type PodStatus = {
  phase?: PodPhase
  conditions?: PodCondition[]
  hostIP?: string
  hostIPs?: { ip: string }[]
  podIP?: string
  podIPs?: { ip: string }[]
  startTime?: string
  containerStatuses?: ContainerStatus[]
  qosClass?: string
  reason?: string
  message?: string
}
export interface Pod extends KubeObject {
  spec: PodSpec
  status?: PodStatus
}

// ---- core/v1 Service and Endpoints ---------------------------------------------------------------

export type ServicePort = { name?: string; port: number; targetPort?: IntOrString; protocol?: string; nodePort?: number; appProtocol?: string }
export type ServiceSpec = { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; type?: string; publishNotReadyAddresses?: boolean }
export interface Service extends KubeObject {
  spec: ServiceSpec
}
export type ObjectReference = { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; resourceVersion?: string; fieldPath?: string }
export type EndpointAddress = { ip: string; hostname?: string; nodeName?: string; targetRef?: ObjectReference }
export type EndpointPort = { name?: string; port: number; protocol?: string; appProtocol?: string }
export type EndpointSubset = { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[]; ports?: EndpointPort[] }
export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[]
}

// ---- batch/v1 Job -------------------------------------------------------------------------------

export type JobSpec = {
  parallelism?: number
  completions?: number
  backoffLimit?: number
  activeDeadlineSeconds?: number
  selector?: LabelSelector
  manualSelector?: boolean
  suspend?: boolean
  template?: PodTemplateSpec
}
export type JobCondition = {
  type: string
  status: ConditionStatus
  lastProbeTime?: string
  lastTransitionTime?: string
  reason?: string
  message?: string
}
export type JobStatus = {
  active?: number
  ready?: number
  succeeded?: number
  failed?: number
  startTime?: string
  completionTime?: string
  conditions?: JobCondition[]
}
export interface Job extends KubeObject {
  spec: JobSpec
  status?: JobStatus
}

// ---- core/v1 Event --------------------------------------------------------------------------------

export interface CoreEvent extends KubeObject {
  involvedObject: ObjectReference
  reason?: string
  message?: string
  source?: { component?: string; host?: string }
  firstTimestamp?: string
  lastTimestamp?: string
  eventTime?: string | null
  count?: number
  type?: 'Normal' | 'Warning'
  reportingComponent?: string
  reportingInstance?: string
}

// ---- Resource keys in the store (types.ts ResourceKey) -------------------------------------------

export const R = {
  pods: 'pods',
  services: 'services',
  endpoints: 'endpoints',
  events: 'events',
  nodes: 'nodes',
  deployments: 'deployments.apps',
  replicaSets: 'replicasets.apps',
  jobs: 'jobs.batch',
} as const

// ---- Small object helpers ---------------------------------------------------------------------

/** `metav1.GetControllerOf`: the ownerReference with controller: true, if any. */
export function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  return meta.ownerReferences?.find((ref) => ref.controller === true)
}

/** `metav1.IsControlledBy`. */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(obj.metadata)
  return ref !== undefined && ref.uid === owner.metadata.uid
}

/** `metav1.NewControllerRef`. */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  }
}

export function objectReference(obj: KubeObject): ObjectReference {
  return {
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    apiVersion: obj.apiVersion,
    resourceVersion: obj.metadata.resourceVersion,
  }
}

/** `namespace/name`, the work-queue key of a namespaced object. */
export function keyOf(obj: { metadata: ObjectMeta }): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/')
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

export function creationMs(obj: KubeObject): number {
  const parsed = Date.parse(obj.metadata.creationTimestamp ?? '')
  return Number.isNaN(parsed) ? 0 : parsed
}

/** Oldest first, then by name: `controller.ReplicaSetsByCreationTimestamp`. */
export function byCreationTimestamp(a: KubeObject, b: KubeObject): number {
  return creationMs(a) - creationMs(b) || a.metadata.name.localeCompare(b.metadata.name)
}
