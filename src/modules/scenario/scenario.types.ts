export interface SpecError {
  readonly path: string;
  readonly message: string;
}

/** A checked, normalised spec, or every problem with its path. */
export type SpecCheck =
  { readonly ok: true; readonly spec: NormalizedSpec } | { readonly ok: false; readonly errors: readonly SpecError[] };

/** The normalised spec as stored (JSON). Its shape is owned by the engine's schema. */
export type NormalizedSpec = Readonly<Record<string, unknown>> & {
  readonly name?: unknown;
  readonly description?: unknown;
};

/** How the scenario service checks specs: the engine's validator behind a small port. */
export interface SpecValidator {
  /** YAML or JSON text → normalised spec. */
  parseText(text: string): SpecCheck;
  /** An already-parsed object (e.g. a stored spec with run overrides applied) → normalised spec. */
  validate(spec: unknown): SpecCheck;
}

export interface Scenario {
  readonly id: string;
  readonly teamId: string;
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly latestVersion: number;
  readonly archivedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ScenarioVersion {
  readonly id: string;
  readonly teamId: string;
  readonly scenarioId: string;
  readonly version: number;
  readonly spec: NormalizedSpec;
  readonly specHash: string;
  readonly diffSummary: string;
  readonly createdAt: Date;
}

export interface ScenarioFilter {
  readonly nameContains?: string | null;
  readonly tags?: readonly string[] | null;
  readonly includeArchived?: boolean | null;
}
