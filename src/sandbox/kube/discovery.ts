// Legacy (unaggregated) discovery documents and /version. kubectl 1.32 asks for aggregated
// discovery first; answering with the plain documents and `Content-Type: application/json` makes
// it fall back to these, which is all the sandbox needs.
import type { JsonObject } from '../json.js'
import { apiVersionOf, RESOURCE_TYPES, servedGroupVersions } from '../resources.js'
import type { ResourceType } from '../types.js'

/** The Kubernetes version the sandbox claims; matches the kubectl on these machines (no skew warning). */
export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0+mkt-sandbox' }

export function versionInfo(): JsonObject {
  return {
    major: SERVER_VERSION.major,
    minor: SERVER_VERSION.minor,
    gitVersion: SERVER_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  }
}

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }
}

function groupDocument(group: string): JsonObject {
  const versions = servedGroupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }))
  return { name: group, versions, preferredVersion: versions[0] }
}

export function apiGroupList(): JsonObject {
  const groups = [...new Set(servedGroupVersions().map((gv) => gv.group))].filter((g) => g !== '')
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupDocument) }
}

/** /apis/<group>, or undefined when the group is not served. */
export function apiGroup(group: string): JsonObject | undefined {
  if (!servedGroupVersions().some((gv) => gv.group === group && group !== '')) return undefined
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(group) }
}

const SUBRESOURCE_DOCS: Record<string, (type: ResourceType) => JsonObject> = {
  status: (t) => ({ kind: t.kind, verbs: ['get', 'patch', 'update'] }),
  scale: () => ({ group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }),
  log: () => ({ kind: 'Pod', verbs: ['get'] }),
  proxy: (t) => ({ kind: t.kind === 'Pod' ? 'PodProxyOptions' : 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] }),
}

function resourceDocuments(type: ResourceType): JsonObject[] {
  const main: JsonObject = { name: type.plural, singularName: type.singular, namespaced: type.namespaced, kind: type.kind, verbs: type.verbs }
  if (type.shortNames) main.shortNames = type.shortNames
  if (type.categories) main.categories = type.categories
  const subresources = (type.subresources ?? []).map((sub) => ({ name: `${type.plural}/${sub}`, singularName: '', namespaced: type.namespaced, ...SUBRESOURCE_DOCS[sub]!(type) }))
  return [main, ...subresources]
}

/** /api/v1 or /apis/<group>/<version>, or undefined when not served. */
export function apiResourceList(group: string, version: string): JsonObject | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version)
  if (types.length === 0) return undefined
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: types.flatMap(resourceDocuments) }
}
