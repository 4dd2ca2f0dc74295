// Runs the built CLI (bin/run.js) as a user would, and captures stdout, stderr and the exit code.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv2020 } from 'ajv/dist/2020.js'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const binPath = join(repoRoot, 'bin', 'run.js')

export interface RunResult {
  exitCode: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  env?: Record<string, string | undefined>
  input?: string
  timeoutMs?: number
}

/** Environment that isolates a test run from the developer's: own cache, no colour forcing, no CI hints. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('MKT_') || key === 'NO_COLOR' || key === 'FORCE_COLOR') continue
    env[key] = value
  }
  env.MKT_CACHE_DIR = sharedCacheDir
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

const sharedCacheDir = mkdtempSync(join(tmpdir(), 'mkt-test-cache-'))

export function runMkt(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: options.cwd ?? tmpdir(),
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ exitCode: code, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Runs the CLI and calls `when(stderr, child)` on each stderr chunk until it returns true (to interrupt it at a moment). */
export function runMktWatching(args: string[], env: Record<string, string | undefined>, when: (stderr: string, child: ReturnType<typeof spawn>) => boolean) {
  const child = spawn(process.execPath, [binPath, ...args], { env: cleanEnv(env) })
  let stderr = ''
  let stdout = ''
  let done = false
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => {
    stderr += d
    if (!done) done = when(stderr, child)
  })
  return new Promise<{ exitCode: number | null; stderr: string; stdout: string }>((resolve) => child.on('close', (exitCode) => resolve({ exitCode, stderr, stdout })))
}

/** Parses stdout as the single JSON envelope it must be under --json (throws if anything else is there). */
export function parseEnvelope(result: RunResult): { ok: boolean; result: unknown; warnings: string[]; error?: { code: string; exitCode: number; message: string; hints: string[] } } {
  return JSON.parse(result.stdout)
}

const ajv = new Ajv2020({ strict: false, allErrors: true })
const validators = new Map<string, ReturnType<typeof ajv.compile>>()

/** Validates an envelope against the committed schema of a command (schemas/results/<id>.schema.json). */
export function validateEnvelope(commandId: string, envelope: unknown): string[] {
  const file = join(repoRoot, 'schemas', 'results', `${commandId.replace(/ /g, '-')}.schema.json`)
  let validate = validators.get(file)
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')))
    validators.set(file, validate)
  }
  return validate(envelope) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

export interface RecordedRun extends RunResult {
  /** Every module URL the run resolved and every require() it made, one a line. */
  loaded: string
  /** npm packages the run loaded: from node_modules, or bundled into the dist/cli chunks it loaded (dist/cli/packages.json). */
  packages: string[]
  /** The dist/cli files it loaded. */
  chunks: string[]
}

/** Runs the built CLI with test/fixtures/record-imports.mjs, to check what a code path loads. */
export async function runMktRecordingImports(args: string[], options: RunOptions = {}): Promise<RecordedRun> {
  const { pathToFileURL } = await import('node:url')
  const { writeFileSync } = await import('node:fs')
  const log = join(mkdtempSync(join(tmpdir(), 'mkt-imports-')), 'imports.log')
  writeFileSync(log, '')
  const run = await runMkt(args, {
    ...options,
    env: { ...options.env, NODE_OPTIONS: `--import=${pathToFileURL(join(repoRoot, 'test', 'fixtures', 'record-imports.mjs')).href}`, MKT_TEST_IMPORT_LOG: log },
  })
  const loaded = readFileSync(log, 'utf8')
  const bundled = JSON.parse(readFileSync(join(repoRoot, 'dist', 'cli', 'packages.json'), 'utf8')) as Record<string, string[]>
  const chunks = Object.keys(bundled).filter((file) => loaded.includes(file))
  const fromNodeModules = [...loaded.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].map((m) => m[1]!)
  return { ...run, loaded, chunks, packages: [...new Set([...fromNodeModules, ...chunks.flatMap((file) => bundled[file]!)])].sort() }
}
