import fs from 'node:fs';
import path from 'node:path';
import { FleethookError } from '../services/shared/errors.js';

export interface JavaRuntime {
  readonly javaBin: string;
  readonly major: number;
}

export interface JavaRequirement {
  readonly minMajor: number;
  /** An env var naming a JDK home that wins over everything else. */
  readonly preferredEnv: string;
  /** `first`: the first qualifying JDK in search order (the usual one); `newest`: the highest version. */
  readonly pick: 'first' | 'newest';
}

/**
 * A JDK with at least `minMajor`, looked for in `$<preferredEnv>`, `$JAVA_HOME`, the JDK behind
 * `java` on PATH, then /usr/lib/jvm. Kafka 4 needs 17; Apicurio 3.3 needs 21.
 */
export function findJava(req: JavaRequirement, env: NodeJS.ProcessEnv = process.env): JavaRuntime {
  const { minMajor, preferredEnv } = req;
  const preferred = env[preferredEnv];
  if (preferred) {
    const runtime = inspectJavaHome(preferred);
    if (runtime === undefined || runtime.major < minMajor) {
      throw new FleethookError('STACK_JAVA_MISSING', `${preferredEnv}=${preferred} is not a JDK ${minMajor}+ home`);
    }
    return runtime;
  }
  const found = candidateHomes(env)
    .map(inspectJavaHome)
    .filter((r): r is JavaRuntime => r !== undefined && r.major >= minMajor);
  if (req.pick === 'newest') found.sort((a, b) => b.major - a.major);
  const best = found[0];
  if (best === undefined) {
    throw new FleethookError(
      'STACK_JAVA_MISSING',
      `no Java ${minMajor}+ found (looked in $JAVA_HOME, PATH and /usr/lib/jvm); install one or set ${preferredEnv} to its home`,
    );
  }
  return best;
}

function candidateHomes(env: NodeJS.ProcessEnv): string[] {
  const homes: string[] = [];
  if (env.JAVA_HOME) homes.push(env.JAVA_HOME);
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const bin = path.join(dir, 'java');
    if (!fs.existsSync(bin)) continue;
    // /usr/bin/java -> /etc/alternatives/java -> <home>/bin/java
    homes.push(path.dirname(path.dirname(fs.realpathSync(bin))));
    break;
  }
  try {
    for (const name of fs.readdirSync('/usr/lib/jvm')) homes.push(path.join('/usr/lib/jvm', name));
  } catch {
    // no system JDKs
  }
  return homes;
}

function inspectJavaHome(home: string): JavaRuntime | undefined {
  const javaBin = path.join(home, 'bin', 'java');
  if (!fs.existsSync(javaBin)) return undefined;
  let release: string;
  try {
    release = fs.readFileSync(path.join(home, 'release'), 'utf8');
  } catch {
    return undefined;
  }
  const version = /^JAVA_VERSION="(\d+)(?:\.(\d+))?/m.exec(release);
  if (!version?.[1]) return undefined;
  // "1.8.0" style before Java 9
  const major = version[1] === '1' ? Number(version[2]) : Number(version[1]);
  return Number.isFinite(major) ? { javaBin, major } : undefined;
}
