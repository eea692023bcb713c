/**
 * @module Extra host folders a group may ask for, checked against an allowlist that lives outside
 * the project (so an agent that can write the project cannot widen its own access). Pure: the
 * caller resolves real paths (symlinks followed) before asking.
 */
import path from 'node:path';
import { z } from 'zod';
import type { Mount } from './mounts.ts';

export const allowlistSchema = z.strictObject({
  allowedRoots: z.array(z.strictObject({ path: z.string().min(1), allowReadWrite: z.boolean().default(false) })).default([]),
  blockedPatterns: z.array(z.string().min(1)).default([]),
});
export type Allowlist = z.infer<typeof allowlistSchema>;

/** Never mountable, whatever the allowlist says: keys, credentials, tokens. */
export const alwaysBlocked = ['.ssh', '.gnupg', '.aws', '.azure', '.gcloud', '.kube', '.docker', '.kimi', '.config/gcloud',
  'credentials', '.env', '.netrc', '.npmrc', '.pypirc', 'id_rsa', 'id_ed25519', 'private_key', '.password-store', 'oauth-token'];

export type ExtraMountRequest = { hostPath: string; name: string; readWrite?: boolean };

export type ExtraMountDecision = { ok: true; mount: Mount } | { ok: false; reason: string };

const within = (root: string, p: string) => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

/**
 * `protectedRoots` (NanoKimi's own data, groups, project) may neither contain nor be inside a mount;
 * `homeDir` may not be inside one, since a home holds keys (~/.ssh) that no pattern can list in full.
 */
export function checkExtraMount(req: ExtraMountRequest, realHostPath: string | null, allowlist: Allowlist,
  protectedRoots: readonly string[], homeDir?: string): ExtraMountDecision {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(req.name)) {
    return { ok: false, reason: `extra mount name "${req.name}" must be letters, digits, dot, dash or underscore` };
  }
  if (realHostPath === null) return { ok: false, reason: `${req.hostPath} does not exist` };
  const parts = realHostPath.split('/');
  const blocked = [...alwaysBlocked, ...allowlist.blockedPatterns].find((pattern) =>
    pattern.includes('/') ? realHostPath.includes(`/${pattern}`) : parts.includes(pattern));
  if (blocked) return { ok: false, reason: `${realHostPath} matches the blocked pattern "${blocked}"` };
  const overlapsProtected = protectedRoots.find((r) => within(r, realHostPath) || within(realHostPath, r));
  if (overlapsProtected) return { ok: false, reason: `${realHostPath} overlaps NanoKimi's own ${overlapsProtected}` };
  if (homeDir && within(realHostPath, homeDir)) {
    return { ok: false, reason: `${realHostPath} contains the home directory ${homeDir}; mount a folder inside it instead` };
  }
  const root = allowlist.allowedRoots.find((r) => within(path.resolve(r.path), realHostPath));
  if (!root) return { ok: false, reason: `${realHostPath} is not under any allowed root of the mount allowlist` };
  const readWrite = (req.readWrite ?? false) && root.allowReadWrite;
  return { ok: true, mount: { kind: 'bind', source: realHostPath, target: `/workspace/extra/${req.name}`, readonly: !readWrite } };
}
