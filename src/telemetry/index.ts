// mkt's own telemetry: traces over OTLP/HTTP when the standard OpenTelemetry variables ask for them
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), nothing at all otherwise. This file
// never imports the SDK: it is loaded by every command, and without the variables every call below is a
// no-op on NO_TELEMETRY, so startup costs what it did before.
import { redactor } from '../redact.js'

export type AttributeValue = string | number | boolean | null | undefined
export type Attributes = Record<string, AttributeValue>

export interface SpanHandle {
  setAttributes(attributes: Attributes): void
  addEvent(name: string, attributes?: Attributes): void
  /** A span under this one; `startTime` (epoch ms) for a phase that is known only after it began. */
  child(name: string, attributes?: Attributes, startTime?: number): SpanHandle
  end(options?: { error?: string; endTime?: number }): void
}

export interface Telemetry {
  readonly enabled: boolean
  /** The command's span: one per operation. */
  readonly root: SpanHandle
  /** Ends the command's span with its exit code and sends everything (bounded wait). */
  shutdown(exitCode: number, error?: string): Promise<void>
}

const NO_SPAN: SpanHandle = {
  setAttributes: () => undefined,
  addEvent: () => undefined,
  child: () => NO_SPAN,
  end: () => undefined,
}

export const NO_TELEMETRY: Telemetry = { enabled: false, root: NO_SPAN, shutdown: async () => undefined }

/** Whether the environment asks for traces (the OpenTelemetry SDK's own rules: an endpoint, and not disabled). */
export function telemetryRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false
  if ((env.OTEL_TRACES_EXPORTER ?? '').toLowerCase() === 'none') return false
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
}

/**
 * Attribute values as they may leave the process: secrets masked by the redactor (the last line of
 * defence), long strings cut, empty values dropped.
 */
export function safeAttributes(attributes: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === '') continue
    out[key] = typeof value === 'string' ? redactor.redact(value).slice(0, 1024) : value
  }
  return out
}

export async function startTelemetry(command: string, version: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  if (!telemetryRequested(env)) return NO_TELEMETRY
  const { startOtelTelemetry } = await import('./otel.js')
  return startOtelTelemetry(command, version)
}
