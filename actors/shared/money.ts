import { z } from "zod";

/** 100 million yuan in fen: above any real order, and sums and products stay inside safe integers. */
export const MAX_AMOUNT = 10_000_000_000;

/** Money in minor units (fen); never a float. */
export const moneySchema = z.number().int().min(0).max(MAX_AMOUNT);
