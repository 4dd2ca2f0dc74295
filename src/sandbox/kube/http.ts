// Small HTTP helpers shared by the API routes: bodies, JSON/Status responses, media types.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { badRequest, requestEntityTooLarge, StatusError } from '../errors.js'

/** The apiserver's request body limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > limit) throw requestEntityTooLarge(limit)
    chunks.push(buffer)
  }
  return Buffer.concat(chunks)
}

/** The media type of a Content-Type/Accept entry without parameters, lower-cased. */
export function mediaTypeOf(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase()
}

export interface MediaRange {
  type: string
  params: Record<string, string>
}

/** Parses an Accept header into its media ranges, in order. */
export function parseAccept(accept: string | undefined): MediaRange[] {
  if (accept === undefined || accept.trim() === '') return []
  return accept.split(',').map((entry) => {
    const [type, ...params] = entry.split(';').map((p) => p.trim())
    const parsed: Record<string, string> = {}
    for (const p of params) {
      const eq = p.indexOf('=')
      if (eq > 0) parsed[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim()
    }
    return { type: (type ?? '').toLowerCase(), params: parsed }
  })
}

export type Representation = { as: 'Table'; version: 'v1' | 'v1beta1' } | { as: 'PartialObjectMetadata'; version: 'v1' | 'v1beta1' } | { as: 'Object' }

/** Which representation the client asked for: a Table, metadata only, or the object (the default). */
export function negotiateRepresentation(accept: string | undefined): Representation {
  for (const range of parseAccept(accept)) {
    if (range.type !== 'application/json') continue
    const { as, g, v } = range.params
    if (as === undefined) return { as: 'Object' }
    if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue
    if (as === 'Table') return { as: 'Table', version: v }
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', version: v }
  }
  return { as: 'Object' }
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' }

/** Sends a JSON body (a pre-serialized string is sent as is). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const payload = Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8')
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': String(payload.length), ...headers })
  res.end(payload)
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  const payload = Buffer.from(text, 'utf8')
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(payload.length), 'Cache-Control': 'no-cache, private' })
  res.end(payload)
}

export function sendStatusError(res: ServerResponse, error: StatusError): void {
  const headers: Record<string, string> = {}
  if (error.retryAfter !== undefined) headers['Retry-After'] = String(error.retryAfter)
  sendJson(res, error.code, error.status, headers)
}

/** Parses a request body as JSON, or YAML when the Content-Type says so; 400 on malformed input. */
export function parseObjectBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaTypeOf(contentType)
  const text = body.toString('utf8')
  if (text.trim() === '') return undefined
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text) as unknown
    } catch (error) {
      throw badRequest(`error converting YAML to JSON: ${(error as Error).message.split('\n')[0]}`)
    }
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`)
  }
}

/** `watch=1`, `watch=true`, `watch=True` are true; `0`/`false` and absent are false (apimachinery's bool conversion). */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const value = query.get(name)
  if (value === null) return false
  const lower = value.toLowerCase()
  return lower !== '0' && lower !== 'false'
}

export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name)
  if (value === null || value === '') return undefined
  if (!/^-?\d+$/.test(value)) throw badRequest(`${name}: invalid value ${JSON.stringify(value)}: must be an integer`)
  return Number(value)
}
