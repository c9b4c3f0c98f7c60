import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FleethookError } from '../services/shared/errors.js';
import { dependencyGoal, fillAtomically, runMaven } from './maven-fetch.js';
import { apicurioDir, type StackPaths } from './stack-paths.js';
import { stackVersions } from './stack-versions.js';

const execFileAsync = promisify(execFile);

/**
 * Ensures `<cache>/apicurio/<version>/quarkus-run.jar` exists: fetches
 * `io.apicurio:apicurio-registry-app:<version>:tar.gz:all` and unpacks it.
 */
export async function ensureApicurio(paths: StackPaths, version: string = stackVersions.apicurio): Promise<string> {
  const dir = apicurioDir(paths, version);
  const runJar = path.join(dir, 'quarkus-run.jar');
  if (fs.existsSync(runJar)) return runJar;
  await fillAtomically(dir, async (tmp) => {
    await runMaven(paths, [
      dependencyGoal('copy'),
      `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
      `-DoutputDirectory=${tmp}`,
    ]);
    const tarball = path.join(tmp, `apicurio-registry-app-${version}-all.tar.gz`);
    try {
      await execFileAsync('tar', ['-xzf', tarball, '-C', tmp]);
    } catch (err) {
      throw new FleethookError('STACK_FETCH_FAILED', `cannot unpack ${tarball}`, { cause: err });
    }
    // The local Maven repository keeps a copy; no need for a second one here.
    fs.rmSync(tarball);
    if (!fs.existsSync(path.join(tmp, 'quarkus-run.jar'))) {
      throw new FleethookError('STACK_FETCH_FAILED', `${tarball} has no quarkus-run.jar at its root`);
    }
  });
  return runJar;
}
