// The resource types the sandbox serves, and how to find them by key, URL or kind.
import type { ResourceKey, ResourceType } from './types.js'

const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', listKind: 'NamespaceList',
    namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status'],
  },
  {
    group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', listKind: 'NodeList',
    namespaced: false, shortNames: ['no'], verbs: READ_WRITE, subresources: ['status'],
  },
  {
    group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', listKind: 'PodList',
    namespaced: true, shortNames: ['po'], categories: ['all'], verbs: READ_WRITE, subresources: ['status', 'log', 'proxy'],
  },
  {
    group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', listKind: 'ServiceList',
    namespaced: true, shortNames: ['svc'], categories: ['all'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'proxy'],
  },
  {
    group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', listKind: 'EndpointsList',
    namespaced: true, shortNames: ['ep'], verbs: READ_WRITE,
  },
  {
    group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', listKind: 'ConfigMapList',
    namespaced: true, shortNames: ['cm'], verbs: READ_WRITE,
  },
  {
    group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', listKind: 'SecretList',
    namespaced: true, verbs: READ_WRITE,
  },
  {
    group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', listKind: 'EventList',
    namespaced: true, shortNames: ['ev'], verbs: READ_WRITE,
  },
  {
    group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', listKind: 'DeploymentList',
    namespaced: true, shortNames: ['deploy'], categories: ['all'], verbs: READ_WRITE, subresources: ['status', 'scale'], hasGeneration: true,
  },
  {
    group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', listKind: 'ReplicaSetList',
    namespaced: true, shortNames: ['rs'], categories: ['all'], verbs: READ_WRITE, subresources: ['status', 'scale'], hasGeneration: true,
  },
  {
    group: 'batch', version: 'v1', plural: 'jobs', singular: 'job', kind: 'Job', listKind: 'JobList',
    namespaced: true, categories: ['all'], verbs: READ_WRITE, subresources: ['status'], hasGeneration: true,
  },
  {
    group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', listKind: 'ServiceAccountList',
    namespaced: true, shortNames: ['sa'], verbs: READ_WRITE,
  },
  {
    group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', singular: 'role', kind: 'Role', listKind: 'RoleList',
    namespaced: true, verbs: READ_WRITE,
  },
  {
    group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', listKind: 'RoleBindingList',
    namespaced: true, verbs: READ_WRITE,
  },
  {
    group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler', listKind: 'HorizontalPodAutoscalerList',
    namespaced: true, shortNames: ['hpa'], categories: ['all'], verbs: READ_WRITE, subresources: ['status'], hasGeneration: true,
  },
  // KEDA's CRD, served as the KEDA operator's CustomResourceDefinition would be.
  {
    group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects', singular: 'scaledobject', kind: 'ScaledObject', listKind: 'ScaledObjectList',
    namespaced: true, shortNames: ['so'], categories: ['keda'], verbs: READ_WRITE, subresources: ['status'], hasGeneration: true,
  },
  {
    group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', listKind: 'LeaseList',
    namespaced: true, verbs: READ_WRITE,
  },
]

/** `${plural}` for the core group, `${plural}.${group}` otherwise: `pods`, `deployments.apps`. */
export function resourceKeyOf(type: Pick<ResourceType, 'group' | 'plural'>): ResourceKey {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`
}

/** `v1` or `apps/v1`. */
export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`
}

const BY_KEY = new Map(RESOURCE_TYPES.map((t) => [resourceKeyOf(t), t]))
const BY_KIND = new Map(RESOURCE_TYPES.map((t) => [`${apiVersionOf(t)}/${t.kind}`, t]))

export function resourceTypeByKey(key: ResourceKey): ResourceType | undefined {
  return BY_KEY.get(key)
}

/** The type for a key the caller knows is served; throws (a programming error) otherwise. */
export function requireResourceType(key: ResourceKey): ResourceType {
  const type = BY_KEY.get(key)
  if (type === undefined) throw new Error(`sandbox: unknown resource ${key}`)
  return type
}

export function resourceTypeByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return BY_KIND.get(`${apiVersion}/${kind}`)
}

/** The type served at /api/v1/<plural> or /apis/<group>/<version>/<plural>. */
export function resourceTypeByPath(group: string, version: string, plural: string): ResourceType | undefined {
  const type = BY_KEY.get(resourceKeyOf({ group, plural }))
  return type !== undefined && type.version === version ? type : undefined
}

/** The group/versions served, in discovery order (core first). */
export function servedGroupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>()
  for (const t of RESOURCE_TYPES) seen.set(apiVersionOf(t), { group: t.group, version: t.version })
  return [...seen.values()]
}
