import { useState, type FormEvent } from 'react';

export function SignIn({ onSignIn, problem }: { onSignIn: (key: string) => Promise<void>; problem: string | null }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    await onSignIn(key.trim());
    setBusy(false);
  };
  return (
    <main className="page sign-in">
      <h1>graphflow</h1>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key or sign-in token</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="gf_…"
          required
        />
        <p className="hint">
          `npm start` printed where the admin key is kept (.data/admin-api-key). A token (JWT) from your identity
          provider works too where AUTH_JWKS_URL is set. It stays in this tab only.
        </p>
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
      </form>
    </main>
  );
}
