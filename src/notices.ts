// Warnings the engine has for the operator outside any return value (a lock taken over from a dead process).
// The CLI layer points the sink at its output (stderr, or the --json envelope's warnings); tests may too.
type NoticeSink = (message: string) => void

let sink: NoticeSink = (message) => process.stderr.write(`Warning: ${message}\n`)

export function setNoticeSink(next: NoticeSink): void {
  sink = next
}

export function notice(message: string): void {
  sink(message)
}
