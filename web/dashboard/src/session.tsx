import { useQuery } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { fetchAll, getCredential, onCredentialChange } from './api/client.ts';
import type { Workspace } from './api/types.ts';

export function useCredential(): string | null {
  return useSyncExternalStore(onCredentialChange, getCredential);
}

interface WorkspaceCtx {
  workspaceId: string;
  workspaces: Workspace[];
  setWorkspaceId: (id: string) => void;
}

const Ctx = createContext<WorkspaceCtx | null>(null);
const STORAGE = 'papo.dashboard.workspace';

export function useWorkspacesQuery() {
  return useQuery({
    queryKey: ['workspaces', getCredential()],
    queryFn: ({ signal }) => fetchAll<Workspace>('/v1/admin/workspaces', {}, signal),
  });
}

/** The workspace the screens work in: the admin key's own, or the operator's pick (remembered). */
export function WorkspaceProvider({
  workspaces,
  children,
}: {
  workspaces: Workspace[];
  children: ReactNode;
}) {
  const [picked, setPicked] = useState<string | null>(() => {
    try {
      return localStorage.getItem(STORAGE);
    } catch {
      return null;
    }
  });
  const workspaceId =
    workspaces.find((w) => w.id === picked)?.id ??
    workspaces.find((w) => w.name === 'default')?.id ??
    workspaces[0]!.id;
  useEffect(() => {
    try {
      localStorage.setItem(STORAGE, workspaceId);
    } catch {
      // ignore
    }
  }, [workspaceId]);
  return (
    <Ctx.Provider value={{ workspaceId, workspaces, setWorkspaceId: setPicked }}>{children}</Ctx.Provider>
  );
}

export function useWorkspace(): WorkspaceCtx {
  const v = useContext(Ctx);
  if (!v) throw new Error('useWorkspace outside WorkspaceProvider');
  return v;
}
