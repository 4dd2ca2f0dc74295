// Kubernetes `Status` failures, thrown by the store and the API and rendered verbatim on the wire.
// Messages follow k8s.io/apimachinery/pkg/api/errors so kubectl prints what it prints against a real
// cluster, e.g. `Error from server (NotFound): deployments.apps "web" not found`.

export interface StatusCause {
  reason: string
  message: string
  field: string
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  uid?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message?: string
  reason?: string
  details?: StatusDetails
  code: number
}

/** What an error is about: a resource (plural) in an API group, e.g. { group: 'apps', plural: 'deployments' }. */
export interface GroupResource {
  group: string
  plural: string
}

/** What an Invalid error is about: a kind in an API group, e.g. { group: 'apps', kind: 'Deployment' }. */
export interface GroupKind {
  group: string
  kind: string
}

export class StatusError extends Error {
  readonly status: Status
  /** Seconds for a Retry-After header (429/503 from fault injection). */
  readonly retryAfter?: number

  constructor(code: number, reason: string, message: string, details?: StatusDetails, retryAfter?: number) {
    super(message)
    this.name = 'StatusError'
    this.retryAfter = retryAfter
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
    if (details !== undefined) this.status.details = details
  }

  get code(): number {
    return this.status.code
  }

  get reason(): string {
    return this.status.reason ?? ''
  }
}

export function isStatusError(error: unknown): error is StatusError {
  return error instanceof StatusError
}

/** `deployments.apps`, or `pods` for the core group. */
export function qualifiedResource(resource: GroupResource): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`
}

/** `Deployment.apps`, or `Pod` for the core group. */
export function qualifiedKind(kind: GroupKind): string {
  return kind.group === '' ? kind.kind : `${kind.kind}.${kind.group}`
}

export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again'

export function notFound(resource: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, {
    name,
    group: resource.group || undefined,
    kind: resource.plural,
  })
}

/** The generic 404 for a path no route serves. */
export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {})
}

export function alreadyExists(resource: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(resource)} "${name}" already exists`, {
    name,
    group: resource.group || undefined,
    kind: resource.plural,
  })
}

export function conflict(resource: GroupResource, name: string, why: string = OPTIMISTIC_LOCK_MESSAGE): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`, {
    name,
    group: resource.group || undefined,
    kind: resource.plural,
  })
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message)
}

export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized')
}

export function forbidden(resource: GroupResource, name: string, why: string): StatusError {
  const subject = name === '' ? qualifiedResource(resource) : `${qualifiedResource(resource)} "${name}"`
  return new StatusError(403, 'Forbidden', `${subject} is forbidden: ${why}`, {
    name: name || undefined,
    group: resource.group || undefined,
    kind: resource.plural,
  })
}

export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})
}

export function notAcceptable(accepted: string[]): StatusError {
  return new StatusError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`)
}

export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message)
}

export function requestEntityTooLarge(limitBytes: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`)
}

export function unsupportedMediaType(contentType: string, accepted: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    contentType ? { causes: [{ reason: 'UnexpectedServerResponse', message: contentType, field: '' }] } : undefined,
  )
}

export function tooManyRequests(retryAfterSeconds: number): StatusError {
  return new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }, retryAfterSeconds)
}

export function internalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ reason: '', message, field: '' }],
  })
}

export function serviceUnavailable(message: string, retryAfterSeconds?: number): StatusError {
  return new StatusError(
    503,
    'ServiceUnavailable',
    message,
    retryAfterSeconds === undefined ? undefined : { retryAfterSeconds },
    retryAfterSeconds,
  )
}

// ---- field errors and 422 Invalid ------------------------------------------------------------

export type FieldErrorType = 'Required' | 'Invalid' | 'Forbidden' | 'NotSupported' | 'Duplicate' | 'TooLong'

/** One validation failure, like k8s.io/apimachinery/pkg/util/validation/field.Error. */
export interface FieldError {
  type: FieldErrorType
  field: string
  value?: unknown
  detail?: string
  /** For NotSupported: the allowed values. */
  supported?: string[]
}

export const required = (field: string, detail?: string): FieldError => ({ type: 'Required', field, detail })
export const invalidValue = (field: string, value: unknown, detail?: string): FieldError => ({ type: 'Invalid', field, value, detail })
export const forbiddenField = (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail })
export const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({ type: 'NotSupported', field, value, supported })
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'Duplicate', field, value })

const CAUSE_REASONS: Record<FieldErrorType, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Forbidden: 'FieldValueForbidden',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  TooLong: 'FieldValueTooLong',
}

/** A value already rendered the way Go prints it (e.g. a struct), shown verbatim in messages. */
export interface GoLiteral {
  goString: string
}

export const goLiteral = (goString: string): GoLiteral => ({ goString })

function isGoLiteral(value: unknown): value is GoLiteral {
  return typeof value === 'object' && value !== null && typeof (value as GoLiteral).goString === 'string' && Object.keys(value).length === 1
}

/** Renders a value roughly like Go's %#v does for the types the API validates (strings, numbers, string maps). */
export function goValue(value: unknown): string {
  if (isGoLiteral(value)) return value.goString
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) {
    const entries = Object.entries(value as Record<string, string>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    return `map[string]string{${entries.join(', ')}}`
  }
  return JSON.stringify(value)
}

/** The part of a field error after `field: `, e.g. `Invalid value: "x": must be ...`. */
export function fieldErrorBody(error: FieldError): string {
  const detail = error.detail ? `: ${error.detail}` : ''
  switch (error.type) {
    case 'Required':
      return `Required value${detail}`
    case 'Forbidden':
      return `Forbidden${detail}`
    case 'Invalid':
      return `Invalid value: ${goValue(error.value)}${detail}`
    case 'Duplicate':
      return `Duplicate value: ${goValue(error.value)}`
    case 'NotSupported':
      return `Unsupported value: ${goValue(error.value)}: supported values: ${(error.supported ?? []).map((s) => JSON.stringify(s)).join(', ')}`
    case 'TooLong':
      return `Too long${detail}`
  }
}

export function invalid(kind: GroupKind, name: string, errors: FieldError[]): StatusError {
  const rendered = errors.map((e) => `${e.field}: ${fieldErrorBody(e)}`)
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`
  return new StatusError(422, 'Invalid', `${qualifiedKind(kind)} "${name}" is invalid: ${summary}`, {
    name,
    group: kind.group || undefined,
    kind: kind.kind,
    causes: errors.map((e) => ({ reason: CAUSE_REASONS[e.type], message: fieldErrorBody(e), field: e.field })),
  })
}
