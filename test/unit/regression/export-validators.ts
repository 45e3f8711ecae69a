/**
 * Shape checks for the CI exports. The official SARIF 2.1.0 JSON schema cannot be fetched in this
 * environment, so assertSarif210 checks what the schema requires of the properties dmasim emits
 * (version, runs[].tool.driver.name, results[].message.text, enums for level/baselineState/kind,
 * ruleIndex pointing at the rule with the same id). assertWellFormedXml is a strict tokenizer: tags
 * balance, attributes are quoted, and text holds no raw `<` or unescaped `&`.
 */
export function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const token = /<\/?([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(body)) !== null) {
    consumed = token.lastIndex;
    const [whole, name, attributes = '', selfClosing, text] = match;
    for (const raw of [text ?? '', ...attributes.split('"').filter((_, i) => i % 2 === 1)]) {
      if (/&(?!(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw))
        throw new Error(`unescaped & in ${JSON.stringify(raw.slice(0, 40))}`);
    }
    if (text !== undefined) continue;
    if (whole.startsWith('</')) {
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
    } else if (!selfClosing) stack.push(name!);
  }
  if (consumed !== body.length)
    throw new Error(`not XML at offset ${consumed}: ${JSON.stringify(body.slice(consumed, consumed + 40))}`);
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

const levels = new Set(['none', 'note', 'warning', 'error']);
const baselineStates = new Set(['new', 'unchanged', 'updated', 'absent']);
const suppressionKinds = new Set(['inSource', 'external']);

function fail(where: string, what: string): never {
  throw new Error(`SARIF ${where}: ${what}`);
}

export function assertSarif210(log: Record<string, unknown>): void {
  if (log['version'] !== '2.1.0') fail('version', 'must be "2.1.0"');
  const runs = log['runs'];
  if (!Array.isArray(runs)) fail('runs', 'must be an array');
  runs.forEach(
    (run: { tool?: { driver?: { name?: unknown; rules?: Array<{ id?: unknown }> } }; results?: unknown }, r) => {
      const driver = run.tool?.driver;
      if (typeof driver?.name !== 'string') fail(`runs[${r}].tool.driver.name`, 'required string');
      const rules = driver.rules ?? [];
      rules.forEach((rule, i) => typeof rule.id === 'string' || fail(`rules[${i}].id`, 'required string'));
      if (!Array.isArray(run.results)) fail(`runs[${r}].results`, 'must be an array');
      (run.results as Array<Record<string, unknown>>).forEach((result, i) => {
        const where = `runs[${r}].results[${i}]`;
        if (typeof (result['message'] as { text?: unknown } | undefined)?.text !== 'string')
          fail(`${where}.message.text`, 'required string');
        if (result['level'] !== undefined && !levels.has(String(result['level'])))
          fail(`${where}.level`, `bad enum ${String(result['level'])}`);
        if (result['baselineState'] !== undefined && !baselineStates.has(String(result['baselineState'])))
          fail(`${where}.baselineState`, 'bad enum');
        const index = result['ruleIndex'];
        if (index !== undefined && (typeof index !== 'number' || rules[index]?.id !== result['ruleId']))
          fail(`${where}.ruleIndex`, 'must point at the rule with ruleId');
        for (const s of (result['suppressions'] as Array<{ kind?: unknown }> | undefined) ?? [])
          if (!suppressionKinds.has(String(s.kind))) fail(`${where}.suppressions`, 'bad kind');
        for (const loc of (result['locations'] as
          Array<{ physicalLocation?: { artifactLocation?: { uri?: unknown } } }> | undefined) ?? []) {
          if (loc.physicalLocation && typeof loc.physicalLocation.artifactLocation?.uri !== 'string')
            fail(`${where}.locations`, 'artifactLocation.uri must be a string');
        }
      });
    },
  );
}
