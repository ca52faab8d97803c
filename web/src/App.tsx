/**
 * The console's frame: sign-in when no key is held, else the caller (GET /api/me), the navigation, and the
 * page the path names. A key the server refuses (revoked, expired) is forgotten and sign-in shown again.
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, apiFor, need, type Me } from './api';
import { Link, navigate, useLocation } from './router';
import { forgetKey, rememberKey, storedKey } from './session';
import { Board } from './pages/Board';
import { Dashboard } from './pages/Dashboard';
import { Designer } from './pages/Designer';
import { DesignerList } from './pages/DesignerList';
import { Inbox } from './pages/Inbox';
import { Reports } from './pages/Reports';
import { RunPage } from './pages/RunPage';
import { RunsList } from './pages/RunsList';
import { SignIn } from './pages/SignIn';

export interface Session {
  key: string;
  me: Me;
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(() => storedKey() !== null);
  const [problem, setProblem] = useState<string | null>(null);
  const { path } = useLocation();

  const signIn = useCallback(async (key: string) => {
    try {
      const me = await need(apiFor(key).GET('/api/me'));
      rememberKey(key);
      setSession({ key, me });
      setProblem(null);
    } catch (error) {
      forgetKey();
      setProblem(
        error instanceof ApiError && error.status === 401
          ? 'That key was not accepted (unknown, revoked or expired).'
          : (error as Error).message,
      );
    } finally {
      setChecking(false);
    }
  }, []);

  useEffect(() => {
    const key = storedKey();
    if (key) void signIn(key);
  }, [signIn]);

  const signOut = () => {
    forgetKey();
    setSession(null);
    navigate('/');
  };

  if (checking)
    return (
      <main className="page">
        <p aria-live="polite">Signing in …</p>
      </main>
    );
  if (!session) return <SignIn onSignIn={signIn} problem={problem} />;

  const runMatch = /^\/runs\/([^/]+)\/?$/.exec(path);
  const designerMatch = /^\/designer\/([^/]+)\/?$/.exec(path);
  return (
    <>
      <header className="top">
        <nav aria-label="Main">
          <Link href="/" className="brand">
            graphflow
          </Link>
          <Link href="/" aria-current={path === '/' ? 'page' : undefined}>
            Runs
          </Link>
          <Link href="/inbox" aria-current={path === '/inbox' ? 'page' : undefined}>
            Inbox
          </Link>
          <Link href="/board" aria-current={path === '/board' ? 'page' : undefined}>
            Board
          </Link>
          <Link href="/dashboard" aria-current={path === '/dashboard' ? 'page' : undefined}>
            Dashboard
          </Link>
          <Link href="/reports" aria-current={path === '/reports' ? 'page' : undefined}>
            Reports
          </Link>
          <Link href="/designer" aria-current={path.startsWith('/designer') ? 'page' : undefined}>
            Designer
          </Link>
        </nav>
        <div className="who">
          <span title={session.me.email}>{session.me.email}</span>
          <span className="roles">{session.me.roles.join(', ') || 'no role'}</span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="page">
        {runMatch ? (
          <RunPage session={session} runId={decodeURIComponent(runMatch[1]!)} />
        ) : designerMatch ? (
          <Designer session={session} workflowId={decodeURIComponent(designerMatch[1]!)} />
        ) : path === '/designer' ? (
          <DesignerList session={session} />
        ) : path === '/inbox' ? (
          <Inbox session={session} />
        ) : path === '/board' ? (
          <Board session={session} />
        ) : path === '/dashboard' ? (
          <Dashboard session={session} />
        ) : path === '/reports' ? (
          <Reports session={session} />
        ) : (
          <RunsList session={session} />
        )}
      </main>
    </>
  );
}
