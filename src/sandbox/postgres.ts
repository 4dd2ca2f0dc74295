// The sandbox's PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly) persisted in `<dataDir>/pgdata`, served
// over the PostgreSQL wire protocol by @electric-sql/pglite-socket, so every client (pg, psql, an ASP.NET
// service's Npgsql) talks to it exactly as to a real server.
//
// Start-up is lazy and off the event loop. Opening a new PGlite data dir takes seconds (initdb in WebAssembly) and
// the loaded engine holds a hundred-odd MB, which `mkt sandbox start` and most tests never need; when it does start,
// it runs in a worker thread so the Kubernetes, Key Vault, Service Bus and ARM endpoints keep answering. So the sandbox only listens on
// its loopback port (a plain TCP front, no PGlite loaded); the first connection, or `POST /_sandbox/postgres/start`,
// starts PGlite and pglite-socket's server on an internal ephemeral port, and the front pipes every connection
// through to it. `GET /_sandbox/postgres` tells whether it is idle, starting, ready or failed, so mkt can wait for
// readiness (with a message) instead of letting a connect time out.
//
// PGlite is one PostgreSQL backend: pglite-socket multiplexes connections onto it at the query level (a
// connection inside a transaction has it to itself until it commits). Session state (SET, advisory locks,
// temporary tables) is therefore shared by all connections; see README.md.
import { readFile } from 'node:fs/promises'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { writePrivateFile } from './files.js'
import { admitClient, errorResponse, POSTGRES_PASSWORD_FILE, POSTGRES_USER, sandboxPostgresPassword } from './postgres-auth.js'
import type { SandboxApi } from './types.js'

export const PGDATA_DIR = 'pgdata'
/** The front's port, kept across restarts so DATABASE_URLs handed out keep working. */
export const POSTGRES_PORT_FILE = 'postgres.port'
/** Connections served at once (pglite-socket queues their queries onto the one backend). */
const MAX_CONNECTIONS = 32

export type PostgresState = 'idle' | 'starting' | 'ready' | 'failed'

export interface PostgresStatus {
  state: PostgresState
  url: string
  dataDir: string
  error?: string
}

export interface SandboxPostgres {
  url: string
  port: number
  status(): PostgresStatus
  /** Starts PGlite if it is not started yet; resolves when it is ready (rejects when it failed). */
  start(): Promise<void>
  stop(): Promise<void>
}

export interface SandboxPostgresOptions {
  dataDir: string
  api: SandboxApi
  log: (message: string) => void
  /** The front's port; default: the previous run's if free, else an ephemeral one. */
  port?: number
}

export { errorResponse }

/** `postgresql://postgres:<password>@127.0.0.1:<port>/postgres`: PGlite has one database; the front checks the password. */
export const postgresUrl = (port: number, password: string): string => `postgresql://${POSTGRES_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`

interface Engine {
  innerPort: number
  stop(): Promise<void>
}

/**
 * The engine's thread: opens PGlite on the data dir and serves it with pglite-socket on an internal loopback port.
 * It runs in a worker thread, never on the sandbox's event loop: initdb and WebAssembly compilation take seconds of
 * CPU, and the Kubernetes API must keep answering meanwhile. The modules are resolved by the parent (so the same
 * code works from dist/ and from the sources under test) and passed in as file URLs.
 */
const ENGINE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
let stop = async () => {}
parentPort.on('message', async (message) => {
  if (message !== 'stop') return
  try { await stop() } finally { parentPort.postMessage({ type: 'stopped' }) }
})
;(async () => {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import(workerData.pglite), import(workerData.socket)])
  const db = await PGlite.create(workerData.pgdata)
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections })
  try {
    await server.start()
  } catch (error) {
    await db.close()
    throw error
  }
  stop = async () => { await server.stop(); await db.close() }
  parentPort.postMessage({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) })
})().catch((error) => parentPort.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) }))
`

/** A package's ESM entry as a file URL, resolved from this module (for the engine thread's import()). */
function moduleUrl(specifier: string): string {
  return import.meta.resolve(specifier)
}

/** Starts the engine thread; resolves once PGlite serves on its internal port. */
async function startEngine(pgdata: string): Promise<Engine> {
  const { Worker } = await import('node:worker_threads')
  const worker = new Worker(ENGINE_THREAD, {
    eval: true,
    workerData: { pgdata, pglite: moduleUrl('@electric-sql/pglite'), socket: moduleUrl('@electric-sql/pglite-socket'), maxConnections: MAX_CONNECTIONS },
  })
  const innerPort = await new Promise<number>((resolve, reject) => {
    worker.on('message', (message: { type: string; port?: number; message?: string }) => {
      if (message.type === 'ready') resolve(message.port!)
      else if (message.type === 'failed') reject(new Error(message.message))
    })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the database thread exited (code ${code}) before it was ready`)))
  }).catch(async (error: unknown) => {
    await worker.terminate()
    throw error
  })
  return {
    innerPort,
    stop: async () => {
      // Let PGlite close its data dir cleanly, then end the thread (bounded: a stuck close must not hold the stop).
      const stopped = new Promise<void>((resolve) => {
        worker.on('message', (message: { type: string }) => message.type === 'stopped' && resolve())
        worker.once('exit', () => resolve())
      })
      worker.postMessage('stop')
      await Promise.race([stopped, new Promise<void>((resolve) => setTimeout(resolve, 5000).unref())])
      await worker.terminate()
    },
  }
}

