// Routes every write to stdout and stderr through the redactor: whatever a bug or a library prints,
// a registered secret value never leaves the process.
import { redactor } from '../redact.js'

let installed = false

export function installRedactingStreams(): void {
  if (installed) return
  installed = true
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (redactor.size === 0) return write(chunk, ...rest)
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk)
      return write(redactor.redact(text), ...rest)
    }) as typeof stream.write
  }
}
