/** Shrinking a finding to a minimal reproducer (pure; time bounds come from the caller's clock). */
export { ddmin } from './ddmin';
export { materializeStreams } from './materialize';
export {
  candidateSpec,
  minimizeFinding,
  type MinimizeOptions,
  type MinimizeResult,
  type MinimizeSuccess,
} from './minimize';
export { renderReproducer } from './render';
export { type FindingSelector, matchingFindings, parseFindingSelector } from './selector';
