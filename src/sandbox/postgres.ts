// The sandbox's PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly) persisted in `<dataDir>/pgdata`, served
// over the PostgreSQL wire protocol by @electric-sql/pglite-socket, so every client (pg, psql, an ASP.NET
// service's Npgsql) talks to it exactly as to a real server.
//
// Start-up is lazy. Opening a new PGlite data dir takes seconds (initdb in WebAssembly) and the loaded engine
// holds a hundred-odd MB, which `mkt sandbox start` and most tests never need. So the sandbox only listens on
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

/** Opens PGlite on the data dir and serves it on an internal loopback port. Loaded only here (it is heavy). */
async function startEngine(pgdata: string): Promise<Engine> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')])
  const db = await PGlite.create(pgdata)
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS })
  try {
    await server.start()
  } catch (error) {
    await db.close()
    throw error
  }
  const innerPort = Number(server.getServerConn().split(':').pop())
  return {
    innerPort,
    stop: async () => {
      await server.stop()
      await db.close()
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
