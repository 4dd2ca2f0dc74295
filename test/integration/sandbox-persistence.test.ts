// What survives: a clean stop/start in-process, a kill -9 of the detached process in the middle of
// a stream of writes (every acknowledged write must be there after restart), and the CLI-side
// lifecycle (start detached, reuse, stale pid, stop, reset).
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isSandboxRunning, readSandboxState, resetSandbox, startDetached, stopSandbox } from '../../src/sandbox/lifecycle.js'
import { buildSandboxEntry, makeTempDir, removeBuiltSandboxEntry, startTestSandbox, waitFor } from './sandbox-helpers.js'

const cleanup: string[] = []

afterAll(async () => {
  for (const dir of cleanup) {
    await stopSandbox(dir).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
  await removeBuiltSandboxEntry()
})

function coreClient(kubeconfigPath: string): CoreV1Api {
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfigPath)
  return kc.makeApiClient(CoreV1Api)
}

describe('persistence in-process', () => {
  it('keeps objects, resourceVersion, credentials and port across stop/start', async () => {
    const dir = await makeTempDir()
    cleanup.push(dir)
    const first = await startTestSandbox({}, dir)
    const created = await first.core.createNamespacedConfigMap({ namespace: 'marketplace', body: { metadata: { name: 'kept' }, data: { v: '1' } } })
    const kubeconfig = await readFile(first.handle.kubeconfigPath, 'utf8')
    const endpoint = first.handle.endpoints.kubernetes
    const rv = first.handle.store.resourceVersion
    await first.stop()
    expect(await readSandboxState(dir)).toBeUndefined()

    const second = await startTestSandbox({}, dir)
    try {
      expect(second.handle.endpoints.kubernetes).toBe(endpoint)
      expect(await readFile(second.handle.kubeconfigPath, 'utf8')).toBe(kubeconfig)
      const kept = await second.core.readNamespacedConfigMap({ name: 'kept', namespace: 'marketplace' })
      expect(kept.metadata!.uid).toBe(created.metadata!.uid)
      expect(kept.metadata!.resourceVersion).toBe(created.metadata!.resourceVersion)
      const next = await second.core.createNamespacedConfigMap({ namespace: 'marketplace', body: { metadata: { name: 'next' } } })
      expect(Number(next.metadata!.resourceVersion)).toBe(rv + 1)
      for (const file of ['kubeconfig', 'token', 'ca.key', 'server.key', 'objects.json', 'state.json']) {
        expect((await stat(join(dir, file))).mode & 0o777, file).toBe(0o600)
      }
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
    } finally {
      await second.stop()
    }
  })
})

