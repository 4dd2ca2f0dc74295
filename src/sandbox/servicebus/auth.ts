// Who may call the Service Bus endpoint: a bearer token equal to the sandbox token (what a
// TokenCredential returns), or a shared access signature made with the namespace key
// (`SharedAccessSignature sig=…&se=…&skn=RootManageSharedAccessKey&sr=…`, HMAC-SHA256 over
// `${sr}\n${se}` keyed with the key's UTF-8 bytes, as §1.2 of the Azure reference describes). A SAS is
// valid for the resource in `sr` and everything below it, like Service Bus's audience check.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { unauthorized, type ServiceBusError } from './entities.js'

export interface ServiceBusCredentials {
  /** The sandbox token (also the kubeconfig's bearer token). */
  token: string
  keyName: string
  key: string
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}

/** `host[:port]/path` lower-cased, without scheme, query or trailing slashes: what audiences compare. */
export function normaliseResource(uri: string): string {
  return uri
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '')
}

/** The fields of a SAS token (`sr`, `sig`, `se`, `skn`), values still percent-encoded. */
export function parseSasToken(token: string): Record<string, string> | undefined {
  const match = /^SharedAccessSignature\s+(.+)$/i.exec(token.trim())
  if (match === null) return undefined
  const fields: Record<string, string> = {}
  for (const part of match[1]!.split('&')) {
    const eq = part.indexOf('=')
    if (eq > 0) fields[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim()
  }
  return fields
}

function decoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

/**
 * Checks a SAS token for `resource` (a URL or `host/path`); undefined when valid, else the 401.
 * `resource` undefined skips the audience check (supplementary tokens are issued for the namespace).
 */
export function verifySas(token: string, credentials: ServiceBusCredentials, resource: string | undefined, nowSeconds: number): ServiceBusError | undefined {
  const fields = parseSasToken(token)
  if (fields === undefined) return unauthorized('InvalidToken: the token is not a SharedAccessSignature.')
  const { sr, sig, se, skn } = fields
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined) return unauthorized('InvalidToken: a SharedAccessSignature needs sr, sig, se and skn.')
  if (decoded(skn) !== credentials.keyName) return unauthorized(`InvalidSignature: the shared access key '${decoded(skn) ?? skn}' does not exist on this namespace.`)
  const expiry = Number(se)
  if (!Number.isInteger(expiry)) return unauthorized('InvalidToken: se is not a Unix time.')
  if (expiry <= nowSeconds) return unauthorized(`ExpiredToken: The token is expired. Expiration time: '${new Date(expiry * 1000).toISOString()}'.`)
  const expected = createHmac('sha256', credentials.key).update(`${sr}\n${se}`).digest('base64')
  const presented = decoded(sig)
  if (presented === undefined || !sameSecret(presented, expected)) return unauthorized('InvalidSignature: The token has an invalid signature.')
  if (resource !== undefined) {
    const audience = normaliseResource(decoded(sr) ?? sr)
    const target = normaliseResource(resource)
    if (target !== audience && !target.startsWith(`${audience}/`)) return unauthorized(`InvalidAudience: The token audience '${decoded(sr) ?? sr}' does not cover '${resource}'.`)
  }
  return undefined
}

/** Checks a request's Authorization header for `resource` (the request URL). */
export function authenticate(header: string | undefined, credentials: ServiceBusCredentials, resource: string, nowSeconds: number): ServiceBusError | undefined {
  if (header === undefined || header.trim() === '') return unauthorized('MissingToken: The authorization header was not found.')
  const bearer = /^Bearer\s+(.+)$/i.exec(header.trim())
  if (bearer !== null) return sameSecret(bearer[1]!.trim(), credentials.token) ? undefined : unauthorized('InvalidIssuer: the bearer token is not the sandbox token.')
  return verifySas(header, credentials, resource, nowSeconds)
}

/**
 * The token a PUT that sets forwarding carries in `ServiceBusSupplementaryAuthorization` /
 * `ServiceBusDlqSupplementaryAuthorization`: a SAS token for the namespace (SAS clients) or the raw
 * access token (TokenCredential clients).
 */
export function verifySupplementary(token: string | undefined, header: string, credentials: ServiceBusCredentials, nowSeconds: number): ServiceBusError | undefined {
  if (token === undefined || token.trim() === '') return unauthorized(`MissingToken: forwarding needs the ${header} header.`)
  if (/^SharedAccessSignature\s/i.test(token.trim())) return verifySas(token, credentials, undefined, nowSeconds)
  const raw = token.trim().replace(/^Bearer\s+/i, '')
  return sameSecret(raw, credentials.token) ? undefined : unauthorized(`InvalidIssuer: the ${header} token is not the sandbox token.`)
}
