/** Trace import: kernel dma/swiotlb tracepoint text → an explicit-op scenario spec (pure). */
import type { ScenarioSpec } from '../spec/scenario.schema';
import { buildImportedSpec, type ImportedVmOptions } from './spec-build';
import { type ImportedOp, TraceImporter, type TraceImportOptions, type TraceImportSummary } from './trace-import';

export {
  dataClassFor,
  type DataRule,
  type DeviceMapping,
  inferDevice,
  parseDataRules,
  parseDeviceMap,
  unknownDataClass,
} from './device-map';
export {
  buildImportedSpec,
  importedSpecFrame,
  importHeaderYaml,
  type ImportedVmOptions,
  memoryForPhysEnd,
  opYamlLine,
  specFrameYaml,
} from './spec-build';
export {
  type ImportedDevice,
  type ImportedOp,
  TraceImporter,
  type TraceImportOptions,
  type TraceImportSummary,
} from './trace-import';
export type { TraceError } from './trace-fields';
export { renderTrace, TraceRenderer, type TraceShape } from './render-trace';

export interface TraceImportResult {
  readonly spec: ScenarioSpec;
  readonly summary: TraceImportSummary;
}

/** Imports trace text held in memory (an upload): the spec object plus the import summary. */
export function importTraceText(text: string, options: TraceImportOptions & ImportedVmOptions = {}): TraceImportResult {
  const ops: ImportedOp[] = [];
  const importer = new TraceImporter(options, (op) => ops.push(op));
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start another one.
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) importer.pushLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  const summary = importer.finish();
  return { spec: buildImportedSpec(summary, ops, options), summary };
}

/** Imports trace lines from an async source (a stream split into lines), in constant memory apart from the ops kept. */
export async function importTraceLines(
  lines: AsyncIterable<string>,
  options: TraceImportOptions & ImportedVmOptions = {},
): Promise<TraceImportResult> {
  const ops: ImportedOp[] = [];
  const importer = new TraceImporter(options, (op) => ops.push(op));
  for await (const line of lines) importer.pushLine(line);
  const summary = importer.finish();
  return { spec: buildImportedSpec(summary, ops, options), summary };
}
