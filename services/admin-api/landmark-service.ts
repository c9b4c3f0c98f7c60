import { ValidationError } from '../shared/errors.js';
import type { LandmarkRegistry } from '../shared/landmarks/landmark-registry.js';
import { landmarkIdPattern, newLandmarkId } from '../shared/landmarks/landmark-types.js';
import type { Landmark, LandmarkShape } from '../shared/landmarks/landmark-types.js';
import { KeyedSerialQueue } from '../shared/keyed-serial-queue.js';
import { checkShapeGeometry } from '../shared/landmarks/check-shape-geometry.js';
import type { LandmarkWriter } from '../shared/landmarks/landmark-writer.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import { decodeLandmarkInput } from './decode-landmark-input.js';
import { InvalidShapeError } from './invalid-shape-error.js';
import { splitAccount } from './split-account.js';

export interface LandmarkServiceDeps {
  readonly registry: LandmarkRegistry;
  readonly writer: LandmarkWriter;
  readonly maxLandmarksPerAccount: number;
  readonly readTimeoutMs: number;
  readonly now: () => Date;
}

/**
 * The owner's operations on landmarks, with read-your-writes as for subscriptions: a
 * write waits until this instance's registry has applied it; a read first catches up
 * with the topic. Another account's landmark is a 404, like a missing one.
 */
export class LandmarkService {
  private readonly mutex = new KeyedSerialQueue<string>();

  constructor(private readonly deps: LandmarkServiceDeps) {}

  async create(principal: Principal, body: unknown): Promise<Landmark> {
    const { accountId, rest } = splitAccount(principal, body, 'landmarks');
    const decoded = decodeLandmarkInput(rest, true);
    if (decoded.kind === 'invalid') throw new ValidationError(decoded.issues);
    const { name, shape } = decoded.value;
    if (name === undefined || shape === undefined) throw new ValidationError([{ field: '(body)', message: 'name and shape are required' }]);
    assertArea(shape);
    // Creates for one account are serialised on this instance, so they cannot all see room for one more.
    return this.mutex.run(`account:${accountId}`, async () => {
      await this.deps.registry.catchUp(this.deps.readTimeoutMs);
      const held = this.deps.registry.count(accountId);
      const max = this.deps.maxLandmarksPerAccount;
      if (held >= max) throw new ApiError('landmark_limit_reached', `the account already has ${held} landmarks, the most allowed (${max}); delete one first`, 'accountId');
      const now = this.deps.now().toISOString();
      const landmark: Landmark = { id: newLandmarkId(this.deps.now()), accountId, name, shape, createdAt: now, updatedAt: now, revision: 1 };
      return this.written(landmark.id, await this.deps.writer.put(landmark));
    });
  }

  async get(principal: Principal, id: string): Promise<Landmark> {
    await this.deps.registry.catchUp(this.deps.readTimeoutMs);
    return this.owned(principal, id);
  }

  async list(principal: Principal, accountFilter: string | null): Promise<Landmark[]> {
    await this.deps.registry.catchUp(this.deps.readTimeoutMs);
    return this.deps.registry.list(principal.kind === 'account' ? principal.accountId : accountFilter);
  }

  async patch(principal: Principal, id: string, body: unknown): Promise<Landmark> {
    const decoded = decodeLandmarkInput(body, false);
    if (decoded.kind === 'invalid') throw new ValidationError(decoded.issues);
    if (decoded.value.shape !== undefined) assertArea(decoded.value.shape);
    return this.mutex.run(checkId(id), async () => {
      await this.deps.registry.catchUp(this.deps.readTimeoutMs);
      const current = this.owned(principal, id);
      const next: Landmark = { ...current, ...decoded.value, updatedAt: this.deps.now().toISOString(), revision: current.revision + 1 };
      return this.written(id, await this.deps.writer.put(next));
    });
  }

  async remove(principal: Principal, id: string): Promise<void> {
    await this.mutex.run(checkId(id), async () => {
      await this.deps.registry.catchUp(this.deps.readTimeoutMs);
      this.owned(principal, id);
      await this.deps.registry.waitForOffset(await this.deps.writer.delete(id), this.deps.readTimeoutMs);
    });
  }

  private async written(id: string, at: { partition: number; offset: number }): Promise<Landmark> {
    await this.deps.registry.waitForOffset(at, this.deps.readTimeoutMs);
    const landmark = this.deps.registry.get(id);
    if (landmark === undefined) throw new ApiError('not_found', `landmark ${id} not found`, 'id');
    return landmark;
  }

  private owned(principal: Principal, id: string): Landmark {
    const landmark = this.deps.registry.get(checkId(id));
    if (landmark === undefined || (principal.kind === 'account' && landmark.accountId !== principal.accountId)) {
      throw new ApiError('not_found', `landmark ${id} not found`, 'id');
    }
    return landmark;
  }
}

function assertArea(shape: LandmarkShape): void {
  const issues = checkShapeGeometry(shape, 'shape');
  if (issues.length > 0) throw new InvalidShapeError(issues);
}

function checkId(id: string): string {
  // Not a landmark id at all: say so without quoting what was sent.
  if (!landmarkIdPattern.test(id)) throw new ApiError('not_found', 'no such landmark', 'id');
  return id;
}
