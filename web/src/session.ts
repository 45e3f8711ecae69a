/** A signed-in API token and the team and role it belongs to. Kept in sessionStorage only. */
export interface Session {
  readonly token: string;
  readonly teamId: string;
  readonly teamName: string;
  readonly role: string;
}

const sessionsKey = 'dmasim.sessions';
const activeKey = 'dmasim.activeTeam';

export interface StoredSessions {
  readonly sessions: readonly Session[];
  readonly activeTeamId: string | null;
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['token', 'teamId', 'teamName', 'role'].every((key) => typeof record[key] === 'string');
}

export function loadSessions(storage: Storage = window.sessionStorage): StoredSessions {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(sessionsKey) ?? '[]');
    const sessions = Array.isArray(parsed) ? parsed.filter(isSession) : [];
    return { sessions, activeTeamId: storage.getItem(activeKey) };
  } catch {
    // A corrupt entry (edited by hand) means signed out, not a crash.
    return { sessions: [], activeTeamId: null };
  }
}

export function saveSessions(value: StoredSessions, storage: Storage = window.sessionStorage): void {
  storage.setItem(sessionsKey, JSON.stringify(value.sessions));
  if (value.activeTeamId) storage.setItem(activeKey, value.activeTeamId);
  else storage.removeItem(activeKey);
}

/** Adds (or replaces, for the same team) a session and makes it active. */
export function addSession(current: StoredSessions, session: Session): StoredSessions {
  return {
    sessions: [...current.sessions.filter((s) => s.teamId !== session.teamId), session],
    activeTeamId: session.teamId,
  };
}

export function removeSession(current: StoredSessions, teamId: string): StoredSessions {
  const sessions = current.sessions.filter((s) => s.teamId !== teamId);
  return {
    sessions,
    activeTeamId: current.activeTeamId === teamId ? (sessions[0]?.teamId ?? null) : current.activeTeamId,
  };
}

export function activeSession(value: StoredSessions): Session | undefined {
  return value.sessions.find((s) => s.teamId === value.activeTeamId) ?? value.sessions[0];
}
