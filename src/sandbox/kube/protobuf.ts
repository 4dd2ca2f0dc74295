// Decoding of `application/vnd.kubernetes.protobuf` request bodies. kubectl 1.32's typed clients
// (`kubectl create namespace|configmap|secret|deployment|service|job`) send protobuf; the rest of
// kubectl, client-node and mkt send JSON. The envelope is the magic `k8s\0` then a runtime.Unknown
// whose `raw` is the object; field numbers come from k8s.io/api's generated.proto. Only the fields
// those generators (and ordinary manifests) use are described; other fields are skipped.
import { badRequest } from '../errors.js'
import type { JsonObject } from '../json.js'

type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'int64'
type FieldType = Scalar | { message: string } | { map: [Scalar, Scalar | { message: string }] }

interface FieldDef {
  name: string
  type: FieldType
  repeated?: boolean
  /**
   * A Go pointer field (`*int32`, `*bool`, `*string`): an explicit zero is meaningful. Other scalar
   * fields are always marshalled by Go, so their zero value means "not set" (JSON omitempty).
   */
  pointer?: boolean
}

type MessageDef = Record<number, FieldDef>

const str = (name: string): FieldDef => ({ name, type: 'string' })
const strs = (name: string): FieldDef => ({ name, type: 'string', repeated: true })
const int = (name: string): FieldDef => ({ name, type: 'int32' })
const long = (name: string): FieldDef => ({ name, type: 'int64' })
const bool = (name: string): FieldDef => ({ name, type: 'bool' })
const msg = (name: string, message: string, repeated = false): FieldDef => ({ name, type: { message }, repeated })
const stringMap = (name: string): FieldDef => ({ name, type: { map: ['string', 'string'] } })
const ptr = (field: FieldDef): FieldDef => ({ ...field, pointer: true })

