// Watches against the sandbox with client-node's Watch and informer: initial state, resume by
// resourceVersion, selectors applied to events, 410 Expired (and the informer's relist), bookmarks,
// timeoutSeconds, Table watches.
import { makeInformer, Watch, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node'
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sleep, startTestSandbox, waitFor, type TestSandbox } from './sandbox-helpers.js'

let sb: TestSandbox
let nsCounter = 0

async function freshNamespace(): Promise<string> {
  const name = `w${++nsCounter}`
  await sb.core.createNamespace({ body: { metadata: { name } } })
  return name
}

interface Seen {
  type: string
  name: string
  rv: string
  object: Record<string, unknown>
}

/** Starts a client-node watch collecting events; `done` resolves when the server ends it. */
async function collect(path: string, query: Record<string, string | number | boolean>): Promise<{ events: Seen[]; done: Promise<unknown>; abort: () => void }> {
  const events: Seen[] = []
  let finish: (err: unknown) => void = () => {}
  const done = new Promise((resolve) => (finish = resolve))
  const controller = await new Watch(sb.kc).watch(
    path,
    query,
    (type, object: { metadata?: { name?: string; resourceVersion?: string } }) => events.push({ type, name: object.metadata?.name ?? '', rv: object.metadata?.resourceVersion ?? '', object: object as Record<string, unknown> }),
    (err) => finish(err ?? null),
  )
  return { events, done, abort: () => controller.abort() }
}

beforeAll(async () => {
  sb = await startTestSandbox({ bookmarkIntervalMs: 150, eventLogSize: 50 })
})

afterAll(async () => {
  await sb?.stop()
})

