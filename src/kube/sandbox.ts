// The one place that knows `sandbox: true` means "start the embedded sandbox if needed and use its
// kubeconfig". Everything after this talks to the sandbox through the same clients as to AKS.
import { join } from 'node:path'
import { unavailableError } from '../errors.js'
import { notice } from '../notices.js'
import { packageRoot } from '../paths.js'
import type { Platform } from '../platform/schema.js'
import { defaultSandboxDir, isSandboxRunning, readSandboxState, startDetached, type SandboxState } from '../sandbox/lifecycle.js'
import type { SeedComponent } from '../sandbox/types.js'

export const sandboxEntry = () => join(packageRoot(), 'dist', 'src', 'sandbox', 'main.js')
export const SANDBOX_IMAGE_VERSION = '1.0.0'

/**
 * What the sandbox creates on first start: a Deployment per component (and a Service per service), with the
 * `local` configuration of the built-in templates (what `mkt init` copies) as its ConfigMap and the Key Vault
 * secrets it references, so a fresh sandbox matches `mkt config plan --env local`. A configuration that does not
 * render (a platform the templates do not describe) is left out: the components are seeded without it.
 */
export async function seedFromPlatform(platform: Platform): Promise<SeedComponent[]> {
  const configs = new Map<string, { config: Record<string, string>; secrets: string[] }>()
  try {
    const [{ readEnvironmentConfig }, { configMapData }, { templatesDir }] = await Promise.all([import('../config/files.js'), import('../config/render.js'), import('../paths.js')])
    for (const c of await readEnvironmentConfig(join(templatesDir(), 'config'), 'local', platform, platform.components)) {
      configs.set(c.component, { config: configMapData(c.entries), secrets: [...new Set(c.entries.filter((e) => e.secret !== undefined).map((e) => e.secret!))] })
    }
  } catch {
    configs.clear()
  }
  return platform.components.map((c) => ({ name: c.name, kind: c.kind, port: c.port, image: `${c.name}:${SANDBOX_IMAGE_VERSION}`, ...configs.get(c.name) }))
}

export function podStartDelayFromEnv(): number | undefined {
  const value = process.env.MKT_SANDBOX_POD_START_DELAY_MS
  return value === undefined || value === '' ? undefined : Number(value)
}

/** Returns the running sandbox's state, starting it (detached) first when it is not running. */
const starting = new Map<string, Promise<SandboxState>>()

/**
 * Concurrent callers in one process (health, login) share one start. `environment` is the environment the
 * command works on, named when the sandbox has to start (without one: every environment the sandbox serves).
 */
export function ensureSandbox(platform: Platform, options: { dataDir?: string; environment?: string } = {}): Promise<SandboxState> {
  const dataDir = options.dataDir ?? defaultSandboxDir()
  let pending = starting.get(dataDir)
  if (!pending) {
    pending = startOrReuse(platform, dataDir, options.environment)
    starting.set(dataDir, pending)
    pending.catch(() => starting.delete(dataDir))
  }
  return pending
}

/** `the local-multi environment`, or for a start no environment asked for, the ones the sandbox serves. */
export function sandboxEnvironmentsText(platform: Platform, environment?: string): string {
  if (environment !== undefined) return `the ${environment} environment`
  const served = platform.environments.filter((e) => e.regions.some((r) => r.sandbox) || [e.serviceBus, e.keyVault].some((x) => x !== undefined && 'sandbox' in x)).map((e) => e.name)
  return served.length === 1 ? `the ${served[0]} environment` : `the ${served.join(', ') || 'sandbox'} environments`
}

async function startOrReuse(platform: Platform, dataDir: string, environment: string | undefined): Promise<SandboxState> {
  const state = await readSandboxState(dataDir)
  if (state && (await isSandboxRunning(state))) return state
  // Said every time: a mistyped MKT_SANDBOX_DIR must not silently become a second, unintended sandbox.
  notice(`starting the sandbox in ${dataDir} (${sandboxEnvironmentsText(platform, environment)}; \`mkt sandbox stop\` stops it)…`, 'info')
  try {
    return await startDetached({ dataDir, seed: await seedFromPlatform(platform), podStartDelayMs: podStartDelayFromEnv(), entry: sandboxEntry() })
  } catch (error) {
    throw unavailableError(`could not start the sandbox in ${dataDir}: ${(error as Error).message.split('\n')[0]}`, {
      hints: [`See ${join(dataDir, 'sandbox.log')}, or run \`mkt sandbox reset\` to start from a clean state.`],
    })
  }
}

/** Calls one of the sandbox's own control routes (/_sandbox/...) with its CA and token. */
export async function sandboxControl<T>(state: SandboxState, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const { readFile } = await import('node:fs/promises')
  const { request } = await import('node:https')
  const [ca, token] = await Promise.all([readFile(join(state.dataDir, 'ca.crt'), 'utf8'), readFile(join(state.dataDir, 'token'), 'utf8')])
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      `${state.endpoints.kubernetes}${path}`,
      { method, ca, headers: { authorization: `Bearer ${token.trim()}`, 'content-type': 'application/json', accept: 'application/json' }, timeout: 10_000 },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T })
          } catch {
            reject(unavailableError(`the sandbox answered ${method} ${path} with something that is not JSON (HTTP ${res.statusCode})`))
          }
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error('ETIMEDOUT')))
    req.on('error', (error) => reject(unavailableError(`cannot reach the sandbox at ${state.endpoints.kubernetes}: ${error.message}`)))
    req.end(payload)
  })
}
