// Server-side printing: the `Table` kubectl asks for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`),
// with the columns of kubernetes/pkg/printers/internalversion for each kind. Priority-1 columns are
// what `-o wide` adds.
import { getPath, isPlainObject, type JsonObject } from '../json.js'
import { formatLabelSelector, type LabelSelectorSpec } from '../selectors.js'
import type { KubeObject, ResourceKey } from '../types.js'

export interface TableColumn {
  name: string
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date'
  format: string
  description: string
  priority: number
}

type Cell = string | number | boolean
type RowPrinter = (object: KubeObject, now: number) => Cell[]

interface TablePrinter {
  columns: TableColumn[]
  row: RowPrinter
}

const col = (name: string, type: TableColumn['type'] = 'string', priority = 0, format = ''): TableColumn => ({
  name,
  type,
  format,
  description: '',
  priority,
})

const NAME = col('Name', 'string', 0, 'name')
const AGE = col('Age')

// ---- shared formatting ------------------------------------------------------------------------

/** kubectl's duration.HumanDuration: `45s`, `3m20s`, `25m`, `5h10m`, `20h`, `3d4h`, `40d`, `2y30d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  const days = Math.floor(hours / 24)
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${days}d`
  const years = Math.floor(days / 365)
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`
  return `${years}y`
}

/** Time since an RFC3339 timestamp, or `<unknown>` like kubectl's translateTimestampSince. */
function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>'
  const ms = Date.parse(timestamp)
  return Number.isNaN(ms) ? '<unknown>' : humanDuration(now - ms)
}

const age = (object: KubeObject, now: number): string => since(object.metadata.creationTimestamp, now)
const num = (value: unknown): number => (typeof value === 'number' ? value : 0)
const str = (value: unknown): string => (typeof value === 'string' ? value : '')
const list = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isPlainObject) : [])

function containerNamesAndImages(podSpec: unknown): [string, string] {
  const containers = list(getPath(podSpec, ['containers']))
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')]
}

function selectorText(selector: unknown): string {
  const text = isPlainObject(selector) ? formatLabelSelector(selector as LabelSelectorSpec) : ''
  return text === '' ? '<none>' : text
}

// ---- pods ---------------------------------------------------------------------------------

function terminatedReason(state: JsonObject): string {
  if (str(state.reason) !== '') return str(state.reason)
  return state.signal ? `Signal:${num(state.signal)}` : `ExitCode:${num(state.exitCode)}`
}

