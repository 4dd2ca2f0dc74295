// The listener the sandbox's HTTPS endpoints share: the previous run's port when it is free, and a
// close() that does not wait for clients holding connections open.
import { mkdtempSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { request } from 'node:https'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createSandboxHttpsServer, listenOnLoopback, listenPreferring } from '../../src/sandbox/listener.js'
import { ensureCredentials } from '../../src/sandbox/tls.js'

const opened: Server[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
})

/** A plain TCP server on a free loopback port, closed after the test. */
async function occupiedPort(): Promise<number> {
  const server = createServer()
  opened.push(server)
  return listenOnLoopback(server, 0)
}

const tcpListener = () => {
  const server = createServer()
  opened.push(server)
  return { listen: (port: number) => listenOnLoopback(server, port) }
}

describe('listenPreferring', () => {
  it('takes the previous port when it is free', async () => {
    const free = await occupiedPort()
    await new Promise<void>((resolve) => opened.pop()!.close(() => resolve()))
    expect(await listenPreferring(tcpListener(), undefined, free)).toBe(free)
  })

  it('falls back to an ephemeral port when the previous one is taken', async () => {
    const taken = await occupiedPort()
    const port = await listenPreferring(tcpListener(), undefined, taken)
    expect(port).toBeGreaterThan(0)
    expect(port).not.toBe(taken)
  })

  it('fails when an explicit port is taken', async () => {
    const taken = await occupiedPort()
    await expect(listenPreferring(tcpListener(), taken, undefined)).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})

describe('createSandboxHttpsServer', () => {
  it('serves on 127.0.0.1, and close() ends a kept-alive connection instead of waiting for it', async () => {
    const credentials = await ensureCredentials(mkdtempSync(join(tmpdir(), 'mkt-listener-')))
    const listener = createSandboxHttpsServer({ cert: credentials.serverCert, key: credentials.serverKey }, (_req, res) => {
      // Answers the headers and keeps the response open, like a watch.
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.write('open\n')
    })
    expect(listener.port).toBe(0)
    const port = await listener.listen(0)
    expect(listener.port).toBe(port)
    expect(listener.url).toBe(`https://127.0.0.1:${port}`)

    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${listener.url}/watch`, { ca: credentials.caCert }, resolve).on('error', reject).end()
    })
    expect(response.statusCode).toBe(200)
    response.resume()
    const clientSawTheEnd = new Promise<void>((resolve) => response.on('close', () => resolve()))
    // Resolves only once the open connection is gone: close() destroys it after a short grace.
    await listener.close()
    await clientSawTheEnd
    expect(listener.server.listening).toBe(false)
  })
})
