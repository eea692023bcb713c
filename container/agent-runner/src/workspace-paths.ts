/**
 * @module Where the runner finds its workspace, the CLI's home and the CLI itself. Node built-ins
 * only, so the launcher (main.ts) can start the CLI before zod and the settings' schema are loaded;
 * settings.ts validates the same variables and takes its paths from here.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export type WorkspacePaths = Readonly<{ workDir: string; globalDir: string; ipcDir: string; kimiHome: string; kimiEntry: string }>;

/** The CLI's entry point in the installed package (its `bin`), run with our own Node. */
function installedKimiEntry(): string {
  const pkg = createRequire(import.meta.url).resolve('@moonshot-ai/kimi-code/package.json');
  return path.join(path.dirname(pkg), 'dist', 'main.mjs');
}

/**
 * In the container the defaults hold: the mount points and the image's CLI. Only tests set
 * NANOKIMI_WORKSPACE, KIMI_CODE_HOME and NANOKIMI_KIMI_ENTRY (they are not in the host's contract).
 */
export function workspacePaths(env: Record<string, string | undefined>): WorkspacePaths {
  const workspace = env.NANOKIMI_WORKSPACE || '/workspace';
  return Object.freeze({
    workDir: path.join(workspace, 'group'), globalDir: path.join(workspace, 'global'), ipcDir: path.join(workspace, 'ipc'),
    kimiHome: env.KIMI_CODE_HOME || path.join(os.homedir(), '.kimi'),
    kimiEntry: env.NANOKIMI_KIMI_ENTRY || installedKimiEntry(),
  });
}