/** kubectl's printPod status/ready/restarts logic. */
export function podSummary(pod: KubeObject, now: number): { ready: string; status: string; restarts: string } {
  const status = (pod.status ?? {}) as JsonObject
  const containers = list(getPath(pod, ['spec', 'containers']))
  let reason = str(status.reason) || str(status.phase) || 'Unknown'
  let restarts = 0
  let lastRestart: number | undefined
  const noteRestart = (cs: JsonObject): void => {
    restarts += num(cs.restartCount)
    const finished = getPath(cs, ['lastState', 'terminated', 'finishedAt'])
    if (typeof finished === 'string') {
      const ms = Date.parse(finished)
      if (!Number.isNaN(ms) && (lastRestart === undefined || ms > lastRestart)) lastRestart = ms
    }
  }

  let initializing = false
  const initStatuses = list(status.initContainerStatuses)
  const initCount = list(getPath(pod, ['spec', 'initContainers'])).length
  initStatuses.forEach((cs, i) => {
    noteRestart(cs)
    if (initializing) return
    const terminated = getPath(cs, ['state', 'terminated'])
    const waiting = getPath(cs, ['state', 'waiting'])
    if (isPlainObject(terminated) && num(terminated.exitCode) === 0) return
    initializing = true
    if (isPlainObject(terminated)) reason = `Init:${terminatedReason(terminated)}`
    else if (isPlainObject(waiting) && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') reason = `Init:${str(waiting.reason)}`
    else reason = `Init:${i}/${initCount}`
  })

  let readyContainers = 0
  if (!initializing) {
    restarts = 0
    lastRestart = undefined
    let hasRunning = false
    const statuses = list(status.containerStatuses)
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!
      noteRestart(cs)
      const waiting = getPath(cs, ['state', 'waiting'])
      const terminated = getPath(cs, ['state', 'terminated'])
      if (isPlainObject(waiting) && str(waiting.reason) !== '') reason = str(waiting.reason)
      else if (isPlainObject(terminated)) reason = terminatedReason(terminated)
      else if (cs.ready === true && isPlainObject(getPath(cs, ['state', 'running']))) {
        hasRunning = true
        readyContainers++
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCondition = list(status.conditions).find((c) => c.type === 'Ready')
      reason = readyCondition?.status === 'True' ? 'Running' : 'NotReady'
    }
  }
  if (pod.metadata.deletionTimestamp !== undefined) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating'

  const restartText = lastRestart === undefined ? String(restarts) : `${restarts} (${humanDuration(now - lastRestart)} ago)`
  return { ready: `${readyContainers}/${containers.length}`, status: reason, restarts: restartText }
}

const podPrinter: TablePrinter = {
  columns: [NAME, col('Ready'), col('Status'), col('Restarts'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
  row(pod, now) {
    const summary = podSummary(pod, now)
    const gates = list(getPath(pod, ['spec', 'readinessGates']))
    const conditions = list(pod.status?.conditions)
    const gateText = gates.length === 0 ? '<none>' : `${gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`
    return [
      pod.metadata.name,
      summary.ready,
      summary.status,
      summary.restarts,
      age(pod, now),
      str(pod.status?.podIP) || '<none>',
      str(pod.spec?.nodeName) || '<none>',
      str(pod.status?.nominatedNodeName) || '<none>',
      gateText,
    ]
  },
}

// ---- workloads --------------------------------------------------------------------------------

const deploymentPrinter: TablePrinter = {
  columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
  row(d, now) {
    const [containers, images] = containerNamesAndImages(getPath(d, ['spec', 'template', 'spec']))
    const desired = typeof d.spec?.replicas === 'number' ? d.spec.replicas : 0
    return [d.metadata.name, `${num(d.status?.readyReplicas)}/${desired}`, num(d.status?.updatedReplicas), num(d.status?.availableReplicas), age(d, now), containers, images, selectorText(d.spec?.selector)]
  },
}

const replicaSetPrinter: TablePrinter = {
  columns: [NAME, col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
  row(rs, now) {
    const [containers, images] = containerNamesAndImages(getPath(rs, ['spec', 'template', 'spec']))
    return [rs.metadata.name, num(rs.spec?.replicas), num(rs.status?.replicas), num(rs.status?.readyReplicas), age(rs, now), containers, images, selectorText(rs.spec?.selector)]
  },
}

function jobStatus(job: KubeObject): string {
  const conditions = list(job.status?.conditions)
  const isTrue = (type: string): boolean => conditions.some((c) => c.type === type && c.status === 'True')
  if (isTrue('Complete')) return 'Complete'
  if (isTrue('Failed')) return 'Failed'
  if (job.metadata.deletionTimestamp !== undefined) return 'Terminating'
  if (isTrue('SuccessCriteriaMet')) return 'SuccessCriteriaMet'
  if (isTrue('FailureTarget')) return 'FailureTarget'
  if (isTrue('Suspended')) return 'Suspended'
  return 'Running'
}

const jobPrinter: TablePrinter = {
  columns: [NAME, col('Status'), col('Completions'), col('Duration'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
  row(job, now) {
    const [containers, images] = containerNamesAndImages(getPath(job, ['spec', 'template', 'spec']))
    const completions = job.spec?.completions
    const succeeded = num(job.status?.succeeded)
    const completionText = typeof completions === 'number' ? `${succeeded}/${completions}` : `${succeeded}/1 of ${num(job.spec?.parallelism)}`
    const start = typeof job.status?.startTime === 'string' ? Date.parse(job.status.startTime) : undefined
    const end = typeof job.status?.completionTime === 'string' ? Date.parse(job.status.completionTime) : now
    const duration = start === undefined ? '' : humanDuration(end - start)
    return [job.metadata.name, jobStatus(job), completionText, duration, age(job, now), containers, images, selectorText(job.spec?.selector)]
  },
}

// ---- services and endpoints -------------------------------------------------------------------

function servicePorts(svc: KubeObject): string {
  const ports = list(svc.spec?.ports)
  if (ports.length === 0) return '<none>'
  return ports.map((p) => `${num(p.port)}${p.nodePort ? `:${num(p.nodePort)}` : ''}/${str(p.protocol) || 'TCP'}`).join(',')
}

function externalIps(svc: KubeObject): string {
  const type = str(svc.spec?.type)
  const external = (Array.isArray(svc.spec?.externalIPs) ? svc.spec.externalIPs : []) as string[]
  if (type === 'ExternalName') return str(svc.spec?.externalName)
  if (type === 'LoadBalancer') {
    const ingress = list(getPath(svc, ['status', 'loadBalancer', 'ingress'])).map((i) => str(i.ip) || str(i.hostname))
    const all = [...ingress, ...external]
    return all.length > 0 ? all.join(',') : '<pending>'
  }
  return external.length > 0 ? external.join(',') : '<none>'
}

const servicePrinter: TablePrinter = {
  columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
  row(svc, now) {
    const selector = isPlainObject(svc.spec?.selector) ? Object.entries(svc.spec.selector).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${String(v)}`).join(',') : ''
    return [svc.metadata.name, str(svc.spec?.type) || 'ClusterIP', str(svc.spec?.clusterIP) || '<none>', externalIps(svc), servicePorts(svc), age(svc, now), selector || '<none>']
  },
}

/** `10.0.0.1:8080,10.0.0.2:8080 + 1 more...` (kubectl shows at most 3). */
export function formatEndpoints(endpoints: KubeObject): string {
  const pairs: string[] = []
  let total = 0
  for (const subset of list(endpoints.subsets)) {
    const addresses = list(subset.addresses)
    const ports = list(subset.ports)
    for (const address of addresses) {
      const targets = ports.length === 0 ? [''] : ports.map((p) => `:${num(p.port)}`)
      for (const target of targets) {
        total++
        if (pairs.length < 3) pairs.push(`${str(address.ip)}${target}`)
      }
    }
  }
  if (total === 0) return '<none>'
  return total > pairs.length ? `${pairs.join(',')} + ${total - pairs.length} more...` : pairs.join(',')
}

const endpointsPrinter: TablePrinter = {
  columns: [NAME, col('Endpoints'), AGE],
  row: (ep, now) => [ep.metadata.name, formatEndpoints(ep), age(ep, now)],
}

// ---- config, namespaces, nodes, leases, events -------------------------------------------------

const configMapPrinter: TablePrinter = {
  columns: [NAME, col('Data', 'integer'), AGE],
  row: (cm, now) => [cm.metadata.name, Object.keys(isPlainObject(cm.data) ? cm.data : {}).length + Object.keys(isPlainObject(cm.binaryData) ? cm.binaryData : {}).length, age(cm, now)],
}

const secretPrinter: TablePrinter = {
  columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
  row: (s, now) => [s.metadata.name, str(s.type), Object.keys(isPlainObject(s.data) ? s.data : {}).length, age(s, now)],
}

const namespacePrinter: TablePrinter = {
  columns: [NAME, col('Status'), AGE],
  row: (ns, now) => [ns.metadata.name, str(ns.status?.phase) || 'Active', age(ns, now)],
}

const nodePrinter: TablePrinter = {
  columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
  row(node, now) {
    const ready = list(node.status?.conditions).find((c) => c.type === 'Ready')
    const status = ready?.status === 'True' ? 'Ready' : ready === undefined ? 'Unknown' : 'NotReady'
    const roles = Object.keys(node.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice('node-role.kubernetes.io/'.length))
    const address = (type: string): string => str(list(node.status?.addresses).find((a) => a.type === type)?.address) || '<none>'
    const info = (key: string): string => str(getPath(node, ['status', 'nodeInfo', key])) || '<unknown>'
    return [node.metadata.name, node.spec?.unschedulable === true ? `${status},SchedulingDisabled` : status, roles.length > 0 ? roles.join(',') : '<none>', age(node, now), info('kubeletVersion'), address('InternalIP'), address('ExternalIP'), info('osImage'), info('kernelVersion'), info('containerRuntimeVersion')]
  },
}

const leasePrinter: TablePrinter = {
  columns: [NAME, col('Holder'), AGE],
  row: (lease, now) => [lease.metadata.name, str(lease.spec?.holderIdentity), age(lease, now)],
}

const eventPrinter: TablePrinter = {
  columns: [
    col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'),
    col('First Seen', 'string', 1), col('Count', 'integer', 1), col('Name', 'string', 1, 'name'),
  ],
  row(event, now) {
    const involved = isPlainObject(event.involvedObject) ? event.involvedObject : {}
    const first = event.firstTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp
    const last = event.lastTimestamp ?? getPath(event, ['series', 'lastObservedTime']) ?? event.eventTime ?? first
    const source = isPlainObject(event.source) ? [str(event.source.component), str(event.source.host)].filter((s) => s !== '').join(', ') : str(event.reportingComponent)
    const count = typeof event.count === 'number' ? event.count : num(getPath(event, ['series', 'count'])) || 1
    const lastSeen = count > 1 ? `${since(last, now)} (x${count} over ${since(first, now)})` : since(last, now)
    return [
      lastSeen, str(event.type), str(event.reason), `${str(involved.kind).toLowerCase()}/${str(involved.name)}`, str(involved.fieldPath), source || '<none>',
      str(event.message).trim(), since(first, now), count, event.metadata.name,
    ]
  },
}

// ---- autoscalers -------------------------------------------------------------------------------

const conditionStatus = (object: KubeObject, type: string): string => str(list(object.status?.conditions).find((c) => c.type === type)?.status) || 'Unknown'

/** `cpu: 20%/70%` (kubectl's describe of autoscaling/v2 Resource metrics), `<unknown>` before the first sync. */
function hpaTargets(hpa: KubeObject): string {
  const current = list(hpa.status?.currentMetrics)
  const targets = list(hpa.spec?.metrics).map((metric) => {
    const resource = isPlainObject(metric.resource) ? metric.resource : {}
    const name = str(resource.name)
    const target = getPath(resource, ['target', 'averageUtilization'])
    const now = getPath(current.find((c) => getPath(c, ['resource', 'name']) === name), ['resource', 'current', 'averageUtilization'])
    return `${name}: ${typeof now === 'number' ? `${now}%` : '<unknown>'}/${typeof target === 'number' ? `${target}%` : '<unknown>'}`
  })
  return targets.join(', ') || '<none>'
}

const hpaPrinter: TablePrinter = {
  columns: [NAME, col('Reference'), col('Targets'), col('MinPods', 'integer'), col('MaxPods', 'integer'), col('Replicas', 'integer'), AGE],
  row: (hpa, now) => {
    const ref = isPlainObject(hpa.spec?.scaleTargetRef) ? hpa.spec.scaleTargetRef : {}
    return [hpa.metadata.name, `${str(ref.kind)}/${str(ref.name)}`, hpaTargets(hpa), num(hpa.spec?.minReplicas) || 1, num(hpa.spec?.maxReplicas), num(hpa.status?.currentReplicas), age(hpa, now)]
  },
}

/** KEDA's additionalPrinterColumns for ScaledObject. */
const scaledObjectPrinter: TablePrinter = {
  columns: [NAME, col('ScaleTargetKind'), col('ScaleTargetName'), col('Min', 'integer'), col('Max', 'integer'), col('Ready'), col('Active'), col('Fallback'), col('Paused'), col('Triggers'), col('Authentications'), AGE],
  row: (so, now) => {
    const ref = isPlainObject(so.spec?.scaleTargetRef) ? so.spec.scaleTargetRef : {}
    const triggers = list(so.spec?.triggers)
    return [
      so.metadata.name, str(so.status?.scaleTargetKind), str(ref.name), num(so.spec?.minReplicaCount), num(so.spec?.maxReplicaCount) || 100,
      conditionStatus(so, 'Ready'), conditionStatus(so, 'Active'), conditionStatus(so, 'Fallback'), conditionStatus(so, 'Paused'),
      triggers.map((t) => str(t.type)).join(','), triggers.map((t) => str(getPath(t, ['authenticationRef', 'name']))).filter((n) => n !== '').join(','), age(so, now),
    ]
  },
}

const PRINTERS: Record<ResourceKey, TablePrinter> = {
  'horizontalpodautoscalers.autoscaling': hpaPrinter,
  'scaledobjects.keda.sh': scaledObjectPrinter,
  pods: podPrinter,
  services: servicePrinter,
  endpoints: endpointsPrinter,
  configmaps: configMapPrinter,
  secrets: secretPrinter,
  namespaces: namespacePrinter,
  nodes: nodePrinter,
  events: eventPrinter,
  'deployments.apps': deploymentPrinter,
  'replicasets.apps': replicaSetPrinter,
  'jobs.batch': jobPrinter,
  'leases.coordination.k8s.io': leasePrinter,
}

const DEFAULT_PRINTER: TablePrinter = { columns: [NAME, col('Created At', 'date')], row: (o) => [o.metadata.name, str(o.metadata.creationTimestamp)] }

export type IncludeObject = 'None' | 'Metadata' | 'Object'

/** `row.object` per `includeObject`: kubectl needs metadata for -A (namespace) and --show-labels. */
function rowObject(object: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined
  if (include === 'Object') return object
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata }
}

export interface TableOptions {
  resource: ResourceKey
  apiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1'
  includeObject: IncludeObject
  resourceVersion: string
  continueToken?: string
  remainingItemCount?: number
  /** Watch events after the first omit column definitions. */
  noHeaders?: boolean
  now: number
}

export function toTable(objects: readonly KubeObject[], options: TableOptions): JsonObject {
  const printer = PRINTERS[options.resource] ?? DEFAULT_PRINTER
  const metadata: JsonObject = { resourceVersion: options.resourceVersion }
  if (options.continueToken) metadata.continue = options.continueToken
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount
  return {
    kind: 'Table',
    apiVersion: options.apiVersion,
    metadata,
    columnDefinitions: options.noHeaders ? [] : printer.columns,
    rows: objects.map((object) => {
      const row: JsonObject = { cells: printer.row(object, options.now) }
      const embedded = rowObject(object, options.includeObject)
      if (embedded !== undefined) row.object = embedded
      return row
    }),
  }
}
