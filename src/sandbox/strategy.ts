// Per-kind rules the apiserver applies to every write (its "registry strategies"): defaults,
// create-time preparation, validation and immutability. The store runs them on every create and
// update, so controllers get the same defaults and checks as API clients.
import {
  badRequest,
  duplicate,
  forbiddenField,
  goLiteral,
  invalidValue,
  notSupported,
  required,
  type FieldError,
} from './errors.js'
import { asArray, asObject, cloneJson, deepEqual, ensureObject, getPath, type JsonObject } from './json.js'
import { roleBindingStrategy, roleStrategy, serviceAccountStrategy } from './rbac.js'
import { isEmptySelector, matchesLabelRequirements, requirementsOfSelector, type LabelSelectorSpec } from './selectors.js'
import type { KubeObject, ResourceKey } from './types.js'
import { microTimeProblem, validateConfigKeys, validateName, type NameRule } from './validation.js'

export interface StrategyContext {
  /** The stored objects of a resource type (e.g. to allocate a free Service cluster IP). */
  list(resource: ResourceKey): readonly KubeObject[]
}

export interface ResourceStrategy {
  /** How metadata.name is validated. */
  nameRule: NameRule
  /** Decode-time checks the apiserver reports as 400 BadRequest (a malformed MicroTime, bad base64). */
  decode?(object: KubeObject): void
  /** Defaults, applied on every create and update (idempotent), like defaulting on decode. */
  defaults?(object: KubeObject): void
  /** Create-only preparation once uid and name are known (generated selectors, allocations). */
  prepareCreate?(object: KubeObject, context: StrategyContext): void
  /** The status an API create starts with: the apiserver ignores status sent on create. */
  initialStatus?(object: KubeObject): JsonObject | undefined
  validate?(object: KubeObject): FieldError[]
  validateUpdate?(object: KubeObject, old: KubeObject): FieldError[]
  /** Update bumps metadata.generation when this differs (spec; for Deployments also annotations). */
  generationInputs?(object: KubeObject): unknown
}

// ---- helpers ----------------------------------------------------------------------------------


/** `"25%"` or 3; undefined when malformed. */
export function parseIntOrPercent(value: unknown): { percent: boolean; value: number } | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return { percent: false, value }
  if (typeof value === 'string' && /^[0-9]+%$/.test(value)) return { percent: true, value: Number(value.slice(0, -1)) }
  return undefined
}

