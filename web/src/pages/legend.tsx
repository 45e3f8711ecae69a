import { useEffect, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { LegendDocument, type LegendQuery } from '../api/generated/graphql';
import { QueryStatus, Section } from '../components/common';

type Entry = LegendQuery['legend'][number];

const groups: ReadonlyArray<{ kind: Entry['kind']; title: string; intro: string }> = [
  {
    kind: 'VIOLATION',
    title: 'Confidentiality violations (V0–V9)',
    intro: 'What went wrong for the data: which bytes became host-visible, and how.',
  },
  {
    kind: 'FAILURE',
    title: 'Functional failures (F1–F16)',
    intro: 'What went wrong for the I/O: failed maps and allocations, exhausted pools.',
  },
  {
    kind: 'RULE',
    title: 'Kernel rules',
    intro: 'The kernel decision that produced a finding: the path dma-direct, SWIOTLB or the pools took.',
  },
];

/**
 * Every rule id and class a report can name, with what it means (the same text as
 * `dmasim explain <id>` and docs/rules-and-classes.md). Findings link here as /legend#<id>.
 */
export function LegendPage(): ReactNode {
  const [{ data, fetching, error }] = useQuery({ query: LegendDocument });
  useEffect(() => {
    if (!data) return;
    const id = decodeURIComponent(window.location.hash.slice(1));
    if (id) document.getElementById(`legend-${id}`)?.scrollIntoView?.({ block: 'start' });
  }, [data]);
  const wanted = decodeURIComponent(window.location.hash.slice(1));
  return (
    <>
      <h1>Legend: rule ids and classes</h1>
      <p className="muted">
        Every finding names a class (what went wrong) and a rule (the kernel decision that did it). The same text is
        printed by <code>npx dmasim explain &lt;id&gt;</code>; the docs of the repository explain the kernel behaviour
        behind each one (docs/rules-and-classes.md, docs/kernel-dma.md).
      </p>
      <QueryStatus fetching={fetching && !data} error={error} what="the legend" />
      {data
        ? groups.map((group) => (
            <Section key={group.kind} title={group.title}>
              <p className="muted">{group.intro}</p>
              <dl className="legend">
                {data.legend
                  .filter((entry) => entry.kind === group.kind)
                  .map((entry) => (
                    <div
                      key={entry.id}
                      id={`legend-${entry.id}`}
                      className={entry.id === wanted ? 'legend-entry target' : 'legend-entry'}
                    >
                      <dt>
                        <code>{entry.id}</code> {entry.title}
                      </dt>
                      <dd>
                        {entry.description}
                        <div className="muted">
                          kernel function <code>{entry.kernelFunction}</code> · explained in{' '}
                          <code>docs/{entry.docs}</code>
                        </div>
                      </dd>
                    </div>
                  ))}
              </dl>
            </Section>
          ))
        : null}
    </>
  );
}
