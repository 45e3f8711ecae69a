import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Provider } from 'urql';
import { createApiClient } from './api/client';
import { TokenContext } from './api/exports';
import {
  activeSession,
  addSession,
  loadSessions,
  removeSession,
  saveSessions,
  type Session,
  type StoredSessions,
} from './session';
import { Link, useRoute, type Route } from './router';
import { SignInPage } from './pages/sign-in';
import { OverviewPage } from './pages/overview';
import { ScenariosPage } from './pages/scenarios';
import { ScenarioPage } from './pages/scenario';
import { RunPage } from './pages/run';
import { BatchPage } from './pages/batch';
import { ComparePage } from './pages/compare';
import { RegressionsPage } from './pages/regressions';
import { ReviewPage } from './pages/review';
import { LegendPage } from './pages/legend';
import { NewScenarioPage } from './pages/new-scenario';

const navItems: ReadonlyArray<{ to: string; label: string; pages: ReadonlyArray<Route['page']> }> = [
  { to: '/', label: 'Overview', pages: ['overview'] },
  { to: '/scenarios', label: 'Scenarios', pages: ['scenarios', 'scenario', 'new-scenario', 'run', 'batch'] },
  { to: '/compare', label: 'Compare', pages: ['compare'] },
  { to: '/regressions', label: 'Regressions', pages: ['regressions'] },
  { to: '/review', label: 'Review', pages: ['review'] },
  { to: '/legend', label: 'Legend', pages: ['legend'] },
];

function Page({ route, session }: { route: Route; session: Session }): ReactNode {
  switch (route.page) {
    case 'overview':
      return <OverviewPage canSubmit={session.role !== 'VIEWER'} />;
    case 'scenarios':
      return <ScenariosPage />;
    case 'scenario':
      return <ScenarioPage id={route.id} canSubmit={session.role !== 'VIEWER'} />;
    case 'run':
      return <RunPage id={route.id} canSubmit={session.role !== 'VIEWER'} />;
    case 'batch':
      return <BatchPage id={route.id} />;
    case 'compare':
      return <ComparePage a={route.a} b={route.b} batch={route.batch} runs={route.runs} />;
    case 'regressions':
      return <RegressionsPage canTriage={session.role !== 'VIEWER'} />;
    case 'review':
      return <ReviewPage id={route.id} canSubmit={session.role !== 'VIEWER'} />;
    case 'new-scenario':
      return <NewScenarioPage canCreate={session.role !== 'VIEWER'} />;
    case 'legend':
      return <LegendPage />;
    case 'not-found':
      return (
        <p>
          No page at <code>{route.path}</code>. <Link to="/">Back to the overview</Link>.
        </p>
      );
  }
}

/** The dashboard: sign-in gate, header with navigation and team switcher, and the current page. */
export function App(): ReactNode {
  const [stored, setStored] = useState<StoredSessions>(() => loadSessions());
  const [addingTeam, setAddingTeam] = useState(false);
  const route = useRoute();
  const session = activeSession(stored);
  const client = useMemo(() => (session ? createApiClient(session.token) : null), [session]);

  const firstRender = useRef(true);

  useEffect(() => saveSessions(stored), [stored]);
  // After in-app navigation, move focus to the new page so keyboard and screen-reader users start there.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [route]);
  useEffect(() => {
    document.title = `dmasim · ${route.page}${session ? ` · ${session.teamName}` : ''}`;
  }, [route.page, session]);

  if (!session || !client || addingTeam) {
    return (
      <SignInPage
        onSignedIn={(next) => {
          setStored((current) => addSession(current, next));
          setAddingTeam(false);
        }}
        onCancel={session ? () => setAddingTeam(false) : undefined}
      />
    );
  }

  return (
    <Provider value={client}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">dmasim</span>
        <nav aria-label="Main">
          <ul>
            {navItems.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={item.pages.includes(route.page) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="team">
          <label>
            Team
            <select
              value={session.teamId}
              onChange={(e) => setStored((current) => ({ ...current, activeTeamId: e.target.value }))}
            >
              {stored.sessions.map((s) => (
                <option key={s.teamId} value={s.teamId}>
                  {s.teamName} ({s.role.toLowerCase()})
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => setAddingTeam(true)}>
            Add team token
          </button>
          <button type="button" onClick={() => setStored((current) => removeSession(current, session.teamId))}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <TokenContext.Provider value={session.token}>
          <Page key={`${session.teamId}:${route.page}`} route={route} session={session} />
        </TokenContext.Provider>
      </main>
    </Provider>
  );
}
