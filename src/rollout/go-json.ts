// JSON as kubectl's Go code writes it, so patch bodies mkt sends equal kubectl's byte for byte.
//
// Go's encoding/json writes struct fields in declaration order, map keys sorted, and escapes <, >, & (and
// U+2028/U+2029) in strings. The API server writes objects the same way, so an object read as raw JSON is
// already in that order; but @kubernetes/client-node's typed decoder rebuilds objects with fields in
// alphabetical order. canonicalPodTemplate puts a pod template back into Go order (field orders from
// k8s.io/api core/v1 types.go as of 1.20; later fields appended in their order of addition) and
// goJsonStringify adds Go's string escapes. Fields this table does not know keep their relative order after
// the known ones: their values still round-trip, only the byte order could differ.

import type { V1PodTemplateSpec } from '@kubernetes/client-node'

/** A Go struct: its JSON field names in declaration order, each with the shape of its value. */
type Shape = { readonly [field: string]: Shape | typeof MAP | typeof VALUE }
const MAP = 'map' // a Go map: keys sorted
const VALUE = 'value' // a scalar, or a struct whose order we do not model: kept as is

const LOCAL_OBJECT_REFERENCE: Shape = { name: VALUE }
const KEY_SELECTOR: Shape = { name: VALUE, key: VALUE, optional: VALUE }
const ENV_VAR: Shape = {
  name: VALUE,
  value: VALUE,
  valueFrom: {
    fieldRef: { apiVersion: VALUE, fieldPath: VALUE },
    resourceFieldRef: { containerName: VALUE, resource: VALUE, divisor: VALUE },
    configMapKeyRef: KEY_SELECTOR,
    secretKeyRef: KEY_SELECTOR,
  },
}
const ENV_FROM: Shape = { prefix: VALUE, configMapRef: { name: VALUE, optional: VALUE }, secretRef: { name: VALUE, optional: VALUE } }
const HANDLER: Shape = {
  exec: { command: VALUE },
  httpGet: { path: VALUE, port: VALUE, host: VALUE, scheme: VALUE, httpHeaders: { name: VALUE, value: VALUE } },
  tcpSocket: { port: VALUE, host: VALUE },
}
const PROBE: Shape = {
  ...HANDLER,
  initialDelaySeconds: VALUE,
  timeoutSeconds: VALUE,
  periodSeconds: VALUE,
  successThreshold: VALUE,
  failureThreshold: VALUE,
  terminationGracePeriodSeconds: VALUE,
}
const SE_LINUX: Shape = { user: VALUE, role: VALUE, type: VALUE, level: VALUE }
const WINDOWS: Shape = { gmsaCredentialSpecName: VALUE, gmsaCredentialSpec: VALUE, runAsUserName: VALUE }
const SECCOMP: Shape = { type: VALUE, localhostProfile: VALUE }
const CONTAINER: Shape = {
  name: VALUE,
  image: VALUE,
  command: VALUE,
  args: VALUE,
  workingDir: VALUE,
  ports: { name: VALUE, hostPort: VALUE, containerPort: VALUE, protocol: VALUE, hostIP: VALUE },
  envFrom: ENV_FROM,
  env: ENV_VAR,
  resources: { limits: MAP, requests: MAP },
  volumeMounts: { name: VALUE, readOnly: VALUE, mountPath: VALUE, subPath: VALUE, mountPropagation: VALUE, subPathExpr: VALUE },
  volumeDevices: { name: VALUE, devicePath: VALUE },
  livenessProbe: PROBE,
  readinessProbe: PROBE,
  startupProbe: PROBE,
  lifecycle: { postStart: HANDLER, preStop: HANDLER },
  terminationMessagePath: VALUE,
  terminationMessagePolicy: VALUE,
  imagePullPolicy: VALUE,
  securityContext: {
    capabilities: { add: VALUE, drop: VALUE },
    privileged: VALUE,
    seLinuxOptions: SE_LINUX,
    windowsOptions: WINDOWS,
    runAsUser: VALUE,
    runAsGroup: VALUE,
    runAsNonRoot: VALUE,
    readOnlyRootFilesystem: VALUE,
    allowPrivilegeEscalation: VALUE,
    procMount: VALUE,
    seccompProfile: SECCOMP,
  },
  stdin: VALUE,
  stdinOnce: VALUE,
  tty: VALUE,
}
const LABEL_SELECTOR: Shape = { matchLabels: MAP, matchExpressions: { key: VALUE, operator: VALUE, values: VALUE } }
const POD_AFFINITY_TERM: Shape = { labelSelector: LABEL_SELECTOR, namespaces: VALUE, topologyKey: VALUE }
const POD_AFFINITY: Shape = {
  requiredDuringSchedulingIgnoredDuringExecution: POD_AFFINITY_TERM,
  preferredDuringSchedulingIgnoredDuringExecution: { weight: VALUE, podAffinityTerm: POD_AFFINITY_TERM },
}
const NODE_SELECTOR_TERM: Shape = {
  matchExpressions: { key: VALUE, operator: VALUE, values: VALUE },
  matchFields: { key: VALUE, operator: VALUE, values: VALUE },
}
const KEY_TO_PATH: Shape = { key: VALUE, path: VALUE, mode: VALUE }
const VOLUME: Shape = {
  name: VALUE,
  hostPath: { path: VALUE, type: VALUE },
  emptyDir: { medium: VALUE, sizeLimit: VALUE },
  secret: { secretName: VALUE, items: KEY_TO_PATH, defaultMode: VALUE, optional: VALUE },
  persistentVolumeClaim: { claimName: VALUE, readOnly: VALUE },
  downwardAPI: VALUE,
  configMap: { name: VALUE, items: KEY_TO_PATH, defaultMode: VALUE, optional: VALUE },
  projected: VALUE,
  csi: { driver: VALUE, readOnly: VALUE, fsType: VALUE, volumeAttributes: MAP, nodePublishSecretRef: LOCAL_OBJECT_REFERENCE },
}
const POD_SPEC: Shape = {
  volumes: VOLUME,
  initContainers: CONTAINER,
  containers: CONTAINER,
  ephemeralContainers: VALUE,
  restartPolicy: VALUE,
  terminationGracePeriodSeconds: VALUE,
  activeDeadlineSeconds: VALUE,
  dnsPolicy: VALUE,
  nodeSelector: MAP,
  serviceAccountName: VALUE,
  serviceAccount: VALUE,
  automountServiceAccountToken: VALUE,
  nodeName: VALUE,
  hostNetwork: VALUE,
  hostPID: VALUE,
  hostIPC: VALUE,
  shareProcessNamespace: VALUE,
  securityContext: {
    seLinuxOptions: SE_LINUX,
    windowsOptions: WINDOWS,
    runAsUser: VALUE,
    runAsGroup: VALUE,
    runAsNonRoot: VALUE,
    supplementalGroups: VALUE,
    fsGroup: VALUE,
    sysctls: { name: VALUE, value: VALUE },
    fsGroupChangePolicy: VALUE,
    seccompProfile: SECCOMP,
  },
  imagePullSecrets: LOCAL_OBJECT_REFERENCE,
  hostname: VALUE,
  subdomain: VALUE,
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: NODE_SELECTOR_TERM },
      preferredDuringSchedulingIgnoredDuringExecution: { weight: VALUE, preference: NODE_SELECTOR_TERM },
    },
    podAffinity: POD_AFFINITY,
    podAntiAffinity: POD_AFFINITY,
  },
  schedulerName: VALUE,
  tolerations: { key: VALUE, operator: VALUE, value: VALUE, effect: VALUE, tolerationSeconds: VALUE },
  hostAliases: { ip: VALUE, hostnames: VALUE },
  priorityClassName: VALUE,
  priority: VALUE,
  dnsConfig: { nameservers: VALUE, searches: VALUE, options: { name: VALUE, value: VALUE } },
  readinessGates: { conditionType: VALUE },
  runtimeClassName: VALUE,
  enableServiceLinks: VALUE,
  preemptionPolicy: VALUE,
  overhead: MAP,
  topologySpreadConstraints: { maxSkew: VALUE, topologyKey: VALUE, whenUnsatisfiable: VALUE, labelSelector: LABEL_SELECTOR },
  setHostnameAsFQDN: VALUE,
}
const OBJECT_META: Shape = {
  name: VALUE,
  generateName: VALUE,
  namespace: VALUE,
  selfLink: VALUE,
  uid: VALUE,
  resourceVersion: VALUE,
  generation: VALUE,
  creationTimestamp: VALUE,
  deletionTimestamp: VALUE,
  deletionGracePeriodSeconds: VALUE,
  labels: MAP,
  annotations: MAP,
  ownerReferences: VALUE,
  finalizers: VALUE,
  clusterName: VALUE,
  managedFields: VALUE,
}
const POD_TEMPLATE_SPEC: Shape = { metadata: OBJECT_META, spec: POD_SPEC }

