/**
 * THE rounding rule for splitting a discount over lines (decision 0021): largest remainder.
 *
 * Each line first gets `floor(total × weight / Σweights)` fen; the fen left over (fewer than the number of
 * lines) go one each to the lines with the largest remainders `total × weight mod Σweights`, equal
 * remainders to the earlier line. The shares sum to `total` exactly, no share exceeds its weight when
 * `total ≤ Σweights`, and the same inputs always give the same split. Products are taken in `BigInt`,
 * so amounts up to `MAX_AMOUNT` stay exact.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total <= 0 || weights.length === 0) return weights.map(() => 0);
  if (sum <= 0) throw new Error("apportion: weights sum to zero");
  if (total > sum) throw new Error("apportion: total exceeds the weights");
  const T = BigInt(total);
  const S = BigInt(sum);
  const shares: number[] = [];
  const remainders: Array<{ i: number; r: bigint }> = [];
  let given = 0;
  for (const [i, w] of weights.entries()) {
    const product = T * BigInt(w);
    const share = Number(product / S);
    shares.push(share);
    given += share;
    remainders.push({ i, r: product % S });
  }
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; k < total - given; k++) shares[remainders[k]!.i]! += 1;
  return shares;
}