const MESSAGES: Record<string, MessageDef> = {
  Unknown: { 1: msg('typeMeta', 'TypeMeta'), 2: { name: 'raw', type: 'bytes' }, 3: str('contentEncoding'), 4: str('contentType') },
  TypeMeta: { 1: str('apiVersion'), 2: str('kind') },
  ObjectMeta: {
    1: str('name'), 2: str('generateName'), 3: str('namespace'), 5: str('uid'), 6: str('resourceVersion'), 7: long('generation'),
    8: msg('creationTimestamp', 'Time'), 9: msg('deletionTimestamp', 'Time'), 10: ptr(long('deletionGracePeriodSeconds')),
    11: stringMap('labels'), 12: stringMap('annotations'), 13: msg('ownerReferences', 'OwnerReference', true), 14: strs('finalizers'),
  },
  OwnerReference: { 1: str('kind'), 3: str('name'), 4: str('uid'), 5: str('apiVersion'), 6: ptr(bool('controller')), 7: ptr(bool('blockOwnerDeletion')) },
  Time: { 1: long('seconds'), 2: int('nanos') },
  MicroTime: { 1: long('seconds'), 2: int('nanos') },
  IntOrString: { 1: long('type'), 2: int('intVal'), 3: str('strVal') },
  Quantity: { 1: str('string') },
  LabelSelector: { 1: stringMap('matchLabels'), 2: msg('matchExpressions', 'LabelSelectorRequirement', true) },
  LabelSelectorRequirement: { 1: str('key'), 2: str('operator'), 3: strs('values') },

  Namespace: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'NamespaceSpec'), 3: msg('status', 'NamespaceStatus') },
  NamespaceSpec: { 1: strs('finalizers') },
  NamespaceStatus: { 1: str('phase') },
  ConfigMap: { 1: msg('metadata', 'ObjectMeta'), 2: stringMap('data'), 3: { name: 'binaryData', type: { map: ['string', 'bytes'] } }, 4: ptr(bool('immutable')) },
  Secret: { 1: msg('metadata', 'ObjectMeta'), 2: { name: 'data', type: { map: ['string', 'bytes'] } }, 3: str('type'), 4: stringMap('stringData'), 5: ptr(bool('immutable')) },

  Pod: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'PodSpec') },
  PodTemplateSpec: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'PodSpec') },
  PodSpec: {
    2: msg('containers', 'Container', true), 3: str('restartPolicy'), 4: ptr(long('terminationGracePeriodSeconds')), 5: ptr(long('activeDeadlineSeconds')),
    6: str('dnsPolicy'), 7: stringMap('nodeSelector'), 8: str('serviceAccountName'), 9: str('serviceAccount'), 10: str('nodeName'),
    11: bool('hostNetwork'), 15: msg('imagePullSecrets', 'LocalObjectReference', true), 16: str('hostname'), 17: str('subdomain'),
    19: str('schedulerName'), 20: msg('initContainers', 'Container', true), 21: ptr(bool('automountServiceAccountToken')), 24: str('priorityClassName'),
  },
  LocalObjectReference: { 1: str('name') },
  Container: {
    1: str('name'), 2: str('image'), 3: strs('command'), 4: strs('args'), 5: str('workingDir'), 6: msg('ports', 'ContainerPort', true),
    7: msg('env', 'EnvVar', true), 8: msg('resources', 'ResourceRequirements'), 13: str('terminationMessagePath'), 14: str('imagePullPolicy'),
    16: bool('stdin'), 17: bool('stdinOnce'), 18: bool('tty'), 20: str('terminationMessagePolicy'),
  },
  ContainerPort: { 1: str('name'), 2: int('hostPort'), 3: int('containerPort'), 4: str('protocol'), 5: str('hostIP') },
  EnvVar: { 1: str('name'), 2: str('value') },
  ResourceRequirements: { 1: { name: 'limits', type: { map: ['string', { message: 'Quantity' }] } }, 2: { name: 'requests', type: { map: ['string', { message: 'Quantity' }] } } },

  Deployment: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'DeploymentSpec') },
  DeploymentSpec: {
    1: ptr(int('replicas')), 2: msg('selector', 'LabelSelector'), 3: msg('template', 'PodTemplateSpec'), 4: msg('strategy', 'DeploymentStrategy'),
    5: int('minReadySeconds'), 6: ptr(int('revisionHistoryLimit')), 7: bool('paused'), 9: ptr(int('progressDeadlineSeconds')),
  },
  DeploymentStrategy: { 1: str('type'), 2: msg('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: msg('maxUnavailable', 'IntOrString'), 2: msg('maxSurge', 'IntOrString') },
  ReplicaSet: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'ReplicaSetSpec') },
  ReplicaSetSpec: { 1: ptr(int('replicas')), 2: msg('selector', 'LabelSelector'), 3: msg('template', 'PodTemplateSpec'), 4: int('minReadySeconds') },
  Job: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'JobSpec') },
  JobSpec: {
    1: ptr(int('parallelism')), 2: ptr(int('completions')), 3: ptr(long('activeDeadlineSeconds')), 4: msg('selector', 'LabelSelector'), 5: ptr(bool('manualSelector')),
    6: msg('template', 'PodTemplateSpec'), 7: ptr(int('backoffLimit')), 8: ptr(int('ttlSecondsAfterFinished')), 9: ptr(str('completionMode')), 10: ptr(bool('suspend')),
  },
  Service: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'ServiceSpec') },
  ServiceSpec: {
    1: msg('ports', 'ServicePort', true), 2: stringMap('selector'), 3: str('clusterIP'), 4: str('type'), 5: strs('externalIPs'), 7: str('sessionAffinity'),
    10: str('externalName'), 18: strs('clusterIPs'),
  },
  ServicePort: { 1: str('name'), 2: str('protocol'), 3: int('port'), 4: msg('targetPort', 'IntOrString'), 5: int('nodePort'), 6: str('appProtocol') },
  Lease: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'LeaseSpec') },
  LeaseSpec: { 1: ptr(str('holderIdentity')), 2: ptr(int('leaseDurationSeconds')), 3: msg('acquireTime', 'MicroTime'), 4: msg('renewTime', 'MicroTime'), 5: ptr(int('leaseTransitions')) },
}

/** Kinds whose protobuf bodies can be decoded. */
export const PROTOBUF_KINDS = new Set(['Namespace', 'ConfigMap', 'Secret', 'Pod', 'Deployment', 'ReplicaSet', 'Job', 'Service', 'Lease'])

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00])

class Reader {
  private pos = 0
  constructor(private readonly buffer: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buffer.length
  }

  varint(): number {
    return Number(this.varintBig())
  }

  varintBig(): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (this.pos >= this.buffer.length) throw badRequest('protobuf: truncated varint')
      const byte = this.buffer[this.pos++]!
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
      if (shift > 63n) throw badRequest('protobuf: varint too long')
    }
  }

  bytes(): Buffer {
    const length = this.varint()
    if (this.pos + length > this.buffer.length) throw badRequest('protobuf: truncated field')
    const slice = this.buffer.subarray(this.pos, this.pos + length)
    this.pos += length
    return slice
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint()
    else if (wireType === 1) this.pos += 8
    else if (wireType === 2) this.bytes()
    else if (wireType === 5) this.pos += 4
    else throw badRequest(`protobuf: unsupported wire type ${wireType}`)
  }
}

