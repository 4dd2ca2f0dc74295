// The sandbox's PostgreSQL (PGlite behind pglite-socket, postgres.ts) with the real `pg` client: it listens at once
// but starts only on first use, persists in pgdata/ across restarts, keeps its port, and reports its state on
// /_sandbox/postgres. Also: a followed Job pod log streams the outcome as the container finishes.
import { readFileSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Log } from '@kubernetes/client-node'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { POSTGRES_PASSWORD_FILE } from '../../src/sandbox/postgres-auth.js'
import { errorResponse, startSandboxPostgres, type SandboxPostgres } from '../../src/sandbox/postgres.js'
import type { SandboxRouteHandler } from '../../src/sandbox/types.js'
import { makeTempDir, startTestSandbox } from './sandbox-helpers.js'

function fakeApi() {
  const routes = new Map<string, SandboxRouteHandler>()
  return {
    routes,
    api: { registerSandboxRoute: (method: string, path: string, handler: SandboxRouteHandler) => void routes.set(`${method} ${path}`, handler), setPodHttpBackend: () => undefined, setApiFaultHook: () => undefined },
  }
}

const call = async (routes: Map<string, SandboxRouteHandler>, key: string) =>
  (await routes.get(key)!({ method: key.split(' ')[0]!, path: key.split(' ')[1]!, query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0), json: undefined })) as { status?: number; body: { state: string; url: string } }

describe('sandbox postgres', () => {
  const started: SandboxPostgres[] = []
  const dirs: string[] = []
  const tempDir = async () => {
    dirs.push(await makeTempDir('mkt-pg-test-'))
    return dirs.at(-1)!
  }
  afterAll(async () => {
    for (const p of started) await p.stop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('starts lazily on first connection, answers pg, persists across a restart on the same port', async () => {
    const dataDir = await tempDir()
    const { routes, api } = fakeApi()
    const first = await startSandboxPostgres({ dataDir, api, log: () => undefined })
    started.push(first)
    expect(first.url).toMatch(/^postgresql:\/\/postgres:[\w-]{32}@127\.0\.0\.1:\d+\/postgres$/)
    expect((await call(routes, 'GET /_sandbox/postgres')).body.state).toBe('idle')

    const client = new pg.Client({ connectionString: first.url }) // with the generated password
    await client.connect() // waits while PGlite starts
    expect((await call(routes, 'GET /_sandbox/postgres')).body.state).toBe('ready')
    await client.query('CREATE TABLE kept (id int primary key)')
    await client.query('INSERT INTO kept VALUES (42)')
    await client.end()
    await first.stop()
    started.pop()

    const second = await startSandboxPostgres({ dataDir, api: fakeApi().api, log: () => undefined })
    started.push(second)
    expect(second.port).toBe(first.port)
    expect(second.url).toBe(first.url) // the same password too
    await second.start()
    const again = new pg.Client({ connectionString: second.url })
    await again.connect()
    expect((await again.query('SELECT id FROM kept')).rows).toEqual([{ id: 42 }])
    await again.end()
  }, 60_000)

  it('requires the generated password (kept 0600 in the data dir); a wrong one, none or another role is refused', async () => {
    const dataDir = await tempDir()
    const postgres = await startSandboxPostgres({ dataDir, api: fakeApi().api, log: () => undefined })
    started.push(postgres)
    const password = readFileSync(join(dataDir, POSTGRES_PASSWORD_FILE), 'utf8').trim()
    expect(statSync(join(dataDir, POSTGRES_PASSWORD_FILE)).mode & 0o777).toBe(0o600)
    expect(new URL(postgres.url).password).toBe(password)
    const attempt = async (url: string) => {
      const client = new pg.Client({ connectionString: url })
      try {
        await client.connect()
        return (await client.query('SELECT 1 AS one')).rows[0]
      } catch (error) {
        return { code: (error as { code?: string }).code, message: (error as Error).message }
      } finally {
        await client.end().catch(() => undefined)
      }
    }
    const port = postgres.port
    expect(await attempt(`postgresql://postgres:wrong-password@127.0.0.1:${port}/postgres`)).toEqual({ code: '28P01', message: 'password authentication failed for user "postgres"' })
    expect(await attempt(`postgresql://postgres@127.0.0.1:${port}/postgres`)).toMatchObject({ message: expect.stringMatching(/password/) })
    expect(await attempt(`postgresql://admin:${password}@127.0.0.1:${port}/postgres`)).toMatchObject({ code: '28000' })
    expect(postgres.status().state).toBe('idle') // refused clients never start the engine (the right password: the test above)
  }, 60_000)

  it('POST /_sandbox/postgres/start starts it without waiting', async () => {
    const { routes, api } = fakeApi()
    const postgres = await startSandboxPostgres({ dataDir: await tempDir(), api, log: () => undefined })
    started.push(postgres)
    const answer = await call(routes, 'POST /_sandbox/postgres/start')
    expect(answer.status).toBe(202)
    expect(answer.body.state).toBe('starting')
    await postgres.start()
    expect(postgres.status().state).toBe('ready')
  }, 60_000)

  it('an ErrorResponse is a well-formed FATAL message', () => {
    const message = errorResponse('no')
    expect(message.subarray(0, 1).toString()).toBe('E')
    expect(message.readInt32BE(1)).toBe(message.length - 1)
    expect(message.toString('utf8')).toContain('SFATAL\u0000')
    expect(message.toString('utf8')).toContain('C57P03\u0000Mno\u0000\u0000')
  })
})

describe('following a Job pod log', () => {
  it('streams the outcome lines as the container finishes, then ends', async () => {
    const sandbox = await startTestSandbox({ controllers: true, podStartDelayMs: 100 })
    try {
      const NS = 'marketplace'
      await sandbox.core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined)
      await sandbox.batch.createNamespacedJob({
        namespace: NS,
        body: { metadata: { name: 'follow-me' }, spec: { backoffLimit: 0, template: { metadata: { annotations: { 'sandbox.mkt/job-behavior': 'slow=1500ms' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'migrations', image: 'm:1' }] } } } },
      })
      let pod: string | undefined
      for (let i = 0; i < 50 && !pod; i++) {
        const [p] = (await sandbox.core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=follow-me' })).items
        if (p?.status?.containerStatuses?.[0]?.state?.running) pod = p.metadata!.name!
        else await new Promise((r) => setTimeout(r, 100))
      }
      expect(pod).toBeDefined()
      let text = ''
      const ended = new Promise<void>((resolve) => {
        const sink = new Writable({
          write(chunk, _encoding, callback) {
            text += chunk.toString()
            callback()
          },
          final(callback) {
            resolve()
            callback()
          },
        })
        void new Log(sandbox.kc).log(NS, pod!, 'migrations', sink, { follow: true })
      })
      await ended
      expect(text).toContain('Working…')
      expect(text.trimEnd().split('\n').at(-1)).toContain('follow-me completed successfully')
    } finally {
      await sandbox.stop()
    }
  }, 30_000)
})