async function listenFront(server: Server, explicit: number | undefined, previous: number | undefined): Promise<number> {
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error) => reject(error)
      server.once('error', onError)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', onError)
        resolve((server.address() as AddressInfo).port)
      })
    })
  if (explicit !== undefined) return listen(explicit)
  if (previous !== undefined) {
    try {
      return await listen(previous)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (error as NodeJS.ErrnoException).code !== 'EACCES') throw error
    }
  }
  return listen(0)
}

async function readPreviousPort(dataDir: string): Promise<number | undefined> {
  try {
    const port = Number((await readFile(join(dataDir, POSTGRES_PORT_FILE), 'utf8')).trim())
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined
  } catch {
    return undefined
  }
}

export async function startSandboxPostgres(options: SandboxPostgresOptions): Promise<SandboxPostgres> {
  const { dataDir, log } = options
  const pgdata = join(dataDir, PGDATA_DIR)
  let state: PostgresState = 'idle'
  let failure: string | undefined
  let engine: Promise<Engine> | undefined
  let stopping = false
  const clients = new Set<Socket>()

  const start = (): Promise<Engine> => {
    if (engine) return engine
    state = 'starting'
    const started = Date.now()
    log(`postgres: starting PGlite on ${pgdata}`)
    engine = startEngine(pgdata).then(
      (running) => {
        state = 'ready'
        log(`postgres: ready after ${Date.now() - started} ms`)
        return running
      },
      (error: unknown) => {
        state = 'failed'
        failure = error instanceof Error ? error.message : String(error)
        log(`postgres: failed to start: ${failure}`)
        throw error
      },
    )
    return engine
  }

  // The front: accepts at once, lets the client in only with the password (postgres-auth.ts), holds it until
  // PGlite is ready, then replays its StartupMessage to pglite-socket and pipes the rest through.
  const password = await sandboxPostgresPassword(dataDir)
  const front = createServer((client) => {
    clients.add(client)
    client.on('close', () => clients.delete(client))
    client.on('error', () => client.destroy())
    client.setNoDelay(true)
    void admitClient(client, password).then((admitted) => {
      if (!admitted || client.destroyed) return
      start().then(
        ({ innerPort }) => {
          if (client.destroyed || stopping) return client.destroy()
          const upstream = connect(innerPort, '127.0.0.1')
          upstream.setNoDelay(true)
          upstream.on('error', () => client.destroy())
          upstream.on('close', () => client.destroy())
          client.on('close', () => upstream.destroy())
          upstream.write(admitted.startup)
          if (admitted.rest.length > 0) upstream.write(admitted.rest)
          client.pipe(upstream)
          upstream.pipe(client)
          client.resume()
        },
        (error: unknown) => {
          client.end(errorResponse(`the sandbox database could not start: ${error instanceof Error ? error.message : String(error)}`))
        },
      )
    })
  })
  const port = await listenFront(front, options.port, await readPreviousPort(dataDir))
  await writePrivateFile(join(dataDir, POSTGRES_PORT_FILE), `${port}\n`)
  const url = postgresUrl(port, password)

  const status = (): PostgresStatus => ({ state, url, dataDir: pgdata, ...(failure === undefined ? {} : { error: failure }) })
  options.api.registerSandboxRoute('GET', '/_sandbox/postgres', () => ({ body: status() }))
  // Starts PGlite without waiting for it: callers poll GET until ready (a first start takes seconds).
  options.api.registerSandboxRoute('POST', '/_sandbox/postgres/start', () => {
    start().catch(() => undefined)
    return { status: 202, body: status() }
  })
  log(`postgres: listening on 127.0.0.1:${port}, password in ${POSTGRES_PASSWORD_FILE} (PGlite starts on first use)`)

  return {
    url,
    port,
    status,
    start: async () => {
      await start()
    },
    stop: async () => {
      stopping = true
      for (const client of clients) client.destroy()
      await new Promise<void>((resolve) => front.close(() => resolve()))
      const running = await engine?.catch(() => undefined)
      await running?.stop()
    },
  }
}
