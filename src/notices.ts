// What the engine has to tell the operator outside any return value: a lock taken over from a dead process
// (a warning), a sandbox being started implicitly and where (information). The CLI layer points the sink at
// its output (stderr, or the --json envelope's warnings for warnings).
export type NoticeLevel = 'info' | 'warn'
type NoticeSink = (message: string, level: NoticeLevel) => void

let sink: NoticeSink = (message, level) => process.stderr.write(`${level === 'warn' ? 'Warning: ' : ''}${message}\n`)

export function setNoticeSink(next: NoticeSink): void {
  sink = next
}

export function notice(message: string, level: NoticeLevel = 'warn'): void {
  sink(message, level)
}
