/**
 * Standardisation as training does it: fitted on training rows only, per feature column.
 * Browser-safe.
 *
 * @module
 */
export { applyScaler, fitScaler, type Scaler } from "../normalise/scaler.ts";
