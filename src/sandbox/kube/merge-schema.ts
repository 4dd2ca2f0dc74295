// Which lists are merged (and by which key) when a strategic merge patch or a server-side apply
// meets a stored object: the `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api, for the
// fields of the kinds the sandbox serves. Lists not described here are atomic (replaced whole).

export interface MergeSchema {
  /** A list of objects merged item by item on this key (`patchStrategy:"merge" patchMergeKey:"…"`). */
  mergeKey?: string
  /** A list of scalars merged as a set (`patchStrategy:"merge"` without a key, e.g. finalizers). */
  setMerge?: boolean
  /** Schema of each item of a keyed list. */
  items?: MergeSchema
  /** Schemas of an object's members. */
  fields?: Record<string, MergeSchema>
}

const container: MergeSchema = {
  fields: {
    env: { mergeKey: 'name' },
    ports: { mergeKey: 'containerPort' },
    volumeMounts: { mergeKey: 'mountPath' },
    volumeDevices: { mergeKey: 'devicePath' },
  },
}

const podSpec: MergeSchema = {
  fields: {
    containers: { mergeKey: 'name', items: container },
    initContainers: { mergeKey: 'name', items: container },
    ephemeralContainers: { mergeKey: 'name', items: container },
    volumes: { mergeKey: 'name' },
    imagePullSecrets: { mergeKey: 'name' },
    hostAliases: { mergeKey: 'ip' },
    topologySpreadConstraints: { mergeKey: 'topologyKey' },
    schedulingGates: { mergeKey: 'name' },
    resourceClaims: { mergeKey: 'name' },
  },
}

const objectMeta: MergeSchema = {
  fields: {
    finalizers: { setMerge: true },
    ownerReferences: { mergeKey: 'uid' },
  },
}

const conditions: MergeSchema = { mergeKey: 'type' }
const podTemplate: MergeSchema = { fields: { metadata: objectMeta, spec: podSpec } }
const withConditions: MergeSchema = { fields: { conditions } }

const BY_KIND: Record<string, MergeSchema> = {
  Pod: {
    fields: {
      metadata: objectMeta,
      spec: podSpec,
      status: { fields: { conditions, podIPs: { mergeKey: 'ip' }, hostIPs: { mergeKey: 'ip' } } },
    },
  },
  Deployment: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } }, status: withConditions } },
  ReplicaSet: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } }, status: withConditions } },
  Job: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } }, status: withConditions } },
  Service: { fields: { metadata: objectMeta, spec: { fields: { ports: { mergeKey: 'port' } } }, status: withConditions } },
  Namespace: { fields: { metadata: objectMeta, status: withConditions } },
  Node: { fields: { metadata: objectMeta, status: { fields: { conditions, addresses: { mergeKey: 'type' } } } } },
}

const DEFAULT_SCHEMA: MergeSchema = { fields: { metadata: objectMeta } }

export function mergeSchemaFor(kind: string): MergeSchema {
  return BY_KIND[kind] ?? DEFAULT_SCHEMA
}
