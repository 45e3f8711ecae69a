import { Fragment, useId, useMemo, useState, type ReactNode } from 'react';
import type { ViolationFieldsFragment } from '../api/generated/graphql';
import { compareSeverity, formatBytes, formatCount } from '../format';
import { SeverityBadge } from './common';
import { Link } from '../router';
import { toggled } from '../sets';

type SortKey =
  'severity' | 'class' | 'deviceId' | 'dataClass' | 'path' | 'bytesExposed' | 'count' | 'firstOp' | 'triageState';

const columns: ReadonlyArray<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'severity', label: 'Severity' },
  { key: 'class', label: 'Class' },
  { key: 'deviceId', label: 'Device' },
  { key: 'dataClass', label: 'Data class' },
  { key: 'path', label: 'Kernel path' },
  { key: 'bytesExposed', label: 'Bytes exposed', numeric: true },
  { key: 'count', label: 'Operations', numeric: true },
  { key: 'firstOp', label: 'First op', numeric: true },
  { key: 'triageState', label: 'Triage' },
];

function compareBy(key: SortKey, a: ViolationFieldsFragment, b: ViolationFieldsFragment): number {
  switch (key) {
    case 'severity':
      return compareSeverity(a.severity, b.severity);
    case 'class':
      return Number(a.class.slice(1)) - Number(b.class.slice(1)) || a.class.localeCompare(b.class);
    case 'bytesExposed':
    case 'count':
    case 'firstOp': {
      const x = BigInt(a[key]);
      const y = BigInt(b[key]);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'deviceId':
    case 'dataClass':
    case 'path':
    case 'triageState':
      return a[key].localeCompare(b[key]);
  }
}

/** A class or rule id linking to its entry on the legend page (what it means, where the docs explain it). */
export function LegendLink({ id }: { id: string }): ReactNode {
  return (
    <Link to={`/legend#${encodeURIComponent(id)}`} title={`What ${id} means`}>
      {id}
    </Link>
  );
}

export interface ViolationsTableProps {
  readonly violations: readonly ViolationFieldsFragment[];
  /** Extra column per row, e.g. "new" / "fixed" in the compare view. */
  readonly tag?: (violation: ViolationFieldsFragment) => string | null;
  readonly caption?: string;
}

/**
 * The violations of a run (or comparison): filter by class, severity, device and text; sort by
 * any column (click or Enter on the header button). Each row shows the data class and the kernel
 * path; expanding it adds the explanation, the rule (linked to the legend) and the fingerprint.
 */
export function ViolationsTable({ violations, tag, caption = 'Violations' }: ViolationsTableProps): ReactNode {
  const [classFilter, setClassFilter] = useState('');
  const [severityFilter, setSeverityFilter] = useState('');
  const [deviceFilter, setDeviceFilter] = useState('');
  const [text, setText] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; direction: 'ascending' | 'descending' }>({
    key: 'severity',
    direction: 'ascending',
  });
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const idBase = useId();

  const classes = useMemo(
    () => [...new Set(violations.map((v) => v.class))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
    [violations],
  );
  const severities = useMemo(() => [...new Set(violations.map((v) => v.severity))].sort(compareSeverity), [violations]);
  const devices = useMemo(() => [...new Set(violations.map((v) => v.deviceId))].sort(), [violations]);

  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const filtered = violations.filter(
      (v) =>
        (!classFilter || v.class === classFilter) &&
        (!severityFilter || v.severity === severityFilter) &&
        (!deviceFilter || v.deviceId === deviceFilter) &&
        (!needle ||
          [v.path, v.explanation, v.rule, v.fingerprint, v.deviceId].some((field) =>
            field.toLowerCase().includes(needle),
          )),
    );
    const sign = sort.direction === 'ascending' ? 1 : -1;
    // Ties keep a stable, meaningful order: severity, then most bytes exposed.
    return [...filtered].sort(
      (a, b) =>
        sign * compareBy(sort.key, a, b) || compareSeverity(a.severity, b.severity) || compareBy('bytesExposed', b, a),
    );
  }, [violations, classFilter, severityFilter, deviceFilter, text, sort]);

  const toggleSort = (key: SortKey): void =>
    setSort((current) => ({
      key,
      direction:
        current.key === key && current.direction === 'ascending'
          ? 'descending'
          : key === current.key
            ? 'ascending'
            : columns.find((c) => c.key === key)?.numeric
              ? 'descending'
              : 'ascending',
    }));
  const toggleRow = (id: string): void => setExpanded((current) => toggled(current, id));

  return (
    <div className="violations">
      <div className="filters" role="group" aria-label={`Filter ${caption.toLowerCase()}`}>
        <label>
          Class
          <select value={classFilter} onChange={(e) => setClassFilter(e.target.value)}>
            <option value="">all</option>
            {classes.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select value={severityFilter} onChange={(e) => setSeverityFilter(e.target.value)}>
            <option value="">all</option>
            {severities.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Device
          <select value={deviceFilter} onChange={(e) => setDeviceFilter(e.target.value)}>
            <option value="">all</option>
            {devices.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input
            type="search"
            value={text}
            placeholder="path, rule, explanation…"
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <span className="muted" aria-live="polite">
          {rows.length} of {violations.length} shown
        </span>
      </div>
      <table className="data">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
            {tag ? <th scope="col">Change</th> : null}
            {columns.map((column) => (
              <th
                key={column.key}
                scope="col"
                aria-sort={sort.key === column.key ? sort.direction : 'none'}
                className={column.numeric ? 'num' : undefined}
              >
                <button type="button" className="sort" onClick={() => toggleSort(column.key)}>
                  {column.label}
                  <span aria-hidden="true">
                    {sort.key === column.key ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ''}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length + (tag ? 2 : 1)} className="muted">
                {violations.length === 0 ? 'No violations.' : 'No violations match the filters.'}
              </td>
            </tr>
          ) : null}
          {rows.map((v) => {
            const isOpen = expanded.has(v.id);
            const detailId = `${idBase}-${v.id}`;
            const change = tag?.(v) ?? null;
            return (
              <Fragment key={v.id}>
                <tr className={isOpen ? 'expanded' : undefined}>
                  <td>
                    <button
                      type="button"
                      className="expand"
                      aria-expanded={isOpen}
                      aria-controls={detailId}
                      onClick={() => toggleRow(v.id)}
                    >
                      <span aria-hidden="true">{isOpen ? '▾' : '▸'}</span>
                      <span className="visually-hidden">
                        {isOpen ? 'Hide' : 'Show'} details of {v.class} on {v.deviceId}
                      </span>
                    </button>
                  </td>
                  {tag ? <td>{change ? <span className={`badge change-${change}`}>{change}</span> : null}</td> : null}
                  <td>
                    <SeverityBadge severity={v.severity} />
                  </td>
                  <td>
                    <LegendLink id={v.class} />
                  </td>
                  <td>{v.deviceId}</td>
                  <td>{v.dataClass}</td>
                  <td className="path">
                    <code>{v.path}</code>
                  </td>
                  <td className="num">{formatBytes(v.bytesExposed)}</td>
                  <td className="num">{formatCount(v.count)}</td>
                  <td className="num">{formatCount(v.firstOp)}</td>
                  <td>{v.triageState.toLowerCase()}</td>
                </tr>
                {isOpen ? (
                  <tr className="detail" id={detailId}>
                    <td colSpan={columns.length + (tag ? 2 : 1)}>
                      <dl>
                        <dt>Explanation</dt>
                        <dd>{v.explanation}</dd>
                        <dt>Rule</dt>
                        <dd>
                          <LegendLink id={v.rule} />
                        </dd>
                        <dt>Fingerprint</dt>
                        <dd>
                          <code>{v.fingerprint}</code>
                        </dd>
                      </dl>
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
