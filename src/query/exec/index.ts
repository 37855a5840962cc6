export { evaluateSegment, evaluateSegmentTri } from './evaluate-segment.js';
export { likeShape, type LikeShape } from './like.js';
export type { Tri } from './tri.js';
