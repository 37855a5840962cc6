// Limits on what a filter may ask for. A filter is user input that the parser walks
// recursively, so both its size and its nesting are bounded before any work is done.

/** Longest filter text accepted, in characters (UTF-16 code units). */
export const exprLengthMax = 65_536;

/**
 * Deepest nesting accepted, in levels: each parenthesis, array literal, function call
 * and prefix operator (`-`, `not`) opens one. Chains such as `a or b or c` do not nest,
 * so a long flat filter stays within this limit.
 */
export const exprDepthMax = 128;
