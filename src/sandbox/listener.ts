// What the sandbox's HTTPS endpoints (the Kubernetes API in kube/, Key Vault in keyvault/, Service Bus
// in servicebus/, ARM in arm/) share about listening: the server with its timeouts and connection
// tracking, listening on the loopback, stopping without waiting for clients, coming back on the
// previous run's port so the URLs handed out (kubeconfig, connection strings) keep working, and the
// API fault hook's latency and dropped connections.
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { Server as NetServer, Socket } from 'node:net'
import { readFileIfPresent, writeFileDurably } from './files.js'
import type { ApiFaultDecision, ApiFaultHook, SandboxApi } from './types.js'

/** How long close() lets active connections finish before it destroys them. */
const CLOSE_GRACE_MS = 200

export interface SandboxHttpsServer {
  readonly server: Server
  /** The port listened on; 0 before listen() resolves. */
  readonly port: number
  /** `https://127.0.0.1:<port>` */
  readonly url: string
  /** Listens on 127.0.0.1; port 0 picks a free one. Resolves with the port. */
  listen(port: number): Promise<number>
  /** Stops listening, closes idle connections at once and destroys active ones shortly after. */
  close(): Promise<void>
}

/** An HTTPS server for one sandbox endpoint; `handler` answers every request. */
export function createSandboxHttpsServer(tls: { cert: string; key: string }, handler: (req: IncomingMessage, res: ServerResponse) => void): SandboxHttpsServer {
  const server = createServer({ cert: tls.cert, key: tls.key }, handler)
  // Go's HTTP client reuses idle connections for 90 s; closing them earlier makes kubectl fail
  // non-idempotent requests with EOF now and then.
  server.keepAliveTimeout = 120_000
  server.headersTimeout = 125_000
  // Tracked so close() can end connections a client keeps open (watches, keep-alive).
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('tlsClientError', () => {
    // A client that does not trust the sandbox CA (curl without --cacert) just disconnects; nothing to log.
  })
  let port = 0
  return {
    server,
    get port() {
      return port
    },
    get url() {
      return `https://127.0.0.1:${port}`
    },
    async listen(wanted: number): Promise<number> {
      port = await listenOnLoopback(server, wanted)
      return port
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      setTimeout(() => {
        for (const socket of sockets) socket.destroy()
      }, CLOSE_GRACE_MS).unref()
      await closed
    },
  }
}

/**
 * An endpoint that accepts the sandbox token (the Kubernetes API, ARM, Key Vault) as a class: its HTTPS server,
 * answered by handle(), and the token check. How a request presents the token, and the answer when it does not,
 * are each endpoint's own (as with the real services).
 */
export abstract class SandboxHttpsEndpoint {
  protected readonly listener: SandboxHttpsServer
  private readonly tokenBytes: Buffer

  constructor(tls: { cert: string; key: string }, token: string) {
    this.tokenBytes = Buffer.from(token, 'utf8')
    this.listener = createSandboxHttpsServer(tls, (req, res) => {
      void this.handle(req, res)
    })
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>

  /** Listens on 127.0.0.1; port 0 picks a free one. Resolves with the port. */
  listen(port: number): Promise<number> {
    return this.listener.listen(port)
  }

  get url(): string {
    return this.listener.url
  }

  /** Stops listening and ends the connections; nothing to do if it never listened or already stopped. */
  async close(): Promise<void> {
    if (!this.listener.server.listening) return
    await this.listener.close()
  }

  /** Whether `presented` is the sandbox token (compared in constant time: the time taken tells nothing of it). */
  protected isSandboxToken(presented: string): boolean {
    const bytes = Buffer.from(presented, 'utf8')
    return bytes.length === this.tokenBytes.length && timingSafeEqual(bytes, this.tokenBytes)
  }
}

/** Listens on 127.0.0.1 (any net server: HTTPS or plain TCP); port 0 picks a free one. Resolves with the port. */
export async function listenOnLoopback(server: NetServer, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    server.once('error', onError)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError)
      resolve()
    })
  })
  const address = server.address()
  return typeof address === 'object' && address !== null ? address.port : port
}

/**
 * Listens on the explicit port if given (failing if it is taken), else on the previous run's port when
 * it is free, else on an ephemeral one. Resolves with the port.
 */
export async function listenPreferring(listener: { listen(port: number): Promise<number> }, explicit: number | undefined, previous: number | undefined): Promise<number> {
  if (explicit !== undefined) return listener.listen(explicit)
  if (previous !== undefined) {
    try {
      return await listener.listen(previous)
    } catch (error) {
      // Taken by another process, or privileged: not ours to have, so any free port will do.
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error
    }
  }
  return listener.listen(0)
}

/** The port a listener used last time, from its port file, when that is a valid port (else undefined). */
export async function previousPortFrom(file: string): Promise<number | undefined> {
  const previous = Number((await readFileIfPresent(file))?.trim())
  return Number.isInteger(previous) && previous > 0 && previous < 65536 ? previous : undefined
}

/** listenPreferring with the previous port kept in `portFile`, which is rewritten (durably) when the port changed. */
export async function listenRemembering(listener: { listen(port: number): Promise<number> }, explicit: number | undefined, portFile: string): Promise<number> {
  const previous = await previousPortFrom(portFile)
  const port = await listenPreferring(listener, explicit, previous)
  if (port !== previous) await writeFileDurably(portFile, `${port}\n`)
  return port
}

/** What starting an endpoint beside the Kubernetes listener takes (Key Vault, ARM). */
export interface SandboxEndpointOptions {
  dataDir: string
  /** The Kubernetes listener: the endpoint's control routes go on its authenticated /_sandbox/ router. */
  api: Pick<SandboxApi, 'registerSandboxRoute'>
  /** The current API fault hook (the Kubernetes listener's), applied to this endpoint's requests too. */
  faultHook?: () => ApiFaultHook | undefined
  /** Explicit port; default: the previous run's if free, else an ephemeral one. */
  port?: number
  log?: (message: string) => void
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Applies the sandbox's API fault hook (if any) to one request: waits out the latency, destroys the
 * connection for a drop, and hands an error status to `answer`, which replies in the listener's own
 * shape (or throws). Resolves true when the fault dealt with the request (dropped or answered).
 */
export async function applyApiFault(hook: ApiFaultHook | undefined, req: IncomingMessage, path: string, answer: (fault: ApiFaultDecision & { status: number }) => void): Promise<boolean> {
  const decision = await hook?.before({ method: req.method ?? 'GET', path })
  if (decision === undefined) return false
  if (decision.latencyMs !== undefined && decision.latencyMs > 0) await sleep(decision.latencyMs)
  if (decision.drop) {
    req.socket.destroy()
    return true
  }
  if (decision.status === undefined) return false
  answer({ ...decision, status: decision.status })
  return true
}
