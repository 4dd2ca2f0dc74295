// GET …/pods/{name}/log: validation with the apiserver's messages, a synthetic container log (or the
// backend's), and tailLines / limitBytes / timestamps / follow.
import type { ServerResponse } from 'node:http'
import { badRequest, notFound } from '../errors.js'
import { getPath, isPlainObject, type JsonObject } from '../json.js'
import type { FileStore } from '../store.js'
import type { KubeObject, PodHttpBackend } from '../types.js'
import { queryBool, queryInt } from './http.js'

const objects = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isPlainObject) : [])

/** Which container the request is about, with the apiserver's errors for missing/ambiguous names. */
function chooseContainer(pod: KubeObject, requested: string | null): string {
  const names = objects(pod.spec?.containers).map((c) => String(c.name))
  const all = [...objects(pod.spec?.initContainers).map((c) => String(c.name)), ...names]
  if (requested === null || requested === '') {
    if (names.length === 1) return names[0]!
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`)
  }
  if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`)
  return requested
}

function containerStatus(pod: KubeObject, container: string): JsonObject | undefined {
  return [...objects(pod.status?.initContainerStatuses), ...objects(pod.status?.containerStatuses)].find((s) => s.name === container)
}

/** A plausible ASP.NET Core start-up log, so `kubectl logs` shows something meaningful. */
export function synthesizeLog(pod: KubeObject, container: string, startedAt: number): { time: number; line: string }[] {
  const spec = objects(pod.spec?.containers).find((c) => c.name === container)
  const port = objects(spec?.ports)[0]?.containerPort ?? 8080
  const image = typeof spec?.image === 'string' ? spec.image : 'unknown'
  const lines = [
    `info: Sandbox[0] starting ${container} from image ${image} in pod ${pod.metadata.namespace}/${pod.metadata.name}`,
    'info: Microsoft.Hosting.Lifetime[14]',
    `      Now listening on: http://[::]:${String(port)}`,
    'info: Microsoft.Hosting.Lifetime[0]',
    '      Application started. Press Ctrl+C to shut down.',
    'info: Microsoft.Hosting.Lifetime[0]',
    '      Hosting environment: Production',
    'info: Microsoft.Hosting.Lifetime[0]',
    '      Content root path: /app',
  ]
  return lines.map((line, i) => ({ time: startedAt + i * 7, line }))
}

function startTimeOf(status: JsonObject | undefined, pod: KubeObject, previous: boolean): number {
  const path = previous ? ['lastState', 'terminated', 'startedAt'] : ['state', 'running', 'startedAt']
  const candidates = [getPath(status, path), pod.status?.startTime, pod.metadata.creationTimestamp]
  for (const c of candidates) if (typeof c === 'string' && !Number.isNaN(Date.parse(c))) return Date.parse(c)
  return Date.now()
}

export function serveLogs(res: ServerResponse, store: FileStore, backend: PodHttpBackend, namespace: string, name: string, query: URLSearchParams): void {
  const pod = store.get('pods', namespace, name)
  if (pod === undefined) throw notFound({ group: '', plural: 'pods' }, name)
  const container = chooseContainer(pod, query.get('container'))
  const previous = queryBool(query, 'previous')
  const status = containerStatus(pod, container)
  const waiting = getPath(status, ['state', 'waiting'])
  if (previous) {
    if (status === undefined || Number(status.restartCount ?? 0) === 0) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`)
  } else if (status === undefined || (isPlainObject(waiting) && (waiting.reason === 'ContainerCreating' || waiting.reason === 'PodInitializing' || waiting.reason === 'ErrImagePull' || waiting.reason === 'ImagePullBackOff'))) {
    const reason = isPlainObject(waiting) && typeof waiting.reason === 'string' ? waiting.reason : 'ContainerCreating'
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`)
  }

  // The whole log of the container as the pod is now (the backend's, else a synthesized start-up log).
  const entriesOf = (current: KubeObject): { time: number; line: string }[] => {
    const custom = backend.logs?.(current, container, { previous })
    const startedAt = startTimeOf(containerStatus(current, container), current, previous)
    return custom === undefined ? synthesizeLog(current, container, startedAt) : custom.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).map((line) => ({ time: startedAt, line }))
  }
  const all = entriesOf(pod)
  let entries = all
  const sinceSeconds = queryInt(query, 'sinceSeconds')
  if (sinceSeconds !== undefined) entries = entries.filter((e) => e.time >= Date.now() - sinceSeconds * 1000)
  const tailLines = queryInt(query, 'tailLines')
  if (tailLines !== undefined) entries = tailLines <= 0 ? [] : entries.slice(-tailLines)
  const timestamps = queryBool(query, 'timestamps')
  const render = (lines: { time: number; line: string }[]) => lines.map((e) => (timestamps ? `${new Date(e.time).toISOString().replace(/Z$/, '000000Z')} ${e.line}\n` : `${e.line}\n`)).join('')
  let text = render(entries)
  const limitBytes = queryInt(query, 'limitBytes')
  if (limitBytes !== undefined && limitBytes > 0) text = Buffer.from(text).subarray(0, limitBytes).toString('utf8')

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' })
  res.write(text)
  const terminated = (current: KubeObject) => isPlainObject(getPath(containerStatus(current, container), ['state', 'terminated']))
  if (!queryBool(query, 'follow') || previous || terminated(pod)) {
    res.end()
    return
  }
  // Follow, like the kubelet: new lines as the container writes them (the log is derived from the pod's status,
  // so every status change may add some), until the container exits, the pod goes away or the client hangs up.
  let sent = all.length
  const unsubscribe = store.subscribe((event) => {
    if (event.resource !== 'pods' || event.object.metadata.namespace !== namespace || event.object.metadata.name !== name) return
    if (event.type === 'DELETED') {
      unsubscribe()
      res.end()
      return
    }
    const now = entriesOf(event.object)
    if (now.length > sent) res.write(render(now.slice(sent)))
    sent = Math.max(sent, now.length)
    if (terminated(event.object)) {
      unsubscribe()
      res.end()
    }
  })
  res.on('close', unsubscribe)
}
