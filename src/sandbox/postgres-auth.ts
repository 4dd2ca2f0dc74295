// Password authentication in front of the sandbox's PostgreSQL. PGlite and pglite-socket accept anyone, so the
// front runs the startup phase of the wire protocol itself, on the client's socket, before a byte reaches the
// database: SSL/GSS encryption requests are declined ('N', as a server without TLS does), the StartupMessage
// must name the `postgres` role, and the password is checked by AuthenticationMD5Password (supported by pg,
// psql, Npgsql and JDBC; the password never crosses the socket). On success the StartupMessage is handed back
// to be replayed to the database, which answers AuthenticationOk and the rest as usual.
//
// Kept apart from the engine (postgres.ts starts and pipes to it) so that where the engine runs (in process,
// a worker, a child process) does not change how clients are let in.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { writePrivateFile } from './files.js'

/** The one role the sandbox database has (PGlite's superuser). */
export const POSTGRES_USER = 'postgres'
/** The generated password, 0600 beside the sandbox's token and CA. */
export const POSTGRES_PASSWORD_FILE = 'postgres.password'

const PROTOCOL_3 = 196_608
const SSL_REQUEST = 80_877_103
const GSSENC_REQUEST = 80_877_104
const CANCEL_REQUEST = 80_877_102
/** A StartupMessage or PasswordMessage longer than this is not a client speaking PostgreSQL. */
const MAX_STARTUP_BYTES = 10_000
/** A client that has not authenticated by then is dropped. */
export const AUTH_TIMEOUT_MS = 10_000

/** The sandbox database's password: the one kept in the data dir, or a new one written there (0600). */
export async function sandboxPostgresPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, POSTGRES_PASSWORD_FILE)
  try {
    const kept = (await readFile(file, 'utf8')).trim()
    if (kept.length >= 16) return kept
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const password = randomBytes(24).toString('base64url')
  await writePrivateFile(file, `${password}\n`)
  return password
}

/** A PostgreSQL ErrorResponse with severity FATAL. */
export function errorResponse(message: string, sqlState = '57P03'): Buffer {
  const field = (code: string, value: string) => Buffer.concat([Buffer.from(code, 'ascii'), Buffer.from(value, 'utf8'), Buffer.from([0])])
  const body = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', sqlState), field('M', message), Buffer.from([0])])
  return Buffer.concat([messageHeader('E', body.length), body])
}

function messageHeader(type: string, bodyLength: number): Buffer {
  const header = Buffer.alloc(5)
  header.write(type, 0, 'ascii')
  header.writeInt32BE(bodyLength + 4, 1)
  return header
}

/** `md5` + md5(md5(password + user) + salt): what the client answers to AuthenticationMD5Password. */
export function md5Answer(password: string, user: string, salt: Buffer): string {
  const inner = createHash('md5').update(password + user).digest('hex')
  return `md5${createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex')}`
}

/** The `user` parameter of a StartupMessage (key/value C strings after the 8-byte header). */
function startupUser(startup: Buffer): string | undefined {
  const fields = startup.subarray(8).toString('utf8').split('\0')
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'user') return fields[i + 1]
  return undefined
}

/** Reads whole byte counts from a socket as they arrive. */
function byteReader(socket: Socket) {
  let buffered = Buffer.alloc(0)
  let wake: (() => void) | undefined
  let ended = false
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    wake?.()
  }
  const onEnd = () => {
    ended = true
    wake?.()
  }
  socket.on('data', onData)
  socket.on('end', onEnd)
  socket.on('close', onEnd)
  socket.resume()
  return {
    async take(count: number): Promise<Buffer | undefined> {
      while (buffered.length < count) {
        if (ended) return undefined
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
      }
      const taken = buffered.subarray(0, count)
      buffered = buffered.subarray(count)
      return taken
    },
    /** Stops reading; what arrived beyond the taken bytes is returned. */
    release(): Buffer {
      socket.pause()
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
      return buffered
    },
  }
}

export interface Admitted {
  /** The client's StartupMessage, to replay to the database. */
  startup: Buffer
  /** Bytes the client sent after its password, to pass on. */
  rest: Buffer
}

/**
 * The startup phase on a new client connection. Resolves with what to replay upstream once the password is
 * right; otherwise answers the client with the error a PostgreSQL server sends, closes it, and resolves undefined.
 */
export async function admitClient(client: Socket, password: string): Promise<Admitted | undefined> {
  const reader = byteReader(client)
  const timer = setTimeout(() => client.destroy(), AUTH_TIMEOUT_MS)
  const refuse = (message: string, sqlState: string) => {
    reader.release()
    client.end(errorResponse(message, sqlState))
    return undefined
  }
  try {
    let startup: Buffer | undefined
    for (;;) {
      const header = await reader.take(8)
      if (!header) return refuse('the connection closed during startup', '08P01')
      const length = header.readInt32BE(0)
      const code = header.readInt32BE(4)
      if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
        client.write('N') // no TLS on the loopback database; the client goes on in plain text
        continue
      }
      if (code === CANCEL_REQUEST) return refuse('cancel requests are not supported by the sandbox database', '0A000')
      if (code !== PROTOCOL_3 || length < 8 || length > MAX_STARTUP_BYTES) return refuse('unsupported frontend protocol', '08P01')
      const body = await reader.take(length - 8)
      if (!body) return refuse('the connection closed during startup', '08P01')
      startup = Buffer.concat([header, body])
      break
    }
    const user = startupUser(startup) ?? ''
    if (user !== POSTGRES_USER) return refuse(`role "${user}" does not exist (the sandbox database has the role ${POSTGRES_USER})`, '28000')
    const salt = randomBytes(4)
    const request = Buffer.alloc(8)
    request.writeInt32BE(5, 0) // AuthenticationMD5Password
    salt.copy(request, 4)
    client.write(Buffer.concat([messageHeader('R', 8), request]))
    const header = await reader.take(5)
    if (!header) return refuse('the connection closed during authentication', '08P01')
    const length = header.readInt32BE(1)
    if (header.toString('ascii', 0, 1) !== 'p' || length < 5 || length > MAX_STARTUP_BYTES) return refuse('expected a password message', '08P01')
    const answer = await reader.take(length - 4)
    if (!answer) return refuse('the connection closed during authentication', '08P01')
    const given = answer.subarray(0, answer.indexOf(0) === -1 ? answer.length : answer.indexOf(0))
    const expected = Buffer.from(md5Answer(password, user, salt))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(`password authentication failed for user "${user}"`, '28P01')
    return { startup, rest: reader.release() }
  } finally {
    clearTimeout(timer)
  }
}
