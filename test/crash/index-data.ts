// The collection the index-build crash tests share with their child process.
export const indexCollection = 'vi';
export const indexDim = 32;
export const indexRows = 16_000;

export function vectorOf(i: number): number[] {
  return Array.from({ length: indexDim }, (_, k) => Math.sin(i * 0.37 + k * 1.7) * 10 + (k === i % indexDim ? 5 : 0));
}