describe('watch', () => {
  it('sends current objects as ADDED, then changes; newline-delimited JSON with Content-Type application/json', async () => {
    const ns = await freshNamespace()
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' }, data: { v: '1' } } })
    const watch = await collect(`/api/v1/namespaces/${ns}/configmaps`, {})
    await waitFor(() => (watch.events.length === 1 ? true : undefined))
    await sb.core.patchNamespacedConfigMap({ name: 'a', namespace: ns, body: [{ op: 'replace', path: '/data/v', value: '2' }] })
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } })
    await sb.core.deleteNamespacedConfigMap({ name: 'a', namespace: ns })
    await waitFor(() => (watch.events.length >= 4 ? true : undefined))
    expect(watch.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED a', 'MODIFIED a', 'ADDED b', 'DELETED a'])
    const rvs = watch.events.map((e) => Number(e.rv))
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs)
    watch.abort()

    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request(`${sb.handle.endpoints.kubernetes}/api/v1/namespaces/${ns}/configmaps?watch=true&timeoutSeconds=1`, { headers: { Authorization: `Bearer ${sb.handle.token}` }, ca: sb.caCert }, (res) => {
        resolve(res.headers)
        res.resume()
      })
      req.on('error', reject)
      req.end()
    })
    expect(headers['content-type']).toBe('application/json')
  })

  it('resumes from a resourceVersion with only later changes', async () => {
    const ns = await freshNamespace()
    const first = await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'one' } } })
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'two' } } })
    const watch = await collect(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: first.metadata!.resourceVersion! })
    await waitFor(() => (watch.events.length >= 1 ? true : undefined))
    await sleep(100)
    expect(watch.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED two'])
    watch.abort()
  })

  it('applies selectors to events: leaving the selection is DELETED, entering it is ADDED', async () => {
    const ns = await freshNamespace()
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x', labels: { role: 'in' } } } })
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other' } } })
    const watch = await collect(`/api/v1/namespaces/${ns}/configmaps`, { labelSelector: 'role=in' })
    await waitFor(() => (watch.events.length === 1 ? true : undefined))
    const out = await sb.core.patchNamespacedConfigMap({ name: 'x', namespace: ns, body: [{ op: 'replace', path: '/metadata/labels/role', value: 'out' }] })
    await sb.core.patchNamespacedConfigMap({ name: 'other', namespace: ns, body: [{ op: 'add', path: '/metadata/labels', value: { role: 'in' } }] })
    await waitFor(() => (watch.events.length >= 3 ? true : undefined))
    expect(watch.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED x', 'DELETED x', 'ADDED other'])
    // The DELETED copy carries the resourceVersion of the change, so a resume from it is exact.
    expect(watch.events[1]!.rv).toBe(out.metadata!.resourceVersion)

    const byField = await collect(`/api/v1/namespaces/${ns}/configmaps`, { fieldSelector: 'metadata.name=other' })
    await waitFor(() => (byField.events.length === 1 ? true : undefined))
    expect(byField.events[0]!.name).toBe('other')
    watch.abort()
    byField.abort()
  })

  it('answers a too-old resourceVersion with an ERROR event carrying 410 Expired, and the informer relists', async () => {
    const ns = await freshNamespace()
    const start = await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' }, data: { n: '0' } } })
    for (let i = 1; i <= 80; i++) await sb.core.patchNamespacedConfigMap({ name: 'c', namespace: ns, body: [{ op: 'replace', path: '/data/n', value: String(i) }] })
    const watch = await collect(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: start.metadata!.resourceVersion! })
    await watch.done
    expect(watch.events).toHaveLength(1)
    expect(watch.events[0]!.type).toBe('ERROR')
    expect(watch.events[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' })
    expect(String(watch.events[0]!.object.message)).toMatch(/^too old resource version: \d+ \(\d+\)$/)

    // The informer lists, watches from the list's resourceVersion, and keeps its cache current.
    const informer = makeInformer(sb.kc, `/api/v1/namespaces/${ns}/configmaps`, () => sb.core.listNamespacedConfigMap({ namespace: ns }))
    const log: string[] = []
    informer.on('add', (o: KubernetesObject) => log.push(`add ${o.metadata!.name}`))
    informer.on('update', (o: KubernetesObject) => log.push(`update ${o.metadata!.name} ${(o as V1ConfigMap).data?.n}`))
    informer.on('delete', (o: KubernetesObject) => log.push(`delete ${o.metadata!.name}`))
    await informer.start()
    await sb.core.patchNamespacedConfigMap({ name: 'c', namespace: ns, body: [{ op: 'replace', path: '/data/n', value: 'x' }] })
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'd' } } })
    await sb.core.deleteNamespacedConfigMap({ name: 'c', namespace: ns })
    await waitFor(() => (log.length >= 4 ? true : undefined))
    expect(log).toEqual(['add c', 'update c x', 'add d', 'delete c'])
    await informer.stop()
  })

  it('sends BOOKMARKs when allowed, honours timeoutSeconds, and never closes an idle watch at once', async () => {
    const ns = await freshNamespace()
    const bookmarks = await collect(`/api/v1/namespaces/${ns}/configmaps`, { allowWatchBookmarks: true, timeoutSeconds: 1 })
    const started = Date.now()
    await bookmarks.done
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(10_000) // timeoutSeconds 1: the watch ends, not hangs; generous for a busy machine
    const marks = bookmarks.events.filter((e) => e.type === 'BOOKMARK')
    expect(marks.length).toBeGreaterThanOrEqual(2)
    expect(marks[0]!.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } })

    const quiet = await collect(`/api/v1/namespaces/${ns}/configmaps`, {})
    let ended = false
    void quiet.done.then(() => (ended = true))
    await sleep(500)
    expect(ended).toBe(false)
    expect(quiet.events.filter((e) => e.type === 'BOOKMARK')).toHaveLength(0)
    quiet.abort()
  })

  it('streams Tables when asked (kubectl get -w): column definitions only in the first event', async () => {
    const ns = await freshNamespace()
    await sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' } } })
    const lines: string[] = []
    await new Promise<void>((resolve, reject) => {
      const req = request(
        `${sb.handle.endpoints.kubernetes}/api/v1/namespaces/${ns}/configmaps?watch=true&timeoutSeconds=1`,
        { headers: { Authorization: `Bearer ${sb.handle.token}`, Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' }, ca: sb.caCert },
        (res) => {
          res.setEncoding('utf8')
          let buffer = ''
          res.on('data', (chunk: string) => (buffer += chunk))
          res.on('end', () => {
            lines.push(...buffer.split('\n').filter((l) => l !== ''))
            resolve()
          })
        },
      )
      req.on('error', reject)
      req.end()
      setTimeout(() => void sb.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } }), 100)
    })
    const events = lines.map((l) => JSON.parse(l) as { type: string; object: { kind: string; columnDefinitions: unknown[]; rows: { cells: unknown[] }[] } })
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED'])
    expect(events[0]!.object.kind).toBe('Table')
    expect(events[0]!.object.columnDefinitions.length).toBeGreaterThan(0)
    expect(events[1]!.object.columnDefinitions).toEqual([])
    expect(events[1]!.object.rows[0]!.cells[0]).toBe('b')
  })
})
