import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, forgetPrefetched, onUnauthorized } from './api';

export type Role = 'owner' | 'operator' | 'analyst' | 'guide';
export interface Me {
  kind: 'user' | 'token';
  role: Role;
  workspace: { id: string; name: string; timezone: string };
  user: { id: string; email: string; name: string; role: Role; guideId: string | null } | null;
}
export interface ConsoleConfig {
  demo: boolean;
  demoLogin: { email: string; password: string } | null;
  /** While the demo brand loads on first start; null otherwise. */
  demoLoading?: { step: 'members' | 'lifecycle'; members: number; totalMembers: number } | null;
}

interface Session {
  /** undefined while the first /me is in flight; null when signed out. */
  me: Me | null | undefined;
  config: ConsoleConfig | undefined;
  expired: boolean;
  /** Rejects with `workspace_choice_required` (error.body.workspaces) when the password opens several workspaces. */
  signIn(email: string, password: string, workspaceId?: string): Promise<void>;
  signedIn(me: Me): void;
  signOut(): Promise<void>;
  /** Reads the console settings again (the demo brand's loading progress). */
  refreshConfig(): Promise<void>;
  /** Owners and operators change things; analysts and guides only read. */
  canWrite: boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [config, setConfig] = useState<ConsoleConfig>();
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    api<Me>('/api/v1/me').then(setMe, () => setMe(null));
    api<ConsoleConfig>('/api/v1/console-config').then(setConfig, () => setConfig({ demo: false, demoLogin: null }));
    return onUnauthorized(() => {
      setMe((current) => {
        if (current) setExpired(true);
        return null;
      });
    });
  }, []);

  const signIn = useCallback(async (email: string, password: string, workspaceId?: string) => {
    const signedIn = await api<Me>('/api/v1/session', { method: 'POST', body: { email, password, workspaceId } });
    forgetPrefetched();
    setExpired(false);
    setMe(signedIn);
  }, []);
  const signOut = useCallback(async () => {
    await api('/api/v1/session', { method: 'DELETE' }).catch(() => undefined);
    setMe(null);
  }, []);
  const refreshConfig = useCallback(async () => {
    await api<ConsoleConfig>('/api/v1/console-config').then(setConfig, () => undefined);
  }, []);
  const signedIn = useCallback((next: Me) => {
    forgetPrefetched();
    setMe(next);
  }, []);

  const value = useMemo<Session>(
    () => ({ me, config, expired, signIn, signOut, signedIn, refreshConfig, canWrite: me?.role === 'owner' || me?.role === 'operator' }),
    [me, config, expired, signIn, signOut, signedIn, refreshConfig],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
