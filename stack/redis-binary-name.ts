/**
 * The redis-server binary inside the `embedded-redis` jar for a platform and CPU, named
 * as the jar names it; `undefined` where the jar has none (Windows, other CPUs).
 */
export function redisBinaryInJar(platform: string, arch: string): string | undefined {
  const key = `${platform}/${arch}`;
  return binaries[key];
}

const binaries: Readonly<Record<string, string>> = {
  'linux/x64': 'redis-server-6.2.6-v5-linux-amd64',
  'linux/arm64': 'redis-server-6.2.7-linux-arm64',
  'linux/ia32': 'redis-server-6.2.7-linux-386',
  'darwin/x64': 'redis-server-6.2.6-v5-darwin-amd64',
  'darwin/arm64': 'redis-server-6.2.6-v5-darwin-arm64',
};

/** The platforms the jar covers, for error messages. */
export const redisJarPlatforms: readonly string[] = Object.keys(binaries);