function decodeScalar(type: Scalar, reader: Reader, wireType: number): unknown {
  if (type === 'string') return reader.bytes().toString('utf8')
  if (type === 'bytes') return reader.bytes().toString('base64')
  if (wireType !== 0) throw badRequest(`protobuf: expected a varint for ${type}`)
  const value = reader.varintBig()
  if (type === 'bool') return value !== 0n
  // Negative numbers are sign-extended two's complement in 64 bits.
  return Number(BigInt.asIntN(type === 'int32' ? 32 : 64, value))
}

/** JSON form of the special apimachinery messages (Time, MicroTime, IntOrString, Quantity). */
function specialJson(message: string, value: JsonObject): unknown {
  if (message === 'Time' || message === 'MicroTime') {
    // Go marshals a zero time as an empty message; its JSON form is null.
    if (!value.seconds && !value.nanos) return null
    const ms = Number(value.seconds ?? 0) * 1000 + Math.floor(Number(value.nanos ?? 0) / 1e6)
    const iso = new Date(ms).toISOString()
    if (message === 'Time') return iso.replace(/\.\d{3}Z$/, 'Z')
    const micros = String(Math.floor(Number(value.nanos ?? 0) / 1000)).padStart(6, '0')
    return iso.replace(/\.\d{3}Z$/, `.${micros}Z`)
  }
  if (message === 'IntOrString') return Number(value.type ?? 0) === 1 ? (value.strVal ?? '') : (value.intVal ?? 0)
  if (message === 'Quantity') return value.string ?? '0'
  return value
}

function decodeMessage(name: string, buffer: Buffer): unknown {
  const def = MESSAGES[name]
  if (def === undefined) throw badRequest(`protobuf: no schema for ${name}`)
  const reader = new Reader(buffer)
  const result: JsonObject = {}
  while (!reader.done) {
    const tag = reader.varint()
    const field = def[Math.floor(tag / 8)]
    const wireType = tag % 8
    if (field === undefined) {
      reader.skip(wireType)
      continue
    }
    const { type } = field
    let value: unknown
    if (typeof type === 'string') {
      if (field.repeated && wireType === 2 && type !== 'string' && type !== 'bytes') {
        // Packed repeated scalars.
        const packed = new Reader(reader.bytes())
        const values: unknown[] = []
        while (!packed.done) values.push(decodeScalar(type, packed, 0))
        result[field.name] = [...((result[field.name] as unknown[] | undefined) ?? []), ...values]
        continue
      }
      value = decodeScalar(type, reader, wireType)
      if (!field.repeated && !field.pointer && (value === '' || value === false || value === 0)) continue
    } else if ('message' in type) {
      value = specialJson(type.message, decodeMessage(type.message, reader.bytes()) as JsonObject)
    } else {
      const entry = new Reader(reader.bytes())
      let key: unknown = ''
      let mapValue: unknown = typeof type.map[1] === 'string' && type.map[1] !== 'bytes' ? '' : undefined
      while (!entry.done) {
        const entryTag = entry.varint()
        const entryWire = entryTag % 8
        if (Math.floor(entryTag / 8) === 1) key = decodeScalar(type.map[0], entry, entryWire)
        else if (Math.floor(entryTag / 8) === 2) {
          const valueType = type.map[1]
          mapValue = typeof valueType === 'string' ? decodeScalar(valueType, entry, entryWire) : specialJson(valueType.message, decodeMessage(valueType.message, entry.bytes()) as JsonObject)
        } else entry.skip(entryWire)
      }
      const map = (result[field.name] as JsonObject | undefined) ?? {}
      map[String(key)] = mapValue ?? ''
      result[field.name] = map
      continue
    }
    if (field.repeated) result[field.name] = [...((result[field.name] as unknown[] | undefined) ?? []), value]
    else result[field.name] = value
  }
  return result
}

/** Decodes a `k8s\0`-prefixed runtime.Unknown into a JSON object with apiVersion and kind. */
export function decodeKubernetesProtobuf(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw badRequest('protobuf: the body does not start with the Kubernetes protobuf envelope')
  const unknown = decodeMessage('Unknown', body.subarray(4)) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string; contentEncoding?: string }
  const kind = unknown.typeMeta?.kind ?? ''
  if (unknown.contentEncoding) throw badRequest(`protobuf: unsupported content encoding ${unknown.contentEncoding}`)
  if (!PROTOBUF_KINDS.has(kind)) throw badRequest(`protobuf: decoding ${kind || 'this kind'} is not supported by the sandbox; send JSON`)
  const object = decodeMessage(kind, Buffer.from(unknown.raw ?? '', 'base64')) as JsonObject
  return { apiVersion: unknown.typeMeta?.apiVersion, kind, ...object }
}
