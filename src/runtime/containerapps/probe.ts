// mkt's own probe of a container app's health endpoint through its ingress: `https://<revision FQDN><path>`,
// the way `/health/ready` is probed through the API server's proxy on Kubernetes. For a sandbox region the FQDN is
// reached at the sandbox's ingress address (like curl --resolve): TLS and the Host header still name the FQDN.
import { request } from 'node:https'
import type { HealthAnswer } from '../../health/healthchecks.js'
import type { ContainerAppsConnection } from './client.js'

const MAX_BODY = 64 * 1024

export function probeFqdn(connection: Pick<ContainerAppsConnection, 'ingress'>, fqdn: string, path: string, timeoutMs: number): Promise<HealthAnswer & { durationMs: number }> {
  const started = Date.now()
  const ingress = connection.ingress
  return new Promise((resolve) => {
    const done = (answer: HealthAnswer) => resolve({ ...answer, durationMs: Date.now() - started })
    const req = request(
      ingress
        ? { host: ingress.address, port: ingress.port, path, servername: fqdn, headers: { host: fqdn }, ca: ingress.ca, timeout: timeoutMs }
        : { host: fqdn, port: 443, path, headers: { host: fqdn }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size <= MAX_BODY) chunks.push(chunk)
        })
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', (error) => done({ status: 'error', error: error.message }))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs / 1000} s`)))
    req.on('error', (error) => done({ status: 'error', error: (error as NodeJS.ErrnoException).code ?? error.message }))
    req.end()
  })
}