describe('detached process', () => {
  it('loses no acknowledged write when killed with SIGKILL mid-stream', async () => {
    const entry = await buildSandboxEntry()
    const dir = await makeTempDir()
    cleanup.push(dir)
    const acknowledged = new Set<string>()
    let lastRv = 0

    for (let round = 0; round < 3; round++) {
      const state = await startDetached({ dataDir: dir, entry, extraArgs: ['--no-controllers'] })
      const core = coreClient(state.kubeconfigPath)
      // Everything acknowledged before is still there, and the resourceVersion only moves forward.
      const names = new Set((await core.listNamespacedConfigMap({ namespace: 'marketplace' })).items.map((c) => c.metadata!.name!))
      for (const name of acknowledged) expect(names.has(name), `${name} after restart ${round}`).toBe(true)
      const list = await core.listNamespacedConfigMap({ namespace: 'marketplace' })
      expect(Number(list.metadata!.resourceVersion)).toBeGreaterThanOrEqual(lastRv)

      // Eight concurrent writers; kill -9 while they are writing.
      let stop = false
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; !stop; i++) {
          const name = `r${round}-w${w}-${i}`
          try {
            const created = await core.createNamespacedConfigMap({ namespace: 'marketplace', body: { metadata: { name }, data: { payload: 'x'.repeat(512) } } })
            acknowledged.add(name)
            lastRv = Math.max(lastRv, Number(created.metadata!.resourceVersion))
          } catch (error) {
            if (error instanceof ApiException) throw error
            return // the connection died with the process
          }
        }
      }
      const writers = Array.from({ length: 8 }, (_, w) => writer(w))
      await waitFor(() => ([...acknowledged].filter((n) => n.startsWith(`r${round}-`)).length >= 150 ? true : undefined), 20_000, 'writes')
      process.kill(state.pid, 'SIGKILL')
      stop = true
      await Promise.all(writers)
      await waitFor(() => {
        try {
          process.kill(state.pid, 0)
          return undefined
        } catch {
          return true
        }
      })
      // The snapshot on disk is always complete JSON (temp file + rename).
      JSON.parse(await readFile(join(dir, 'objects.json'), 'utf8'))
    }

    const state = await startDetached({ dataDir: dir, entry, extraArgs: ['--no-controllers'] })
    const names = new Set((await coreClient(state.kubeconfigPath).listNamespacedConfigMap({ namespace: 'marketplace' })).items.map((c) => c.metadata!.name!))
    const missing = [...acknowledged].filter((n) => !names.has(n))
    expect(missing).toEqual([])
    expect(acknowledged.size).toBeGreaterThanOrEqual(450)
    expect(await stopSandbox(dir)).toBe(true)
  }, 120_000)

  it('starts detached idempotently, detects stale state, stops, and resets keeping credentials', async () => {
    const entry = await buildSandboxEntry()
    const dir = await makeTempDir()
    cleanup.push(dir)
    const seed = [{ name: 'marketplace-search-service', kind: 'service' as const, port: 8080, image: 'acr.example/search:1.0.0' }]
    const state = await startDetached({ dataDir: dir, entry, seed, extraArgs: ['--no-controllers'] })
    expect(await isSandboxRunning(state)).toBe(true)
    expect(JSON.parse(await readFile(join(dir, 'seed.json'), 'utf8'))).toEqual({ components: seed })
    const again = await startDetached({ dataDir: dir, entry, extraArgs: ['--no-controllers'] })
    expect(again.pid).toBe(state.pid)

    const core = coreClient(state.kubeconfigPath)
    await core.readNamespacedService({ name: 'marketplace-search-service', namespace: 'marketplace' })
    await core.createNamespacedConfigMap({ namespace: 'marketplace', body: { metadata: { name: 'temporary' } } })
    const token = await readFile(join(dir, 'token'), 'utf8')

    expect(await stopSandbox(dir)).toBe(true)
    expect(await readSandboxState(dir)).toBeUndefined()
    expect(await stopSandbox(dir)).toBe(false)
    expect(await readFile(join(dir, 'sandbox.log'), 'utf8')).toContain('sandbox API listening on')

    // A state.json naming a dead process is stale: not running, and replaced on start.
    await writeFile(join(dir, 'state.json'), JSON.stringify({ ...state, pid: 2 ** 22 + 7 }))
    expect(await isSandboxRunning(await readSandboxState(dir))).toBe(false)

    await resetSandbox(dir)
    const restarted = await startDetached({ dataDir: dir, entry, extraArgs: ['--no-controllers'] })
    expect(restarted.pid).not.toBe(state.pid)
    expect(await readFile(join(dir, 'token'), 'utf8')).toBe(token)
    const fresh = coreClient(restarted.kubeconfigPath)
    await expect(fresh.readNamespacedConfigMap({ name: 'temporary', namespace: 'marketplace' })).rejects.toMatchObject({ code: 404 })
    // Reset re-seeds from seed.json.
    expect((await fresh.readNamespacedService({ name: 'marketplace-search-service', namespace: 'marketplace' })).metadata!.name).toBe('marketplace-search-service')
    await stopSandbox(dir)
  }, 60_000)

  it('reports a start-up failure with the log tail', async () => {
    const dir = await makeTempDir()
    cleanup.push(dir)
    const entry = join(dir, 'broken.mjs')
    await writeFile(entry, "console.log('cannot start: port on fire'); process.exit(3)\n")
    await expect(startDetached({ dataDir: dir, entry, timeoutMs: 5000 })).rejects.toThrow(/exited during start-up \(code 3\)[\s\S]*port on fire/)
  })
})