/** Go-ish rendering of a LabelSelector for immutability messages. */
function goSelector(selector: unknown): string {
  const s = (asObject(selector) ?? {}) as LabelSelectorSpec
  const labels = s.matchLabels === undefined
    ? 'map[string]string(nil)'
    : `map[string]string{${Object.entries(s.matchLabels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`
  const expressions = s.matchExpressions === undefined ? '[]v1.LabelSelectorRequirement(nil)' : `[]v1.LabelSelectorRequirement{${JSON.stringify(s.matchExpressions)}}`
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${expressions}}`
}


// ---- pod spec ---------------------------------------------------------------------------------

function imagePullPolicyFor(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent'
  if (image.includes('@')) return 'IfNotPresent'
  const lastSegment = image.slice(image.lastIndexOf('/') + 1)
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : ''
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultProbe(probe: unknown): void {
  const p = asObject(probe)
  if (p === undefined) return
  p.timeoutSeconds ??= 1
  p.periodSeconds ??= 10
  p.successThreshold ??= 1
  p.failureThreshold ??= 3
  const httpGet = asObject(p.httpGet)
  if (httpGet !== undefined) {
    httpGet.path ??= '/'
    httpGet.scheme ??= 'HTTP'
  }
}

function defaultContainer(container: JsonObject): void {
  container.imagePullPolicy ??= imagePullPolicyFor(container.image)
  container.terminationMessagePath ??= '/dev/termination-log'
  container.terminationMessagePolicy ??= 'File'
  container.resources ??= {}
  for (const port of asArray(container.ports)) {
    const p = asObject(port)
    if (p !== undefined) p.protocol ??= 'TCP'
  }
  for (const env of asArray(container.env)) {
    const fieldRef = asObject(asObject(asObject(env)?.valueFrom)?.fieldRef)
    if (fieldRef !== undefined) fieldRef.apiVersion ??= 'v1'
  }
  defaultProbe(container.readinessProbe)
  defaultProbe(container.livenessProbe)
  defaultProbe(container.startupProbe)
}

/** SetDefaults_PodSpec and SetDefaults_Container, the fields kubectl and controllers look at. */
export function defaultPodSpec(spec: JsonObject | undefined): void {
  if (spec === undefined) return
  spec.restartPolicy ??= 'Always'
  spec.terminationGracePeriodSeconds ??= 30
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.securityContext ??= {}
  spec.schedulerName ??= 'default-scheduler'
  for (const c of [...asArray(spec.initContainers), ...asArray(spec.containers)]) {
    const container = asObject(c)
    if (container !== undefined) defaultContainer(container)
  }
}

function defaultPodTemplate(template: unknown): void {
  const t = asObject(template)
  if (t === undefined) return
  const metadata = ensureObject(t, 'metadata')
  metadata.creationTimestamp ??= null
  defaultPodSpec(asObject(t.spec))
}

function validateContainers(field: string, containers: unknown, requireOne: boolean): FieldError[] {
  const list = asArray(containers)
  const errors: FieldError[] = []
  if (requireOne && list.length === 0) return [required(field)]
  const names = new Set<string>()
  list.forEach((c, i) => {
    const container = asObject(c) ?? {}
    const name = container.name
    if (typeof name !== 'string' || name === '') errors.push(required(`${field}[${i}].name`))
    else {
      errors.push(...validateName(`${field}[${i}].name`, name, 'dns1123-label'))
      if (names.has(name)) errors.push(duplicate(`${field}[${i}].name`, name))
      names.add(name)
    }
    if (typeof container.image !== 'string' || container.image.trim() === '') errors.push(required(`${field}[${i}].image`))
    asArray(container.ports).forEach((p, j) => {
      const port = asObject(p)?.containerPort
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        errors.push(invalidValue(`${field}[${i}].ports[${j}].containerPort`, port ?? 0, 'must be between 1 and 65535, inclusive'))
      }
    })
  })
  return errors
}

function validatePodSpec(field: string, spec: unknown, allowedRestartPolicies: string[]): FieldError[] {
  const s = asObject(spec)
  if (s === undefined) return [required(`${field}.containers`)]
  const errors = validateContainers(`${field}.containers`, s.containers, true)
  errors.push(...validateContainers(`${field}.initContainers`, s.initContainers, false))
  if (!allowedRestartPolicies.includes(String(s.restartPolicy))) {
    errors.push(notSupported(`${field}.restartPolicy`, s.restartPolicy, allowedRestartPolicies))
  }
  return errors
}

/** Template labels must be selected by the controller's selector (apps/v1 Deployment, ReplicaSet; Job). */
function validateSelectorMatchesTemplate(object: KubeObject, errors: FieldError[]): void {
  const spec = object.spec ?? {}
  const selector = asObject(spec.selector) as LabelSelectorSpec | undefined
  if (selector === undefined) {
    errors.push(required('spec.selector'))
    return
  }
  if (isEmptySelector(selector)) {
    errors.push(invalidValue('spec.selector', goLiteral(goSelector(selector)), `empty selector is invalid for ${object.kind === 'ReplicaSet' ? 'replicaset' : 'deployment'}`))
    return
  }
  const templateLabels = getPath(spec, ['template', 'metadata', 'labels']) as Record<string, string> | undefined
  if (!matchesLabelRequirements(requirementsOfSelector(selector), templateLabels)) {
    errors.push(invalidValue('spec.template.metadata.labels', templateLabels ?? {}, '`selector` does not match template `labels`'))
  }
}

function validateNonNegative(errors: FieldError[], field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || value < 0)) {
    errors.push(invalidValue(field, value, 'must be greater than or equal to 0'))
  }
}

function selectorImmutable(object: KubeObject, old: KubeObject): FieldError[] {
  const selector = object.spec?.selector
  return deepEqual(selector, old.spec?.selector) ? [] : [invalidValue('spec.selector', goLiteral(goSelector(selector)), 'field is immutable')]
}

// ---- kinds ------------------------------------------------------------------------------------

const deploymentStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  defaults(object) {
    const spec = (object.spec ??= {}) as JsonObject
    spec.replicas ??= 1
    const strategy = ensureObject(spec, 'strategy')
    strategy.type ??= 'RollingUpdate'
    if (strategy.type === 'RollingUpdate') {
      const rolling = ensureObject(strategy, 'rollingUpdate')
      rolling.maxUnavailable ??= '25%'
      rolling.maxSurge ??= '25%'
    }
    spec.revisionHistoryLimit ??= 10
    spec.progressDeadlineSeconds ??= 600
    defaultPodTemplate(spec.template)
  },
  initialStatus: () => ({}),
  validate(object) {
    const spec = object.spec ?? {}
    const errors: FieldError[] = []
    validateSelectorMatchesTemplate(object, errors)
    validateNonNegative(errors, 'spec.replicas', spec.replicas)
    validateNonNegative(errors, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit)
    validateNonNegative(errors, 'spec.minReadySeconds', spec.minReadySeconds)
    if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= Number(spec.minReadySeconds ?? 0)) {
      errors.push(invalidValue('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'))
    }
    const strategy = asObject(spec.strategy) ?? {}
    if (strategy.type !== 'RollingUpdate' && strategy.type !== 'Recreate') {
      errors.push(notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']))
    } else if (strategy.type === 'Recreate' && strategy.rollingUpdate !== undefined) {
      errors.push(forbiddenField('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"))
    } else if (strategy.type === 'RollingUpdate') {
      const rolling = asObject(strategy.rollingUpdate) ?? {}
      const surge = parseIntOrPercent(rolling.maxSurge)
      const unavailable = parseIntOrPercent(rolling.maxUnavailable)
      const percentHelp = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
      if (surge === undefined) errors.push(invalidValue('spec.strategy.rollingUpdate.maxSurge', rolling.maxSurge, percentHelp))
      if (unavailable === undefined) errors.push(invalidValue('spec.strategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, percentHelp))
      if (unavailable?.percent && unavailable.value > 100) {
        errors.push(invalidValue('spec.strategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'must not be greater than 100%'))
      }
      if (surge?.value === 0 && unavailable?.value === 0) {
        errors.push(invalidValue('spec.strategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'may not be 0 when `maxSurge` is 0'))
      }
    }
    errors.push(...validatePodSpec('spec.template.spec', getPath(spec, ['template', 'spec']), ['Always']))
    return errors
  },
  validateUpdate: selectorImmutable,
  generationInputs: (object) => [object.spec, object.metadata.annotations ?? {}],
}

const replicaSetStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  defaults(object) {
    const spec = (object.spec ??= {}) as JsonObject
    spec.replicas ??= 1
    defaultPodTemplate(spec.template)
  },
  initialStatus: () => ({ replicas: 0 }),
  validate(object) {
    const spec = object.spec ?? {}
    const errors: FieldError[] = []
    validateSelectorMatchesTemplate(object, errors)
    validateNonNegative(errors, 'spec.replicas', spec.replicas)
    validateNonNegative(errors, 'spec.minReadySeconds', spec.minReadySeconds)
    errors.push(...validatePodSpec('spec.template.spec', getPath(spec, ['template', 'spec']), ['Always']))
    return errors
  },
  validateUpdate: selectorImmutable,
  generationInputs: (object) => object.spec,
}

const jobStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  defaults(object) {
    const spec = (object.spec ??= {}) as JsonObject
    if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1
    spec.parallelism ??= 1
    spec.backoffLimit ??= 6
    spec.completionMode ??= 'NonIndexed'
    spec.suspend ??= false
    defaultPodTemplate(spec.template)
  },
  prepareCreate(object) {
    // Like the Job registry: unless manualSelector, select the pods by the job's uid.
    const spec = (object.spec ??= {}) as JsonObject
    if (spec.manualSelector === true) return
    const uid = object.metadata.uid!
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }
    const templateMetadata = ensureObject(ensureObject(spec, 'template'), 'metadata')
    templateMetadata.labels = {
      ...(asObject(templateMetadata.labels) as Record<string, string> | undefined),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': object.metadata.name,
      'controller-uid': uid,
      'job-name': object.metadata.name,
    }
  },
  initialStatus: () => ({}),
  validate(object) {
    const spec = object.spec ?? {}
    const errors: FieldError[] = []
    if (spec.selector !== undefined) validateSelectorMatchesTemplate(object, errors)
    validateNonNegative(errors, 'spec.parallelism', spec.parallelism)
    validateNonNegative(errors, 'spec.completions', spec.completions)
    validateNonNegative(errors, 'spec.backoffLimit', spec.backoffLimit)
    errors.push(...validatePodSpec('spec.template.spec', getPath(spec, ['template', 'spec']), ['OnFailure', 'Never']))
    return errors
  },
  validateUpdate(object, old) {
    const errors = selectorImmutable(object, old)
    if (!deepEqual(object.spec?.template, old.spec?.template)) errors.push(invalidValue('spec.template', goLiteral('core.PodTemplateSpec{...}'), 'field is immutable'))
    return errors
  },
  generationInputs: (object) => object.spec,
}

function podQosClass(spec: JsonObject | undefined): string {
  const containers = asArray(spec?.containers).map((c) => asObject(c) ?? {})
  const hasResources = containers.some((c) => Object.keys(asObject(asObject(c.resources)?.requests) ?? {}).length > 0 || Object.keys(asObject(asObject(c.resources)?.limits) ?? {}).length > 0)
  return hasResources ? 'Burstable' : 'BestEffort'
}

/** Pod spec fields an update may change (plus nodeName from empty, standing in for the binding subresource). */
function podSpecForImmutabilityCheck(spec: unknown): unknown {
  const copy = cloneJson((asObject(spec) ?? {}) as JsonObject)
  for (const key of ['containers', 'initContainers']) {
    for (const c of asArray(copy[key])) {
      const container = asObject(c)
      if (container !== undefined) delete container.image
    }
  }
  delete copy.activeDeadlineSeconds
  delete copy.tolerations
  delete copy.terminationGracePeriodSeconds
  delete copy.schedulingGates
  return copy
}

const podStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  defaults(object) {
    const spec = (object.spec ??= {}) as JsonObject
    defaultPodSpec(spec)
    spec.enableServiceLinks ??= true
    spec.priority ??= 0
    const status = (object.status ??= {}) as JsonObject
    status.phase ??= 'Pending'
    status.qosClass ??= podQosClass(spec)
  },
  initialStatus: (object) => ({ phase: 'Pending', qosClass: podQosClass(object.spec) }),
  validate: (object) => validatePodSpec('spec', object.spec, ['Always', 'OnFailure', 'Never']),
  validateUpdate(object, old) {
    const before = cloneJson(old.spec ?? {})
    const after = cloneJson(object.spec ?? {})
    if ((before.nodeName === undefined || before.nodeName === '') && after.nodeName !== undefined) before.nodeName = after.nodeName
    if (deepEqual(podSpecForImmutabilityCheck(before), podSpecForImmutabilityCheck(after))) return []
    return [
      forbiddenField(
        'spec',
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      ),
    ]
  },
}

/** The first free address in 10.96.0.0/16, skipping .0 and .1 (the `kubernetes` service). */
function allocateClusterIp(context: StrategyContext): string {
  const used = new Set(context.list('services').map((s) => s.spec?.clusterIP))
  for (let i = 10; i < 65535; i++) {
    const ip = `10.96.${Math.floor(i / 256)}.${i % 256}`
    if (!used.has(ip)) return ip
  }
  throw badRequest('services: no cluster IP addresses left in 10.96.0.0/16')
}

const serviceStrategy: ResourceStrategy = {
  nameRule: 'dns1035-label',
  defaults(object) {
    const spec = (object.spec ??= {}) as JsonObject
    spec.type ??= 'ClusterIP'
    spec.sessionAffinity ??= 'None'
    if (spec.type !== 'ExternalName') {
      spec.ipFamilies ??= ['IPv4']
      spec.ipFamilyPolicy ??= 'SingleStack'
      spec.internalTrafficPolicy ??= 'Cluster'
    }
    for (const p of asArray(spec.ports)) {
      const port = asObject(p)
      if (port === undefined) continue
      port.protocol ??= 'TCP'
      port.targetPort ??= port.port
    }
  },
  prepareCreate(object, context) {
    const spec = (object.spec ??= {}) as JsonObject
    if (spec.type === 'ExternalName') return
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = allocateClusterIp(context)
    spec.clusterIPs ??= [spec.clusterIP]
  },
  initialStatus: () => ({ loadBalancer: {} }),
  validate(object) {
    const spec = object.spec ?? {}
    const errors: FieldError[] = []
    const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']
    if (!types.includes(String(spec.type))) errors.push(notSupported('spec.type', spec.type, types))
    const ports = asArray(spec.ports)
    if (ports.length === 0 && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') errors.push(required('spec.ports'))
    const names = new Set<string>()
    ports.forEach((p, i) => {
      const port = asObject(p) ?? {}
      if (ports.length > 1 && (typeof port.name !== 'string' || port.name === '')) errors.push(required(`spec.ports[${i}].name`))
      if (typeof port.name === 'string' && port.name !== '') {
        if (names.has(port.name)) errors.push(duplicate(`spec.ports[${i}].name`, port.name))
        names.add(port.name)
      }
      if (typeof port.port !== 'number' || port.port < 1 || port.port > 65535) {
        errors.push(invalidValue(`spec.ports[${i}].port`, port.port ?? 0, 'must be between 1 and 65535, inclusive'))
      }
    })
    return errors
  },
  validateUpdate(object, old) {
    const before = old.spec?.clusterIP
    const after = object.spec?.clusterIP
    return before !== undefined && after !== undefined && after !== '' && before !== after
      ? [invalidValue('spec.clusterIPs[0]', goLiteral(`[]string{${JSON.stringify(after)}}`), 'may not change once set')]
      : []
  },
}

const namespaceStrategy: ResourceStrategy = {
  nameRule: 'dns1123-label',
  defaults(object) {
    const spec = (object.spec ??= {}) as JsonObject
    spec.finalizers ??= ['kubernetes']
    const status = (object.status ??= {}) as JsonObject
    status.phase ??= 'Active'
    object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name }
  },
  initialStatus: () => ({ phase: 'Active' }),
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function validateDataSize(object: KubeObject, fields: string[]): FieldError[] {
  let size = 0
  for (const field of fields) {
    for (const value of Object.values(asObject(object[field]) ?? {})) size += typeof value === 'string' ? value.length : 0
  }
  return size > 1024 * 1024 ? [{ type: 'TooLong', field: '', detail: `: must have at most ${1024 * 1024} bytes` }] : []
}

const secretStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  decode(object) {
    for (const [key, value] of Object.entries(asObject(object.data) ?? {})) {
      if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) {
        const at = typeof value === 'string' ? Math.max(0, [...value].findIndex((ch) => !/[A-Za-z0-9+/=]/.test(ch))) : 0
        throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${at} (key ${JSON.stringify(key)})`)
      }
    }
  },
  defaults(object) {
    object.type ??= 'Opaque'
    // stringData is write-only: merged into data and never stored, like the apiserver does.
    const stringData = asObject(object.stringData)
    if (stringData !== undefined) {
      const data = ensureObject(object as JsonObject, 'data')
      for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64')
      delete object.stringData
    }
  },
  validate: (object) => [...validateConfigKeys('data', object.data), ...validateDataSize(object, ['data'])],
  validateUpdate: (object, old) => (old.immutable === true && !deepEqual(object.data, old.data) ? [forbiddenField('data', 'field is immutable when `immutable` is set')] : []),
}

const configMapStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  validate: (object) => [...validateConfigKeys('data', object.data), ...validateConfigKeys('binaryData', object.binaryData), ...validateDataSize(object, ['data', 'binaryData'])],
  validateUpdate: (object, old) => (old.immutable === true && !deepEqual(object.data, old.data) ? [forbiddenField('data', 'field is immutable when `immutable` is set')] : []),
}

const leaseStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  decode(object) {
    for (const field of ['acquireTime', 'renewTime']) {
      const value = object.spec?.[field]
      if (value === undefined || value === null) continue
      const problem = typeof value === 'string' ? microTimeProblem(value) : `json: cannot unmarshal ${typeof value} into Go struct field LeaseSpec.spec.${field} of type string`
      if (problem !== undefined) throw badRequest(`Lease in version "v1" cannot be handled as a Lease: ${problem}`)
    }
  },
  validate(object) {
    const errors: FieldError[] = []
    const duration = object.spec?.leaseDurationSeconds
    if (duration !== undefined && (typeof duration !== 'number' || duration <= 0)) errors.push(invalidValue('spec.leaseDurationSeconds', duration, 'must be greater than 0'))
    const transitions = object.spec?.leaseTransitions
    validateNonNegative(errors, 'spec.leaseTransitions', transitions)
    return errors
  },
}

const eventStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  validate(object) {
    const involved = asObject(object.involvedObject)
    const namespace = involved?.namespace
    if (typeof namespace === 'string' && namespace !== '' && namespace !== object.metadata.namespace) {
      return [invalidValue('involvedObject.namespace', namespace, 'does not match event.namespace')]
    }
    return []
  },
}

const STRATEGIES: Record<ResourceKey, ResourceStrategy> = {
  namespaces: namespaceStrategy,
  nodes: { nameRule: 'dns1123-subdomain' },
  pods: podStrategy,
  services: serviceStrategy,
  endpoints: { nameRule: 'dns1123-subdomain' },
  configmaps: configMapStrategy,
  secrets: secretStrategy,
  events: eventStrategy,
  'deployments.apps': deploymentStrategy,
  'replicasets.apps': replicaSetStrategy,
  'jobs.batch': jobStrategy,
  'leases.coordination.k8s.io': leaseStrategy,
  serviceaccounts: serviceAccountStrategy,
  'roles.rbac.authorization.k8s.io': roleStrategy,
  'rolebindings.rbac.authorization.k8s.io': roleBindingStrategy,
}

export function strategyFor(resource: ResourceKey): ResourceStrategy {
  return STRATEGIES[resource] ?? { nameRule: 'dns1123-subdomain' }
}