/**
 * A deep copy of the pod template in Go field order, with the fields Go always writes even when empty:
 * `metadata.creationTimestamp: null` and each container's `resources: {}` (struct fields without omitempty).
 */
export function canonicalPodTemplate(template: V1PodTemplateSpec): Record<string, unknown> {
  const copy = reorder(template, POD_TEMPLATE_SPEC) as Record<string, unknown>
  const metadata = (copy.metadata ?? {}) as Record<string, unknown>
  if (!('creationTimestamp' in metadata)) copy.metadata = reorder({ ...metadata, creationTimestamp: null }, OBJECT_META)
  const spec = copy.spec as Record<string, unknown> | undefined
  for (const list of ['initContainers', 'containers']) {
    const containers = spec?.[list]
    if (!Array.isArray(containers)) continue
    spec![list] = containers.map((container: Record<string, unknown>) =>
      'resources' in container ? container : reorder({ ...container, resources: {} }, CONTAINER),
    )
  }
  return copy
}

/** A copy of a string map with keys sorted, as Go writes map[string]string. */
export function sortedMap(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/**
 * JSON.stringify with Go's encoding/json string escapes (\u003c \u003e \u0026 \u2028 \u2029). Those characters
 * only occur inside JSON strings, so replacing them in the output is exact.
 */
export function goJsonStringify(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function reorder(value: unknown, shape: Shape | typeof MAP | typeof VALUE): unknown {
  if (value instanceof Date) return goTime(value)
  if (Array.isArray(value)) return value.map((item) => reorder(item, shape))
  if (value === null || typeof value !== 'object') return value
  const record = value as Record<string, unknown>
  if (shape === MAP) return sortedMap(record as Record<string, string>)
  if (shape === VALUE) return copyKeepingOrder(record)
  const ordered: Record<string, unknown> = {}
  for (const [field, fieldShape] of Object.entries(shape)) {
    if (record[field] !== undefined) ordered[field] = reorder(record[field], fieldShape)
  }
  for (const [field, fieldValue] of Object.entries(record)) {
    if (!(field in shape) && fieldValue !== undefined) ordered[field] = reorder(fieldValue, VALUE)
  }
  return ordered
}

function copyKeepingOrder(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) if (value !== undefined) copy[key] = reorder(value, VALUE)
  return copy
}

/** metav1.Time marshals as RFC 3339 with second precision. */
const goTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z')
