/** Which TCP ports endpoint URLs may name: single ports and inclusive ranges (`443`, `8000-8999`). */
export class AllowedPorts {
  private constructor(private readonly ranges: readonly (readonly [number, number])[]) {}

  /** Parses `443`, `80`, `1024-65535`…; every bad entry is a problem (port 0 is never allowed). */
  static parse(entries: readonly string[]): { ports: AllowedPorts; problems: string[] } {
    const ranges: [number, number][] = [];
    const problems: string[] = [];
    for (const entry of entries) {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(entry.trim());
      const from = Number(m?.[1]);
      const to = m?.[2] === undefined ? from : Number(m[2]);
      if (!m || from < 1 || to > 65_535 || from > to) problems.push(`"${entry}" is not a port (1-65535) or a range like 8000-8999`);
      else ranges.push([from, to]);
    }
    if (entries.length === 0) problems.push('at least one port is needed');
    return { ports: new AllowedPorts(ranges), problems };
  }

  allows(port: number): boolean {
    return this.ranges.some(([from, to]) => port >= from && port <= to);
  }

  describe(): string {
    return this.ranges.map(([from, to]) => (from === to ? String(from) : `${from}-${to}`)).join(', ');
  }
}
