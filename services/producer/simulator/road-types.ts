/**
 * The kinds of road a simulated vehicle drives on: posted limit, how long a stretch
 * lasts before the next junction, and which road tends to follow which.
 */
export const roadTypes = {
  residential: { postedLimitKmh: 30, segmentKm: [0.15, 0.6], stopChance: 0.5, next: { residential: 3, urban: 5, arterial: 1, highway: 0 } },
  urban: { postedLimitKmh: 50, segmentKm: [0.2, 1.2], stopChance: 0.45, next: { residential: 2, urban: 5, arterial: 3, highway: 0.5 } },
  arterial: { postedLimitKmh: 70, segmentKm: [0.8, 3], stopChance: 0.3, next: { residential: 0.5, urban: 3, arterial: 4, highway: 2 } },
  highway: { postedLimitKmh: 120, segmentKm: [3, 15], stopChance: 0.02, next: { residential: 0, urban: 0.5, arterial: 2, highway: 6 } },
} as const;

export type RoadType = keyof typeof roadTypes;
