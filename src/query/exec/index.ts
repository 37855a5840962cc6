export { evaluateSegment, evaluateSegmentTri } from './evaluate-segment.js';
export { likeShape, type LikeShape } from './like.js';
export type { Tri } from './tri.js';
export type { ExecOptions } from './view.js';
export { indexSelectivityMax } from './scalar-index.js';
export { explainFilter } from './explain.js';
