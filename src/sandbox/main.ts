// The detached sandbox process: `node dist/src/sandbox/main.js --dir <dataDir> [--pod-start-delay-ms N]
// [--port N] [--no-controllers]`. Reads seed.json from the data dir, starts, logs to stdout (the CLI
// sends it to sandbox.log), and stops cleanly on SIGTERM/SIGINT.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startSandbox, type SandboxHandle } from './index.js'
import { SEED_FILE } from './files.js'
import { parseSeedFile } from './seed.js'
import type { SeedComponent } from './types.js'

interface MainArguments {
  dir: string
  port?: number
  podStartDelayMs?: number
  controllers: boolean
}

function parseArguments(argv: string[]): MainArguments {
  const args: Partial<MainArguments> & { controllers: boolean } = { controllers: true }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined) throw new Error(`${arg} needs a value`)
      return next
    }
    const number = (): number => {
      const n = Number(value())
      if (!Number.isInteger(n) || n < 0) throw new Error(`${arg} needs a non-negative integer`)
      return n
    }
    if (arg === '--dir') args.dir = value()
    else if (arg === '--port') args.port = number()
    else if (arg === '--pod-start-delay-ms') args.podStartDelayMs = number()
    else if (arg === '--no-controllers') args.controllers = false
    else throw new Error(`unknown argument ${arg}`)
  }
  args.dir ??= process.env.MKT_SANDBOX_DIR
  if (!args.dir) throw new Error('--dir <dataDir> is required')
  return args as MainArguments
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`)
}

async function readSeed(dir: string): Promise<SeedComponent[]> {
  try {
    return parseSeedFile(JSON.parse(await readFile(join(dir, SEED_FILE), 'utf8')))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2))
  const seed = await readSeed(args.dir)
  log(`starting sandbox (pid ${process.pid}, data ${args.dir})`)
  const handle: SandboxHandle = await startSandbox({ dataDir: args.dir, kubePort: args.port, podStartDelayMs: args.podStartDelayMs, seed, controllers: args.controllers, log })

  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    log(`${signal} received, stopping`)
    const force = setTimeout(() => {
      log('stop took more than 10 s; exiting')
      process.exit(1)
    }, 10_000)
    force.unref()
    handle.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`stop failed: ${error instanceof Error ? error.stack : String(error)}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

process.on('uncaughtException', (error) => {
  log(`uncaught exception: ${error.stack ?? String(error)}`)
  process.exit(1)
})

main().catch((error: unknown) => {
  log(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
