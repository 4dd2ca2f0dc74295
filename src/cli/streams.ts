// Routes every write to stdout and stderr through the redactor: whatever a bug or a library prints,
// a registered secret value never leaves the process. And exits only once both streams have handed every
// byte to the OS: a pipe takes 64 KiB at a time, and process.exit() drops whatever is still queued.
import { redactor } from '../redact.js'

let installed = false
const unredacted = new Map<NodeJS.WriteStream, (chunk: string) => boolean>()

/**
 * Writes around the redactor. Only for what must carry a secret to the CI runner that hides it (`::add-mask::`,
 * `issecret=true`): those lines are how the runner learns what to mask in its log.
 */
export function writeUnredacted(stream: NodeJS.WriteStream, text: string): void {
  ;(unredacted.get(stream) ?? ((chunk: string) => stream.write(chunk)))(text)
}

export function installRedactingStreams(): void {
  if (installed) return
  installed = true
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    unredacted.set(stream, (chunk) => write(chunk))
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (redactor.size === 0) return write(chunk, ...rest)
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk)
      return write(redactor.redact(text), ...rest)
    }) as typeof stream.write
  }
}

/** Resolves once everything written to `stream` so far is flushed (or the reader went away). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      stream.off('error', done)
      stream.off('close', done)
      resolve()
    }
    stream.once('error', done)
    stream.once('close', done)
    // Writes complete in order: the callback of an empty write runs after every earlier chunk is out.
    stream.write('', () => done())
  })
}

/** process.exit() after stdout and stderr are flushed, so a pipe reader gets the whole output. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([drained(process.stdout), drained(process.stderr)])
  process.exit(code)
}
